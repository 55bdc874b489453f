"""The ``openpoam fedramp deadlines`` contract: one JSON object in, one JSON object out.

Input (section 4 of the CR26 issue)::

    {"class": "B", "rating": 4, "lev": true, "irv": false, "kev_due": "2026-12-13",
     "detected_at": "2026-12-10T14:00:00Z", "evaluated_at": "2026-12-12T09:30:00Z"}

``kev_due`` and ``evaluated_at`` may be null; before evaluation ``rating``, ``lev`` and ``irv``
may be null too. Output: ``evaluation_due``, ``reduction_due`` and ``accepted_from`` as ISO 8601
UTC instants ending in Z (or null), each with the rule behind it. Bad input raises Cr26Error
naming the field. Pure: the caller passes ``now``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from openpoam.domain.fedramp.cr26.deadlines import (Cr26Error, Deadline, Incident, RatingEvent,
                                                    Vulnerability, check_rating, column, iso,
                                                    status, utc)
from openpoam.domain.fedramp.cr26.tables import CertClass

FIELDS = ("class", "rating", "lev", "irv", "kev_due", "detected_at", "evaluated_at")


def deadlines_payload(data: Any, now: datetime) -> dict[str, Any]:
    """Read one contract object and answer with its deadlines."""
    vuln = read_vulnerability(data)
    state = status(vuln, now)
    current = vuln.current
    out: dict[str, Any] = {
        "class": vuln.cert_class.value,
        "column": column(current.lev, current.irv).value if current else None,
    }
    for name, deadline in (("evaluation_due", state.evaluation_due),
                           ("reduction_due", state.reduction_due),
                           ("accepted_from", state.accepted_from)):
        out[name] = iso(deadline.at)
        out[f"{name}_rule"] = deadline.rule
    out["kev_remediation_due"] = iso(state.kev_due.at) if state.kev_due else None
    out["rules"] = {name: _rule(d) for name, d in (
        ("evaluation_due", state.evaluation_due), ("reduction_due", state.reduction_due),
        ("accepted_from", state.accepted_from), ("kev_remediation_due", state.kev_due)) if d}
    out["incident"] = _incident(state.incident)
    out["as_of"] = iso(now)
    out["evaluation_late"] = state.evaluation_late
    out["overdue"] = state.overdue
    out["accepted"] = state.accepted
    out["notes"] = state.notes
    return out


def _incident(found: Incident | None) -> dict[str, Any] | None:
    """VER-TFR-IRI/NRI and the IEC report deadlines it brings (iec.py)."""
    if found is None:
        return None
    return {"rule": found.rule, "force": found.force.value, "until": found.until,
            "since": iso(found.since),
            "reports": [{"rule": r.rule, "force": r.force.value, "what": r.what,
                         "due": iso(r.at), "timeframe": str(r.span), "basis": r.basis,
                         "citation": r.citation} for r in found.reports]}


def _rule(deadline: Deadline) -> dict[str, Any]:
    return {"rule": deadline.rule, "due": iso(deadline.at), "basis": deadline.basis,
            "citation": deadline.citation}


def read_vulnerability(data: Any) -> Vulnerability:
    if not isinstance(data, dict):
        raise Cr26Error("expected a JSON object with the fields " + ", ".join(FIELDS))
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Cr26Error(f"unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
    cert_class = _class(data.get("class"))
    detected = _instant(data, "detected_at", required=True)
    evaluated = _instant(data, "evaluated_at", required=False)
    if evaluated is not None and detected is not None and evaluated < detected:
        raise Cr26Error("field 'evaluated_at': the evaluation cannot come before detection")
    ratings: tuple[RatingEvent, ...] = ()
    if evaluated is not None:
        ratings = (RatingEvent(evaluated, _rating(data), _flag(data, "lev"),
                               _flag(data, "irv")),)
    else:
        _optional_checks(data)
    return Vulnerability(cert_class, detected, ratings, kev_due=_date(data, "kev_due"))


def _class(value: Any) -> CertClass:
    if isinstance(value, str) and value.strip().upper() in CertClass.__members__:
        return CertClass(value.strip().upper())
    raise Cr26Error(f"field 'class': must be \"A\", \"B\", \"C\" or \"D\", not {value!r}")


def _rating(data: dict) -> int:
    if data.get("rating") is None:
        raise Cr26Error("field 'rating': an evaluated vulnerability needs its N-rating (0-5)")
    try:
        return check_rating(data["rating"])
    except Cr26Error as exc:
        raise Cr26Error(f"field 'rating': {exc}") from None


def _flag(data: dict, name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise Cr26Error(f"field {name!r}: must be true or false for an evaluated vulnerability, "
                        f"not {value!r}")
    return value


def _optional_checks(data: dict) -> None:
    """Before evaluation the rating and flags may be absent, but not malformed."""
    if data.get("rating") is not None:
        _rating(data)
    for name in ("lev", "irv"):
        if data.get(name) is not None:
            _flag(data, name)


def _instant(data: dict, name: str, *, required: bool) -> datetime | None:
    value = data.get(name)
    if value is None:
        if required:
            raise Cr26Error(f"field {name!r} is required (an ISO 8601 UTC instant)")
        return None
    if not isinstance(value, str):
        raise Cr26Error(f"field {name!r}: expected an ISO 8601 instant string, not {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Cr26Error(f"field {name!r}: {value!r} is not an ISO 8601 instant") from None
    try:
        return utc(moment, f"field {name!r}")
    except Cr26Error as exc:
        raise Cr26Error(f"{exc} (got {value!r})") from None


def _date(data: dict, name: str) -> date | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Cr26Error(f"field {name!r}: expected a date YYYY-MM-DD, not {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Cr26Error(f"field {name!r}: {value!r} is not a date YYYY-MM-DD") from None
