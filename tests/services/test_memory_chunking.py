"""Memory does not grow with the POA&M (issue 21): the exports, the checks, the metrics,
the report and a snapshot read the tracker in chunks, and the POA&M CSV and OSCAL JSON
imports write their new items in batches, so at no point are the 20,000 items of this
generated POA&M alive at once as plain data or model instances (nor, in the OSCAL import,
the entries of the file: its 20,000 inventory items, observations and risks are read a
pass at a time).

The guard counts live ``PoamItemData`` (and ``PoamItem``) objects while the real service
works: each time an item is turned into plain data for an export, when the export's
bytes are written, and each time the import writes a batch. The whole-list code held
every item (20,000) at those points; chunked code holds at most a chunk or two. A count,
not a timing or an RSS figure, so it is exact on any machine. The figures at 100,000
items are in bench/README.md ("100,000 items: memory").
"""

from __future__ import annotations

import gc
import io
from datetime import date, datetime, timedelta, timezone

import pytest

from openpoam.domain.poam import (AffectedAsset, ControlRef, Catalog, MilestoneData,
                                  PoamDocument, PoamItemData, Risk, Status, SystemData)
from openpoam.formats.poam_csv.writer import CsvExporter
from openpoam.reviews.services.metrics import system_metrics
from openpoam.reviews.services.quality import run_checks
from openpoam.reviews.services.report import report_html
from openpoam.reviews.services.review import snapshot_document, take_snapshot
from openpoam.tracker import documents
from openpoam.tracker.models import PoamItem
from openpoam.tracker.services import exports, imports, poam_rows, setup

from .conftest import ROOT

pytestmark = pytest.mark.slow

ITEMS = 20_000
# A chunk of the export (documents.CHUNK) or a batch of the import (poam_import.CHUNK)
# is 1,000-2,000 items; twice the larger is the most that may be alive.
BOUND = 4_000


class Live:
    """The most ``PoamItemData`` and ``PoamItem`` objects seen alive at once, and OSCAL
    entries (a dict with a uuid and props: an inventory item, observation, risk...)."""

    def __init__(self) -> None:
        self.most = {"data": 0, "model": 0, "entries": 0}
        self.samples = 0

    def sample(self) -> None:
        self.samples += 1
        data = model = entries = 0
        for obj in gc.get_objects():
            kind = type(obj)
            if kind is PoamItemData:
                data += 1
            elif kind is PoamItem:
                model += 1
            elif kind is dict and "uuid" in obj and "props" in obj:
                entries += 1
        for key, count in (("data", data), ("model", model), ("entries", entries)):
            self.most[key] = max(self.most[key], count)


class SampledStream(io.BytesIO):
    """An export's output; counts live items now and then as the bytes arrive."""

    def __init__(self, live: Live, every: int = 500):
        super().__init__()
        self.live, self.every, self.writes = live, every, 0

    def write(self, data) -> int:
        if self.writes % self.every == 0:
            self.live.sample()
        self.writes += 1
        return super().write(data)


def _items(count: int):
    """A generated POA&M: items made one at a time, never a list of them."""
    for n in range(1, count + 1):
        detected = date(2025, 1, 1) + timedelta(days=n % 365)
        due = detected + timedelta(days=30)
        closed = n % 10 == 0
        yield PoamItemData(
            poam_id=f"GEN-{n:06d}", title=f"Weakness {n}", uuid="",
            weakness_description="TLS 1.0 is enabled on the service.",
            controls=[ControlRef(Catalog.NIST_800_53_R5, "SC-8")],
            assets=[AffectedAsset(name=f"web{n % 40:02d}.example.com", port="443",
                                  protocol="tcp"),
                    AffectedAsset(name=f"host{n:06d}.example.com")],  # one inventory item each
            original_risk=Risk.MODERATE, planned_remediation="Disable TLS 1.0, rescan.",
            detected_on=detected, scheduled_completion=due,
            status=Status.OPEN if not closed else Status.COMPLETED,
            actual_completion=due if closed else None,
            milestones=[MilestoneData(sequence=1, description="Patch and rescan",
                                      original_due=due, current_due=due)])


def _csv_file(path) -> None:
    document = PoamDocument(system=SystemData(name="Generated"), items=_items(ITEMS),
                            generated_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    with path.open("wb") as stream:
        CsvExporter().write(document, stream)


@pytest.mark.django_db(transaction=False)
def test_a_20000_item_poam_is_imported_and_exported_a_chunk_at_a_time(org, tmp_path,
                                                                      monkeypatch):
    # One test, as the import that fills the system is most of its time.
    system = setup.create_system(ROOT, org, slug="big", name="Big System",
                                 framework="fedramp-moderate", impact_level="Moderate")
    source = tmp_path / "big.csv"
    _csv_file(source)

    imported = Live()
    save = poam_rows.NewItems.save

    def sampled_save(self, *args, **kwargs):
        imported.sample()
        return save(self, *args, **kwargs)

    monkeypatch.setattr(poam_rows.NewItems, "save", sampled_save)
    result = imports.import_file(ROOT, system, source)
    assert result.created == ITEMS and PoamItem.objects.filter(system=system).count() == ITEMS
    assert imported.samples >= 1
    assert imported.most["data"] <= BOUND, imported.most
    assert imported.most["model"] <= BOUND, imported.most

    built = 0
    make = documents.item_from_values

    def sampled_item(*args, **kwargs):
        nonlocal built
        built += 1
        if built % 2_500 == 0:
            exported.sample()
        return make(*args, **kwargs)

    monkeypatch.setattr(documents, "item_from_values", sampled_item)
    for key in ("csv", "oscal-json", "fedramp-xlsx", "emass-xlsx"):
        exported, built = Live(), 0
        stream = SampledStream(exported)
        outcome = exports.write_export(ROOT, system, key, stream)
        assert outcome.items == ITEMS, key
        assert stream.getbuffer().nbytes > ITEMS * 50, key
        assert exported.samples >= 5, key
        assert exported.most["data"] <= BOUND, (key, exported.most)
        if key == "oscal-json":
            (tmp_path / "big.json").write_bytes(stream.getvalue())

    # The checks, the metrics, the report and a snapshot: each reads the items once, a
    # chunk at a time.
    today = date(2026, 12, 1)
    for name, read in (("checks", lambda: run_checks(system, today)),
                       ("metrics", lambda: system_metrics(system, today)),
                       ("report", lambda: report_html(ROOT, system, today)),
                       ("snapshot", lambda: take_snapshot(ROOT, system, "guard"))):
        exported, built = Live(), 0
        done = read()
        assert built == ITEMS, name
        assert exported.samples >= 5, name
        assert exported.most["data"] <= BOUND, (name, exported.most)
    assert done.item_count == ITEMS == done.frozen_items.count()
    assert len(snapshot_document(done).items) == ITEMS  # its hash checked

    # The OSCAL JSON file just exported, imported into a second system: its 20,000
    # inventory items (one asset each) are never held as entries.
    other = setup.create_system(ROOT, org, slug="again", name="Again",
                                framework="fedramp-moderate", impact_level="Moderate")
    imported = Live()
    result = imports.import_file(ROOT, other, tmp_path / "big.json")
    assert result.created == ITEMS
    assert imported.samples >= 5
    assert imported.most["entries"] <= BOUND, imported.most
    assert imported.most["data"] <= BOUND, imported.most
