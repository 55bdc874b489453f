"""The RMF risk analysis and Army resource fields of an item as poam-item props in the
product's namespace: ``rmf-<field name with hyphens>`` (e.g. ``rmf-relevance-of-threat``),
ratings as eMASS spells them ("Very High"), amounts as decimals, the CFO flag "true".
OSCAL's risk characterizations name a likelihood and impact facet but not eMASS's
relevance of threat, predisposing conditions or cost codes, so all of them travel as
props, read back exactly."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from openpoam.domain import rmf
from openpoam.domain.poam import PoamItemData
from openpoam.formats.oscal.vocab import prop

PREFIX = "rmf-"


def prop_name(field: rmf.RmfField) -> str:
    return PREFIX + field.name.replace("_", "-")


def rmf_props(item: PoamItemData) -> list[dict]:
    out = []
    for field in rmf.RMF_FIELDS:
        value = item.rmf.get(field.name)
        if value in (None, "", False):
            continue
        text = (rmf.rating_label(value) if field.kind == rmf.RATING
                else "true" if field.kind == rmf.BOOL else str(value))
        out.append(prop(prop_name(field), text))
    return out


def read_rmf(get) -> dict:
    """The item's RMF values from its props (``get(name)`` -> text or ""); a value that
    does not fit its field is left out."""
    found = {}
    for field in rmf.RMF_FIELDS:
        text = get(prop_name(field))
        if not text:
            continue
        if field.kind == rmf.RATING:
            value = rmf.parse_rating(text)
        elif field.kind == rmf.BOOL:
            value = text.strip().lower() == "true"
        elif field.kind == rmf.DECIMAL:
            try:
                value = Decimal(text.strip())
            except InvalidOperation:
                value = None
        else:
            value = text
        if value not in (None, "", False):
            found[field.name] = value
    return found
