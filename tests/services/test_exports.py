"""Exports through the service: every format, from real tracker data, marked with the
designation; and a POA&M file loaded back into a system keeps its fields."""

import io
import zipfile
from datetime import date

import pytest

from openpoam.domain.poam import AffectedAsset
from openpoam.formats import registry
from openpoam.tracker.documents import build_document
from openpoam.tracker.models import ChangeEvent, PoamItem
from openpoam.tracker.services import evidence, exports, imports, items, milestones, setup

from .conftest import ROOT


@pytest.fixture
def filled(system, dana):
    item = items.create_item(
        ROOT, system, title="=HYPERLINK(\"http://evil\")", detected_on=date(2026, 10, 1),
        controls=["3.5.3", "IA.L2-3.5.3"], original_risk="high", owner=dana,
        scheduled_completion=date(2026, 12, 15), planned_remediation="Enforce MFA",
        assets=[AffectedAsset(name="vpn01", ip="10.0.0.1", port="443", protocol="tcp")])
    first = milestones.add_milestone(ROOT, item, "Buy tokens", date(2026, 11, 1), dana)
    milestones.reschedule_milestone(ROOT, first, date(2026, 11, 20), "backorder")
    done = items.create_item(ROOT, system, title="Closed one", detected_on=date(2026, 9, 1),
                             controls=["3.1.3"], original_risk="low")
    evidence.add_link(ROOT, done, "https://tickets.example/1")
    items.set_status(ROOT, done, "completed", actual_completion=date(2026, 10, 1))
    return system


def _text(path):
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace")
                            for n in archive.namelist() if n.endswith(".xml"))
    return data.decode("utf-8-sig")


@pytest.mark.parametrize("key", sorted(registry.default().exporters))
def test_every_export_is_marked_with_the_designation(filled, tmp_path, key):
    output = tmp_path / f"poam-{key}"
    result = exports.export_system(ROOT, filled, key, output)
    assert result.items == 2 and output.stat().st_size > 0
    assert "Internal tracking" in _text(output)


def test_an_export_never_leaves_half_a_file(filled, tmp_path, monkeypatch):
    output = tmp_path / "poam.csv"
    output.write_text("previous export")
    exporter = registry.default().exporter("csv")

    def broken(document, stream):
        stream.write(b"half")
        raise RuntimeError("disk full")
    monkeypatch.setattr(exporter, "write", broken)
    with pytest.raises(RuntimeError):
        exports.export_system(ROOT, filled, "csv", output)
    assert output.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["poam.csv"]


def test_a_csv_export_loads_into_another_system_with_its_fields(filled, org, tmp_path):
    path = tmp_path / "poam.csv"
    exports.export_system(ROOT, filled, "csv", path)
    other = setup.create_system(ROOT, org, slug="copy", name="Copy", framework="cmmc-l2")
    result = imports.import_file(ROOT, other, path)
    # Another system of the same organization: new items, with new IDs (IDs are per org).
    assert (result.created, result.updated) == (2, 0)
    assert any("used by another system's item" in w for w in result.warnings)
    again = imports.import_file(ROOT, filled, path)  # back into its own system: matched
    assert (again.created, again.updated) == (0, 2)
    copy = setup.create_system(ROOT, setup.create_organization(ROOT, "b", "B"), slug="c",
                               name="C", framework="cmmc-l2")
    result = imports.import_file(ROOT, copy, path)
    assert result.created == 2
    before = {i.poam_id: i for i in build_document(filled).items}
    after = {i.poam_id: i for i in build_document(copy).items}
    assert set(after) == set(before)
    for poam_id, old in before.items():
        new = after[poam_id]
        for name in ("title", "original_risk", "status", "detected_on", "scheduled_completion",
                     "actual_completion", "planned_remediation", "owner"):
            assert getattr(new, name) == getattr(old, name), (poam_id, name)
        assert [c.control_id for c in new.controls] == [c.control_id for c in old.controls]
        assert [(a.name, a.port) for a in new.assets] == [(a.name, a.port) for a in old.assets]
        assert [(m.original_due, m.current_due) for m in new.milestones] == \
            [(m.original_due, m.current_due) for m in old.milestones]
    for item in PoamItem.objects.filter(system=copy):
        assert ChangeEvent.objects.filter(system=copy, item_uuid=item.uuid,
                                          action="create").exists()


def test_an_item_keeps_the_files_uuid_and_its_history_follows_it(filled, tmp_path):
    path = tmp_path / "poam.csv"
    exports.export_system(ROOT, filled, "csv", path)
    file_uuids = {i.uuid for i in build_document(filled).items}
    for item in PoamItem.objects.filter(system=filled):
        items.delete_item(ROOT, item, "moving the POA&M to another tenant")
    target = setup.create_system(ROOT, filled.organization, slug="t", name="T",
                                 framework="rmf")
    imports.import_file(ROOT, target, path)
    for item in PoamItem.objects.filter(system=target):
        assert str(item.uuid) in file_uuids
        # Its creation is recorded under the UUID it carries, not a discarded one.
        assert ChangeEvent.objects.filter(system=target, item_uuid=item.uuid, action="create",
                                          field="").exists()


def test_another_organization_never_adopts_a_uuid_whose_history_is_not_its_own(filled,
                                                                               tmp_path):
    path = tmp_path / "poam.csv"
    exports.export_system(ROOT, filled, "csv", path)
    file_uuids = {i.uuid for i in build_document(filled).items}
    for item in PoamItem.objects.filter(system=filled):
        items.delete_item(ROOT, item, "moving the POA&M to another tenant")
    target = setup.create_system(ROOT, setup.create_organization(ROOT, "t", "T"), slug="t",
                                 name="T", framework="rmf")
    imports.import_file(ROOT, target, path)
    for item in PoamItem.objects.filter(system=target):
        assert str(item.uuid) not in file_uuids  # the other tenant's history stays its own
        assert ChangeEvent.objects.filter(system=target, item_uuid=item.uuid, action="create",
                                          field="").exists()


def test_a_dry_run_of_a_poam_file_writes_nothing(filled, org, tmp_path):
    path = tmp_path / "poam.csv"
    exports.export_system(ROOT, filled, "csv", path)
    target = setup.create_system(ROOT, setup.create_organization(ROOT, "z", "Z"), slug="c",
                                 name="C", framework="rmf")
    result = imports.import_file(ROOT, target, path, dry_run=True)
    assert result.created == 2 and not PoamItem.objects.filter(system=target).exists()
