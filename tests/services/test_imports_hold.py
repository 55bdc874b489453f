"""What an import must hold: the stored file as closure evidence whatever the upload limit,
one record per file, no empty record for a file with nothing in it, milestones, media types."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from openpoam.formats.base import FormatError
from openpoam.tracker.models import ChangeEvent, Evidence, ImportRecord, PoamItem
from openpoam.tracker.services import ServiceError, evidence, imports, items, milestones, setup

from .conftest import ROOT
from .test_imports import nessus

JULY = "Wed Jul  3 10:00:00 2024"


@pytest.fixture
def fedramp(org):
    return setup.create_system(ROOT, org, slug="cloud", name="Cloud", framework="fedramp-moderate",
                               impact_level="Moderate")


@pytest.fixture
def store(settings, tmp_path):
    settings.EVIDENCE_DIR = tmp_path / "store"
    settings.EVIDENCE_MAX_BYTES = 2000  # far below the scans imported here
    return settings.EVIDENCE_DIR


def _padded(path: Path, size: int) -> Path:
    """The same scan, made larger than ``size`` with a comment (as real scans are large)."""
    text = path.read_text()
    path.write_text(text.replace("<NessusClientData_v2>",
                                 f"<!-- {'x' * size} --><NessusClientData_v2>", 1))
    return path


def _june_then_july(system, tmp_path):
    imports.import_file(ROOT, system, nessus(tmp_path, "june.nessus", {
        "10.0.0.1": [(1001, 443), (1002, 80)]}))
    july = _padded(nessus(tmp_path, "july.nessus", {"10.0.0.1": [(1002, 80)]}, when=JULY), 5000)
    return july, imports.import_file(ROOT, system, july)


def test_a_scan_over_the_evidence_limit_closes_items_with_itself_as_evidence(
        fedramp, tmp_path, store):
    july, result = _june_then_july(fedramp, tmp_path)
    assert july.stat().st_size > 2000 and result.counts.closed == 1
    closed = PoamItem.objects.get(scan_weakness_id="1001")
    assert closed.status == "completed" and closed.actual_completion == date(2024, 7, 3)
    proof = Evidence.objects.get(item=closed)
    record = result.record
    # The closure's evidence is the import's own stored file: the same bytes, kept once.
    assert record.storage_name and proof.storage_name == record.storage_name
    assert proof.sha256 == record.sha256 and proof.size == july.stat().st_size
    assert evidence.path_of(proof).read_bytes() == july.read_bytes()
    assert proof.media_type == "application/xml"
    assert "import #" in proof.description
    stored = [p for p in store.rglob("*") if p.is_file()]
    assert len(stored) == 2  # june and july, once each


def test_importing_the_closing_scan_again_changes_nothing(fedramp, tmp_path, store):
    july, _ = _june_then_july(fedramp, tmp_path)
    events, proofs = ChangeEvent.objects.count(), Evidence.objects.count()
    again = imports.import_file(ROOT, fedramp, july)
    assert again.already_imported_at is not None and again.counts.closed == 0
    assert ImportRecord.objects.count() == 2
    assert (ChangeEvent.objects.count(), Evidence.objects.count()) == (events, proofs)


def test_the_same_file_twice_leaves_one_record_and_says_when(fedramp, tmp_path, store):
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    first = imports.import_file(ROOT, fedramp, path)
    again = imports.import_file(ROOT, fedramp, path, dry_run=True)
    assert again.already_imported_at is not None
    again = imports.import_file(ROOT, fedramp, path)
    assert ImportRecord.objects.count() == 1 and again.record == first.record
    assert again.warnings[0].startswith("no changes: this file was already imported into "
                                        "Cloud on ")


def test_the_same_file_into_another_system_is_imported_there(org, fedramp, tmp_path, store):
    other = setup.create_system(ROOT, org, slug="other", name="Other",
                                framework="fedramp-moderate", impact_level="Moderate")
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    imports.import_file(ROOT, fedramp, path)
    result = imports.import_file(ROOT, other, path)
    assert result.already_imported_at is None and result.counts.new == 1


def test_a_file_with_no_host_and_no_finding_is_refused_without_a_record(
        fedramp, tmp_path, store):
    empty = tmp_path / "empty.nessus"
    empty.write_text('<?xml version="1.0"?><NessusClientData_v2><Report name="r">'
                     + "<Filler><a>x</a></Filler>" * 200 + "</Report></NessusClientData_v2>")
    with pytest.raises(FormatError, match="empty.nessus: the file names no scanned host and "
                                          "no finding"):
        imports.import_file(ROOT, fedramp, empty)
    assert not ImportRecord.objects.exists() and not list(store.rglob("*"))


def test_a_scan_closure_closes_open_milestones_as_not_needed_first(fedramp, tmp_path, store):
    imports.import_file(ROOT, fedramp, nessus(tmp_path, "june.nessus", {
        "10.0.0.1": [(1001, 443), (1002, 80)]}))
    item = PoamItem.objects.get(scan_weakness_id="1001")
    step = milestones.add_milestone(ROOT, item, "Patch the web tier", date(2024, 7, 1))
    imports.import_file(ROOT, fedramp, nessus(tmp_path, "july.nessus",
                                              {"10.0.0.1": [(1002, 80)]}, when=JULY))
    step.refresh_from_db()
    item.refresh_from_db()
    assert item.status == "completed"
    assert step.completed_on == date(2024, 7, 3) and "july.nessus" in step.not_needed_reason
    event = ChangeEvent.objects.get(field="milestone 1 closed as not needed")
    assert "july.nessus" in event.justification


def test_completing_an_item_waits_for_its_milestones(item):
    milestones.add_milestone(ROOT, item, "Buy tokens", date(2026, 11, 1))
    evidence.add_file(ROOT, item, "config.txt", io.BytesIO(b"mfa on"))
    with pytest.raises(ServiceError, match="milestone 1 is still open"):
        items.set_status(ROOT, item, "completed", actual_completion=date(2026, 11, 28))
    step = milestones.milestone_of(item, 1)
    with pytest.raises(ServiceError, match="requires a reason"):
        milestones.close_not_needed(ROOT, step, " ", date(2026, 11, 20))
    milestones.close_not_needed(ROOT, step, "tokens came with the new VPN", date(2026, 11, 20))
    done = items.set_status(ROOT, item, "completed", actual_completion=date(2026, 11, 28))
    assert done.status == "completed"
    event = ChangeEvent.objects.get(field="milestone 1 closed as not needed")
    assert event.justification == "tokens came with the new VPN"


def test_evidence_media_type_comes_from_the_content_not_the_name(item, store):
    text = evidence.add_file(ROOT, item, "report.pdf", io.BytesIO(b"just some notes\n"))
    pdf = evidence.add_file(ROOT, item, "scan.txt", io.BytesIO(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"))
    png = evidence.add_file(ROOT, item, "shot", io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 40))
    blob = evidence.add_file(ROOT, item, "a.pdf", io.BytesIO(b"\x00\x01\xfe\xff\x80" * 50))
    page = evidence.add_file(ROOT, item, "notes.txt", io.BytesIO(b" <script>alert(1)</script>"))
    assert (text.media_type, pdf.media_type, png.media_type, blob.media_type,
            page.media_type) == ("text/plain", "application/pdf", "image/png",
                                 "application/octet-stream", "text/html")


def test_the_evidence_upload_limit_still_holds_for_uploads(item, store):
    with pytest.raises(ServiceError, match="larger than the limit of 2,000 bytes"):
        evidence.add_file(ROOT, item, "big.txt", io.BytesIO(b"x" * 2001))


@pytest.mark.parametrize("content, message", [
    ('<?xml version="1.0"?><data><rec>1</rec></data>',
     "XML whose root element <data> no known format has"),
    ("  \n", "the file is empty"),
])
def test_a_file_no_format_recognises_is_refused_saying_what_it_is(fedramp, tmp_path, store,
                                                                  content, message):
    path = tmp_path / "upload.xml"
    path.write_text(content)
    with pytest.raises(FormatError, match=message):
        imports.import_file(ROOT, fedramp, path)
    assert not ImportRecord.objects.exists()


def test_weaknesses_tracked_meanwhile_are_read_again_inside_the_lock(fedramp, tmp_path, store,
                                                                     monkeypatch):
    """An informational weakness tracked by an item is seen again (not dropped as below the
    bar), even when the item appeared (another import) while this file was being read."""
    from openpoam.domain.findings import Severity

    def scan(name, when):
        path = tmp_path / name
        path.write_text(nessus(tmp_path, name, {"10.0.0.1": [(1001, 443)]}, when=when)
                        .read_text().replace('severity="3"', 'severity="0"'))
        return path

    imports.import_file(ROOT, fedramp, scan("june.nessus", "Mon Jun  3 10:00:00 2024"),
                        min_severity=Severity.INFO)
    monkeypatch.setattr(imports, "tracked_keys", lambda system: set())  # seen before the item
    july = imports.import_file(ROOT, fedramp, scan("july.nessus", JULY))
    assert (july.counts.closed, july.counts.remediated, july.dropped) == (0, 0, 0)
    item = PoamItem.objects.get()
    assert item.status == "open" and item.last_seen.date() == date(2024, 7, 3)


def test_the_fedramp_workbook_says_a_milestone_was_closed_as_not_needed(item):
    from openpoam.formats.fedramp_xlsx.fields import milestone_changes_text
    from openpoam.tracker.documents import item_data

    step = milestones.add_milestone(ROOT, item, "Buy tokens", date(2026, 11, 1))
    milestones.close_not_needed(ROOT, step, "tokens came with the new VPN", date(2026, 11, 20))
    data = item_data(item, date(2026, 11, 28))
    assert "(1) Complete" in milestone_changes_text(data.milestones)
    assert "Closed as not needed: tokens came with the new VPN" in milestone_changes_text(
        data.milestones)
