"""POA&M files (CSV, FedRAMP workbook, OSCAL) loaded into a system: the workflow holds,
the history is complete, and nothing is half-written."""

import hashlib
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from openpoam.domain.poam import (AffectedAsset, Catalog, ControlRef, DueDateChange,
                                  EvidenceData, Framework, MilestoneData, PoamDocument,
                                  PoamItemData, Risk, Status, SystemData)
from openpoam.formats.base import FormatError
from openpoam.formats.fedramp_xlsx import FedrampXlsxExporter
from openpoam.formats.poam_csv.writer import CsvExporter
from openpoam.tracker.models import (ChangeEvent, Evidence, ImportRecord, Milestone, PoamItem)
from openpoam.tracker.services import ServiceError, imports, items, setup

from .conftest import ROOT


@pytest.fixture
def cloud(org):
    return setup.create_system(ROOT, org, slug="cloud", name="Cloud",
                               framework="fedramp-moderate", impact_level="Moderate")


def _item(poam_id: str, status: Status = Status.OPEN, **kw) -> PoamItemData:
    kw.setdefault("detected_on", date(2026, 9, 1))
    kw.setdefault("scheduled_completion", date(2026, 11, 30))
    return PoamItemData(
        poam_id=poam_id, title=f"Weakness {poam_id}", status=status, original_risk=Risk.MODERATE,
        controls=[ControlRef(Catalog.NIST_800_53_R5, "SI-2")],
        assets=[AffectedAsset(name="web01", port="443", protocol="tcp")],
        milestones=[MilestoneData(1, "Patch", date(2026, 10, 1), date(2026, 10, 1)),
                    MilestoneData(2, "Rescan", date(2026, 10, 15), date(2026, 10, 15))],
        **kw)


def _document(*rows: PoamItemData) -> PoamDocument:
    return PoamDocument(system=SystemData(name="Cloud", framework=Framework.FEDRAMP_MODERATE),
                        items=list(rows))


def _write(tmp_path, document: PoamDocument, exporter=None, name="poam.csv"):
    path = tmp_path / name
    with path.open("wb") as out:
        (exporter or CsvExporter()).write(document, out)
    return path


def test_a_completed_row_without_evidence_stays_open_and_the_warning_names_file_row_rule(
        cloud, tmp_path):
    done = _item("EXT-1", Status.COMPLETED, actual_completion=date(2026, 10, 20))
    result = imports.import_file(ROOT, cloud, _write(tmp_path, _document(done)))
    assert PoamItem.objects.get(poam_id="EXT-1").status == "open"
    [warning] = [w for w in result.warnings if "EXT-1" in w]
    assert warning.startswith("poam.csv: item 1 (EXT-1): status Completed not taken, kept Open")
    assert "evidence" in warning


def test_a_completed_row_with_an_evidence_link_is_completed_with_the_link(cloud, tmp_path):
    link = EvidenceData(name="rescan", url="https://evidence.example.com/rescan.pdf")
    done = _item("EXT-2", Status.COMPLETED, actual_completion=date(2026, 10, 20),
                 evidence=[link])
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(done)))
    item = PoamItem.objects.get(poam_id="EXT-2")
    assert (item.status, item.actual_completion) == ("completed", date(2026, 10, 20))
    assert list(item.evidence.values_list("kind", "url")) == [("link", link.url)]


@pytest.mark.parametrize("status", [Status.RISK_ACCEPTED, Status.FALSE_POSITIVE])
def test_acceptance_and_false_positive_need_an_approver_the_file_cannot_give(
        cloud, tmp_path, status):
    row = _item("EXT-3", status, deviation_rationale="compensating control")
    result = imports.import_file(ROOT, cloud, _write(tmp_path, _document(row)))
    assert PoamItem.objects.get(poam_id="EXT-3").status == "open"
    assert any("EXT-3" in w and "approver" in w for w in result.warnings)


def test_a_matched_item_keeps_its_status_when_the_file_lacks_what_the_rule_needs(
        cloud, tmp_path):
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(_item("EXT-4"))))
    again = _item("EXT-4", Status.COMPLETED, actual_completion=date(2026, 10, 20))
    result = imports.import_file(ROOT, cloud, _write(tmp_path, _document(again), name="b.csv"))
    assert PoamItem.objects.get(poam_id="EXT-4").status == "open"
    assert any(w.startswith("b.csv: EXT-4: status Completed not taken, kept Open")
               for w in result.warnings)


def test_a_closed_workbook_row_is_completed_with_the_file_as_its_evidence(cloud, tmp_path):
    closed = _item("EXT-5", Status.COMPLETED, actual_completion=date(2026, 10, 20),
                   status_date=date(2026, 10, 20))
    path = _write(tmp_path, _document(closed, _item("EXT-6")), FedrampXlsxExporter(),
                  "poam.xlsx")
    result = imports.import_file(ROOT, cloud, path)
    item = PoamItem.objects.get(poam_id="EXT-5")
    assert item.status == "completed"
    [evidence] = item.evidence.all()
    assert evidence.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == result.sha256
    assert "poam.xlsx" in evidence.description and evidence.kind == "link"
    assert PoamItem.objects.get(poam_id="EXT-6").status == "open"
    assert not PoamItem.objects.get(poam_id="EXT-6").evidence.exists()


