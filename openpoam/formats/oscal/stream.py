"""The OSCAL exports (JSON and XML) written an item at a time, in bounded memory.

The whole document is never held: each poam-item's observations, risk, findings and
poam-item are built, checked against their schema definitions and serialised at once,
into one spool file per array (the document keeps all observations before all risks, so
the arrays are written apart and joined at the end). The skeleton (metadata, local
definitions, back-matter, each array cut to its first entry) is checked last, when the
parties and assets it lists are known. The bytes are those of serialising the whole
document compactly: orjson writes no whitespace and keeps key order, so the pieces join
into the same file.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import BinaryIO

from openpoam.domain.poam import PoamDocument
from openpoam.formats.base import FormatError
from openpoam.formats.oscal import xmlmap
from openpoam.formats.oscal.export import LOCAL_ARRAYS, SPOOLED, Builder
from openpoam.formats.oscal.validation import LOCAL, item_violations, validate, validate_entry
from openpoam.formats.oscal.vocab import ROOT

EXPORT_SOURCE = "OSCAL export"


def write_json(document: PoamDocument, stream: BinaryIO, dumps) -> list[str]:
    """Write the validated OSCAL JSON of ``document`` to ``stream``; return the warnings.
    ``dumps`` serialises one value compactly to bytes."""
    return _write(document, lambda name, entry: dumps(entry), b",",
                  lambda skeleton, spools: _join(skeleton, spools, stream, dumps))


def write_xml(document: PoamDocument, stream: BinaryIO) -> list[str]:
    """The same for OSCAL XML: each entry becomes its element as it is built."""
    return _write(document, _entry_xml, b"",
                  lambda skeleton, spools: xmlmap.write_xml({ROOT: skeleton}, stream, spools))


def _entry_xml(name: str, entry: dict) -> bytes:
    # An inventory item is a child of local-definitions, one level down.
    return xmlmap.entry_xml(name, entry, nested=name in LOCAL_ARRAYS)


def _write(document: PoamDocument, encode, separator: bytes, join) -> list[str]:
    require_items(document)
    builder = Builder(document)
    # 64 KiB buffers: the default 8 KiB made one system call per few entries.
    spools = {name: tempfile.TemporaryFile(prefix="oscal-", buffering=1 << 16)
              for name in SPOOLED}
    try:
        firsts, rules = _spool(builder, spools, encode, separator)
        skeleton = builder.frame(firsts)
        refuse_invalid(validate({ROOT: skeleton}))
        join(skeleton, {name: spools[name] for name in firsts})
    finally:
        for spool in spools.values():
            spool.close()
    return builder.warnings + rules


def _spool(builder: Builder, spools: dict, encode,
           separator: bytes) -> tuple[dict[str, list], list[str]]:
    """Check and serialise every entry into its array's spool; the first entry of each
    array is kept for the skeleton. Returns those and FedRAMP's rule warnings."""
    counts = dict.fromkeys(SPOOLED, 0)
    firsts: dict[str, list] = {}
    rules: list[str] = []
    for index, part in enumerate(builder.walk()):
        for name, entries in part.items():
            for entry in entries:
                refuse_invalid(validate_entry(name, counts[name], entry))
                spool = spools[name]
                if counts[name]:
                    spool.write(separator)
                else:
                    firsts[name] = [entry]
                spool.write(encode(name, entry))
                counts[name] += 1
        if builder.fedramp:
            rules += _item_rules(part, index)
    return firsts, rules


def _item_rules(part: dict[str, list], index: int) -> list[str]:
    risks = {r.get("uuid"): r for r in part["risks"]}
    observations = {o.get("uuid"): o for o in part["observations"]}
    out: list[str] = []
    for item in part["poam-items"]:
        out += item_violations(item, index, risks, observations)
    return out


def _join(skeleton: dict, spools: dict, stream: BinaryIO, dumps) -> None:
    """``{"<root>":{...}}`` with each array's spool in place of its first entry (the
    local definitions' spooled arrays one level down)."""
    stream.write(b"{" + dumps(ROOT) + b":")
    _join_object(skeleton, spools, stream, dumps, nested=LOCAL)
    stream.write(b"}\n")


def _join_object(body: dict, spools: dict, stream: BinaryIO, dumps, nested: str = "") -> None:
    stream.write(b"{")
    for position, (key, value) in enumerate(body.items()):
        stream.write((b"," if position else b"") + dumps(key) + b":")
        if key in spools:
            stream.write(b"[")
            spools[key].seek(0)
            shutil.copyfileobj(spools[key], stream, 1 << 20)
            stream.write(b"]")
        elif key == nested and any(name in spools for name in value):
            _join_object(value, spools, stream, dumps)
        else:
            stream.write(dumps(value))
    stream.write(b"}")


def require_items(document: PoamDocument) -> None:
    if not document.items:
        # The schema requires at least one poam-item: an empty POA&M has no OSCAL form.
        raise FormatError("an OSCAL POA&M needs at least one item, and this one has none",
                          source=EXPORT_SOURCE)


def refuse_invalid(errors: list[str]) -> None:
    """Our own output failing the schema is a defect: refuse to write a broken file."""
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise FormatError(f"the export does not validate against the OSCAL schema: "
                          f"{errors[0]}{more}", source=EXPORT_SOURCE,
                          field=errors[0].split(":", 1)[0])
