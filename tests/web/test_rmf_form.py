"""The RMF risk analysis in the browser: the item form edits it (through the item service,
so the history records it), the item page shows it, a bad value is refused by name; an
eMASS workbook uploaded with the columns to update lists its changes, then applies them."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from openpoam.tracker.models import ChangeEvent
from openpoam.tracker.services import Actor, exports
from tests.web.test_editing import as_alice, url  # noqa: F401 (fixture)
from tests.web.test_views import text_of

pytestmark = pytest.mark.django_db


def _values(item) -> dict:
    return {"title": item.title, "source": item.source, "original_risk": item.original_risk,
            "version": str(item.version), "controls": "3.13.8",
            "likelihood": "very_high", "relevance_of_threat": "high",
            "threat_description": "<script>alert(1)</script>",
            "nonpersonnel_funded_amount": "1,250.00", "cfo_audit": "on"}


def test_the_form_edits_the_rmf_fields_and_the_page_shows_them(as_alice, poam):  # noqa: F811
    item = poam.delayed
    form = as_alice.get(url("item-edit", poam, item))
    assert form.status_code == 200
    assert "RMF risk analysis (eMASS)" in text_of(form)
    assert 'name="relevance_of_threat"' in form.content.decode()
    assert as_alice.post(url("item-edit", poam, item), _values(item)).status_code == 302
    item.refresh_from_db()
    assert (item.likelihood, item.relevance_of_threat) == ("very_high", "high")
    assert item.nonpersonnel_funded_amount == Decimal("1250.00") and item.cfo_audit
    assert ChangeEvent.objects.filter(item_uuid=item.uuid, field="likelihood",
                                      new_value="very_high").exists()
    page = as_alice.get(url("item", poam, item))
    html = page.content.decode()
    assert "Very High" in text_of(page) and "Relevance of Threat" in text_of(page)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_bad_rating_is_refused_naming_the_field(as_alice, poam):  # noqa: F811
    item = poam.delayed
    values = _values(item) | {"impact": "enormous"}
    refused = as_alice.post(url("item-edit", poam, item), values)
    assert refused.status_code == 422
    text = text_of(refused)
    assert "impact:" in text and "enormous" in text and "is not one of very_low" in text


def _emass_upload(client, poam, data: bytes, fields: str = ""):
    upload = io.BytesIO(data)
    upload.name = "emass.xlsx"
    return client.post(reverse("system-import-upload", args=[poam.org.slug, poam.system.slug]),
                       {"file": upload, "fields": fields})


def test_an_emass_workbook_upload_lists_the_changes_then_applies_them(as_alice, poam):  # noqa: F811
    item = poam.delayed
    data, _, _ = exports.export_bytes(Actor.command_line("t"), poam.system, "emass-xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["POA&M"]
    likelihood = next(c.column_letter for c in sheet[7] if c.value == "Likelihood")
    row = next(c.row for c in sheet["B"] if c.value == item.poam_id)
    sheet[f"{likelihood}{row}"] = "Very High"
    edited = io.BytesIO()
    book.save(edited)
    from tests.web.test_editing import _worker_runs

    refused = _worker_runs(as_alice, _emass_upload(as_alice, poam, edited.getvalue()))
    assert "columns to update" in text_of(refused)
    preview = _worker_runs(as_alice, _emass_upload(as_alice, poam, edited.getvalue(), "rmf"))
    assert preview.status_code == 200
    assert "What would change" in text_of(preview) and "Very High" in text_of(preview)
    item.refresh_from_db()
    assert item.likelihood == ""
    done = _worker_runs(as_alice, as_alice.post(
        reverse("system-import-confirm", args=[poam.org.slug, poam.system.slug]),
        {"job": preview.context["job"].uuid}))
    assert done.status_code == 200
    item.refresh_from_db()
    assert item.likelihood == "very_high"
