"""vulnerabilityDetail objects for the VDT, AVI and historical reports.

The 0.1.x schemas have no field for two things VER-RPT-VDT asks for; OpenPOAM carries them as
extra properties (the schemas allow them: no ``additionalProperties: false``):

- item 7, each completed reduction: ``painReductionEvents``, a list of ``{reducedAt, rating}``
  shaped and validated as the schema's own ``$defs/painReductionEvent`` (the name upstream
  0.3.0 wires in);
- item 6, the historical ratings: ``ratingHistory``, every evaluation, re-evaluation and
  reduction with its time, rating, LEV, IRV, who and why.

A "Remediated" disposition (FRD-RMV) has no value in the 0.1.1 ``finalDisposition`` enum, so
``finalDisposition`` is omitted and ``openpoamDisposition`` says ``{"value": "Remediated",
"at": ...}``. Deadlines the rules set (``evaluationDueAt``, ``reductionDueAt`` with its rule,
``kevDueAt``) and grouping (``groupedTrackingIds``, VER-EVA-GRV) are extra properties too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openpoam.formats.cr26.document import VulnerabilityRecord

SCHEMA_DISPOSITIONS = ("Fully Mitigated", "Partially Mitigated", "False Positive")


def instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def detail(record: VulnerabilityRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "providerTrackingId": record.tracking_id,
        "detection": {"detectedAt": instant(record.detected_at),
                      "detectionSource": record.detection_source or "unknown"},
        "vulnerabilityDescription": record.description or record.tracking_id,
    }
    _optional(out, record)
    _extensions(out, record)
    return out


def _optional(out: dict[str, Any], record: VulnerabilityRecord) -> None:
    if record.impact:
        out["potentialAgencyImpact"] = record.impact
    if record.evaluated_at is not None:
        out["evaluationCompletedAt"] = instant(record.evaluated_at)
    if record.irv is not None:
        out["isInternetReachable"] = record.irv
    if record.lev is not None:
        out["isLikelyExploitable"] = record.lev
    if record.rating is not None:
        out["currentRating"] = record.rating
    if (record.next_reduction_at is not None and record.next_reduction_rating is not None
            and not record.disposition):
        out["projectedNextReduction"] = {"estimatedAt": instant(record.next_reduction_at),
                                         "targetRating": record.next_reduction_rating}
    status: dict[str, Any] = {"isOverdue": record.overdue}
    if record.overdue:
        status["explanation"] = record.overdue_explanation or "past its FedRAMP timeframe"
    out["overdueStatus"] = status
    if record.supplementary:
        out["supplementaryRiskInformation"] = record.supplementary
    if record.disposition in SCHEMA_DISPOSITIONS:
        out["finalDisposition"] = record.disposition


def _extensions(out: dict[str, Any], record: VulnerabilityRecord) -> None:
    out["painReductionEvents"] = [{"reducedAt": instant(e.at), "rating": e.rating}
                                  for e in record.reductions]
    out["ratingHistory"] = [{"at": instant(e.at), "kind": e.kind, "rating": e.rating,
                             "isLikelyExploitable": e.lev, "isInternetReachable": e.irv,
                             "by": e.actor, "note": e.note} for e in record.history]
    if record.disposition and record.disposition not in SCHEMA_DISPOSITIONS:
        out["openpoamDisposition"] = {"value": record.disposition,
                                      "at": instant(record.disposition_at)}
    if record.evaluation_due is not None:
        out["evaluationDueAt"] = instant(record.evaluation_due)
    if record.reduction_due is not None:
        out["reductionDueAt"] = instant(record.reduction_due)
        out["reductionDueRule"] = record.reduction_rule
    if record.kev_due is not None:
        out["kevDueAt"] = instant(record.kev_due)
    if record.group_members:
        out["groupedTrackingIds"] = list(record.group_members)


def accepted_info(record: VulnerabilityRecord) -> dict[str, Any]:
    rationale = record.acceptance_rationale or (
        "Not fully mitigated or remediated within 192 days of evaluation (VER-TFR-MAV).")
    info: dict[str, Any] = {"vulnerabilityDetail": detail(record),
                            "acceptanceRationale": rationale}
    if record.accepted_at is not None:
        info["acceptedAt"] = instant(record.accepted_at)
    return info
