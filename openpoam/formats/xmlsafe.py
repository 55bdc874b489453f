"""Safe XML reading for every XML format.

Scanner files are hostile input (Burp reports carry XXE payloads, Qualys
files name a DTD by https URL). Every XML parser in this package goes through
these functions, which:
- never load a DTD, never touch the network, never expand entities;
- refuse any document that declares entities at all (billion laughs, XXE):
  no scanner or checklist format needs one;
- report malformed XML as FormatError with the file name and line.

Two independent guards, so that one slip is not a breach:
1. Before parsing, the prolog (everything before the root element) is read
   with a small tokenizer that understands comments, processing instructions,
   quoted strings and the DOCTYPE internal subset, in the document's own
   encoding (UTF-16/32 by byte order mark or zero-byte pattern, or the
   encoding named in the XML declaration). Any ``<!ENTITY`` (general or
   parameter) in it refuses the file.
2. The parser itself runs with entity substitution, DTD loading and network
   access turned off, so an entity that got past guard 1 stays an unexpanded
   reference and nothing outside the file is ever read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from openpoam.formats.base import FormatError
from openpoam.formats.streams import peek

_PROLOG_LIMIT = 4 * 1024 * 1024  # a prolog (DOCTYPE, comments) longer than this is refused
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_NAME_START = re.compile(r"[A-Za-z_:\u00C0-\uFFFF]")
_ROOT_NAME = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_TRAILING_POSITION = re.compile(r",\s*line \d+,\s*column (\d+)$")
_DECLARED_ENCODING = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")

# Byte order marks and, without one, the zero-byte pattern of "<?" (XML 1.0 Appendix F).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_EBCDIC = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC
# Encodings where every ASCII markup character is its own single byte.
_BYTE_SCANNABLE = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252",
                             "iso8859-15"})
_NO_BOM = ((b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
           (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"))


@dataclass(frozen=True)
class _Prolog:
    complete: bool  # the root element's start was reached
    root: str  # local name of the root element ('' when not reached)
    text: str  # decoded prolog text (up to the root, or all that was read)


def _parser_options() -> dict:
    return dict(resolve_entities=False, no_network=True, load_dtd=False,
                dtd_validation=False, huge_tree=False, remove_blank_text=False)


def _decode_head(head: bytes) -> str:
    """The head as text, in the encoding the parser will use, for syntax scanning.

    Raises LookupError for an encoding Python does not know.
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, errors="replace")
    for pattern, encoding in _NO_BOM:
        if head.startswith(pattern):
            return head.decode(encoding, errors="replace")
    if head.startswith(_EBCDIC):
        # libxml2 reads EBCDIC, whose code pages place "!" and "[" differently: no
        # scanner writes it, so it is refused rather than scanned by guesswork.
        raise LookupError("EBCDIC")
    # ASCII-compatible: latin-1 keeps every byte, enough to find the declaration.
    text = head.decode("latin-1")
    declared = _DECLARED_ENCODING.match(text)
    if declared:
        name = codecs.lookup(declared.group(1)).name
        if name not in _BYTE_SCANNABLE and not name.startswith(("utf-16", "utf-32")):
            # e.g. UTF-7 or a multi-byte code page: scan in that encoding, not as bytes.
            # (A UTF-16/32 declaration on ASCII-looking bytes is a lie; bytes it is.)
            text = head.decode(name, errors="replace")
    return text


def _scan_prolog(text: str) -> _Prolog:
    """Walk the markup before the root element. Malformed input stops the walk early."""
    pos = 0
    size = len(text)
    while True:
        while pos < size and text[pos] in " \t\r\n":
            pos += 1
        if pos >= size:
            return _Prolog(False, "", text)
        if text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            pos = end + 2 if end != -1 else -1
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            pos = end + 3 if end != -1 else -1
        elif text.startswith("<!DOCTYPE", pos):
            pos = _doctype_end(text, pos + len("<!DOCTYPE"))
        elif text.startswith("<", pos) and _NAME_START.match(text, pos + 1):
            root = _ROOT_NAME.match(text, pos)
            return _Prolog(True, root.group(1) if root else "", text[:pos])
        else:
            # Not XML markup: let the parser report it with a line number.
            return _Prolog(True, "", text[:pos])
        if pos == -1:
            return _Prolog(False, "", text)


