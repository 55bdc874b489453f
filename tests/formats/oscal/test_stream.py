"""The OSCAL JSON export written an item at a time: same bytes, same checks."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from openpoam.domain.poam import Framework
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
