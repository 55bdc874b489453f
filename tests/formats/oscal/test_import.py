"""OSCAL POA&M import (JSON and XML): a plan written by another tool (fixtures/), round trips,
an independent consumer; NIST's and FedRAMP's own examples when ../shared is present."""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.poam import (
    Catalog,
    ControlRef,
    Designation,
    Framework,
    Risk,
    Source,
    Status,
)
from openpoam.formats import registry
from openpoam.formats.base import FormatError
from openpoam.formats.oscal import PLUGINS
from tests.formats.oscal.fixtures import minimal_document, rich_document
from tests.formats import hazards
from tests.paths import REFERENCE

OSCAL = REFERENCE / "oscal"
FIXTURES = Path(__file__).parent / "fixtures"
OTHER = "other-tool-poam"
SHARED = pytest.mark.shared
NIST = "ifa_plan-of-action-and-milestones"
FEDRAMP = "FedRAMP-POAM-OSCAL-Template-rev5"
EXPORTERS = {p.key: p for p in PLUGINS if hasattr(p, "write")}
IMPORTERS = {p.key: p for p in PLUGINS if hasattr(p, "read")}
EXT = {"oscal-json": "json", "oscal-xml": "xml"}


def write(document, key: str) -> bytes:
    stream = io.BytesIO()
    EXPORTERS[key].write(document, stream)
    return stream.getvalue()


def read(raw: bytes, key: str, source: str = "poam"):
    return IMPORTERS[key].read(io.BytesIO(raw), source=source)


def read_reference(name: str, key: str, folder: Path = OSCAL):
    path = folder / f"{name}.{EXT[key]}"
    with path.open("rb") as stream:
        return IMPORTERS[key].read(stream, source=path.name)


def without_timestamp(raw: bytes, key: str) -> bytes:
    if key == "oscal-json":  # compact JSON: the value ends at its closing quote
        return re.sub(rb'"last-modified":"[^"]*"', b'"last-modified":""', raw, count=1)
    start = raw.index(b"<last-modified>")
    end = raw.index(b"\n", start)
    return raw[:start] + raw[end:]


# -- round trips ----------------------------------------------------------------------

@pytest.mark.parametrize("key", ["oscal-json", "oscal-xml"])
@pytest.mark.parametrize("framework", [Framework.FEDRAMP_MODERATE, Framework.CMMC_L2])
def test_it_round_trips_export_import_export_identically(key, framework):
    first = write(rich_document(framework), key)
    again = write(read(first, key), key)
    assert again == first


@pytest.mark.parametrize("key", ["oscal-json", "oscal-xml"])
def test_it_round_trips_every_field_of_the_rich_document(key):
    original = rich_document()
    imported = read(write(original, key), key)
    assert imported.system == original.system
    assert imported.uuid == original.uuid and imported.version == original.version
    assert imported.generated_at == original.generated_at
    for before, after in zip(original.items, imported.items, strict=True):
        assert after == before, before.poam_id


def test_it_round_trips_a_minimal_document_apart_from_the_timestamp():
    document = minimal_document()
    first = write(document, "oscal-json")
    second = write(read(first, "oscal-json"), "oscal-json")
    # Without a detection date "collected" falls back to the export time, kept on import.
    assert second == first
    document.generated_at = None
    assert len(without_timestamp(write(document, "oscal-json"), "oscal-json")) > 1000


def test_it_changes_only_the_timestamp_when_exported_later():
    from datetime import datetime, timezone
    document = rich_document()
    first = write(document, "oscal-json")
    document.generated_at = datetime(2027, 1, 1, tzinfo=timezone.utc)
    second = write(document, "oscal-json")
    assert first != second
    assert without_timestamp(first, "oscal-json") == without_timestamp(second, "oscal-json")


def test_it_reads_json_and_xml_exports_to_the_same_document():
    document = rich_document(Framework.CMMC_L3)
    assert read(write(document, "oscal-json"), "oscal-json") == \
        read(write(document, "oscal-xml"), "oscal-xml")


# -- a plan written by another tool ----------------------------------------------------