def _doctype_end(text: str, pos: int) -> int:
    """Index just after the DOCTYPE's closing '>', or -1 if the text ends first."""
    in_subset = False
    size = len(text)
    while pos < size:
        char = text[pos]
        if char in "\"'":
            end = text.find(char, pos + 1)
            if end == -1:
                return -1
            pos = end + 1
            continue
        if in_subset and text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end == -1:
                return -1
            pos = end + 3
            continue
        if in_subset and text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            if end == -1:
                return -1
            pos = end + 2
            continue
        if char == "[":
            in_subset = True
        elif char == "]":
            in_subset = False
        elif char == ">" and not in_subset:
            return pos + 1
        pos += 1
    return -1


def _read_prolog(head: bytes, source: str) -> _Prolog:
    try:
        text = _decode_head(head)
    except LookupError:
        raise FormatError("the XML declares an encoding that is not supported",
                          source=source) from None
    return _scan_prolog(text)


def _check_prolog(stream: BinaryIO, source: str) -> BinaryIO:
    """Refuse entity declarations before the root element; return a fresh stream."""
    return _check_prolog_root(stream, source)[1]


def _check_prolog_root(stream: BinaryIO, source: str) -> tuple[str, BinaryIO]:
    """_check_prolog, and the root element's local name ('' when not found)."""
    head, whole = peek(stream, _PROLOG_LIMIT)
    prolog = _read_prolog(head, source)
    if not prolog.complete and len(head) >= _PROLOG_LIMIT:
        raise FormatError("the XML prolog (DOCTYPE, comments) is too large to be a real "
                          "report", source=source)
    declaration = _ENTITY_DECL.search(prolog.text)
    if declaration:
        line = prolog.text.count("\n", 0, declaration.start()) + 1
        raise FormatError("the XML declares entities (<!ENTITY>), which are refused: "
                          "they can expand without bound or read local files",
                          source=source, line=line)
    return prolog.root, whole


def _syntax_error(exc: etree.XMLSyntaxError, source: str) -> FormatError:
    line = exc.lineno if getattr(exc, "lineno", None) else None
    message = exc.msg if getattr(exc, "msg", None) else str(exc)
    # libxml2 ends its message with ", line N, column M"; FormatError already names the line.
    message = _TRAILING_POSITION.sub(r" (column \1)", message.strip())
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
    """Stream (event, element) pairs of the elements ``tag`` names (all when None).

    The caller clears the elements it is given once done with them. Memory stays
    bounded whatever the file holds besides (a hostile or unrelated document):
    - an element the caller is not given, and that lies inside no element it is
      given, is freed once it has ended (at the latest one read block later):
      nobody will read it;
    - an element the caller is given may hold at most MAX_UNREAD elements it is
      not given (its own content, read when it ends); past that the file is refused.
    lxml builds the tree as it goes and frees nothing by itself, so without this
    a file of elements the parser does not watch grows in memory without limit.

    Speed: lxml filters the events by tag in C, so Python sees only the watched
    elements (a .nessus has ~15 elements per finding of which one is watched); the
    freeing and counting run once per block read, on the tree's open path only.
    """
    prolog_root, whole = _check_prolog_root(stream, source)
    watched = _tag_matcher(tag)
    others = tuple(e for e in events if e not in ("start", "end"))  # comment, pi
    parser = etree.XMLPullParser(events=("start", "end", *others),
                                 tag=_lxml_filter(tag, prolog_root), **_parser_options())
    try:
        yield from _bounded(whole, parser, watched, frozenset(events), source)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source) from None


MAX_UNREAD = 250_000  # elements one watched element may hold besides the watched ones
_BLOCK = 64 * 1024  # bytes fed to the parser between two prunings
_COUNT = etree.XPath("count(descendant::*)")


