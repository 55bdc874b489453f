"""Small helpers shared by the network scanner importers (Tenable, OpenVAS, Qualys).

Nothing here knows a file format: text capping, CVE/CWE spelling, score
bands, explicit date parsing, CSV rows with line numbers, and the per-host
merge buffer that folds duplicate rows into one Finding.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

from openpoam.domain.findings import Finding, Severity
from openpoam.formats.base import FormatError, FormatWarning, Warn
from openpoam.formats.streams import sniff_text, text_lines

TEXT_LIMIT = 64 * 1024  # per text field (description, solution, evidence)
TRUNCATED = "\n[... truncated by OpenPOAM: {n} more characters]"

CVE_RE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
CWE_RE = re.compile(r"(?:CWE)?[\s:#-]*(\d{1,5})$", re.IGNORECASE)

_SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}

# csv refuses fields above 128 KiB by default; plugin output can be larger
# (it is capped after reading, see cap()).
csv.field_size_limit(16 * 1024 * 1024)


def cap(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """The text, cut at ``limit`` characters with a visible marker."""
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return text[:limit] + TRUNCATED.format(n=len(text) - limit)


def clean(text: str | None) -> str:
    """Strip surrounding blanks and the carriage returns (&#xd;) some exports keep."""
    if not text:
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


class Memo(dict):
    """Results of a pure function by its (hashable) input, for the fields a scanner
    repeats on every host (a plugin's description, references, scores). Cleared when
    full, so memory stays flat whatever the file."""

    def __init__(self, limit: int = 2048):
        super().__init__()
        self.limit = limit

    def keep(self, key, value):
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, first occurrence kept, order kept."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return tuple(seen)


def find_cves(text: str | None) -> list[str]:
    return [m.upper() for m in CVE_RE.findall(text or "")]


def cwe_id(value: str | None) -> str:
    """'79', 'CWE-79', 'CWE:79', 'CWE #79' -> 'CWE-79'; '' when not a CWE number."""
    match = CWE_RE.search((value or "").strip())
    return f"CWE-{int(match.group(1))}" if match else ""


def to_float(value: str | None) -> float | None:
    value = (value or "").strip()
    if not value or value.lower() in {"null", "none", "n/a", "-"}:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def score(value: str | None, top: float = 10.0) -> float | None:
    """A 0..top score. Exports that lost the decimal point ('50' for 5.0) are
    read back only when the digits alone are out of range and /10 is in range."""
    number = to_float(value)
    if number is None or number < 0:
        return None
    if number > top:
        text = (value or "").strip()
        if text.isdigit() and number / 10 <= top:
            return number / 10
        return None
    return number


def severity_from_score(value: float | None) -> Severity:
    """CVSS v3 qualitative bands (FIRST CVSS v3.1 specification, section 5)."""
    if value is None or value <= 0:
        return Severity.INFO
    if value < 4.0:
        return Severity.LOW
    if value < 7.0:
        return Severity.MODERATE
    if value < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL


def first(*values: str | None) -> str:
    for value in values:
        if value and value.strip():
            return value.strip()
    return ""


# --- dates ---------------------------------------------------------------

# Zone abbreviations seen in Tenable.sc exports ('Jan 5, 2021 10:24:08 MST').
# Only unambiguous North American and universal names; anything else is refused.
ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}

EMPTY_DATES = {"", "n/a", "na", "null", "none", "-", "never"}


def parse_iso(text: str) -> datetime | None:
    """ISO 8601 with 'Z' or an offset, any number of fraction digits."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    # fromisoformat (3.11) wants 3 or 6 fraction digits on some builds: pad/cut to 6.
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", value)
    if match:
        value = f"{match.group(1)}.{match.group(2)[:6].ljust(6, '0')}{match.group(3)}"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_with_zone(text: str, pattern: str) -> datetime | None:
    """'Feb 9, 2024 10:48:42 UTC': a strptime pattern followed by a zone name."""
    head, _, zone = text.strip().rpartition(" ")
    if zone.upper() not in ZONES:
        return None
    try:
        moment = datetime.strptime(head, pattern)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone(timedelta(hours=ZONES[zone.upper()])))


def parse_date(text: str | None, patterns: Iterable[str], *, source: str,
               line: int | None, field: str, iso: bool = True,
               zoned: Iterable[str] = ()) -> datetime | None:
    """Parse with the given explicit spellings only; FormatError when none fits.

    ``patterns`` are strptime patterns tried in order (each one unambiguous
    for its format); ``zoned`` patterns are followed by a zone abbreviation.
    """
    if text is None or text.strip().lower() in EMPTY_DATES:
        return None
    value = text.strip()
    if iso:
        found = parse_iso(value)
        if found is not None:
            return found
    for pattern in zoned:
        found = parse_with_zone(value, pattern)
        if found is not None:
            return found
    for pattern in patterns:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    raise FormatError(f"unrecognised date {value!r}", source=source, line=line, field=field)


def iso_text(moment: datetime | None) -> str:
    """A date for ``extra`` (kept JSON-friendly)."""
    return moment.isoformat() if moment else ""


# --- CSV -----------------------------------------------------------------

def csv_records(stream: BinaryIO, *, source: str,
                delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for every record, blank records skipped."""
    reader = csv.reader(text_lines(stream, source=source), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(f"malformed CSV: {exc}", source=source, line=reader.line_num) from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not valid text: {exc.reason}", source=source,
                          line=reader.line_num + 1) from None


