"""Scan imports against a database: each month-after-month rule as the user sees it."""

from datetime import date
from pathlib import Path

import pytest

from openpoam.formats.base import FormatError
from openpoam.tracker.models import AffectedAsset, ChangeEvent, Evidence, ImportRecord, PoamItem
from openpoam.tracker.services import imports, setup

from .conftest import ROOT

HOST = """<ReportHost name="{host}"><HostProperties>
<tag name="HOST_START">{when}</tag><tag name="HOST_END">{when}</tag><tag name="host-ip">{host}</tag></HostProperties>{items}
</ReportHost>"""
ITEM = """<ReportItem port="{port}" svc_name="www" protocol="tcp" severity="{sev}"
 pluginID="{plugin}" pluginName="Plugin {plugin}" pluginFamily="Web Servers">
<risk_factor>High</risk_factor><synopsis>Synopsis {plugin}</synopsis>
<description>Description {plugin}</description><solution>Upgrade it.</solution>
<cve>CVE-2024-{plugin}</cve><plugin_output>found</plugin_output></ReportItem>"""


def nessus(tmp_path, name, hosts, when="Mon Jun  3 10:00:00 2024"):
    """hosts: {ip: [(plugin, port), ...]} -> a .nessus file."""
    body = "".join(HOST.format(host=h, when=when, items="".join(
        ITEM.format(plugin=p, port=port, sev=3) for p, port in found))
        for h, found in hosts.items())
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0"?><NessusClientData_v2><Report name="monthly">'
                    f'{body}</Report></NessusClientData_v2>')
    return path


@pytest.fixture
def fedramp(org):
    return setup.create_system(ROOT, org, slug="cloud", name="Cloud", framework="fedramp-moderate",
                               impact_level="Moderate")


def run(system, path, **kw):
    return imports.import_file(ROOT, system, path, **kw)


def _assets(poam_item):
    return {(a.asset_key, a.port): a.remediated_on for a in poam_item.assets.all()}


def test_it_creates_one_item_per_weakness_listing_every_asset(fedramp, tmp_path):
    result = run(fedramp, nessus(tmp_path, "june.nessus", {
        "10.0.0.1": [(1001, 443)], "10.0.0.2": [(1001, 443), (1002, 80)]}))
    assert result.counts.new == 2
    item = PoamItem.objects.get(scan_weakness_id="1001")
    assert _assets(item) == {("10.0.0.1", "443"): None, ("10.0.0.2", "443"): None}
    assert (item.original_risk, item.raw_severity, item.cves) == ("high", "3",
                                                                  ["CVE-2024-1001"])
    assert item.source == "vulnerability_scan" and item.source_identifier == "1001"
    assert item.detected_on == date(2024, 6, 3)
    assert item.scheduled_completion == date(2024, 7, 3)  # FedRAMP: High within 30 days
    record = ImportRecord.objects.get()
    assert (record.file_name, record.format, record.new, len(record.sha256)) == (
        "june.nessus", "nessus", 2, 64)


def test_it_changes_nothing_when_the_same_file_comes_twice(fedramp, tmp_path):
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    run(fedramp, path)
    item_events = ChangeEvent.objects.exclude(entity="import")  # the import itself is recorded
    events = item_events.count()
    again = run(fedramp, path)
    assert (again.counts.new, again.counts.updated, again.counts.remediated) == (0, 0, 0)
    assert PoamItem.objects.count() == 1 and item_events.count() == events


def test_it_remediates_an_absent_asset_and_closes_the_item_with_the_scan_as_evidence(
        fedramp, tmp_path):
    run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)],
                                                  "10.0.0.2": [(1001, 443)]}))
    run(fedramp, nessus(tmp_path, "july.nessus", {"10.0.0.1": [], "10.0.0.2": [(1001, 443)]},
                        when="Wed Jul  3 10:00:00 2024"))
    item = PoamItem.objects.get()
    assert _assets(item)[("10.0.0.1", "443")] == date(2024, 7, 3)
    assert item.status == "open"
    result = run(fedramp, nessus(tmp_path, "aug.nessus", {"10.0.0.2": []},
                                 when="Sat Aug  3 10:00:00 2024"))
    item.refresh_from_db()
    assert result.counts.closed == 1
    assert (item.status, item.actual_completion) == ("completed", date(2024, 8, 3))
    proof = Evidence.objects.get(item=item)
    assert proof.name == "aug.nessus" and len(proof.sha256) == 64


def test_it_leaves_assets_the_scan_did_not_cover(fedramp, tmp_path):
    run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}))
    run(fedramp, nessus(tmp_path, "july.nessus", {"10.0.0.9": []},
                        when="Wed Jul  3 10:00:00 2024"))
    assert _assets(PoamItem.objects.get()) == {("10.0.0.1", "443"): None}


