"""OSCAL POA&M export: schema validity, vocabulary, FedRAMP props and rules."""

from __future__ import annotations

import copy
import io
import json
from datetime import date, timedelta

import pytest

from openpoam.domain.poam import Designation, Framework, Risk, Status
from openpoam.formats.base import FormatError
from openpoam.formats.oscal import PLUGINS, fedramp_violations, validate
from openpoam.formats.oscal.vocab import FEDRAMP_NS, OPENPOAM_NS
from tests.formats.oscal.fixtures import minimal_document, rich_document

JSON_OUT = next(p for p in PLUGINS if p.key == "oscal-json" and hasattr(p, "write"))
ROOT = "plan-of-action-and-milestones"


def export(document) -> tuple[dict, list[str]]:
    stream = io.BytesIO()
    warnings = JSON_OUT.write(document, stream)
    return json.loads(stream.getvalue()), warnings


def by_uuid(objects: list[dict]) -> dict[str, dict]:
    return {o["uuid"]: o for o in objects}


def props_named(obj: dict, name: str) -> list[dict]:
    return [p for p in obj.get("props", []) if p["name"] == name]


@pytest.mark.parametrize("framework", [Framework.FEDRAMP_HIGH, Framework.CMMC_L2,
                                       Framework.NIST_800_171, Framework.RMF])
def test_it_exports_documents_that_validate_against_the_schema(framework):
    data, _ = export(rich_document(framework))
    assert validate(data) == []
    assert data[ROOT]["metadata"]["oscal-version"] == "1.2.1"


def test_it_exports_a_minimal_document_that_validates():
    data, _ = export(minimal_document())
    assert validate(data) == []


def test_it_refuses_an_empty_poam_because_oscal_needs_one_item():
    document = minimal_document()
    document.items = []
    with pytest.raises(FormatError, match="at least one item"):
        JSON_OUT.write(document, io.BytesIO())


@pytest.mark.parametrize("designation", list(Designation))
def test_it_marks_the_designation_in_every_export(designation):
    data, _ = export(rich_document(Framework.CMMC_L2, designation))
    metadata = data[ROOT]["metadata"]
    assert props_named(metadata, "designation")[0]["value"] == designation.label
    assert metadata["remarks"].startswith(designation.label)


def test_it_derives_the_same_uuids_on_every_export():
    first, _ = export(minimal_document())
    second, _ = export(minimal_document())
    for data in (first, second):
        data[ROOT]["metadata"].pop("last-modified")
        for observation in data[ROOT]["observations"]:
            observation.pop("collected")  # no detection date: falls back to export time
    assert first == second


def test_it_keeps_item_and_milestone_uuids():
    document = rich_document()
    data, _ = export(document)
    item = document.items[0]
    poam = data[ROOT]
    assert poam["uuid"] == document.uuid
    assert poam["poam-items"][0]["uuid"] == item.uuid
    tasks = poam["risks"][0]["remediations"][0]["tasks"]
    assert [t["uuid"] for t in tasks] == [m.uuid for m in item.milestones]


def test_it_uses_the_system_uuid_as_system_id():
    document = rich_document()
    data, _ = export(document)
    assert data[ROOT]["system-id"] == {"identifier-type": "http://ietf.org/rfc/rfc4122",
                                       "id": document.system.uuid}


def test_it_maps_status_to_oscal_risk_status():
    data, _ = export(rich_document())
    statuses = [r["status"] for r in data[ROOT]["risks"]]
    assert statuses == ["open", "remediating", "closed", "deviation-approved", "closed",
                        "open", "open"]


def test_it_maps_the_source_to_observation_methods_and_detection_date():
    document = rich_document()
    data, _ = export(document)
    observations = by_uuid(data[ROOT]["observations"])
    first = data[ROOT]["poam-items"][0]["related-observations"][0]["observation-uuid"]
    scan = observations[first]
    assert scan["methods"] == ["TEST"]
    assert scan["collected"] == f"{document.items[0].detected_on.isoformat()}T00:00:00Z"
    tool = scan["origins"][0]["actors"][0]
    assert tool["type"] == "tool"
    components = by_uuid(data[ROOT]["local-definitions"]["components"])
    assert components[tool["actor-uuid"]]["title"] == "Nessus 10.7.1"


def test_it_lists_affected_assets_as_inventory_items():
    data, _ = export(rich_document())
    inventory = data[ROOT]["local-definitions"]["inventory-items"]
    assert len(inventory) == 2  # the same two assets on every item are listed once
    web01 = next(i for i in inventory if props_named(i, "asset-id")[0]["value"] == "web-01")
    assert props_named(web01, "ipv4-address")[0]["value"] == "10.0.0.11"
    assert props_named(web01, "fqdn")[0]["value"] == "web-01.example.gov"


