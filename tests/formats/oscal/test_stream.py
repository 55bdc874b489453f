"""The OSCAL JSON export written an item at a time: same bytes, same checks."""

from __future__ import annotations

import gc
import io
import json
import weakref
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from openpoam.domain.poam import AffectedAsset, Framework
from openpoam.formats.base import FormatError
from openpoam.formats.oscal import PLUGINS, validate, xmlmap
from openpoam.formats.oscal.export import Builder
from openpoam.formats.oscal.plugins import dump_json, export_data
from openpoam.formats.oscal.validation import validate_by_entry
from tests.formats.oscal.fixtures import minimal_document, rich_document

JSON_OUT = next(p for p in PLUGINS if p.key == "oscal-json" and hasattr(p, "write"))
XML_OUT = next(p for p in PLUGINS if p.key == "oscal-xml" and hasattr(p, "write"))
ROOT = "plan-of-action-and-milestones"


def streamed(document) -> tuple[bytes, list[str]]:
    stream = io.BytesIO()
    warnings = JSON_OUT.write(document, stream)
    return stream.getvalue(), warnings


@pytest.mark.parametrize("framework", [Framework.FEDRAMP_HIGH, Framework.CMMC_L2,
                                       Framework.RMF])
def test_the_streamed_file_is_byte_for_byte_the_whole_document(framework):
    document = rich_document(framework)
    whole, whole_warnings = export_data(document)
    raw, warnings = streamed(document)
    assert raw == dump_json(whole)
    assert warnings == whole_warnings
    assert validate(json.loads(raw)) == []


@pytest.mark.parametrize("framework", [Framework.FEDRAMP_HIGH, Framework.CMMC_L2])
def test_the_streamed_xml_is_byte_for_byte_the_whole_document(framework):
    document = rich_document(framework)
    whole, whole_warnings = export_data(document)
    expected = io.BytesIO()
    xmlmap.write_xml(whole, expected)
    stream = io.BytesIO()
    assert XML_OUT.write(document, stream) == whole_warnings
    assert stream.getvalue() == expected.getvalue()


# Keys of every kind the XML writer knows (flags, context flags, value keys, groups,
# arrays, markup fields) and characters it escapes or refuses.
_KEYS = ["uuid", "title", "description", "remarks", "props", "links", "name", "value", "ns",
         "class", "revisions", "system-id", "id", "hash", "start", "state", "status",
         "entries", "tasks", "timing", "statement", "type", "types", "threat-ids", "facets",
         "port-ranges", "protocol", "related-risks", "other"]
_TEXT = list("ab &<>\"'\r\n\t ") + ["é", "𝄞", "\u2028", "  ", "\n\n", " \n \n "]
_REFUSED = ["\x01", "\x1f", "\ufffe", "\uffff", "a\ud800"]


def _random_value(rng, depth: int):
    roll = rng.random()
    if depth > 4 or roll < 0.45:
        if rng.random() < 0.1:
            return rng.choice([True, False, 0, 7])
        if rng.random() < 0.01:
            return rng.choice(_REFUSED)
        return "".join(rng.choice(_TEXT) for _ in range(rng.randrange(6)))
    if roll < 0.85:
        return {rng.choice(_KEYS): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def _outcome(write, *args):
    try:
        return write(*args)
    except (TypeError, ValueError) as exc:
        return type(exc)


def test_an_entry_written_as_text_is_what_lxml_writes():
    import random
    rng = random.Random(20261207)
    for _ in range(3000):
        entry = {rng.choice(_KEYS): _random_value(rng, 1) for _ in range(rng.randrange(6))}
        array = rng.choice(["observations", "risks", "poam-items", "revisions"])
        text = _outcome(xmlmap.entry_xml, array, entry)
        name = xmlmap.ARRAYS.get(array, array.removesuffix("s"))
        built = _outcome(xmlmap._lxml_entry_xml, name, entry)
        # The same bytes, or both refuse (lxml may name the fault differently).
        assert text == built or (isinstance(text, type) and isinstance(built, type)), entry


def test_a_bad_entry_is_refused_by_the_xml_export_too(monkeypatch):
    _corrupt(monkeypatch, "risks", "deadline", "next Tuesday")
    stream = io.BytesIO()
    with pytest.raises(FormatError, match=r"risks\[1\]\.deadline"):
        XML_OUT.write(rich_document(), stream)
    assert stream.getvalue() == b""


def test_a_minimal_document_streams_the_same_bytes():
    document = minimal_document()
    document.generated_at = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)  # last-modified
    assert streamed(document)[0] == dump_json(export_data(document)[0])


