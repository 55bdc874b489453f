"""OSCAL XML <-> the OSCAL JSON shape, for the POA&M model.

OSCAL defines one model with two serializations; the differences that matter here
(from the OSCAL metaschema rules and the POA&M, assessment-common, metadata and
implementation-common models):
- flags are XML attributes; fields and assemblies are child elements;
- a JSON array ("props", "remediations", ...) is a run of singular elements ("prop",
  "response", ...), with two grouped exceptions ("revisions", "entries" inside risk-log
  is already an object);
- a few fields carry a value and flags: its value has a JSON key (system-id -> "id");
- markup is Markdown in JSON and HTML-like elements in XML (<p>, <ul>, <em> ...).

Both directions are table driven; the writer produces elements in the order the JSON
dict holds them, which the exporter builds in the order the OSCAL models define.
"""

from __future__ import annotations

import re
import shutil
from functools import cache

from lxml import etree

XML_NS = "http://csrc.nist.gov/ns/oscal/1.0"
_Q = f"{{{XML_NS}}}"

# JSON array key -> XML element name (singular, ungrouped).
ARRAYS = {
    "props": "prop", "links": "link", "roles": "role", "parties": "party",
    "responsible-parties": "responsible-party", "responsible-roles": "responsible-role",
    "party-uuids": "party-uuid", "locations": "location", "addresses": "address",
    "addr-lines": "addr-line", "email-addresses": "email-address",
    "telephone-numbers": "telephone-number", "member-of-organizations":
    "member-of-organization", "location-uuids": "location-uuid", "external-ids":
    "external-id", "document-ids": "document-id", "actions": "action",
    "components": "component", "inventory-items": "inventory-item",
    "implemented-components": "implemented-component", "protocols": "protocol",
    "port-ranges": "port-range", "users": "user", "role-ids": "role-id",
    "authorized-privileges": "authorized-privilege",
    "functions-performed": "function-performed", "observations": "observation",
    "methods": "method", "types": "type", "origins": "origin", "actors": "actor",
    "subjects": "subject", "relevant-evidence": "relevant-evidence", "risks": "risk",
    "threat-ids": "threat-id", "characterizations": "characterization", "facets": "facet",
    "mitigating-factors": "mitigating-factor", "remediations": "response",
    "required-assets": "required-asset", "tasks": "task", "dependencies": "dependency",
    "associated-activities": "associated-activity", "entries": "entry",
    "logged-by": "logged-by", "related-responses": "related-response",
    "related-tasks": "related-task", "related-observations": "related-observation",
    "related-risks": "associated-risk", "related-findings": "related-finding",
    "findings": "finding", "poam-items": "poam-item", "resources": "resource",
    "rlinks": "rlink", "hashes": "hash", "assessment-platforms": "assessment-platform",
    "uses-components": "uses-component", "statement-ids": "statement-id",
    "values": "value",
}
SINGULAR = {xml: key for key, xml in ARRAYS.items()}
# Arrays XML wraps in a group element.
GROUPED = {"revisions": "revision"}
# Fields with flags: the JSON key that holds the element's own value.
VALUE_KEYS = {"system-id": "id", "document-id": "identifier", "hash": "value",
              "telephone-number": "number", "base64": "value", "threat-id": "id"}
MULTILINE = frozenset({"description", "remarks", "statement", "purpose"})
INLINE = frozenset({"title", "text"})
FLAGS = frozenset({
    "uuid", "id", "ns", "class", "group", "href", "rel", "media-type", "type", "role-id",
    "party-uuid", "actor-uuid", "observation-uuid", "risk-uuid", "finding-uuid",
    "subject-uuid", "response-uuid", "task-uuid", "component-uuid", "implementation-uuid",
    "implementation-statement-uuid", "algorithm", "identifier-type", "scheme",
    "lifecycle", "target-id", "system", "date", "period", "unit", "filename",
    "resource-fragment", "transport", "control-id", "objective-id", "param-id",
    "activity-uuid"})
# Flags only inside certain elements (elsewhere the same name is a field).
CONTEXT_FLAGS = {"name": {"prop", "facet", "protocol", "part"},
                 "value": {"prop", "facet"},
                 "start": {"within-date-range", "port-range"},
                 "end": {"within-date-range", "port-range"},
                 "state": {"status"}}
SINGLE_HERE = frozenset({("characterization", "origin"), ("location", "address")})
INTEGERS = {("port-range", "start"), ("port-range", "end"), ("at-frequency", "period")}


def _is_flag(parent: str, key: str) -> bool:
    if key in CONTEXT_FLAGS:
        return parent in CONTEXT_FLAGS[key]
    return key in FLAGS


