"""The registry: the one list of formats, the one guard of sniff(), declared abilities."""

from __future__ import annotations

import inspect

import pytest

from openpoam.formats import registry
from openpoam.formats.base import PARSE_OPTIONS, FormatError


class _Tripping:
    """A scan importer whose sniff raises on what it does not expect."""

    key = "tripping"
    label = "Trips on anything"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        raise UnicodeDecodeError("utf-8", head, 0, 1, "not text")

    def parse(self, stream, *, source: str):
        return iter(())


def test_a_sniff_that_raises_reads_as_not_mine():
    formats = registry.Registry()
    formats.add(_Tripping())
    assert registry.sniffs(_Tripping(), b"\xff\xfe", "x.bin") is False
    with pytest.raises(FormatError, match="could not be recognised"):
        formats.detect(b"\xff\xfe junk", "x.bin")


def test_an_unknown_declared_option_is_refused_when_the_format_is_added():
    odd = _Tripping()
    odd.options = frozenset({"colour"})
    with pytest.raises(TypeError, match="unknown parse options"):
        registry.Registry().add(odd)


@pytest.mark.parametrize("importer", list(registry.default().scan_importers.values()),
                         ids=lambda importer: importer.key)
def test_each_scan_importer_declares_exactly_the_options_its_parse_takes(importer):
    taken = set(inspect.signature(importer.parse).parameters) & PARSE_OPTIONS
    assert set(importer.options) == taken


@pytest.mark.parametrize("importer", list(registry.default().poam_importers.values()),
                         ids=lambda importer: importer.key)
def test_each_poam_importer_reads_with_warnings(importer):
    assert callable(importer.read_with_warnings)


@pytest.mark.parametrize("importer", [*registry.default().scan_importers.values(),
                                      *registry.default().poam_importers.values()],
                         ids=lambda importer: importer.key)
@pytest.mark.parametrize("head", [b"", b"\x00" * 64, b"\xff\xfe\x00<", b"<?xml", b"{\"a\":",
                                  "é,ü\n".encode("latin-1")])
def test_no_importer_claims_junk_through_the_registry(importer, head):
    assert registry.sniffs(importer, head, "upload.csv") is False


@pytest.mark.parametrize("importer", list(registry.default().poam_importers.values()),
                         ids=lambda importer: importer.key)
def test_a_poam_importer_streams_its_items_exactly_when_it_says_so(importer):
    assert importer.streams_items == callable(getattr(importer, "read_stream", None))
