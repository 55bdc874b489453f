"""Safe XML reading for every XML format.

Scanner files are hostile input (Burp reports carry XXE payloads, Qualys
files name a DTD by https URL). Every XML parser in this package goes through
these functions, which:
- never load a DTD, never touch the network, never expand entities;
- refuse any document that declares entities at all (billion laughs, XXE):
  no scanner or checklist format needs one;
- report malformed XML as FormatError with the file name and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from openpoam.formats.base import FormatError
from openpoam.formats.streams import peek

_PROLOG_LIMIT = 4 * 1024 * 1024  # a DOCTYPE internal subset longer than this is refused
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_:]")
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _parser_options() -> dict:
    return dict(resolve_entities=False, no_network=True, load_dtd=False,
                dtd_validation=False, huge_tree=False, remove_blank_text=False)


def _check_prolog(stream: BinaryIO, source: str) -> BinaryIO:
    """Refuse entity declarations before the root element; return a fresh stream."""
    head, whole = peek(stream, _PROLOG_LIMIT)
    prolog = _prolog(head)
    if prolog is None:
        if len(head) >= _PROLOG_LIMIT:
            raise FormatError("the XML prolog (DOCTYPE) is too large to be a real report",
                              source=source)
        prolog = head
    if _ENTITY_DECL.search(prolog):
        raise FormatError("the XML declares entities (<!ENTITY>), which are refused: "
                          "they can expand without bound or read local files", source=source)
    return whole


def _prolog(head: bytes) -> bytes | None:
    """Bytes before the root element, skipping the DOCTYPE internal subset."""
    pos = 0
    while True:
        match = _FIRST_ELEMENT.search(head, pos)
        if match is None:
            return None
        before = head[: match.start()]
        # Inside an unterminated internal subset "[ ... ]>" the match is not the root.
        doctype = before.rfind(b"<!DOCTYPE")
        if doctype != -1 and b"[" in before[doctype:] and b"]" not in before[doctype:]:
            pos = match.end()
            continue
        return before


def _syntax_error(exc: etree.XMLSyntaxError, source: str) -> FormatError:
    line = exc.lineno if getattr(exc, "lineno", None) else None
    message = exc.msg if getattr(exc, "msg", None) else str(exc)
    return FormatError(f"malformed XML: {message}", source=source, line=line)


def parse(stream: BinaryIO, *, source: str) -> etree._Element:
    """Parse a whole (small) document and return its root element."""
    whole = _check_prolog(stream, source)
    parser = etree.XMLParser(**_parser_options())
    try:
        return etree.parse(whole, parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source) from None


def iterparse(stream: BinaryIO, *, source: str, tag=None,
              events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, etree._Element]]:
    """Stream (event, element) pairs. The caller clears elements it is done with."""
    whole = _check_prolog(stream, source)
    context = etree.iterparse(whole, events=events, tag=tag, **_parser_options())
    try:
        yield from context
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source) from None


def clear(element: etree._Element) -> None:
    """Free an element and the siblings before it, keeping memory flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def root_tag(head: bytes) -> str:
    """Local name of the root element from the first bytes, '' if none (for sniff())."""
    prolog = _prolog(head)
    if prolog is None:
        return ""
    rest = head[len(prolog) + 1:]
    match = re.match(rb"([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)", rest)
    return match.group(2).decode("ascii", "replace") if match else ""