def test_it_writes_milestones_as_timed_tasks_of_the_planned_remediation():
    document = rich_document(Framework.CMMC_L2)
    data, _ = export(document)
    remediation = data[ROOT]["risks"][0]["remediations"][0]
    assert remediation["lifecycle"] == "planned"
    first, second, third = remediation["tasks"]
    item = document.items[0]
    assert first["type"] == "milestone"
    assert first["timing"] == {"within-date-range": {
        "start": f"{item.detected_on.isoformat()}T00:00:00Z",
        "end": f"{item.milestones[0].current_due.isoformat()}T00:00:00Z"}}
    assert second["timing"]["within-date-range"]["end"].startswith(
        item.milestones[1].current_due.isoformat())
    assert "timing" not in third  # no due date yet


def test_it_times_fedramp_milestones_on_a_date():
    document = rich_document(Framework.FEDRAMP_MODERATE)
    data, _ = export(document)
    first = data[ROOT]["risks"][0]["remediations"][0]["tasks"][0]
    due = document.items[0].milestones[0].current_due
    assert first["timing"] == {"on-date": {"date": f"{due.isoformat()}T00:00:00Z"}}


def test_it_writes_a_single_due_date_as_on_date_when_no_window_is_known():
    document = minimal_document()
    item = document.items[0]
    from openpoam.domain.poam import MilestoneData
    item.milestones = [MilestoneData(sequence=1, description="Enable MFA",
                                     current_due=date(2026, 5, 1))]
    data, _ = export(document)
    task = data[ROOT]["risks"][0]["remediations"][0]["tasks"][0]
    assert task["timing"] == {"on-date": {"date": "2026-05-01T00:00:00Z"}}


def test_it_logs_history_and_due_date_changes_in_the_risk_log():
    data, _ = export(rich_document())
    risk = data[ROOT]["risks"][1]
    entries = risk["risk-log"]["entries"]
    # three history entries, one due-date change, one vendor check-in
    assert len(entries) == 5
    assert all(e["description"] for e in entries)
    assert entries[4]["title"] == "Vendor Check-in"
    status_entry = entries[1]
    assert status_entry["status-change"] == "remediating"
    change = entries[3]
    task_uuid = risk["remediations"][0]["tasks"][0]["uuid"]
    assert change["related-responses"][0]["related-tasks"] == [{"task-uuid": task_uuid}]
    assert change["description"].startswith("Change freeze")


def test_it_characterizes_risk_with_initial_adjusted_likelihood_and_impact():
    data, _ = export(rich_document(Framework.CMMC_L2))
    facets = data[ROOT]["risks"][0]["characterizations"][0]["facets"]  # critical, adjusted
    named = [(f["name"], f["value"]) for f in facets]
    assert ("risk", "critical") in named and ("risk", "low") in named
    assert ("likelihood", "low") in named and ("impact", "low") in named
    assert ("cve-id", "CVE-2011-3389") in named


def test_it_writes_fedramp_likelihood_and_impact_with_states():
    data, _ = export(rich_document(Framework.FEDRAMP_MODERATE))
    facets = data[ROOT]["risks"][0]["characterizations"][0]["facets"]  # critical -> low
    rated = [(f["name"], f["system"], f["value"], f["props"][0]["value"])
             for f in facets if f["name"] in ("likelihood", "impact")]
    assert rated == [("likelihood", "https://fedramp.gov", "high", "initial"),
                     ("impact", "https://fedramp.gov", "high", "initial"),
                     ("likelihood", "https://fedramp.gov", "low", "adjusted"),
                     ("impact", "https://fedramp.gov", "low", "adjusted")]


def test_it_adds_fedramp_deviation_and_tracking_records():
    data, _ = export(rich_document(Framework.FEDRAMP_MODERATE))
    poam = data[ROOT]
    observations = by_uuid(poam["observations"])
    first = poam["poam-items"][0]  # adjusted, vendor dependency, deviation rationale
    types = [observations[r["observation-uuid"]]["types"]
             for r in first["related-observations"]]
    assert types == [["finding"], ["risk-acceptance"], ["risk-adjustment"],
                     ["vendor-dependency"]]
    risk = poam["risks"][0]
    assert risk["mitigating-factors"][0]["description"].startswith("Only reachable")
    assert props_named(risk, "kev-catalog") == []
    kev_risk = poam["risks"][2]
    assert props_named(kev_risk, "kev-catalog")[0] == {
        "name": "kev-catalog", "ns": FEDRAMP_NS, "value": "yes"}
    assert props_named(kev_risk, "kev-due-date")[0]["value"] == "2026-03-01"
    closed = [e for e in kev_risk["risk-log"]["entries"] if e.get("status-change") == "closed"
              and e["title"] == "Risk Closed"]
    assert closed and closed[0]["start"].startswith("2026-02-01")
    resources = poam["back-matter"]["resources"]
    assert props_named(resources[1], "type") == [{"name": "type", "ns": FEDRAMP_NS,
                                                  "value": "evidence"}]


