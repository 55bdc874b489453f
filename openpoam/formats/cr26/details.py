"""vulnerabilityDetail objects for the VDT, AVI and historical reports.

The 0.1.x schemas have no field for two things VER-RPT-VDT asks for; OpenPOAM carries them as
extra properties (the schemas allow them: no ``additionalProperties: false``):

- item 7, each completed reduction: ``painReductionEvents``, a list of ``{reducedAt, rating}``
  shaped and validated as the schema's own ``$defs/painReductionEvent`` (the name upstream
  0.3.0 wires in);
- item 6, the historical ratings: ``ratingHistory``, every evaluation, re-evaluation and
  reduction with its time, rating, LEV, IRV, who and why.

A "Remediated" disposition (FRD-RMV) has no value in the ``finalDisposition`` enum before common
definitions 0.3.0: there ``finalDisposition`` is omitted and ``openpoamDisposition`` says
``{"value": "Remediated", "at": ...}``; with a release whose enum has it, ``finalDisposition`` is
written. Which one is read from the shipped schema, not hard-coded.

N0 (VER-EVA-EPA since rules 2026.10.05.01) has no value in the schemas' ``nRating`` (1-5, up to
0.3.0): an N0 current rating leaves ``currentRating`` out and says ``openpoamCurrentRating:
"N0"``; a reduction to N0 is listed in ``openpoamN0Reductions`` instead of
``painReductionEvents``; a planned reduction to N0 is ``openpoamProjectedNextReduction``.

Deadlines the rules set (``evaluationDueAt``, ``reductionDueAt`` with its rule,
``kevDueAt``) and grouping (``groupedTrackingIds``, VER-EVA-GRV) are extra properties too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openpoam.formats.cr26.document import VulnerabilityRecord
from openpoam.formats.cr26.validation import DEFAULT_VERSION, dispositions

N0 = 0  # VER-EVA-EPA's N0: no nRating value in the schemas (1-5); any other value is written
#         as is, so the schema still refuses a rating that is not one


def instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def detail(record: VulnerabilityRecord, version: str = DEFAULT_VERSION) -> dict[str, Any]:
    out: dict[str, Any] = {
        "providerTrackingId": record.tracking_id,
        "detection": {"detectedAt": instant(record.detected_at),
                      "detectionSource": record.detection_source or "unknown"},
        "vulnerabilityDescription": record.description or record.tracking_id,
    }
    allowed = dispositions(version)
    _optional(out, record, allowed)
    _extensions(out, record, allowed)
    return out


def _optional(out: dict[str, Any], record: VulnerabilityRecord, allowed: tuple[str, ...]
              ) -> None:
    if record.impact:
        out["potentialAgencyImpact"] = record.impact
    if record.evaluated_at is not None:
        out["evaluationCompletedAt"] = instant(record.evaluated_at)
    if record.irv is not None:
        out["isInternetReachable"] = record.irv
    if record.lev is not None:
        out["isLikelyExploitable"] = record.lev
    if record.rating is not None and record.rating != N0:
        out["currentRating"] = record.rating
    planned = _planned(record)
    if planned and planned["targetRating"] != N0:
        out["projectedNextReduction"] = planned
    out["overdueStatus"] = overdue_status(record)
    if record.supplementary:
        out["supplementaryRiskInformation"] = record.supplementary
    if record.disposition in allowed:
        out["finalDisposition"] = record.disposition


def _planned(record: VulnerabilityRecord) -> dict[str, Any] | None:
    """VER-RPT-VDT item 8, while the item is active: no final disposition, or "Partially
    Mitigated" (FRD-PMV: the risk still exists, so a next reduction is still planned)."""
    if record.next_reduction_at is None or record.next_reduction_rating is None:
        return None
    if record.disposition not in ("", "Partially Mitigated"):
        return None
    return {"estimatedAt": instant(record.next_reduction_at),
            "targetRating": record.next_reduction_rating}


def overdue_status(record: VulnerabilityRecord) -> dict[str, Any]:
    """``overdueStatus``. The schema points at VER-TFR-EVU and VER-TFR-MAV: a vulnerability
    never evaluated and past its VER-TFR-EVU deadline is reported overdue (a missed SHOULD),
    with the deadline in the explanation, besides FRD-ODV's PVR and KEV timeframes."""
    reasons = []
    if record.overdue:
        reasons.append(record.overdue_explanation or "past its FedRAMP timeframe")
    if record.evaluated_at is None and record.evaluation_late:
        due = instant(record.evaluation_due)
        reasons.append(f"not evaluated: the evaluation was due {due} (VER-TFR-EVU, a SHOULD "
                       "not met)")
    status: dict[str, Any] = {"isOverdue": bool(reasons)}
    if reasons:
        status["explanation"] = "; ".join(reasons)
    return status


def _extensions(out: dict[str, Any], record: VulnerabilityRecord, allowed: tuple[str, ...]
                ) -> None:
    out["painReductionEvents"] = [{"reducedAt": instant(e.at), "rating": e.rating}
                                  for e in record.reductions if e.rating != N0]
    to_n0 = [{"reducedAt": instant(e.at), "rating": "N0"}
             for e in record.reductions if e.rating == N0]
    if to_n0:
        out["openpoamN0Reductions"] = to_n0
    if record.rating == N0:
        out["openpoamCurrentRating"] = "N0"
    planned = _planned(record)
    if planned and planned["targetRating"] == N0:
        out["openpoamProjectedNextReduction"] = {**planned, "targetRating": "N0"}
    out["ratingHistory"] = [{"at": instant(e.at), "kind": e.kind, "rating": e.rating,
                             "isLikelyExploitable": e.lev, "isInternetReachable": e.irv,
                             "by": e.actor, "note": e.note} for e in record.history]
    if record.disposition and record.disposition not in allowed:
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


def accepted_info(record: VulnerabilityRecord, version: str = DEFAULT_VERSION) -> dict[str, Any]:
    rationale = record.acceptance_rationale or (
        "Not fully mitigated or remediated within 192 days of evaluation (VER-TFR-MAV).")
    info: dict[str, Any] = {"vulnerabilityDetail": detail(record, version),
                            "acceptanceRationale": rationale}
    if record.accepted_at is not None:
        info["acceptedAt"] = instant(record.accepted_at)
    return info