def header_index(header: list[str], names: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Canonical field -> column index, from the first matching header name.

    Works on positions, so repeated or empty header names (",," in
    Tenable.io exports) do not hide each other as they would in a DictReader.
    """
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name.strip().lower(), index)
    found: dict[str, int] = {}
    for canonical, candidates in names.items():
        for candidate in candidates:
            if candidate.lower() in positions:
                found[canonical] = positions[candidate.lower()]
                break
    return found


class Row:
    """One CSV record read through a header index."""

    __slots__ = ("cells", "index", "line")

    def __init__(self, cells: list[str], index: dict[str, int], line: int):
        self.cells = cells
        self.index = index
        self.line = line

    def get(self, field: str) -> str:
        position = self.index.get(field)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def raw(self, field: str) -> str:
        position = self.index.get(field)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position]


class RowWarnings:
    """Row warnings for the user: the first ``limit`` in full, then how many more.

    ``warn`` receives each message; without it a ``FormatWarning`` is issued.
    """

    def __init__(self, source: str, warn: Warn | None = None, limit: int = 20):
        self.source, self.limit, self.count = source, limit, 0
        self.warn = warn or (lambda text: warnings.warn(text, FormatWarning, stacklevel=4))

    def __call__(self, line: int, message: str) -> None:
        self.count += 1
        if self.count <= self.limit:
            self.warn(f"{self.source}, line {line}: {message}")

    def finish(self) -> None:
        if self.count > self.limit:
            self.warn(f"{self.source}: {self.count - self.limit:,} more rows had problems "
                      f"like the {self.limit} above")


def header_cells(head: bytes, delimiter: str = ",", skip: int = 0) -> list[str]:
    """The header cells of a CSV head for sniff(); [] when unreadable. Never raises."""
    try:
        text = sniff_text(head)
        lines = text.splitlines()
        if len(lines) <= skip:
            return []
        return next(csv.reader([lines[skip]], delimiter=delimiter))
    except (UnicodeError, csv.Error, ValueError):  # an unreadable head has no header
        return []


# --- merging -------------------------------------------------------------

def merge_into(kept: Finding, other: Finding) -> None:
    """Fold a duplicate row (another CVE, another plugin output) into ``kept``."""
    kept.cves = unique((*kept.cves, *other.cves))
    kept.cwes = unique((*kept.cwes, *other.cwes))
    kept.ccis = unique((*kept.ccis, *other.ccis))
    kept.controls = unique((*kept.controls, *other.controls))
    kept.references = unique((*kept.references, *other.references))
    if other.evidence and other.evidence not in kept.evidence:
        joined = f"{kept.evidence}\n\n---\n\n{other.evidence}" if kept.evidence else other.evidence
        kept.evidence = cap(joined)
    if _SEVERITY_ORDER[other.severity] > _SEVERITY_ORDER[kept.severity]:
        kept.severity, kept.raw_severity = other.severity, other.raw_severity
    for key, value in other.extra.items():
        kept.extra.setdefault(key, value)
    if other.last_seen and (kept.last_seen is None or _later(other.last_seen, kept.last_seen)):
        kept.last_seen = other.last_seen
    if other.first_seen and (kept.first_seen is None or _later(kept.first_seen, other.first_seen)):
        kept.first_seen = other.first_seen


def _later(a: datetime, b: datetime) -> bool:
    try:
        return a > b
    except TypeError:  # naive vs aware: keep what we have
        return False


class MergeBuffer:
    """Holds findings per asset so duplicate rows merge, with bounded memory.

    Rows of one asset usually come together; when more than ``limit``
    findings are waiting, the asset seen least recently is flushed.
    """

    def __init__(self, limit: int = 20_000):
        self.limit = limit
        self.hosts: OrderedDict[str, dict[tuple, Finding]] = OrderedDict()
        self.size = 0

    def add(self, finding: Finding) -> Iterator[Finding]:
        host = finding.asset.key
        group = self.hosts.get(host)
        if group is None:
            group = self.hosts[host] = {}
        else:
            self.hosts.move_to_end(host)
        kept = group.get(finding.identity)
        if kept is None:
            group[finding.identity] = finding
            self.size += 1
        else:
            merge_into(kept, finding)
        while self.size > self.limit and len(self.hosts) > 1:
            yield from self._flush_oldest()

    def _flush_oldest(self) -> Iterator[Finding]:
        _, group = self.hosts.popitem(last=False)
        self.size -= len(group)
        yield from group.values()

    def flush(self) -> Iterator[Finding]:
        while self.hosts:
            yield from self._flush_oldest()