def test_it_writes_findings_only_for_assessment_sources():
    data, _ = export(rich_document())
    poam = data[ROOT]
    with_findings = [i["props"][0]["value"] for i in poam["poam-items"]
                     if i.get("related-findings")]
    assert with_findings == ["POAM-2026-0002", "POAM-2026-0003", "POAM-2026-0004"]
    targets = {f["target"]["target-id"] for f in poam["findings"]}
    assert "sc-8.1_smt" in targets


def test_it_adds_fedramp_props_where_the_template_puts_them():
    data, _ = export(rich_document(Framework.FEDRAMP_MODERATE))
    poam = data[ROOT]
    item = poam["poam-items"][0]
    assert props_named(item, "POAM-ID") == [{"name": "POAM-ID", "ns": FEDRAMP_NS,
                                             "value": "POAM-2026-0001"}]
    risk = poam["risks"][0]
    controls = props_named(risk, "impacted-control-id")
    assert controls[0] == {"name": "impacted-control-id", "ns": FEDRAMP_NS,
                           "value": "sc-8.1", "class": "nist-800-53r5"}
    assert props_named(risk, "vendor-dependency")[0]["ns"] == FEDRAMP_NS
    accepted = poam["risks"][3]
    assert props_named(accepted, "operational-requirement")[0]["value"] == "approved"
    false_positive = poam["risks"][4]
    assert props_named(false_positive, "false-positive")[0]["value"] == "approved"
    actor = risk["characterizations"][0]["origin"]["actors"][0]
    assert actor["props"] == [{"name": "plugin-id", "ns": FEDRAMP_NS, "value": "plugin-10001"}]


def test_it_keeps_fedramp_namespace_out_of_non_fedramp_exports():
    data, _ = export(rich_document(Framework.CMMC_L2))
    text = json.dumps(data)
    assert FEDRAMP_NS not in text
    assert OPENPOAM_NS in text


def test_it_carries_multi_line_text_in_props_without_breaking_the_schema():
    data, _ = export(rich_document(Framework.CMMC_L2))
    risk = data[ROOT]["risks"][0]
    assert props_named(risk, "vendor-product")[0]["value"] == '"F5 BIG-IP\\n17.1"'
    assert validate(data) == []


def test_it_returns_no_fedramp_warnings_for_a_conforming_poam():
    document = rich_document(Framework.FEDRAMP_MODERATE)
    _, warnings = export(document)
    # Only the third milestone of each item, which has no due date yet.
    assert len(warnings) == len(document.items)
    assert all("milestone 3" in w and "no date" in w for w in warnings)
    for item in document.items:
        item.milestones = item.milestones[:2]
    assert export(document)[1] == []


def test_it_warns_about_fedramp_rule_violations():
    document = rich_document(Framework.FEDRAMP_HIGH)
    for item in document.items:
        item.milestones = item.milestones[:2]
    late = document.items[1]  # high risk, open
    late.adjusted_risk = None
    late.status = Status.OPEN
    late.scheduled_completion = late.detected_on + timedelta(days=31)
    bare = document.items[5]
    bare.milestones = []
    bare.scheduled_completion = None
    _, warnings = export(document)
    assert any("POAM-2026-0002" in w and "FedRAMP allows 30 days" in w for w in warnings)
    assert any("POAM-2026-0006" in w and "no deadline" in w for w in warnings)
    assert any("POAM-2026-0006" in w and "no milestone" in w for w in warnings)
    assert len(warnings) == 3


def test_it_gives_moderate_risk_ninety_days_and_low_one_eighty():
    document = rich_document(Framework.FEDRAMP_LOW)
    for each in document.items:
        each.milestones = each.milestones[:2]
    item = document.items[5]
    item.original_risk, item.adjusted_risk = Risk.MODERATE, None
    item.scheduled_completion = item.detected_on + timedelta(days=90)
    assert export(document)[1] == []
    item.scheduled_completion = item.detected_on + timedelta(days=91)
    assert len(export(document)[1]) == 1
    item.original_risk = Risk.LOW
    assert export(document)[1] == []


