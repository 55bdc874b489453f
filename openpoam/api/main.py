"""The API object: every router, token authentication and throttling on every operation,
JSON errors, and documentation served from the product itself (no CDN)."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from openpoam.api import errors
from openpoam.api.auth import TokenAuth, TokenRateThrottle
from openpoam.api.parser import DepthLimitedParser
from openpoam.api.routers import (accounts, cr26, files, items, jobs, me, orgs, reports,
                                  requests, reviews, work)
from openpoam.api.serialize import fresh_item

DESCRIPTION = """\
POA&M items, milestones, evidence, imports, exports, quality checks (a gate for
pipelines), CMMC assessments, risk-acceptance and deviation requests and their decisions,
monthly reviews and snapshots, FedRAMP CR26 evaluations and reports, members, invitations
and tokens: for scripts and pipelines.

Send a token made on the API tokens page or with `openpoam token create` as
`Authorization: Bearer <token>`. A token acts in one organization with its user's role
there; a read-only token only reads. Errors are JSON `{"detail": ..., "field": ...}`:
400 a refused change, 401 no valid token, 403 not allowed for this role, 404 not found
(or not yours), 409 the item changed since you read it (the body holds its current
values), 413 body too large, 422 invalid input, 429 too many requests.
Lists are paged with `cursor`/`next_cursor`. Imports (and their confirmation, and exports
started as jobs) answer 202 with a job, its URL in `Location`: poll `GET /jobs/{id}` for its
state, progress, result and error; `wait=true` on an import answers with its result instead
(files up to OPENPOAM_API_WAIT_MAX_MB).
"""


class _Docs(Swagger):
    """ninja's Swagger UI page in our own shell (api/swagger.html): a page with a language."""

    template = "api/swagger.html"


def build() -> NinjaAPI:
    api = NinjaAPI(title="OpenPOAM API", version="1", description=DESCRIPTION,
                   urls_namespace="api-v1", auth=TokenAuth(), throttle=[TokenRateThrottle()],
                   docs=_Docs(settings={"persistAuthorization": False}), docs_url="/docs",
                   parser=DepthLimitedParser())
    for module in (orgs, items, work, files, reports, cr26, requests, reviews, accounts, jobs,
                   me):
        api.add_router("", module.router)
    errors.install(api, fresh_item)
    return api


api = build()