@pytest.mark.parametrize("key", ["oscal-json", "oscal-xml"])
def test_it_imports_another_tools_fedramp_plan(key):
    document = read_reference(OTHER, key, FIXTURES)
    system = document.system
    assert system.framework.is_fedramp
    assert (system.name, system.acronym, system.organization, system.uuid) == (
        "Example Cloud Platform", "ECP", "Example Cloud LLC", "F26110201")
    scan, mfa = document.items
    assert (scan.poam_id, mfa.poam_id) == ("V-1", "A-7")
    assert scan.controls == [ControlRef(Catalog.NIST_800_53_R5, "SI-2"),
                             ControlRef(Catalog.NIST_800_53_R5, "AC-6(1)")]
    assert scan.source is Source.VULNERABILITY_SCAN
    assert (scan.source_detail, scan.source_identifier) == ("Nessus Professional", "142960")
    assert [(a.name, a.ip, a.fqdn) for a in scan.assets] == [
        ("web01", "10.20.0.5", "web01.example.gov"), ("dns01", hazards.IPV6, "")]
    assert (scan.original_risk, scan.adjusted_risk) == (Risk.HIGH, Risk.MODERATE)
    assert scan.risk_adjustment_rationale == "A WAF blocks /admin from outside."
    assert scan.cves == ["CVE-2026-10001", "CVE-2026-10002"]
    assert scan.vendor_dependency and scan.vendor_last_checkin == date(2026, 10, 10)
    assert (scan.detected_on, scan.scheduled_completion) == (date(2026, 10, 1),
                                                            date(2026, 10, 31))
    assert scan.planned_remediation == "Turn directory listing off on every web server."
    assert scan.resources_required == "Two hours of an administrator."
    assert [(m.description, m.current_due) for m in scan.milestones] == [
        ("Change the configuration", date(2026, 10, 15)), ("Rescan", date(2026, 10, 25))]
    assert scan.history[0].at == datetime(2026, 10, 10, tzinfo=timezone.utc)
    assert mfa.source is Source.THIRD_PARTY_ASSESSMENT and mfa.assets == []
    assert (mfa.original_risk, mfa.status) == (Risk.LOW, Status.OPEN)


@pytest.mark.parametrize("key", ["oscal-json", "oscal-xml"])
def test_it_keeps_another_tools_hostile_text_as_data(key):
    scan = read_reference(OTHER, key, FIXTURES).items[0]
    assert scan.title == hazards.MARKUP
    assert hazards.SCRIPT in scan.weakness_description
    assert hazards.NON_ASCII in scan.weakness_description


def test_it_reads_the_same_plan_from_another_tools_json_and_xml():
    assert read_reference(OTHER, "oscal-json", FIXTURES) == \
        read_reference(OTHER, "oscal-xml", FIXTURES)


def test_it_finds_fedramp_rule_violations_in_another_tools_plan():
    from openpoam.formats.oscal import fedramp_violations
    problems = fedramp_violations(json.loads((FIXTURES / f"{OTHER}.json").read_bytes()))
    # V-1: detected 2026-10-01, high risk, due 2026-10-31: within the 30 days.
    assert not any("V-1" in p and "FedRAMP allows" in p for p in problems)
    # detected 2026-09-15, low risk, due 2027-03-15: beyond 180 days.
    assert any("A-7" in p and "FedRAMP allows 180 days" in p for p in problems)
    # V-1's second milestone is timed by a date range, not an on-date.
    assert any("V-1" in p and "milestone 2 has no date" in p for p in problems)


def test_it_refuses_entity_declarations_in_another_tools_xml():
    raw = hazards.with_doctype((FIXTURES / f"{OTHER}.xml").read_bytes())
    with pytest.raises(FormatError, match="entities") as caught:
        read(raw, "oscal-xml", "hostile.xml")
    assert caught.value.source == "hostile.xml"


# -- reference files ------------------------------------------------------------------

@SHARED
@pytest.mark.parametrize("key", ["oscal-json", "oscal-xml"])
def test_it_imports_nists_example(key):
    document = read_reference(NIST, key)
    assert document.system.name == "IFA GoodRead"
    assert document.system.uuid == "8101e04d-8305-4e73-bb95-6b59f645b143"
    first, second = document.items
    assert first.uuid == "e174dfb9-0ae3-4a8f-8e7c-081527b84337"
    # Its first poam-item points at a mitigating factor, not a risk: found via observation.
    assert first.status is Status.RISK_ACCEPTED
    assert first.scheduled_completion == date(2024, 1, 1)
    assert first.original_risk is Risk.MODERATE  # likelihood low, impact high
    assert first.detected_on == date(2023, 5, 19)
    assert second.status is Status.OPEN
    assert second.milestones[0].current_due == date(2024, 6, 23)
    assert second.planned_remediation.startswith("The GoodRead Product Team")


