"""The RMF risk analysis over the API: in the schema, set by PATCH through the item service
(history), shown under "rmf", a wrong rating refused with 422 naming the field."""

from __future__ import annotations

import pytest

from openpoam.tracker.models import ChangeEvent

pytestmark = pytest.mark.django_db


def test_patch_sets_rmf_fields_and_the_item_shows_them(as_alice, poam):
    url = f"orgs/acme/items/{poam.delayed.poam_id}"
    version = as_alice.get(url).json()["version"]
    response = as_alice.patch(url, json={"version": version, "likelihood": "very_high",
                                         "mitigations": "Segmented", "cfo_audit": True,
                                         "personnel_unfunded_hours": "12.5"})
    assert response.status_code == 200, response.content
    rmf = response.json()["rmf"]
    assert rmf["likelihood"] == "very_high" and rmf["mitigations"] == "Segmented"
    assert rmf["cfo_audit"] is True and str(rmf["personnel_unfunded_hours"]) == "12.50"
    assert ChangeEvent.objects.filter(item_uuid=poam.delayed.uuid, field="mitigations").exists()
    cleared = as_alice.patch(url, json={"version": version + 1, "likelihood": None})
    assert cleared.status_code == 200 and "likelihood" not in cleared.json()["rmf"]


def test_a_wrong_rating_is_422_naming_the_field(as_alice, poam):
    url = f"orgs/acme/items/{poam.delayed.poam_id}"
    version = as_alice.get(url).json()["version"]
    response = as_alice.patch(url, json={"version": version, "impact": "enormous"})
    assert response.status_code == 422
    assert "impact" in response.content.decode()


def test_the_schema_lists_the_rmf_fields(as_alice):
    schema = as_alice.get("openapi.json").json()
    fields = schema["components"]["schemas"]["ItemUpdate"]["properties"]
    assert {"relevance_of_threat", "mitigated_risk", "nonpersonnel_funded_amount"} <= set(fields)