def _lxml_filter(tag, root: str):
    """A tag filter for lxml that passes at least every watched element and the root.

    lxml's plain 'name' also matches 'name' in any namespace, a superset of ours: the
    events are checked again in Python. None (everything) stays None.
    """
    if tag is None:
        return None
    patterns = [tag] if isinstance(tag, str) else list(tag)
    if root:
        patterns.append("{*}" + root)  # the root's start event: where pruning begins
    return patterns


def _bounded(whole: BinaryIO, parser, watched, events: frozenset[str], source: str):
    """The events the caller asked for, then after each block the tree pruned (see iterparse)."""
    want_start, want_end = "start" in events, "end" in events
    root = None
    threshold = MAX_UNREAD
    while True:
        block = whole.read(_BLOCK)
        if block:
            parser.feed(block)
        else:
            parser.close()
        for event, element in parser.read_events():
            if root is None and event == "start":
                root = element.getroottree().getroot()
            if not watched(element.tag):
                continue
            if event == "start":
                if want_start:
                    yield event, element
            elif event == "end":
                if want_end:
                    yield event, element
            else:
                yield event, element  # comment, pi
        if not block:
            return
        if root is not None:
            threshold = _prune(root, watched, threshold, source)


def _prune(root: etree._Element, watched, threshold: int, source: str) -> int:
    """Free what has ended outside the watched elements; count what the watched ones hold.

    The elements being built are the last child of their parent, from the root down
    (the open path): everything before them at a level has ended and its events have
    all been handed out. Returns the next threshold of the count check.
    """
    node = root
    while not watched(node.tag):
        size = len(node)
        if size == 0:
            return threshold
        if size > 1:
            del node[:-1]
        node = node[-1]
    # node: the outermost watched element on the open path. Its subtree holds everything
    # the caller has not cleared; counted in C, and per owner only when it is large.
    if _COUNT(node) <= threshold:
        return threshold
    _check_owners(node, watched, source)
    return max(threshold, int(_COUNT(node)) * 2)  # a rare, rising check: linear overall


def _check_owners(top: etree._Element, watched, source: str) -> None:
    """Each watched element's unwatched elements (outside the nested watched ones)."""
    unread = {}
    stack = [(top, top)]
    while stack:
        element, owner = stack.pop()
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if watched(child.tag):
                stack.append((child, child))
                continue
            count = unread.get(owner, 0) + 1
            if count > MAX_UNREAD:
                raise _too_much(owner, source)
            unread[owner] = count
            stack.append((child, owner))


def _too_much(owner: etree._Element, source: str) -> FormatError:
    name = etree.QName(owner).localname
    return FormatError(f"the <{name}> element holds more than {MAX_UNREAD:,} elements this "
                       "format does not have; the file is not a report of this kind",
                       source=source, line=owner.sourceline)


def _tag_matcher(tag):
    """lxml's tag filter as a test: 'name' (no namespace), '{ns}name', '{*}name', '{ns}*', '*'."""
    if tag is None:
        return lambda name: True  # comments and processing instructions too
    patterns = (tag,) if isinstance(tag, str) else tuple(tag)
    if "*" in patterns or "{*}*" in patterns:
        return lambda name: True
    exact = frozenset(p[2:] if p.startswith("{}") else p for p in patterns
                      if not p.startswith("{*}") and not p.endswith("}*"))
    local = frozenset(p[3:] for p in patterns if p.startswith("{*}"))
    spaces = tuple(p[:-1] for p in patterns if p.endswith("}*"))
    if not local and not spaces:
        return exact.__contains__

    def matches(name) -> bool:
        if name in exact:
            return True
        if not isinstance(name, str):
            return False
        return name.rpartition("}")[2] in local or (bool(spaces) and name.startswith(spaces))
    return matches


def clear(element: etree._Element) -> None:
    """Free an element and the siblings before it, keeping memory flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def root_tag(head: bytes) -> str:
    """Local name of the root element from the first bytes, '' if none (for sniff()).

    Comments and a DOCTYPE before the root are skipped (Evaluate-STIG writes
    ``<!--<Evaluate-STIG>…-->`` before ``<CHECKLIST>``). Never raises.
    """
    try:
        return _scan_prolog(_decode_head(head)).root
    except Exception:  # sniffing must never raise, whatever the bytes
        return ""