@SHARED
@pytest.mark.parametrize("key", ["oscal-json", "oscal-xml"])
def test_it_imports_fedramps_template(key):
    document = read_reference(FEDRAMP, key)
    assert document.system.framework.is_fedramp
    assert document.system.organization == "Cloud Service Provider (CSP) Name"
    assert document.system.acronym == "SFN"
    v1, v2 = document.items
    assert (v1.poam_id, v2.poam_id) == ("V-1", "V-2")
    assert v1.controls == [ControlRef(Catalog.NIST_800_53_R5, "AC-2")]
    assert v2.source is Source.VULNERABILITY_SCAN
    assert v2.source_detail == "XYZ Vulnerability Scanning Tool"
    assert v2.source_identifier == "VulID-001"
    assert (v2.original_risk, v2.adjusted_risk) == (Risk.HIGH, Risk.MODERATE)
    assert v2.risk_adjustment_rationale == "Explain why risk was adjusted."
    assert v2.vendor_dependency and v2.operational_requirement and not v2.false_positive
    assert v2.cves == ["CVE-2020-00000"]
    assert [m.current_due for m in v2.milestones] == [date(2023, 7, 2), date(2023, 7, 7)]
    assert v2.resources_required == "Describe required resources."
    assert len(v2.history) == 4 and v2.history[-1].new == "completed"
    assert v2.vendor_last_checkin == date(2020, 7, 7)


@SHARED
def test_it_finds_fedramp_rule_violations_in_fedramps_own_template():
    from openpoam.formats.oscal import fedramp_violations
    data = json.loads((OSCAL / f"{FEDRAMP}.json").read_bytes())
    problems = fedramp_violations(data)
    # Detected 2020-10-10, high risk, deadline in 2023; milestones timed by date range.
    assert any("V-1" in p and "FedRAMP allows 30 days" in p for p in problems)
    assert any("V-1" in p and "milestone 1 has no date" in p for p in problems)


@SHARED
def test_it_reads_the_same_items_from_the_fedramp_json_and_xml_templates():
    from_json = read_reference(FEDRAMP, "oscal-json")
    from_xml = read_reference(FEDRAMP, "oscal-xml")
    for a, b in zip(from_json.items, from_xml.items, strict=True):
        assert (a.poam_id, a.uuid, a.status, a.controls, a.original_risk, a.cves) == \
            (b.poam_id, b.uuid, b.status, b.controls, b.original_risk, b.cves)
        assert [m.current_due for m in a.milestones] == [m.current_due for m in b.milestones]


@pytest.mark.parametrize("name,folder", [
    (OTHER, FIXTURES),
    pytest.param(NIST, OSCAL, marks=SHARED), pytest.param(FEDRAMP, OSCAL, marks=SHARED)])
def test_it_re_exports_imported_reference_files_as_valid_oscal(name, folder):
    document = read_reference(name, "oscal-json", folder)
    again = read(write(document, "oscal-json"), "oscal-json")
    assert [i.title for i in again.items] == [i.title for i in document.items]


# -- bad input ------------------------------------------------------------------------

def test_it_rejects_invalid_json_naming_the_file_and_line():
    with pytest.raises(FormatError) as caught:
        read(b'{\n  "plan-of-action-and-milestones": {,\n}', "oscal-json", "bad.json")
    assert caught.value.source == "bad.json" and caught.value.line == 2
    assert "invalid JSON" in str(caught.value)


def test_it_rejects_json_that_is_not_a_poam():
    with pytest.raises(FormatError, match="not an OSCAL POA&M"):
        read(b'{"system-security-plan": {}}', "oscal-json", "ssp.json")


def test_it_rejects_schema_invalid_input_naming_the_json_path():
    data = json.loads(write(minimal_document(), "oscal-json"))
    broken = copy.deepcopy(data)
    del broken["plan-of-action-and-milestones"]["risks"][0]["status"]
    with pytest.raises(FormatError) as caught:
        read(json.dumps(broken).encode(), "oscal-json", "broken.json")
    error = caught.value
    assert error.source == "broken.json"
    assert error.field == "$.plan-of-action-and-milestones.risks[0]"
    assert "status" in str(error)