def test_it_checks_structure_rules_on_any_oscal_poam():
    data, _ = export(rich_document())
    broken = copy.deepcopy(data)
    item = broken[ROOT]["poam-items"][0]
    item["related-risks"].append(item["related-risks"][0])
    item["related-observations"] = []
    problems = fedramp_violations(broken)
    assert any("has 2 risks" in p for p in problems)
    assert any("no observation" in p for p in problems)
    plan = broken[ROOT]["risks"][2]["remediations"][0]
    plan["lifecycle"] = "recommendation"
    assert any("no planned remediation" in p for p in fedramp_violations(broken))


def test_it_does_not_apply_fedramp_rules_to_other_frameworks():
    document = rich_document(Framework.CMMC_L2)
    document.items[0].milestones = []
    assert export(document)[1] == []


def test_it_reports_schema_errors_with_json_paths_including_unicode_patterns():
    data, _ = export(minimal_document())
    broken = copy.deepcopy(data)
    broken[ROOT]["risks"][0]["props"][0]["name"] = "1-not-a-token"  # \p{L} pattern
    broken[ROOT]["observations"][0]["collected"] = "2026-02-30T00:00:00Z"
    errors = validate(broken)
    assert any(e.startswith("$.plan-of-action-and-milestones.risks[0].props[0].name")
               for e in errors)
    assert any(e.startswith("$.plan-of-action-and-milestones.observations[0].collected")
               for e in errors)


def test_it_accepts_unicode_letters_in_tokens():
    data, _ = export(minimal_document())
    data[ROOT]["risks"][0]["props"][0]["name"] = "état-révisé"
    assert validate(data) == []


def test_it_warns_and_drops_an_invalid_owner_email():
    document = minimal_document()
    document.items[0].owner = "Sam Ortiz"
    document.items[0].owner_email = "not an address"
    data, warnings = export(document)
    assert validate(data) == []
    assert any("not an address" in w for w in warnings)


def test_it_derives_uuids_exactly_as_the_standard_uuid5():
    import uuid

    from openpoam.formats.oscal.vocab import UUID_BASE, derive_uuid
    for parts in [("a",), ("doc", "item", "risk"), ("ünïcode", "")]:
        assert derive_uuid(*parts) == str(uuid.uuid5(UUID_BASE, "/".join(parts)))


def test_it_keeps_blank_names_and_odd_urls_from_breaking_the_schema():
    from openpoam.domain.poam import EvidenceData, HistoryEntry, MilestoneData
    from datetime import datetime, timezone
    document = minimal_document()
    item = document.items[0]
    item.owner = "   "
    item.milestones = [MilestoneData(sequence=1, description="x", owner=" ")]
    item.history = [HistoryEntry(at=datetime(2026, 1, 1, tzinfo=timezone.utc), actor="\t",
                                 action="create", entity="item")]
    item.evidence = [EvidenceData(name="scan report.pdf",
                                  url="https://files.example.com/scan report.pdf")]
    data, _ = export(document)
    assert validate(data) == []
    resource = data[ROOT]["back-matter"]["resources"][1]
    assert resource["rlinks"][0]["href"] == "https://files.example.com/scan%20report.pdf"


_SPACES = [" ", "  ", "\t", "\n", "\r", "\x0b", "\x1f", "\x85", "\u00a0", "\u2028", "\u2029",
           "\u3000", "\u200b", "\x01"]


@pytest.mark.parametrize("space", _SPACES)
def test_line_and_prop_values_take_their_fast_paths_only_for_plain_text(space):
    """``line`` and ``prop_value`` skip their general work for plain one-line text; any
    other whitespace still goes the general way."""
    import re

    from openpoam.formats.oscal.vocab import line, prop_value
    plain = re.compile(r"\S(?:[^\n\r\u2028\u2029]*\S)?")
    for text in ("", "a", "Apply the patch", f"a{space}b", f"{space}a", f"a{space}",
                 f"a{space}{space}b", space, '"quoted"', f"é{space}𝄞"):
        assert line(text) == " ".join(text.split()), repr(text)
        general = (text if plain.fullmatch(text) and not text.startswith('"')
                   else json.dumps(text, ensure_ascii=False))
        assert prop_value(text) == general, repr(text)


def test_date_times_are_written_as_strftime_writes_them():
    from datetime import datetime, timezone

    from openpoam.formats.oscal.vocab import date_time
    east = timezone(timedelta(hours=5, minutes=30))
    for value, fmt in ((datetime(2026, 3, 1, 12, 0, 1), "%Y-%m-%dT%H:%M:%SZ"),
                       (datetime(2026, 3, 1, 12, 0, 1, 7), "%Y-%m-%dT%H:%M:%S.%fZ"),
                       (datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
                        "%Y-%m-%dT%H:%M:%S.%fZ")):
        assert date_time(value) == value.strftime(fmt)
    assert date_time(datetime(2026, 3, 1, 5, 30, tzinfo=east)) == "2026-03-01T00:00:00Z"
