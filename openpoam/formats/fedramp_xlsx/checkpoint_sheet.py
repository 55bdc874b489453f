"""The "Audit Checkpoint" sheet: the signed checkpoint of the organization's audit trail,
added after the template's own sheets (their positions, and so every defined name and
print area, stay as they were). A custom document property cannot hold it: Excel keeps 255
characters of one; a cell keeps 32,767.
"""

from __future__ import annotations

import json
import re

from openpoam.formats import checkpoint as fmt
from openpoam.formats.cells import text_cell_xml

PART = "xl/worksheets/openpoam-checkpoint.xml"
REL_ID = "rIdOpenpoamCheckpoint"
WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_SHEET_ID = re.compile(rb'sheetId="(\d+)"')


def sheet_xml(checkpoint_text: str) -> bytes:
    """Labels and values in rows 1-7, the checkpoint's JSON in A8 (fmt.XLSX_CELL)."""
    data = json.loads(checkpoint_text)
    chain = (data.get("chains") or [{}])[0]
    public = fmt.parse(checkpoint_text, "checkpoint").fingerprint
    rows = [("Audit trail checkpoint", data.get("scope", "")),
            ("Organization", chain.get("organization") or ""),
            ("Chain", chain.get("chain", "")),
            ("Last record", str(chain.get("sequence", ""))),
            ("Its hash (SHA-256)", chain.get("hash", "")),
            ("Signed (Ed25519) by key", public),
            ("Signed checkpoint below: check it with `openpoam history verify-export FILE` "
             "(docs/audit-chain.md)", "")]
    cells = []
    for number, (label, value) in enumerate(rows, 1):
        cells.append(f'<row r="{number}">{text_cell_xml(f"A{number}", None, label)}'
                     f'{text_cell_xml(f"B{number}", None, value) if value else ""}</row>')
    cells.append(f'<row r="8">{text_cell_xml(fmt.XLSX_CELL, None, checkpoint_text)}</row>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
            '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols><col min="1" '
            'max="1" width="60" customWidth="1"/><col min="2" max="2" width="70" '
            f'customWidth="1"/></cols><sheetData>{"".join(cells)}</sheetData></worksheet>'
            ).encode("utf-8")


def add_to_part(name: str, data: bytes) -> bytes:
    """The workbook, its relationships and the content types, naming the new sheet."""
    if name == "xl/workbook.xml":
        next_id = max((int(n) for n in _SHEET_ID.findall(data)), default=0) + 1
        sheet = (f'<sheet name="{fmt.XLSX_SHEET}" sheetId="{next_id}" r:id="{REL_ID}"/>'
                 ).encode("utf-8")
        return data.replace(b"</sheets>", sheet + b"</sheets>", 1)
    if name == "xl/_rels/workbook.xml.rels":
        rel = (f'<Relationship Id="{REL_ID}" Type="{WORKSHEET}" '
               f'Target="{PART.removeprefix("xl/")}"/>').encode("utf-8")
        return data.replace(b"</Relationships>", rel + b"</Relationships>", 1)
    if name == "[Content_Types].xml":
        override = f'<Override PartName="/{PART}" ContentType="{CONTENT_TYPE}"/>'.encode()
        return data.replace(b"</Types>", override + b"</Types>", 1)
    return data
