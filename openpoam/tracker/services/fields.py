"""The editable fields of a POA&M item and how text (CLI, forms, CSV) becomes a value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from openpoam.domain.dates import DateError, parse_iso_date
from openpoam.domain.poam import AffectedAsset, Risk, Source
from openpoam.domain.rmf import BOOL as RMF_BOOL
from openpoam.domain.rmf import DECIMAL as RMF_DECIMAL
from openpoam.domain.rmf import RATING, RMF_FIELDS, Rating
from openpoam.domain.rmf import TEXT as RMF_TEXT
from openpoam.tracker.models import Person, PoamItem
from openpoam.tracker.services.actors import ServiceError

TEXT, DATE, DECIMAL, BOOL, LIST, PERSON = "text", "date", "decimal", "bool", "list", "person"

ITEM_FIELDS: dict[str, object] = {
    "title": TEXT, "weakness_description": TEXT, "source": Source, "source_identifier": TEXT,
    "source_detail": TEXT, "original_risk": Risk, "raw_severity": TEXT, "adjusted_risk": Risk,
    "risk_adjustment_rationale": TEXT, "planned_remediation": TEXT, "owner": PERSON,
    "resources_required": TEXT, "cost_estimate": DECIMAL, "vendor_dependency": BOOL,
    "vendor_product": TEXT, "vendor_last_checkin": DATE, "detected_on": DATE,
    "scheduled_completion": DATE, "residual_risk": TEXT, "comments": TEXT, "cves": LIST,
    "operational_requirement": BOOL, "deviation_rationale": TEXT, "kev": BOOL, "kev_due": DATE,
    # The RMF risk analysis and the Army's resource columns (eMASS), one list in the domain.
    **{f.name: {RATING: Rating, RMF_TEXT: TEXT, RMF_DECIMAL: DECIMAL, RMF_BOOL: BOOL}[f.kind]
       for f in RMF_FIELDS},
}
# Choice fields that may be left empty.
OPTIONAL_CHOICES = ("adjusted_risk", *(f.name for f in RMF_FIELDS if f.kind == RATING))
# The longest text a long-text field keeps (descriptions, rationales, comments). Short text
# fields keep what their database column holds. Every interface reads its limits from
# TEXT_LIMITS: the service refuses longer text, forms show it as maxlength, the API's schema
# states it, so a 100,000-character title cannot reach a page that must draw it.
LONG_TEXT = 100_000


def _limit(name: str) -> int:
    return PoamItem._meta.get_field(name).max_length or LONG_TEXT


TEXT_LIMITS: dict[str, int] = {name: _limit(name) for name, kind in ITEM_FIELDS.items()
                               if kind == TEXT}
# Dates that move only with a justification, which the history keeps.
JUSTIFIED_DATES = ("scheduled_completion",)


def coerce(name: str, text: str, organization=None):
    """Turn user text into the field's value; raise ServiceError naming the field."""
    kind = ITEM_FIELDS.get(name)
    if kind is None:
        raise ServiceError(f"unknown field {name!r} (fields: {', '.join(sorted(ITEM_FIELDS))})")
    text = (text or "").strip()
    if kind == TEXT:
        return text
    if text == "" and kind in (DATE, DECIMAL, PERSON):
        return None
    if kind == DATE:
        return parse_date(text, name)
    if kind == DECIMAL:
        return _decimal(text, name)
    if kind == BOOL:
        return _bool(text, name)
    if kind == LIST:
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if kind == PERSON:
        return person_named(organization, text)
    return _enum_value(kind, text, name)


def parse_date(text: str, name: str = "date") -> date:
    try:
        return parse_iso_date(text)
    except DateError as exc:
        raise ServiceError(f"{name}: {exc}") from None


def check_length(name: str, value: str, limit: int) -> None:
    """Refuse text longer than the field keeps, naming the field and both lengths."""
    if value and len(value) > limit:
        raise ServiceError(f"{name}: at most {limit:,} characters ({len(value):,} given)")


def check_text_limits(values: dict) -> None:
    for name, limit in TEXT_LIMITS.items():
        value = values.get(name)
        if isinstance(value, str):
            check_length(name, value, limit)


def person_named(organization, name: str) -> Person:
    person = Person.objects.filter(organization=organization, name__iexact=name.strip()).first()
    if person is None:
        raise ServiceError(f"owner: nobody named {name!r} in {organization.slug}; "
                           "add the person first")
    return person


def _decimal(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("$", ""))
    except InvalidOperation:
        raise ServiceError(f"{name}: {text!r} is not an amount") from None
    if value < 0:
        raise ServiceError(f"{name}: an amount cannot be negative")
    return value.quantize(Decimal("0.01"))


def _bool(text: str, name: str) -> bool:
    lowered = text.lower()
    if lowered in ("yes", "y", "true", "1", "on"):
        return True
    if lowered in ("no", "n", "false", "0", "off", ""):
        return False
    raise ServiceError(f"{name}: {text!r} is not yes or no")


def _enum_value(enum, text: str, name: str) -> str:
    if text == "" and name in OPTIONAL_CHOICES:
        return ""
    wanted = text.lower().replace(" ", "_").replace("-", "_")
    for member in enum:
        if wanted in (member.value, member.label.lower().replace(" ", "_").replace("-", "_")):
            return member.value
    raise ServiceError(f"{name}: {text!r} is not one of "
                       f"{', '.join(m.value for m in enum)}")


def asset_from_text(text: str):
    """``host[:port[/protocol]]`` as typed on the command line or in a form, one per asset."""
    host, _, rest = text.strip().partition(":")
    port, _, protocol = rest.partition("/")
    return AffectedAsset(name=host.strip(), port=port.strip(), protocol=protocol.strip().lower())