def _corrupt(monkeypatch, array: str, field: str, value: object, at: int = 1) -> None:
    """Make the builder emit one bad entry (the ``at``-th item's ``array`` entry)."""
    walk = Builder.walk

    def bad_walk(self):
        for index, part in enumerate(walk(self)):
            if index == at:
                part[array][0][field] = value
            yield part

    monkeypatch.setattr(Builder, "walk", bad_walk)


@pytest.mark.parametrize("array, field, value", [
    ("risks", "deadline", "next Tuesday"),
    ("observations", "collected", "yesterday"),
    ("poam-items", "title", 7),
])
def test_a_bad_entry_is_still_refused_and_nothing_is_written(monkeypatch, array, field, value):
    document = rich_document(Framework.FEDRAMP_MODERATE)
    assert len(document.items) > 1
    _corrupt(monkeypatch, array, field, value)
    stream = io.BytesIO()
    with pytest.raises(FormatError, match="does not validate") as caught:
        JSON_OUT.write(document, stream)
    assert f"$.{ROOT}.{array}[" in str(caught.value)
    assert stream.getvalue() == b""


def test_a_bad_skeleton_is_refused(monkeypatch):
    metadata = Builder._metadata
    monkeypatch.setattr(Builder, "_metadata",
                        lambda self: {**metadata(self), "last-modified": "today"})
    stream = io.BytesIO()
    with pytest.raises(FormatError, match=r"\$\.plan-of-action-and-milestones\.metadata"):
        JSON_OUT.write(rich_document(), stream)
    assert stream.getvalue() == b""


def test_checking_by_entry_finds_what_checking_the_whole_finds():
    data, _ = export_data(rich_document(Framework.FEDRAMP_MODERATE))
    poam = data[ROOT]
    poam["risks"][-1]["deadline"] = "soon"
    poam["poam-items"][-1].pop("uuid")
    poam["metadata"]["version"] = ""
    assert sorted(validate_by_entry(data)) == sorted(validate(data))
    assert len(validate(data)) >= 3


# -- reading a pass at a time ---------------------------------------------------------

JSON_IN = next(p for p in PLUGINS if p.key == "oscal-json" and hasattr(p, "read"))


def _file(document) -> bytes:
    return dump_json(export_data(document)[0])


def test_the_import_read_a_pass_at_a_time_equals_reading_it_whole():
    raw = _file(rich_document(Framework.FEDRAMP_MODERATE))
    from openpoam.formats.oscal.plugins import import_data
    whole = import_data(json.loads(raw), source="poam.json")
    assert JSON_IN.read(io.BytesIO(raw), source="poam.json") == whole
    assert JSON_IN.read(io.BytesIO(b"\xef\xbb\xbf" + raw), source="poam.json") == whole


@pytest.mark.parametrize("array, field, value", [
    ("risks", "deadline", "next Tuesday"),
    ("observations", "collected", "yesterday"),
    ("poam-items", "uuid", "not-a-uuid"),
    ("findings", "target", 3),
])
def test_the_import_still_refuses_a_bad_entry_anywhere(array, field, value):
    data, _ = export_data(rich_document(Framework.FEDRAMP_MODERATE))
    entries = data[ROOT][array]
    assert len(entries) > 1
    entries[-1][field] = value
    with pytest.raises(FormatError, match="not a valid OSCAL POA&M") as caught:
        JSON_IN.read(io.BytesIO(dump_json(data)), source="poam.json")
    assert f"$.{ROOT}.{array}[{len(entries) - 1}]" in str(caught.value)
    assert caught.value.source == "poam.json"