def test_it_rejects_a_bad_date_with_its_path():
    data = json.loads(write(minimal_document(), "oscal-json"))
    data["plan-of-action-and-milestones"]["metadata"]["last-modified"] = "yesterday"
    with pytest.raises(FormatError) as caught:
        read(json.dumps(data).encode(), "oscal-json", "late.json")
    assert caught.value.field == "$.plan-of-action-and-milestones.metadata.last-modified"


def test_it_rejects_xml_with_entity_declarations():
    raw = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<plan-of-action-and-milestones xmlns="http://csrc.nist.gov/ns/oscal/1.0"/>')
    with pytest.raises(FormatError, match="entities"):
        read(raw, "oscal-xml", "evil.xml")


def test_it_rejects_xml_with_another_root():
    with pytest.raises(FormatError, match="root element"):
        read(b'<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0"/>', "oscal-xml", "c.xml")


def test_it_rejects_schema_invalid_xml():
    raw = write(minimal_document(), "oscal-xml").replace(b"<status>open</status>", b"")
    with pytest.raises(FormatError) as caught:
        read(raw, "oscal-xml", "x.xml")
    assert caught.value.field.startswith("$.plan-of-action-and-milestones.risks[0]")


def test_it_rejects_malformed_xml_with_a_line():
    with pytest.raises(FormatError) as caught:
        read(b'<plan-of-action-and-milestones xmlns="http://csrc.nist.gov/ns/oscal/1.0">\n<a>',
             "oscal-xml", "cut.xml")
    assert caught.value.line is not None


# -- sniffing and registry ------------------------------------------------------------

def test_it_sniffs_its_own_formats_only():
    json_in, xml_in = IMPORTERS["oscal-json"], IMPORTERS["oscal-xml"]
    json_head = write(minimal_document(), "oscal-json")[:65536]
    xml_head = write(minimal_document(), "oscal-xml")[:65536]
    assert json_in.sniff(json_head, "p.json") and not json_in.sniff(xml_head, "p.xml")
    assert xml_in.sniff(xml_head, "p.xml") and not xml_in.sniff(json_head, "p.json")
    assert not json_in.sniff(b'{"catalog": {}}', "c.json")
    assert not xml_in.sniff(b"\x00\xff garbage", "x.bin")


def test_it_registers_exporters_and_importers_under_their_keys():
    table = registry.build(("openpoam.formats.oscal",))
    assert sorted(table.exporters) == ["oscal-json", "oscal-xml"]
    assert sorted(table.poam_importers) == ["oscal-json", "oscal-xml"]
    for ext, key in (("xml", "oscal-xml"), ("json", "oscal-json")):
        head = (FIXTURES / f"{OTHER}.{ext}").read_bytes()[:65536]
        assert table.detect(head, f"plan.{ext}").key == key


def test_it_reads_designation_and_framework_back():
    document = rich_document(Framework.NIST_800_171, Designation.INTERNAL)
    again = read(write(document, "oscal-json"), "oscal-json")
    assert again.system.designation is Designation.INTERNAL
    assert again.system.framework is Framework.NIST_800_171


# -- an independent consumer ----------------------------------------------------------

@pytest.mark.parametrize("framework", [Framework.FEDRAMP_HIGH, Framework.CMMC_L2])
def test_it_is_accepted_by_compliance_trestle(framework):
    from trestle.oscal.poam import PlanOfActionAndMilestones

    document = rich_document(framework)
    data = json.loads(write(document, "oscal-json"))
    model = PlanOfActionAndMilestones.parse_obj(data["plan-of-action-and-milestones"])
    assert [i.uuid for i in model.poam_items] == [i.uuid for i in document.items]
    # Trestle's own serialization (other date and URL spellings) reads back the same.
    again = read(model.oscal_serialize_json_bytes(), "oscal-json")
    assert [(i.poam_id, i.status, i.original_risk, i.cves, len(i.milestones))
            for i in again.items] == \
        [(i.poam_id, i.status, i.original_risk, i.cves, len(i.milestones))
         for i in document.items]


def test_it_is_accepted_by_compliance_trestle_after_an_xml_round_trip():
    from trestle.oscal.poam import PlanOfActionAndMilestones

    document = read(write(rich_document(), "oscal-xml"), "oscal-xml")
    data = json.loads(write(document, "oscal-json"))
    PlanOfActionAndMilestones.parse_obj(data["plan-of-action-and-milestones"])


