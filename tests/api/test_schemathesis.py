"""Schemathesis against the API's own OpenAPI document, through the WSGI application
with a valid token: no 5xx, and every response matches the documented status codes,
media types and schemas. Bounded (a few examples per operation) to stay quick."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS

from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from openpoam.api.main import api

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_schema_conformance")


# The document is served without a token; loading it touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def unthrottled(monkeypatch):
    monkeypatch.setattr(api.throttle[0], "num_requests", 10**9)


@pytest.fixture
def one_connection():
    """Requests go straight to the WSGI application, so Django would close the database
    connection after each one (and with it the test's transaction); its test client
    disconnects the same signals."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, as_alice, poam, unthrottled, one_connection):
    # Real names for most path parameters, so requests reach the handlers, not only 404s.
    real = {"org": "acme", "system": "enclave", "poam_id": poam.delayed.poam_id}
    for name, value in real.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = value
    checks = [check for check in CHECKS.get_all() if check.__name__ in CHECK_NAMES]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {as_alice.secret}"}
    response = case.call_and_validate(checks=checks)
    assert response.status_code != 401, "the token was not sent"


def test_every_phase_runs_unthrottled(unthrottled):
    """Examples, coverage (boundary and negative values) and fuzzing all run, against the
    API with its rate limit lifted, so the cases reach the logic rather than 429s."""
    phases = schema.config.phases_for(operation=None)
    assert phases.examples.enabled and phases.coverage.enabled and phases.fuzzing.enabled
    assert api.throttle[0].num_requests >= 10**9