def test_every_created_item_has_its_creation_history_under_the_import(cloud, tmp_path):
    rows = [_item(f"EXT-{n}", Status.IN_PROGRESS) for n in range(10, 40)]
    result = imports.import_file(ROOT, cloud, _write(tmp_path, _document(*rows)))
    record = ImportRecord.objects.get()
    assert (result.created, record.new) == (30, 30)
    for item in PoamItem.objects.all():
        events = ChangeEvent.objects.filter(item_uuid=item.uuid, import_record=record)
        assert events.filter(action="create", entity="item").count() == 1
        assert events.filter(field="status", new_value="in_progress").count() == 1
    assert Milestone.objects.count() == 60
    assert set(PoamItem.objects.values_list("status", flat=True)) == {"in_progress"}
    moved = _item("EXT-99")
    moved.milestones[1].current_due = date(2026, 10, 29)
    moved.milestones[1].changes = [DueDateChange(datetime(2026, 10, 2, tzinfo=timezone.utc),
                                                 date(2026, 10, 15), date(2026, 10, 29),
                                                 "vendor slipped")]
    imports.import_file(ROOT, cloud, _write(tmp_path, _document(moved), name="moved.csv"))
    item = PoamItem.objects.get(poam_id="EXT-99")
    event = ChangeEvent.objects.get(item_uuid=item.uuid, field="milestone 2 due")
    assert (event.old_value, event.new_value, event.justification) == (
        "2026-10-15", "2026-10-29", "vendor slipped")
    assert item.milestones.get(sequence=2).original_due == date(2026, 10, 15)


def test_a_bad_row_leaves_nothing_behind(cloud, tmp_path):
    bad = _item("EXT-51", scheduled_completion=date(2026, 1, 1))  # before detection
    path = _write(tmp_path, _document(_item("EXT-50"), bad))
    history_before = ChangeEvent.objects.count()  # setting up the system is recorded
    with pytest.raises(ServiceError, match=r"poam.csv: item 2 \(EXT-51\): scheduled_completion"):
        imports.import_file(ROOT, cloud, path)
    assert not PoamItem.objects.exists()
    assert not ImportRecord.objects.exists()
    assert ChangeEvent.objects.count() == history_before


def test_file_ids_are_kept_and_the_counter_skips_past_them(cloud, tmp_path, system):
    items.create_item(ROOT, system, title="Taken", detected_on=date(2026, 1, 2))  # POAM-2026-0001
    rows = [_item("POAM-2026-0001"), _item("POAM-2026-0007")]
    result = imports.import_file(ROOT, cloud, _write(tmp_path, _document(*rows)))
    ids = sorted(PoamItem.objects.filter(system=cloud).values_list("poam_id", flat=True))
    assert ids == ["POAM-2026-0007", "POAM-2026-0008"]
    assert any("another system's item" in w for w in result.warnings)
    later = items.create_item(ROOT, system, title="Next", detected_on=date(2026, 3, 1))
    assert later.poam_id == "POAM-2026-0009"


def test_a_dry_run_of_a_poam_file_writes_nothing(cloud, tmp_path):
    result = imports.import_file(ROOT, cloud, _write(tmp_path, _document(_item("EXT-60"))),
                                 dry_run=True)
    assert result.created == 1
    assert not PoamItem.objects.exists() and not Evidence.objects.exists()
    assert not ImportRecord.objects.exists()


def _stored_files(settings) -> set:
    root = Path(settings.EVIDENCE_DIR)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_poam_csv_over_the_import_limit_is_refused_naming_file_and_limit(
        cloud, tmp_path, settings):
    """The POA&M CSV has no cap of its own (it streams); the import limit is its limit."""
    path = _write(tmp_path, _document(_item("EXT-70"), _item("EXT-71")), name="big.csv")
    settings.IMPORT_MAX_BYTES = path.stat().st_size - 1
    stored = _stored_files(settings)
    with pytest.raises(FormatError) as refused:
        imports.import_file(ROOT, cloud, path)
    assert "big.csv" in str(refused.value)
    assert f"{settings.IMPORT_MAX_BYTES:,}" in str(refused.value)
    assert "OPENPOAM_IMPORT_MAX_BYTES" in str(refused.value)
    assert not PoamItem.objects.exists() and not ImportRecord.objects.exists()
    assert _stored_files(settings) == stored


def test_a_poam_csv_growing_past_the_limit_while_read_is_refused_and_rolled_back(
        cloud, tmp_path, settings, monkeypatch):
    """The size is checked first, then every byte the streaming reader takes: a file that
    passes the first check but reads longer is refused, with nothing stored."""
    path = _write(tmp_path, _document(*[_item(f"EXT-{n}") for n in range(80, 120)]),
                  name="grown.csv")
    settings.IMPORT_MAX_BYTES = path.stat().st_size // 2
    monkeypatch.setattr(imports._Job, "check_size", lambda job: None)
    monkeypatch.setattr(imports, "file_sha256", lambda path, name: "0" * 64)
    monkeypatch.setattr(imports.store, "store_import", lambda path, sha256, size: "kept")
    with pytest.raises(FormatError, match=r"grown\.csv.*import limit of [\d,]+ bytes"):
        imports.import_file(ROOT, cloud, path)
    assert not PoamItem.objects.exists() and not ImportRecord.objects.exists()
