"""FedRAMP CR26 (VDR/VER) for scripts: one vulnerability with its deadlines; recording an
evaluation, a completed reduction or an acceptance; and the reports (a preview, or the report
of record that starts the next period). Ratings are N0 to N5 (VER-EVA-EPA; N0 since rules
2026.10.05.01). The services check the role and validate; this module parses and presents."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import AwareDatetime, Field

from openpoam.api import lookups
from openpoam.api.schemas import ERRORS, Input
from openpoam.tracker.models import Cr26Vulnerability
from openpoam.tracker.services import cr26
from openpoam.tracker.services import cr26_reports
from openpoam.tracker.services.cr26_reports import vulnerability_dict

router = Router(tags=["fedramp-cr26"])
PATH = "/orgs/{org}/systems/{system}/cr26/vulnerabilities/{poam_id}"
RATING = Field(ge=0, le=5, description="Potential Agency Impact N-rating, 0 to 5 (VER-EVA-EPA)")


class EvaluationIn(Input):
    rating: int = RATING
    lev: bool
    irv: bool
    why: str = Field(min_length=1, max_length=10000, description="The evaluation's reasoning")
    at: AwareDatetime | None = Field(default=None, description="When, ISO 8601 with a zone; "
                                                          "default now")


class ReductionIn(Input):
    rating: int = RATING
    what: str = Field(min_length=1, max_length=10000, description="What was done")
    lev: bool | None = None
    irv: bool | None = None
    disposition: Literal["", "Partially Mitigated", "Fully Mitigated", "Remediated"] = ""
    at: AwareDatetime | None = None


class AcceptanceIn(Input):
    why: str = Field(min_length=1, max_length=10000, description="Why it is accepted: no "
                     "intent to fully mitigate or remediate in time (VER-RPT-AVI item 7)")
    at: AwareDatetime | None = Field(default=None, description="When, ISO 8601 with a zone; "
                                                          "default now")


REPORT = "/orgs/{org}/systems/{system}/cr26/reports/{kind}"
ReportKind = Literal[tuple(cr26_reports.REPORT_KINDS)]  # type: ignore[valid-type]
_REPORT_FILE = {"responses": {200: {
    "description": "The report as an attachment: vdt, avi and mrh as JSON validated against "
                   "FedRAMP's schemas, mhr as HTML",
    "content": {"application/json": {}, "text/html": {}}}}}


def _vuln(request: HttpRequest, org: str, system: str, poam_id: str) -> Cr26Vulnerability:
    found = lookups.system(request, org, system)  # 404 outside the token's organization
    vuln = (Cr26Vulnerability.objects.select_related("item", "system")
            .filter(system=found, item__poam_id__in={poam_id, poam_id.strip().upper()}).first())
    if vuln is None:
        raise Http404("No such CR26 vulnerability.")
    return vuln


@router.get(PATH, response={200: dict, **ERRORS},
            summary="One CR26 vulnerability: deadlines with their rules, flags, rating history")
def show(request: HttpRequest, org: str, system: str, poam_id: str):
    return vulnerability_dict(_vuln(request, org, system, poam_id))


@router.post(PATH + "/evaluations", response={201: dict, **ERRORS},
             summary="Record a completed evaluation (VER-EVA-ELX, -EIR, -EPA)")
def evaluate(request: HttpRequest, org: str, system: str, poam_id: str, payload: EvaluationIn):
    vuln = _vuln(request, org, system, poam_id)
    cr26.evaluate(lookups.actor(request), vuln, rating=payload.rating, lev=payload.lev,
                  irv=payload.irv, reason=payload.why, at=payload.at)
    vuln.refresh_from_db()
    return Status(201, vulnerability_dict(vuln))


@router.post(PATH + "/reductions", response={201: dict, **ERRORS},
             summary="Record a completed reduction to a lower N-rating (VDR-TFR-PVR)")
def reduce(request: HttpRequest, org: str, system: str, poam_id: str, payload: ReductionIn):
    vuln = _vuln(request, org, system, poam_id)
    cr26.record_reduction(lookups.actor(request), vuln, rating=payload.rating, what=payload.what,
                          at=payload.at, lev=payload.lev, irv=payload.irv,
                          disposition=payload.disposition)
    vuln.refresh_from_db()
    return Status(201, vulnerability_dict(vuln))


@router.post(PATH + "/acceptance", response={201: dict, **ERRORS},
             summary="Categorize as accepted, with why (FRD-ACV; VER-RPT-AVI)")
def accept(request: HttpRequest, org: str, system: str, poam_id: str, payload: AcceptanceIn):
    vuln = _vuln(request, org, system, poam_id)
    cr26.accept(lookups.actor(request), vuln, payload.why, at=payload.at)
    vuln.refresh_from_db()
    return Status(201, vulnerability_dict(vuln))


@router.get(REPORT, response={200: None, **ERRORS}, openapi_extra=_REPORT_FILE,
            summary="Preview a CR26 report (not recorded: the next report still starts where "
                    "the last recorded one ended)")
def preview_report(request: HttpRequest, org: str, system: str, kind: ReportKind):
    return _report(request, org, system, kind, record=False)


@router.post(REPORT, response={200: None, **ERRORS}, openapi_extra=_REPORT_FILE,
             summary="Make the CR26 report of record (editor): the next one starts where it "
                     "ends (VER-RPT-PER)")
def record_report(request: HttpRequest, org: str, system: str, kind: ReportKind):
    return _report(request, org, system, kind, record=True)


def _report(request: HttpRequest, org: str, system: str, kind: str, *, record: bool):
    found = lookups.system(request, org, system)
    result = cr26_reports.export_report(lookups.actor(request), found, kind, record=record)
    response = HttpResponse(result.content, content_type=result.exporter.media_type)
    name = cr26_reports.report_name(found, kind, result)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
