"""The OSCAL POA&M exporters and importers (JSON and XML) as registry plugins."""

from __future__ import annotations

import json
from typing import BinaryIO

from lxml import etree

import orjson

from openpoam.domain.poam import PoamDocument
from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError, PoamReadResult
from openpoam.formats.oscal import xmlmap
from openpoam.formats.oscal.export import build
from openpoam.formats.oscal.jsonread import read_checked
from openpoam.formats.oscal.reader import check_root, read_document, stream_document
from openpoam.formats.oscal.stream import refuse_invalid, require_items
from openpoam.formats.oscal.stream import write_json as stream_json
from openpoam.formats.oscal.stream import write_xml as stream_xml
from openpoam.formats.oscal.validation import fedramp_violations, validate_by_entry
from openpoam.formats.oscal.vocab import ROOT, paused_gc
from openpoam.formats.streams import sniff_text

def export_data(document: PoamDocument) -> tuple[dict, list[str]]:
    """The validated OSCAL dict and the warnings worth showing."""
    require_items(document)
    with paused_gc():
        data, warnings = build(document)
    refuse_invalid(validate_by_entry(data))
    if document.system.framework.is_fedramp:
        warnings += fedramp_violations(data)
    return data, warnings


def import_data(data: object, *, source: str,
                warnings: list[str] | None = None) -> PoamDocument:
    """Schema-check OSCAL data (JSON shape) and map it to a PoamDocument; ``warnings``
    receives what was read past (a repeated POAM ID)."""
    check_root(data, source)
    return read_valid(data, validate_by_entry(data), source=source,  # type: ignore[arg-type]
                      warnings=warnings)


def read_valid(data: dict, errors: list[str], *, source: str,
               warnings: list[str] | None = None) -> PoamDocument:
    """Refuse the data on its first schema error, else map it to a PoamDocument."""
    read_valid_errors(errors, source)
    try:
        with paused_gc():
            return read_document(data, source=source,  # type: ignore[arg-type]
                                 warnings=warnings)
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"the POA&M could not be read: {exc!r}", source=source) from None


def read_valid_stream(data: dict, errors: list[str], *, source: str,
                      warnings: list[str]) -> PoamDocument:
    """``read_valid`` with the items mapped as they are iterated (an import writes them in
    batches, so a file of 100,000 items is never held whole as items)."""
    read_valid_errors(errors, source)
    try:
        document = stream_document(data, source=source, warnings=warnings)
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"the POA&M could not be read: {exc!r}", source=source) from None
    document.items = _mapping_errors(document.items, source)
    return document


def _mapping_errors(items, source: str):
    try:
        yield from items
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"the POA&M could not be read: {exc!r}", source=source) from None


def read_valid_errors(errors: list[str], source: str) -> None:
    if errors:
        path, _, message = errors[0].partition(": ")
        raise FormatError(f"not a valid OSCAL POA&M at {path}: {message}" + _more(errors),
                          source=source, field=path)


def dump_json(data: dict) -> bytes:
    """Compact UTF-8 JSON with a final newline.

    Compact, not indented: at 10,000 items two-space indentation was half of the bytes
    (240 MB instead of 120 MB) and carried nothing; any JSON viewer re-indents. orjson
    writes the same bytes as the standard library many times faster.
    """
    return dump_compact(data) + b"\n"


def dump_compact(value: object) -> bytes:
    """One value as compact UTF-8 JSON (no whitespace, keys in their order)."""
    return orjson.dumps(value)


def load_json(raw: bytes, *, source: str):
    """Parse JSON bytes (a UTF-8 byte-order mark allowed) without a decoded copy of the
    text: the bytes go to orjson directly."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return orjson.loads(raw)
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text: {exc.reason} at byte {exc.start}",
                          source=source) from None
    except json.JSONDecodeError as exc:  # orjson's error is a subclass
        if "utf-8" in exc.msg.lower():
            raise FormatError(f"not UTF-8 text: {exc.msg}", source=source) from None
        raise FormatError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                          source=source, line=exc.lineno) from None


def _more(errors: list[str]) -> str:
    return f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""


class OscalJsonExporter:
    key = "oscal-json"
    label = "OSCAL POA&M 1.2.1 (JSON)"
    media_type = "application/json"
    extension = ".json"

    def write(self, document: PoamDocument, stream: BinaryIO) -> list[str]:
        with paused_gc():  # each item's entries are many small acyclic objects
            return stream_json(document, stream, dump_compact)


class OscalXmlExporter:
    key = "oscal-xml"
    label = "OSCAL POA&M 1.2.1 (XML)"
    media_type = "application/xml"
    extension = ".xml"

    def write(self, document: PoamDocument, stream: BinaryIO) -> list[str]:
        with paused_gc():
            return stream_xml(document, stream)


class OscalJsonImporter:
    key = "oscal-json"
    label = "OSCAL POA&M (JSON)"
    streams_items = True

    def sniff(self, head: bytes, filename: str) -> bool:
        text = sniff_text(head).lstrip()
        return text.startswith("{") and f'"{ROOT}"' in text[:4096]

    def read(self, stream: BinaryIO, *, source: str) -> PoamDocument:
        return self.read_with_warnings(stream, source=source).document

    def read_with_warnings(self, stream: BinaryIO, *, source: str) -> PoamReadResult:
        with paused_gc():
            data, errors = read_checked(stream, source=source,
                                        fallback=lambda raw: load_json(raw, source=source))
        warnings: list[str] = []
        return PoamReadResult(read_valid(data, errors, source=source, warnings=warnings),
                              warnings)

    def read_stream(self, stream: BinaryIO, *, source: str) -> PoamReadResult:
        """The document with its items mapped as the import iterates them; ``warnings``
        is complete once they are read."""
        with paused_gc():
            data, errors = read_checked(stream, source=source,
                                        fallback=lambda raw: load_json(raw, source=source))
        warnings: list[str] = []
        return PoamReadResult(read_valid_stream(data, errors, source=source,
                                                warnings=warnings), warnings)


class OscalXmlImporter:
    key = "oscal-xml"
    label = "OSCAL POA&M (XML)"
    streams_items = False

    def sniff(self, head: bytes, filename: str) -> bool:
        return xmlsafe.root_tag(head) == ROOT and xmlmap.XML_NS.encode() in head

    def read(self, stream: BinaryIO, *, source: str) -> PoamDocument:
        return self.read_with_warnings(stream, source=source).document

    def read_with_warnings(self, stream: BinaryIO, *, source: str) -> PoamReadResult:
        root = xmlsafe.parse(stream, source=source)
        name = etree.QName(root)
        if name.localname != ROOT or name.namespace != xmlmap.XML_NS:
            raise FormatError(f"not an OSCAL POA&M: the root element is {root.tag!r}, "
                              f"expected {ROOT!r} in {xmlmap.XML_NS}", source=source)
        with paused_gc():
            data = xmlmap.from_xml(root)
        return _with_warnings(data, source)


def _with_warnings(data: object, source: str) -> PoamReadResult:
    warnings: list[str] = []
    return PoamReadResult(import_data(data, source=source, warnings=warnings), warnings)