# -- JSON shape -> XML ----------------------------------------------------------------

def to_xml(data: dict) -> etree._Element:
    (name, body), = data.items()
    root = etree.Element(_Q + name, nsmap={None: XML_NS})
    _fill(root, name, body)
    return root


def write_xml(data: dict, stream, spools: dict | None = None) -> None:
    """``to_xml`` serialised to ``stream`` one top-level entry at a time (lxml's
    incremental writer), so a 10,000-item POA&M never exists as one whole tree.

    ``spools`` maps a top-level array to a file already holding its entries as
    ``entry_xml`` wrote them; those are copied in place of the array's value."""
    (name, body), = data.items()
    spools = spools or {}
    flags = {key: _scalar(value) for key, value in body.items() if _is_flag(name, key)}
    with etree.xmlfile(stream, encoding="UTF-8") as out:
        out.write_declaration()
        with out.element(_Q + name, flags, nsmap={None: XML_NS}):
            out.write("\n")
            for key, value in body.items():
                if key in flags:
                    continue
                if key in spools:
                    out.flush()
                    _copy(spools[key], stream)
                    continue
                if isinstance(value, dict) and (any(array in spools for array in value)
                                                or _arrays_only(key, value)):
                    # An element per entry, never the whole tree (back-matter: a resource
                    # per evidence; an lxml tree of them took ~4 KB each).
                    out.flush()
                    _write_parent(key, value, spools, stream)
                    continue
                entries = value if isinstance(value, list) else [value]
                child = ARRAYS.get(key, key.removesuffix("s")) if isinstance(value, list) else key
                for entry in entries:
                    out.write(_entry_element(child, entry), pretty_print=True)


def _arrays_only(name: str, body: dict) -> bool:
    """``body`` holds only plain arrays, none empty: ``_write_parent`` writes it as lxml
    would."""
    return bool(body) and all(
        isinstance(value, list) and value and _role(name, key, True)[0] == _LIST
        for key, value in body.items())


def _write_parent(name: str, body: dict, spools: dict, stream) -> None:
    """An element of arrays only (local-definitions), some of them spooled as
    ``entry_xml(..., nested=True)`` wrote their entries, as lxml pretty-prints it whole."""
    stream.write(f"<{name}{_NS_DECLARATION}>".encode())
    for key, entries in body.items():
        if key in spools:
            _copy(spools[key], stream)
            continue
        for entry in entries:
            stream.write(entry_xml(key, entry, nested=True))
    stream.write(f"\n</{name}>\n".encode())


def _copy(spool, stream) -> None:
    spool.seek(0)
    shutil.copyfileobj(spool, stream, 1 << 20)


def entry_xml(array: str, entry: dict, nested: bool = False) -> bytes:
    """One entry of a top-level array as ``write_xml`` writes it: the bytes lxml gives for
    ``_entry_element`` pretty-printed, written as text directly (building an element per
    field was half of a large export's time). ``nested``: an entry of an array one level
    down (inventory items in local-definitions), as it sits inside its parent."""
    name = ARRAYS.get(array, array.removesuffix("s"))
    parts: list[str] = ["\n" + _INDENT[1]] if nested else []
    _dump(parts, name, entry, int(nested), True, "" if nested else _NS_DECLARATION)
    if not nested:
        parts.append("\n")
    try:
        data = "".join(parts).encode()
    except UnicodeEncodeError:  # a lone surrogate
        data = None
    if data is None or _not_xml(data):
        # Text lxml refuses (control characters): let it raise as it always did.
        return _lxml_entry_xml(name, entry)
    return data


def _not_xml(data: bytes) -> bool:
    """UTF-8 ``data`` holds a character XML cannot: a control character, U+FFFE or U+FFFF
    (deleting the control bytes scans faster than a regular expression over the text)."""
    return (len(data.translate(None, _CONTROL_BYTES)) != len(data)
            or b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data)


def _lxml_entry_xml(name: str, entry: dict) -> bytes:
    return etree.tostring(_entry_element(name, entry), encoding="UTF-8",
                          xml_declaration=False, pretty_print=True)


def _entry_element(child: str, entry) -> etree._Element:
    element = etree.Element(_Q + child, nsmap={None: XML_NS})
    _fill(element, child, entry)
    return element


_VALUE, _FLAG, _GROUP, _LIST, _CHILD = range(5)