def test_it_adds_a_new_asset_to_the_existing_item(fedramp, tmp_path):
    run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}))
    result = run(fedramp, nessus(tmp_path, "july.nessus", {"10.0.0.1": [(1001, 443)],
                                                           "10.0.0.3": [(1001, 8443)]},
                                 when="Wed Jul  3 10:00:00 2024"))
    assert result.counts.new == 0 and PoamItem.objects.count() == 1
    assert ("10.0.0.3", "8443") in _assets(PoamItem.objects.get())


def test_it_opens_a_linked_new_item_when_a_closed_weakness_returns(fedramp, tmp_path):
    run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}))
    run(fedramp, nessus(tmp_path, "july.nessus", {"10.0.0.1": []},
                        when="Wed Jul  3 10:00:00 2024"))
    result = run(fedramp, nessus(tmp_path, "aug.nessus", {"10.0.0.1": [(1001, 443)]},
                                 when="Sat Aug  3 10:00:00 2024"))
    old, new = PoamItem.objects.order_by("pk")
    assert result.counts.recurred == 1
    assert old.status == "completed" and new.status == "open" and new.recurrence_of == old


def test_it_only_proposes_closure_when_the_system_asks_for_it(org, tmp_path):
    careful = setup.create_system(ROOT, org, slug="careful", name="Careful", framework="rmf",
                                  auto_close=False)
    run(careful, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}))
    result = run(careful, nessus(tmp_path, "july.nessus", {"10.0.0.1": []},
                                 when="Wed Jul  3 10:00:00 2024"))
    item = PoamItem.objects.get()
    assert result.counts.proposed == 1
    assert (item.status, item.closure_proposed) == ("open", True)


def test_a_dry_run_writes_nothing(fedramp, tmp_path):
    result = run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}),
                 dry_run=True)
    assert result.counts.new == 1
    assert not PoamItem.objects.exists() and not ImportRecord.objects.exists()


def test_a_broken_file_writes_nothing_and_names_the_file_and_line(fedramp, tmp_path):
    run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}))
    before = (PoamItem.objects.count(), AffectedAsset.objects.count(), ChangeEvent.objects.count())
    broken = tmp_path / "broken.nessus"
    broken.write_text('<?xml version="1.0"?><NessusClientData_v2><Report name="x">\n'
                      '<ReportHost name="10.0.0.2">\n<ReportItem port="1"\n</Report>')
    with pytest.raises(FormatError, match=r"broken\.nessus.*line"):
        run(fedramp, broken, format_key="nessus")
    after = (PoamItem.objects.count(), AffectedAsset.objects.count(), ChangeEvent.objects.count())
    assert before == after and ImportRecord.objects.count() == 1


def test_it_refuses_a_file_over_the_size_limit(fedramp, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(FormatError, match="limit"):
        run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}))


def test_it_refuses_a_file_of_no_known_format(fedramp, tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("just some notes")
    with pytest.raises(FormatError, match="could not be recognised"):
        run(fedramp, odd)


def test_new_items_written_in_chunks_keep_their_own_assets_controls_and_history(
        fedramp, org, tmp_path, monkeypatch, django_assert_max_num_queries):
    """New items go in as plain rows a chunk at a time (scan_apply.ITEM_CHUNK); each item
    must get back its own id, so its assets and history are its own. A twin system of the
    same organization holds items whose ids sit between the chunks' reads."""
    from openpoam.tracker.services import scan_apply

    twin = setup.create_system(ROOT, org, slug="twin", name="Twin",
                               framework="fedramp-moderate", impact_level="Moderate")
    run(twin, nessus(tmp_path, "twin.nessus", {"10.9.9.9": [(1001, 22)]}))
    monkeypatch.setattr(scan_apply, "ITEM_CHUNK", 3)
    hosts = {f"10.0.0.{n}": [(2000 + n, 443), (2100 + n, 80)] for n in range(1, 6)}
    # 129 measured: per chunk, not per item (about 16 of them write the chunk's stored checks)
    with django_assert_max_num_queries(140):
        result = run(fedramp, nessus(tmp_path, "june.nessus", hosts))
    assert result.counts.new == 10
    items = PoamItem.objects.filter(system=fedramp)
    assert items.count() == 10 and len({i.poam_id for i in items}) == 10
    for n in range(1, 6):
        for plugin, port in ((2000 + n, "443"), (2100 + n, "80")):
            item = items.get(scan_weakness_id=str(plugin))
            assert _assets(item) == {(f"10.0.0.{n}", port): None}
            assert item.cves == [f"CVE-2024-{plugin}"] and item.version == 1
            events = ChangeEvent.objects.filter(item_uuid=item.uuid)
            assert {(e.action, e.field, e.poam_id) for e in events} == {
                ("create", "", item.poam_id), ("create", "assets", item.poam_id)}
            assert item.created_at is not None and item.updated_at is not None
    assert PoamItem.objects.filter(system=twin).count() == 1
    assert _assets(PoamItem.objects.get(system=twin)) == {("10.9.9.9", "22"): None}


def _store(settings) -> dict:
    from pathlib import Path

    root = Path(settings.EVIDENCE_DIR)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file()} if root.exists() else {}


