"""Posted form text -> service arguments, through the same conversions as the command
line (``services.fields.coerce``), so a bad value gets the CLI's message word for word."""

from __future__ import annotations

from django.db import transaction
from django.http import QueryDict

from openpoam.domain.numbers import whole_number
from openpoam.domain.poam import Risk, Source
from openpoam.domain.rmf import RATING, RMF_FIELDS, RMF_NAMES, Rating, rating_label
from openpoam.tracker.models import PoamItem, System
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services.actors import Actor, ServiceError
from openpoam.tracker.services.fields import BOOL, ITEM_FIELDS, asset_from_text, coerce

# The fields the item form edits directly. Adjusted risk and the deviation flags are
# changed by an approved request (see services.requests), never by the form.
FORM_FIELDS = ("title", "weakness_description", "source", "source_identifier", "source_detail",
               "original_risk", "raw_severity", "planned_remediation", "owner",
               "resources_required", "cost_estimate", "vendor_dependency", "vendor_product",
               "vendor_last_checkin", "scheduled_completion", "residual_risk", "comments",
               "cves", "kev", "kev_due", *RMF_NAMES)
CHECKBOXES = tuple(name for name in FORM_FIELDS if ITEM_FIELDS[name] == BOOL)
SOURCE_CHOICES = [(s.value, s.label) for s in Source]
RISK_CHOICES = [(r.value, r.label) for r in sorted(Risk, key=lambda r: -r.rank)]
MAX_ASSETS_IN_FORM = 1000
RATING_CHOICES = [("", "—")] + [(r.value, r.label) for r in Rating]


def rmf_form(values) -> list[dict]:
    """The RMF risk analysis fieldset: each field with its current (or posted) value."""
    return [{"name": f.name, "label": f.label, "kind": f.kind, "limit": f.limit,
             "army": f.army, "value": values.get(f.name, "") or "",
             "choices": RATING_CHOICES if f.kind == RATING else []} for f in RMF_FIELDS]


def rmf_display(item) -> list[tuple[str, str]]:
    """(label, text) of the RMF fields an item (plain data) has set, for its page."""
    shown = []
    for f in RMF_FIELDS:
        value = item.rmf.get(f.name)
        if value in (None, "", False):
            continue
        shown.append((f.label, rating_label(value) if f.kind == RATING
                      else "Yes" if value is True else str(value)))
    return shown


def field_values(post: QueryDict, organization) -> dict:
    """Every form field, converted; checkboxes left unticked are "no"."""
    return {name: coerce(name, post.get(name, ""), organization)
            for name in FORM_FIELDS if name in post or name in CHECKBOXES}


def split_list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").replace("\n", ",").split(",")
            if part.strip()]


def assets_from(text: str) -> list:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_ASSETS_IN_FORM:
        raise ServiceError(f"assets: at most {MAX_ASSETS_IN_FORM} per form; import a scan for more")
    return [asset_from_text(line) for line in lines]


def create_item(actor: Actor, system: System, post: QueryDict) -> PoamItem:
    detected = post.get("detected_on", "").strip()
    if not detected:
        raise ServiceError("detected_on: the original detection date is required")
    with transaction.atomic():
        values = field_values(post, system.organization)
        title = values.pop("title", "")
        item = item_services.create_item(
            actor, system, title=title, detected_on=coerce("detected_on", detected),
            controls=split_list(post.get("controls", "")),
            assets=assets_from(post.get("assets", "")),
            depends_on=split_list(post.get("depends_on", "")),
            **{k: v for k, v in values.items() if v is not None})
    return item


def update_item(actor: Actor, item: PoamItem, post: QueryDict) -> PoamItem:
    """All or nothing: fields, controls and dependencies change together or not at all."""
    version = post.get("version", "")
    return item_services.edit_item(
        actor, item, field_values(post, item.organization),
        controls=split_list(post["controls"]) if "controls" in post else None,
        depends_on=split_list(post["depends_on"]) if "depends_on" in post else None,
        justification=post.get("justification", ""),
        expected_version=whole_number(version))