@cache
def _role(name: str, key: str, is_list: bool) -> tuple[int, str]:
    """How ``key`` of a ``name`` object is written, and under which element name
    (looked up once per pair: a 10,000-item POA&M has millions of keys)."""
    if key == VALUE_KEYS.get(name):
        return _VALUE, ""
    if _is_flag(name, key):
        return _FLAG, key
    if key in GROUPED:
        return _GROUP, GROUPED[key]
    if is_list:
        return _LIST, ARRAYS.get(key, key.removesuffix("s"))
    return _CHILD, key


def _fill(element: etree._Element, name: str, body) -> None:
    if not isinstance(body, dict):
        _text(element, name, body)
        return
    for key, value in body.items():
        role, child = _role(name, key, isinstance(value, list))
        if role == _FLAG:
            element.set(key, value if type(value) is str else _scalar(value))
        elif role == _LIST:
            for entry in value:
                _child(element, child, entry)
        elif role == _CHILD:
            _child(element, key, value)
        elif role == _VALUE:
            element.text = _scalar(value)
        else:
            group = _SubElement(element, _Q + key)
            for entry in value:
                _child(group, child, entry)


_SubElement = etree.SubElement

# -- the same elements written as text, as libxml2 pretty-prints them ------------------
# An element with only element children puts each on its own line, indented two spaces a
# level; an element holding text keeps its children inline; an empty one is <name/>.
_NS_DECLARATION = f' xmlns="{XML_NS}"'
# The control characters XML 1.0 cannot hold (all but TAB, LF and CR), as UTF-8 bytes.
_CONTROL_BYTES = bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20)])
# libxml2 stops indenting deeper than 30 levels.
_INDENT = ["  " * min(level, 30) for level in range(256)]


def _escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _escape_attribute(text: str) -> str:
    text = _escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#9;")
    return text


# The same break before each child: a new line and the child's indent.
_BREAK = ["\n" + indent for indent in _INDENT]
# How an object's keys are written, by its element name and its keys in order: the
# exporter's objects have a few dozen shapes, so the roles are looked up once a shape
# rather than once a key (a 10,000-item POA&M has millions of keys). Bounded, in case
# some caller writes objects of ever new shapes.
_PLANS: dict[tuple, tuple] = {}
_MAX_PLANS = 4096


def _plan(name: str, keys: tuple) -> tuple[tuple, str | None, tuple]:
    """The flag keys, the key of the element's own value (or None) and the other keys as
    (key, group element or "", element of each entry when the value is a list)."""
    flags, value, members = [], None, []
    for key in keys:
        role, child = _role(name, key, True)
        if role == _FLAG:
            flags.append(key)
        elif role == _VALUE:
            value = key
        else:
            members.append((key, child, "") if role == _GROUP else (key, "", child))
    plan = (tuple(flags), value, tuple(members))
    if len(_PLANS) < _MAX_PLANS:
        _PLANS[(name, keys)] = plan
    return plan


def _dump(out: list, name: str, body, level: int, pretty: bool, start: str = "") -> None:
    """Append element ``name`` holding ``body`` (as ``_fill`` builds it) to ``out``;
    ``pretty`` is off inside an element that holds text, as in libxml2."""
    if not isinstance(body, dict):
        _dump_value(out, name, body, level, pretty, start)
        return
    keys = tuple(body)
    flags, value_key, members = _PLANS.get((name, keys)) or _plan(name, keys)
    for key in flags:
        value = body[key]
        value = value if type(value) is str else _scalar(value)
        start += f' {key}="{_escape_attribute(value)}"'
    if not members and value_key is None:  # flags only, as every prop
        out.append(f"<{name}{start}/>")
        return
    opened = len(out)
    out.append(f"<{name}{start}>")
    if value_key is not None:
        out.append(_escape_text(_scalar(body[value_key])))
        pretty = False
    level += 1
    inner = _BREAK[level] if pretty else ""
    for key, group, child in members:
        value = body[key]
        if group:
            out.append(inner)
            _group(out, key, group, value, level, pretty)
            continue
        if not isinstance(value, list):
            value, child = (value,), key
        for entry in value:
            if type(entry) is not str:
                out.append(inner)
                _dump(out, child, entry, level, pretty)
            elif child in MULTILINE:
                out.append(inner)
                _markup(out, child, entry, level, pretty, "")
            else:  # the common leaf, written here rather than by a call of its own
                out.append(f"{inner}<{child}>{_escape_text(entry)}</{child}>")
    if len(out) == opened + 1:  # no text, no child
        out[opened] = f"<{name}{start}/>"
    elif pretty:
        out.append(f"{_BREAK[level - 1]}</{name}>")
    else:
        out.append(f"</{name}>")


