"""Checks an uploaded .xlsx passes before any spreadsheet library opens it.

An xlsx is a zip of XML parts. A hostile upload can be huge, not a zip at
all, a zip bomb (a few KiB that inflate to gigabytes) or carry a DOCTYPE
(entity expansion). The zip directory is read without inflating anything:
each member's declared size bounds what zipfile will ever inflate for it, so
limiting the declared sizes and ratios limits the real work.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import BinaryIO

from openpoam.formats.base import FormatError
from openpoam.formats.streams import LimitedStream

MAX_FILE_BYTES = 64 * 1024 * 1024  # a 10,000-item POA&M is about 2 MiB
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_MEMBERS = 2_000
# Spreadsheet XML compresses well (the template's parts: 2x to 18x); bombs go past 1000x.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024  # tiny members may compress better; they cannot hurt
SCAN_CHUNK = 256 * 1024
# In UTF-8 (and ASCII) and in UTF-16 either way round: an XML parser reads all three.
_DECLARATIONS = [(text.encode(encoding), name) for text, name in
                 (("<!DOCTYPE", "a DOCTYPE"), ("<!ENTITY", "an entity"))
                 for encoding in ("utf-8", "utf-16-le", "utf-16-be")]
ZIP_MAGIC = b"PK\x03\x04"


def read_checked(stream: BinaryIO, *, source: str) -> BytesIO:
    """The whole upload in memory, once it has passed every check; else FormatError."""
    data = LimitedStream(stream, MAX_FILE_BYTES, source=source).read()
    if not data.startswith(ZIP_MAGIC):
        raise FormatError("the file is not an .xlsx workbook (it is not a zip archive)",
                          source=source)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FormatError(f"the .xlsx workbook is damaged: {exc}", source=source) from None
    with archive:
        _check_sizes(archive.infolist(), source)
        if "xl/workbook.xml" not in archive.namelist():
            raise FormatError("the zip archive is not an .xlsx workbook (no xl/workbook.xml)",
                              source=source)
        _check_prologs(archive, source)
    return BytesIO(data)


def _check_sizes(members: list[zipfile.ZipInfo], source: str) -> None:
    if len(members) > MAX_MEMBERS:
        raise FormatError(f"the workbook has {len(members):,} parts; refused as hostile",
                          source=source)
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FormatError(f"the workbook would inflate to {total:,} bytes "
                          f"(limit {MAX_UNCOMPRESSED_BYTES:,}); refused as a zip bomb",
                          source=source)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise FormatError(f"the part {member.filename} inflates {ratio:,.0f} times "
                              f"(limit {MAX_RATIO}); refused as a zip bomb", source=source)


def _check_prologs(archive: zipfile.ZipFile, source: str) -> None:
    """No part may declare a DOCTYPE or an entity anywhere: spreadsheets never need one.

    Every part is read to its end in chunks (its declared size is already bounded), so a
    declaration after a long comment is found as surely as one at the top, in bounded memory.
    """
    for member in archive.infolist():
        if member.is_dir():
            continue
        with archive.open(member) as part:
            found = _declaration_in(part)
        if found:
            raise FormatError(f"the part {member.filename} declares {found}; refused",
                              source=source)


def _declaration_in(part: BinaryIO) -> str:
    """The first forbidden declaration in the part ("a DOCTYPE", "an entity"), or ''."""
    overlap = max(len(p) for p, _ in _DECLARATIONS) - 1
    tail = b""
    while chunk := part.read(SCAN_CHUNK):
        window = (tail + chunk).upper()
        for pattern, name in _DECLARATIONS:
            if pattern in window:
                return name
        tail = window[-overlap:]
    return ""
