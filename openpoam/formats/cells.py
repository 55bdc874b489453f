"""Cell values every spreadsheet export and import shares.

Formula injection: a spreadsheet evaluates a cell whose text starts with ``=``,
``+``, ``-`` or ``@`` (and some also after a leading tab or carriage return), so
a finding titled ``=cmd|' /C calc'!A0`` could run a command on the reviewer's
machine (OWASP "CSV Injection"). Every text cell an exporter writes goes
through ``guard()``: such text is prefixed with a single quote, and xlsx writers
also store it as a string cell, never as a formula. Importers call
``unguard()`` so a round trip gives back the exact text.

The rule is reversible for every string: text is guarded when, after any
leading quotes, it starts with a trigger character. ``"'=x"`` (a user's own
quote) is therefore written ``"''=x"`` and read back as ``"'=x"``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

# XML 1.0 cannot carry these characters; xlsx writers drop them (openpyxl would raise).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Excel refuses to open a cell longer than this.
MAX_CELL_CHARS = 32767
_EXCEL_EPOCH = date(1899, 12, 30)


def needs_guard(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (or it looks guarded)."""
    return text.lstrip(QUOTE).startswith(TRIGGERS)


def guard(text: str) -> str:
    """The text as it is safe to write in a cell: quoted when it could be evaluated."""
    return QUOTE + text if needs_guard(text) else text


def unguard(text: str) -> str:
    """Undo ``guard()`` on a value read back from a cell."""
    if text.startswith(QUOTE) and needs_guard(text[1:]):
        return text[1:]
    return text


def xml_text(text: str) -> str:
    """Guarded text with characters XML cannot hold removed (xlsx cells)."""
    return guard(_ILLEGAL_XML.sub("", text))


def is_too_long(text: str) -> bool:
    return len(text) > MAX_CELL_CHARS


def excel_serial(value: date) -> int:
    """The Excel (1900 date system) serial number of a date."""
    if isinstance(value, datetime):
        value = value.date()
    return (value - _EXCEL_EPOCH).days


def from_excel_serial(serial: float) -> date:
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def set_text(cell, text: str) -> None:
    """Write guarded text into an openpyxl cell as a string, never a formula.

    openpyxl turns any value starting with "=" into a formula on assignment,
    so the data type is forced back to string afterwards.
    """
    cell.value = guard(_ILLEGAL_XML.sub("", text))
    cell.data_type = "s"


# -- xlsx cells written as XML (the workbook writers build their sheets as text) --------

def text_cell_xml(ref: str, style: str | None, text: str) -> str:
    style_attr = f' s="{style}"' if style else ""
    return (f'<c r="{ref}"{style_attr} t="inlineStr"><is><t xml:space="preserve">'
            f'{inline_text(text)}</t></is></c>')


def inline_text(text: str) -> str:
    """Cell text as it goes inside ``<t>``: guarded, XML-safe and escaped."""
    return _escape(xml_text(text))


def date_cell_xml(ref: str, style: str | None, day: date) -> str:
    style_attr = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{style_attr}><v>{excel_serial(day)}</v></c>'


_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _escape(text: str) -> str:
    if "_x" in text:
        # "_x000D_" in a cell is itself an OOXML escape; keep a literal one literal.
        text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A bare carriage return would be read back as a line feed.
    return text.replace("\r", "&#13;") if "\r" in text else text
