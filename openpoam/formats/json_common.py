"""Reading the JSON scanner reports (Trivy, Grype, SARIF): bounded load, dates, small checks.

These reports are small in practice (a few MB even for large images), so they are read
whole with ``json.loads``. Two bounds keep a hostile upload from exhausting memory:
``MAX_JSON_BYTES`` on the file, and ``MAX_JSON_DECODED`` on the memory the decoded
document would take, estimated from its punctuation while the file is read (a file of
tiny objects decodes to some 30 times its size; real reports to 2 or 3 times). The
Grype, SARIF and STIG Viewer 3 (.cklb) importers use these helpers too.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Any, BinaryIO

from openpoam.formats.base import FormatError
from openpoam.formats.json_depth import check_bytes
from openpoam.formats.streams import LimitedStream

MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_JSON_DECODED = 300 * 1024 * 1024  # estimated Python objects of a whole document
_READ_CHUNK = 1024 * 1024

# ISO 8601 as these tools write it: 2024-01-15T08:58:29.82753744Z,
# 2024-02-22T19:46:26.372724916+01:00, 2021-12-24T08:14:02Z, 2025-06-18 (date only).
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})"
                  r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
                  r"(Z|[+-]\d{2}:?\d{2})?$")


def load_json(stream: BinaryIO, *, source: str, limit: int = MAX_JSON_BYTES) -> Any:
    """Whole document, or FormatError naming the file and the line of a syntax error."""
    data = _read_bounded(io.BufferedReader(LimitedStream(stream, limit, source=source)), source)
    if not data.strip():
        raise FormatError("the file is empty", source=source)
    check_bytes(data, source=source)
    try:
        return json.loads(data)  # bytes: json detects UTF-8 (with or without BOM)
    except json.JSONDecodeError as exc:
        raise FormatError(f"malformed JSON: {exc.msg} (column {exc.colno})",
                          source=source, line=exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not valid UTF-8 JSON: {exc.reason}",
                          source=source) from None


def _read_bounded(stream: BinaryIO, source: str) -> bytearray:
    """The file's bytes, refused as soon as their decoded size would pass MAX_JSON_DECODED."""
    data, estimate = bytearray(), 0
    while chunk := stream.read(_READ_CHUNK):
        data += chunk
        estimate += decoded_size(chunk)
        if estimate > MAX_JSON_DECODED:
            raise FormatError(f"the JSON would take more than {MAX_JSON_DECODED // 2**20:,} MB "
                              "of memory to read (it holds too many values for a report of "
                              "this kind)", source=source)
    return data


def decoded_size(chunk: bytes) -> int:
    """Bytes of Python objects a run of JSON text decodes to, at most (measured on CPython:
    a dict about 232, a list 88, a string's header 56 for its two quotes, a number 24)."""
    return (232 * chunk.count(b"{") + 88 * chunk.count(b"[") + 28 * chunk.count(b'"')
            + 24 * chunk.count(b",") + 2 * len(chunk))


def iso_datetime(value: Any, *, source: str, field: str) -> datetime | None:
    """Parse an ISO 8601 timestamp; '' or None gives None; anything else is an error.

    Go's zero time (0001-01-01T00:00:00Z, Trivy's ImageConfig.created) also gives None.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FormatError(f"expected a date, found {value!r}", source=source, field=field)
    text = value.strip()
    match = _ISO.match(text)
    if not match:
        raise FormatError(f"unrecognised date {value!r} (expected ISO 8601)",
                          source=source, field=field)
    fraction = match.group(7)
    if fraction and len(fraction) > 6:  # Go writes nanoseconds; Python keeps microseconds
        text = text.replace("." + fraction, "." + fraction[:6], 1)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FormatError(f"invalid date {value!r}: {exc}", source=source, field=field) from None
    return None if parsed.year == 1 else parsed


def as_list(value: Any, *, source: str, field: str) -> list:
    """A JSON array; ``null`` (Trivy, Grype write it for "none") gives []."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(f"expected a list, found {type(value).__name__}",
                          source=source, field=field)
    return value


def as_dict(value: Any, *, source: str, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormatError(f"expected an object, found {type(value).__name__}",
                          source=source, field=field)
    return value


def text(value: Any) -> str:
    """A scalar as stripped text; None gives ''."""
    if value is None:
        return ""
    return str(value).strip()


def required_text(obj: dict, key: str, *, source: str, field: str) -> str:
    value = text(obj.get(key))
    if not value:
        raise FormatError(f"{key} is missing or empty", source=source, field=field)
    return value


_CWE = re.compile(r"(?i)^(?:cwe)?[-_ ]?0*(\d+)$")


def cwe(value: Any) -> str:
    """'CWE-79' spelling from 'CWE-79', 'cwe-079', '79', 79; '' for -1/0/unknown."""
    match = _CWE.match(text(value))
    if not match or int(match.group(1)) <= 0:
        return ""
    return f"CWE-{int(match.group(1))}"


def unique(values) -> tuple[str, ...]:
    """Non-empty values, first occurrence order."""
    return tuple(dict.fromkeys(v for v in values if v))


def without_version(path: str, version: str) -> str:
    """A package path with its version replaced by '*': avro-1.9.2.jar -> avro-*.jar.

    Language-package paths often carry the version; a bump must not change identity.
    """
    if path and version and version in path:
        return path.replace(version, "*")
    return path