def test_it_writes_oscal_xml_names_flags_and_markup():
    from lxml import etree
    raw = write(rich_document(), "oscal-xml")
    root = etree.fromstring(raw)
    ns = {"o": "http://csrc.nist.gov/ns/oscal/1.0"}
    assert root.tag == "{http://csrc.nist.gov/ns/oscal/1.0}plan-of-action-and-milestones"
    assert root.xpath("o:metadata/o:prop[@name='designation']/@value", namespaces=ns) == \
        ["Official submission"]
    assert root.xpath("o:system-id/@identifier-type", namespaces=ns) == \
        ["http://ietf.org/rfc/rfc4122"]
    risk = root.xpath("o:risk", namespaces=ns)[0]
    assert risk.xpath("o:response/@lifecycle", namespaces=ns) == ["planned"]
    assert risk.xpath("o:status/text()", namespaces=ns) == ["open"]
    assert len(risk.xpath("o:response/o:task/o:timing/o:on-date/@date",
                          namespaces=ns)) == 2
    assert risk.xpath("o:risk-log/o:entry", namespaces=ns)
    item = root.xpath("o:poam-item", namespaces=ns)[0]
    assert item.xpath("o:associated-risk/@risk-uuid", namespaces=ns) == [risk.get("uuid")]
    # Markdown paragraphs become <p> elements.
    assert len(item.xpath("o:description/o:p", namespaces=ns)) == 2


@pytest.mark.parametrize("key", sorted(EXPORTERS))
def test_it_keeps_the_first_of_two_items_with_one_poam_id_and_names_both(key):
    document = rich_document()
    first, second = document.items[0], document.items[1]
    second.poam_id = first.poam_id
    result = IMPORTERS[key].read_with_warnings(io.BytesIO(write(document, key)), source="p")
    assert [i.title for i in result.document.items].count(second.title) == 0
    assert [i.poam_id for i in result.document.items].count(first.poam_id) == 1
    assert result.warnings == [f"p: poam-items[1] repeats POAM ID {first.poam_id!r} of "
                               "poam-items[0]; the first was kept, this one skipped"]


@pytest.mark.parametrize("part, array", [("local-definitions", "inventory-items"),
                                         ("local-definitions", "components"),
                                         ("back-matter", "resources")])
@pytest.mark.parametrize("index", [0, 1])
def test_it_rejects_a_bad_entry_read_in_its_own_pass_naming_its_path(part, array, index):
    # The assets of the local definitions and the back matter's resources (one per
    # evidence file) are read a pass at a time, each entry checked on its own (the first
    # with the skeleton): an error still names the entry's path.
    data = json.loads(write(rich_document(), "oscal-json"))
    del data["plan-of-action-and-milestones"][part][array][index]["uuid"]
    with pytest.raises(FormatError) as caught:
        read(json.dumps(data).encode(), "oscal-json", "entries.json")
    assert caught.value.field == f"$.plan-of-action-and-milestones.{part}.{array}[{index}]"
    assert "uuid" in str(caught.value)


def test_it_reads_the_assets_of_the_local_definitions_back():
    source = rich_document()
    streamed = IMPORTERS["oscal-json"].read_stream(io.BytesIO(write(source, "oscal-json")),
                                                   source="poam")
    assets = {i.poam_id: i.assets for i in streamed.document.items}
    assert assets == {i.poam_id: i.assets for i in source.items}
    assert any(a.ip for found in assets.values() for a in found)  # from the inventory items


def test_it_keeps_the_back_matter_resources_on_disk_and_reads_the_evidence_back():
    # Held as Python objects they took about 3 KB each (30,000 at 300,000 items here).
    from openpoam.formats.oscal.jsonread import Entries, read_checked
    source = rich_document()
    raw = write(source, "oscal-json")
    data, errors = read_checked(io.BytesIO(raw), source="poam", fallback=None)
    assert errors == []
    assert isinstance(data["plan-of-action-and-milestones"]["back-matter"]["resources"],
                      Entries)
    streamed = IMPORTERS["oscal-json"].read_stream(io.BytesIO(raw), source="poam")
    evidence = {i.poam_id: i.evidence for i in streamed.document.items}
    assert evidence == {i.poam_id: i.evidence for i in source.items}
    assert any(e.sha256 for found in evidence.values() for e in found)  # from the resources
    assert streamed.document.system.name == source.system.name  # the no-oscal-ssp resource