def _dump_value(out: list, name: str, body, level: int, pretty: bool, start: str) -> None:
    """An element of a scalar: its text, or markup paragraphs."""
    if name in MULTILINE:
        _markup(out, name, body, level, pretty, start)
    else:
        text = body if type(body) is str else _scalar(body)
        out.append(f"<{name}{start}>{_escape_text(text)}</{name}>")


def _markup(out: list, name: str, body, level: int, pretty: bool, start: str) -> None:
    found = paragraphs(str(body))
    if not found:
        out.append(f"<{name}{start}/>")
        return
    inner = _BREAK[level + 1] if pretty else ""
    out.append(f"<{name}{start}>")
    out += [f"{inner}<p>{_escape_text(paragraph)}</p>" for paragraph in found]
    out.append(f"{_BREAK[level]}</{name}>" if pretty else f"</{name}>")


def _group(out: list, name: str, child: str, entries, level: int, pretty: bool) -> None:
    """A grouped array: element ``name`` holding a ``child`` element per entry."""
    opened = len(out)
    out.append(f"<{name}>")
    inner = _BREAK[level + 1] if pretty else ""
    for entry in entries:
        out.append(inner)
        _dump(out, child, entry, level + 1, pretty)
    if len(out) == opened + 1:
        out[opened] = f"<{name}/>"
    else:
        out.append(f"{_BREAK[level]}</{name}>" if pretty else f"</{name}>")


def _child(parent: etree._Element, name: str, value) -> None:
    _fill(_SubElement(parent, _Q + name), name, value)


def _text(element: etree._Element, name: str, value) -> None:
    if name in MULTILINE:
        for paragraph in paragraphs(str(value)):
            _SubElement(element, _Q + "p").text = paragraph
    else:
        element.text = value if type(value) is str else _scalar(value)


def paragraphs(text: str) -> list[str]:
    """Markdown paragraphs (blank-line separated), each line trimmed."""
    if "\n" not in text:  # the common case: one line, one paragraph
        text = text.strip()
        return [text] if text else []
    out = []
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        lines = [part.strip() for part in block.split("\n")]
        joined = "\n".join(part for part in lines if part)
        if joined:
            out.append(joined)
    return out


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- XML -> JSON shape ----------------------------------------------------------------

def from_xml(root: etree._Element) -> dict:
    name = etree.QName(root).localname
    return {name: _read(root, name)}


def _read(element: etree._Element, name: str):
    if name in MULTILINE:
        return markup_text(element)
    if name in INLINE:
        return inline_text(element)
    attributes = {k: _coerce(name, k, v) for k, v in element.attrib.items()
                  if not k.startswith("{")}
    children = [c for c in element if isinstance(c.tag, str)]
    out: dict = dict(attributes)
    if name in VALUE_KEYS:
        out[VALUE_KEYS[name]] = (element.text or "").strip()
        return out
    if not children and not attributes:
        return (element.text or "").strip()
    for child in children:
        child_name = etree.QName(child).localname
        if child_name in GROUPED:
            out[child_name] = [_read(g, GROUPED[child_name]) for g in child
                               if isinstance(g.tag, str)]
        elif child_name in SINGULAR and not _singular_here(name, child_name):
            out.setdefault(SINGULAR[child_name], []).append(_read(child, child_name))
        else:
            out[child_name] = _read(child, child_name)
    return out


def _singular_here(parent: str, child: str) -> bool:
    """Elements that are single objects in this parent though arrays elsewhere."""
    return (parent, child) in SINGLE_HERE


def _coerce(element: str, key: str, value: str):
    if (element, key) in INTEGERS and value.isdigit():
        return int(value)
    return value


def inline_text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def markup_text(element: etree._Element) -> str:
    """Markup-multiline -> plain Markdown-ish text, paragraphs separated by blank lines."""
    blocks = [c for c in element if isinstance(c.tag, str)]
    if not blocks:
        return _lines("".join(element.itertext()))
    out = []
    for block in blocks:
        tag = etree.QName(block).localname
        if tag in ("ul", "ol"):
            marker = "-" if tag == "ul" else "1."
            items = [f"{marker} {inline_text(li)}" for li in block
                     if isinstance(li.tag, str)]
            out.append("\n".join(items))
        elif tag.startswith("h") and tag[1:].isdigit():
            out.append(f"{'#' * int(tag[1:])} {inline_text(block)}")
        else:
            out.append(_lines("".join(block.itertext())))
    return "\n\n".join(part for part in out if part)


def _lines(text: str) -> str:
    # Pretty-printed XML indents paragraph text: keep the line breaks, drop the indent.
    return "\n".join(part.strip() for part in text.strip().split("\n") if part.strip())
