"""The CSV column set: one row per POA&M item, columns in this order.

README.md in this folder documents every column; a test checks the two agree
and that every ``PoamItemData`` field has a column, so nothing is lost.
Each column has a codec kind; ``encode`` and ``decode`` are exact inverses.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from enum import StrEnum
from typing import Any

from openpoam.domain import rmf
from openpoam.domain.poam import (AffectedAsset, Catalog, ControlRef, Designation, DueDateChange,
                                  EvidenceData, Framework, HistoryEntry, MilestoneData, Risk,
                                  Source, Status)

# (column, kind). System and document columns repeat on every row so the file
# stays one flat table that any spreadsheet or script can filter.
DOCUMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("system_name", "text"),
    ("system_acronym", "text"),
    ("system_organization", "text"),
    ("system_framework", "framework"),
    ("system_impact_level", "text"),
    ("system_designation", "designation"),
    ("system_uuid", "text"),
    ("system_description", "text"),
    ("document_uuid", "text"),
    ("document_version", "text"),
    ("document_generated_at", "datetime"),
)

ITEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("poam_id", "text"),
    ("title", "text"),
    ("uuid", "text"),
    ("status", "status"),
    ("weakness_description", "text"),
    ("source", "source"),
    ("source_identifier", "text"),
    ("source_detail", "text"),
    ("controls", "controls"),
    ("assets", "assets"),
    ("original_risk", "risk"),
    ("raw_severity", "text"),
    ("adjusted_risk", "risk_or_none"),
    ("risk_adjustment_rationale", "text"),
    ("planned_remediation", "text"),
    ("owner", "text"),
    ("owner_email", "text"),
    ("resources_required", "text"),
    ("cost_estimate", "decimal"),
    ("vendor_dependency", "bool"),
    ("vendor_product", "text"),
    ("vendor_last_checkin", "date"),
    ("detected_on", "date"),
    ("scheduled_completion", "date"),
    ("actual_completion", "date"),
    ("status_date", "date"),
    ("residual_risk", "text"),
    ("depends_on", "list"),
    ("comments", "text"),
    ("cves", "list"),
    ("false_positive", "bool"),
    ("operational_requirement", "bool"),
    ("deviation_rationale", "text"),
    ("approver", "text"),
    ("review_date", "date"),
    ("kev", "bool"),
    ("kev_due", "date"),
    ("delayed", "bool"),
    ("updated_on", "date"),
    ("rmf", "rmf"),
    ("milestones", "milestones"),
    ("evidence", "evidence"),
    ("history", "history"),
)

HEADER = tuple(name for name, _ in DOCUMENT_COLUMNS + ITEM_COLUMNS)
REQUIRED = ("poam_id", "title")
LIST_SEPARATOR = "; "
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


class CellError(ValueError):
    """A cell value that does not fit its column; the reader adds line and column."""


# --- encoding ---------------------------------------------------------------------------

def encode(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind in ("text",):
        return value
    if kind in ("date", "datetime"):
        return value.isoformat()
    if kind == "bool":
        return "true" if value else "false"
    if kind == "decimal":
        return str(value)
    if kind == "list":
        return LIST_SEPARATOR.join(value)
    if kind == "controls":
        return LIST_SEPARATOR.join(f"{ref.catalog.value}:{ref.control_id}" for ref in value)
    if kind in ("assets", "milestones", "evidence", "history"):
        return json.dumps([asdict(entry) for entry in value], default=_json_default,
                          ensure_ascii=False) if value else ""
    if kind == "rmf":
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True) if value else ""
    if kind == "designation":
        return value.label  # read by people: "Internal tracking" must say so in words
    return value.value  # the other enums: stable machine values, not labels


def _json_default(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot serialise {value!r}")


# --- decoding ---------------------------------------------------------------------------

_ENUMS: dict[str, type[StrEnum]] = {
    "status": Status, "source": Source, "risk": Risk, "risk_or_none": Risk,
    "framework": Framework, "designation": Designation,
}


def decode(kind: str, text: str) -> Any:
    """The value for a column; raises CellError with a plain message."""
    decoder = _DECODERS.get(kind)
    if decoder is not None:
        return decoder(text)
    return _enum(_ENUMS[kind], text, optional=kind == "risk_or_none")


def _enum(enum: type[StrEnum], text: str, *, optional: bool) -> Any:
    text = text.strip()
    if not text and optional:
        return None
    found = _names(enum).get(text.lower())
    if found is not None:
        return found
    allowed = ", ".join(member.value for member in enum)
    raise CellError(f"{text!r} is not one of: {allowed}")


@cache
def _names(enum: type[StrEnum]) -> dict[str, Any]:
    """Lower-case value and label -> member (values win where a label repeats one)."""
    names = {str(getattr(m, "label", "")).lower(): m for m in enum}
    names.update({m.value: m for m in enum})
    names.pop("", None)
    return names


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _datetime(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a date and time (ISO 8601)") from None


def _bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError(f"{text!r} is not true or false")


def _decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _controls(text: str) -> list[ControlRef]:
    refs = []
    for part in _list(text):
        catalog, sep, control_id = part.partition(":")
        if not sep or not control_id.strip():
            raise CellError(f"{part!r} is not catalog:control (e.g. nist-800-53r5:AC-2)")
        refs.append(ControlRef(_enum(Catalog, catalog, optional=False), control_id.strip()))
    return refs


def _json_list(text: str) -> list[dict]:
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CellError(f"not valid JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise CellError("expected a JSON list of objects")
    return value


def _build(cls: type, entry: dict, dates: tuple[str, ...] = (), times: tuple[str, ...] = ()):
    values = dict(entry)
    for key in dates:
        values[key] = _date(values.get(key) or "")
    for key in times:
        values[key] = _datetime(values.get(key) or "")
    try:
        return cls(**values)
    except TypeError as exc:
        raise CellError(f"{cls.__name__}: {exc}") from None


def _assets(text: str) -> list[AffectedAsset]:
    return [_build(AffectedAsset, entry, dates=("remediated_on",)) for entry in _json_list(text)]


def _milestones(text: str) -> list[MilestoneData]:
    milestones = []
    for entry in _json_list(text):
        changes = [_build(DueDateChange, change, dates=("old_due", "new_due"),
                          times=("changed_at",))
                   for change in entry.pop("changes", []) or []]
        milestone = _build(MilestoneData, entry,
                           dates=("original_due", "current_due", "completed_on"))
        milestone.changes = changes
        milestones.append(milestone)
    return milestones


def _rmf(text: str) -> dict:
    """The RMF risk analysis object: only known names, each value checked for its kind."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CellError(f"not valid JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(value, dict):
        raise CellError("expected a JSON object of RMF fields")
    found = {}
    for name, entry in value.items():
        field = rmf.BY_NAME.get(name)
        if field is None:
            raise CellError(f"{name!r} is not an RMF field ({', '.join(rmf.RMF_NAMES)})")
        if field.kind == rmf.RATING and rmf.parse_rating(str(entry)) is None:
            raise CellError(f"{name}: {entry!r} is not a rating (Very Low ... Very High)")
        if field.kind == rmf.RATING:
            entry = rmf.parse_rating(str(entry))
        elif field.kind == rmf.DECIMAL:
            entry = _decimal(str(entry))
        elif field.kind == rmf.BOOL:
            entry = _bool(str(entry))
        else:
            entry = str(entry)
        if entry not in ("", None, False):
            found[name] = entry
    return found


def _evidence(text: str) -> list[EvidenceData]:
    return [_build(EvidenceData, entry, times=("uploaded_at",)) for entry in _json_list(text)]


def _history(text: str) -> list[HistoryEntry]:
    return [_build(HistoryEntry, entry, times=("at",)) for entry in _json_list(text)]


_DECODERS = {
    "text": lambda text: text,
    "date": _date,
    "datetime": _datetime,
    "bool": _bool,
    "decimal": _decimal,
    "list": _list,
    "controls": _controls,
    "assets": _assets,
    "milestones": _milestones,
    "evidence": _evidence,
    "history": _history,
    "rmf": _rmf,
}