def test_the_import_refuses_a_bad_frame_and_a_long_array_that_is_not_one():
    data, _ = export_data(rich_document())
    data[ROOT]["metadata"]["version"] = ""
    with pytest.raises(FormatError, match=r"metadata\.version"):
        JSON_IN.read(io.BytesIO(dump_json(data)), source="poam.json")
    data, _ = export_data(rich_document())
    data[ROOT]["risks"] = {"item": {"uuid": "x"}}
    with pytest.raises(FormatError, match=r"\$\.plan-of-action-and-milestones\.risks"):
        JSON_IN.read(io.BytesIO(dump_json(data)), source="poam.json")


def test_the_import_names_the_line_of_broken_json_after_a_good_start():
    raw = _file(minimal_document())[:-40]
    with pytest.raises(FormatError, match="invalid JSON") as caught:
        JSON_IN.read(io.BytesIO(raw), source="cut.json")
    assert caught.value.source == "cut.json"


def _many_assets(count: int):
    """``count`` items, each on two hosts of its own (as a scan's POA&M: an inventory
    item per asset)."""
    document = minimal_document()
    template = document.items[0]
    document.items = [replace(template, poam_id=f"V-{n}", uuid="", assets=[
        AffectedAsset(name=f"host-{n}-{k}", kind="host", ip=f"10.{k}.{n // 250}.{n % 250}")
        for k in (1, 2)]) for n in range(count)]
    return document


@pytest.mark.parametrize("plugin", [JSON_OUT, XML_OUT], ids=["json", "xml"])
def test_inventory_items_are_spooled_as_met_not_held_to_the_end(monkeypatch, plugin):
    made_refs: list[weakref.ref] = []
    made = Builder._inventory_item
    most = 0

    def tracked(self, asset, key):
        entry = _Tracked(made(self, asset, key))
        made_refs.append(weakref.ref(entry))
        return entry

    walk = Builder.walk

    def counting_walk(self):
        nonlocal most
        for part in walk(self):
            gc.collect()
            most = max(most, sum(ref() is not None for ref in made_refs))
            yield part

    monkeypatch.setattr(Builder, "_inventory_item", tracked)
    monkeypatch.setattr(Builder, "walk", counting_walk)
    document = _many_assets(60)
    stream = io.BytesIO()
    plugin.write(document, stream)
    assert stream.getvalue().count(b"host-") >= 120  # every asset is in the file
    # The first (kept for the skeleton), an item's two and the previous item's: not all 120.
    assert most <= 6


def test_the_back_matter_is_written_a_resource_at_a_time(monkeypatch):
    """A resource per evidence: the back-matter is never one lxml tree (it took ~4 KB a
    resource), and its bytes are those lxml gives for the whole element."""
    from lxml import etree
    built: list[str] = []
    element = xmlmap._entry_element

    def recording(child, entry):
        built.append(child)
        return element(child, entry)

    monkeypatch.setattr(xmlmap, "_entry_element", recording)
    document = rich_document()
    whole, _ = export_data(document)
    stream = io.BytesIO()
    XML_OUT.write(document, stream)
    assert "back-matter" not in built
    resources = whole[ROOT]["back-matter"]["resources"]
    assert len(resources) > 2  # the system, evidence, the checkpoint
    expected = etree.tostring(element("back-matter", whole[ROOT]["back-matter"]),
                              encoding="UTF-8", pretty_print=True)
    assert expected in stream.getvalue()


def test_a_bad_inventory_item_is_refused_with_its_path(monkeypatch):
    _corrupt(monkeypatch, "inventory-items", "uuid", "not a uuid")
    stream = io.BytesIO()
    with pytest.raises(FormatError, match="does not validate") as caught:
        JSON_OUT.write(_many_assets(3), stream)
    assert f"$.{ROOT}.local-definitions.inventory-items[2]" in str(caught.value)
    assert stream.getvalue() == b""


class _Tracked(dict):
    """A dict that a weak reference can follow."""
