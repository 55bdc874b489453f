"""Identifiers typed into forms and addresses, read as numbers.

``str.isdigit`` accepts superscripts and other digits that ``int`` refuses ("²"), and ``int``
accepts digits of every script; an identifier here is plain ASCII digits, short enough for a
database integer, or it is not one.
"""

from __future__ import annotations

MAX_DIGITS = 18  # below 2**63: never an out-of-range database value


def is_whole_number(text: object) -> bool:
    return (isinstance(text, str) and 0 < len(text) <= MAX_DIGITS and text.isascii()
            and text.isdigit())


def whole_number(text: object) -> int | None:
    """``text`` as a non-negative integer, or None when it is not one."""
    return int(text) if is_whole_number(text) else None
