"""An evidence file's type, read from its content (puremagic's signature table), never
from the name the uploader gave it: a "report.pdf" that is really HTML is not a PDF."""

from __future__ import annotations

from pathlib import Path

import puremagic

HEAD = 8192
UNKNOWN = "application/octet-stream"
MARKUP = "text/html"


def media_type_of(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    if not head:
        return UNKNOWN
    try:
        found = puremagic.from_string(head, mime=True)
    except (puremagic.PureError, ValueError):
        found = ""
    if found:
        return found
    if not _is_text(head):
        return UNKNOWN
    # Markup (HTML, SVG, XML) is what a browser would run: never call it plain text.
    return MARKUP if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "text/plain"


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a character cut at the end of the sample
    return True