def test_the_file_is_kept_once_by_its_hash_with_no_copy_left_over(fedramp, tmp_path, settings):
    """The file is copied into the store while it is first hashed, and the import reads
    that copy: kept under its SHA-256; the same file again, a dry run of another file and
    a broken file leave no other file behind."""
    before = _store(settings)
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    record = run(fedramp, path).record
    assert _store(settings) == {**before, record.storage_name: path.read_bytes()}
    assert record.storage_name.endswith(record.sha256)
    run(fedramp, path)
    run(fedramp, nessus(tmp_path, "july.nessus", {"10.0.0.2": [(1001, 443)]}), dry_run=True)
    broken = tmp_path / "broken.nessus"
    broken.write_text('<?xml version="1.0"?><NessusClientData_v2><Report name="x">\n'
                      '<ReportHost name="10.0.0.2">\n<ReportItem port="1"\n</Report>')
    with pytest.raises(FormatError):
        run(fedramp, broken, format_key="nessus")
    assert _store(settings) == {**before, record.storage_name: path.read_bytes()}


def test_a_change_to_the_file_after_it_was_hashed_does_not_reach_the_import(
        fedramp, tmp_path, monkeypatch):
    """What is imported is what was hashed: the copy in the store, not the file the user
    may be overwriting meanwhile."""
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    hashed = imports._hash

    def hash_then_overwrite(job):
        hashed(job)
        nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1002, 443)]})

    monkeypatch.setattr(imports, "_hash", hash_then_overwrite)
    result = run(fedramp, path)
    assert list(PoamItem.objects.values_list("scan_weakness_id", flat=True)) == ["1001"]
    assert result.record.sha256 == result.sha256


def test_a_file_broken_after_it_was_hashed_is_imported_from_the_copy(fedramp, tmp_path,
                                                                      monkeypatch):
    """A scan is read from the user's file (still in memory) checked against the hash; one
    that changed into something unreadable meanwhile is read from the store's copy."""
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    hashed, read = imports._hash, []
    reading = imports._digest_of

    def hash_then_break(job):
        hashed(job)
        path.write_text("<NessusClientData_v2><Report")

    def recording(job, importer, tracked, file, *, hashing):
        read.append((file, hashing))
        return reading(job, importer, tracked, file, hashing=hashing)

    monkeypatch.setattr(imports, "_hash", hash_then_break)
    monkeypatch.setattr(imports, "_digest_of", recording)
    result = run(fedramp, path)
    assert list(PoamItem.objects.values_list("scan_weakness_id", flat=True)) == ["1001"]
    assert read[0] == (path, True)  # the user's file first, hashed as it is read
    assert read[1][0].name.startswith(".upload-") and read[1][1] is False
    assert result.record.sha256 == result.sha256


def test_a_large_file_goes_into_the_store_whole_a_part_at_a_time(fedramp, tmp_path,
                                                                  monkeypatch, settings):
    # Parts of 3 chunks of 7 bytes: written out (and dropped from the cache) many times.
    from openpoam.tracker.services import evidence
    monkeypatch.setattr(evidence, "CHUNK", 7)
    monkeypatch.setattr(evidence, "WRITE_OUT", 21)
    written, write_out = [], evidence._write_out

    def recording(out, start, end):
        written.append((start, end))
        write_out(out, start, end)

    monkeypatch.setattr(evidence, "_write_out", recording)
    path = nessus(tmp_path, "june.nessus", {f"10.0.0.{n}": [(1001, 443)] for n in range(1, 9)})
    record = run(fedramp, path).record
    stored = Path(settings.EVIDENCE_DIR) / record.storage_name
    assert stored.read_bytes() == path.read_bytes()
    assert written[:2] == [(0, 21), (21, 42)] and len(written) == path.stat().st_size // 21


def test_a_scan_is_read_from_the_users_file_when_it_did_not_change(fedramp, tmp_path,
                                                                    monkeypatch):
    path = nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]})
    read, reading = [], imports._digest_of

    def recording(job, importer, tracked, file, *, hashing):
        read.append((file, hashing))
        return reading(job, importer, tracked, file, hashing=hashing)

    monkeypatch.setattr(imports, "_digest_of", recording)
    run(fedramp, path)
    assert read == [(path, True)]


def test_an_import_gives_back_only_the_freeze_it_made(fedramp, tmp_path):
    # The laptop's server freezes its start-up objects and runs the worker in a thread:
    # an import there must not unfreeze them; a process with nothing frozen ends as it was.
    import gc
    gc.unfreeze()
    run(fedramp, nessus(tmp_path, "june.nessus", {"10.0.0.1": [(1001, 443)]}))
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        run(fedramp, nessus(tmp_path, "july.nessus", {"10.0.0.2": [(1002, 80)]}))
        assert gc.get_freeze_count() > 0  # (a frozen object freed meanwhile leaves it)
    finally:
        gc.unfreeze()
