"""Read the CISA KEV catalog JSON into a CVE -> entry mapping.

Layout (CISA's published ``known_exploited_vulnerabilities.json`` and its
schema): a top-level object with ``title``, ``catalogVersion`` ("2024.05.01"),
``dateReleased`` (ISO timestamp), ``count`` and ``vulnerabilities``, a list of
objects with ``cveID``, ``vendorProject``, ``product``, ``vulnerabilityName``,
``dateAdded`` and ``dueDate`` (YYYY-MM-DD), ``shortDescription``,
``requiredAction``, ``knownRansomwareCampaignUse`` ("Known" / "Unknown"),
``notes`` and, in newer releases, ``cwes``.

Under BOD 22-01 federal agencies remediate each catalogued CVE by its
``dueDate``; the FedRAMP POA&M template tracks it in columns AB-AC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from openpoam.formats.base import FormatError
from openpoam.formats.json_depth import check_bytes

MAX_BYTES = 64 * 1024 * 1024  # the real catalog is about 1.5 MB
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_RANSOMWARE = {"known": True, "unknown": False}
_TEXT_FIELDS = {"vendorProject": "vendor", "product": "product",
                "vulnerabilityName": "name", "shortDescription": "short_description",
                "requiredAction": "required_action", "notes": "notes"}


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str  # upper case: "CVE-2021-44228"
    date_added: date
    due_date: date  # BOD 22-01 remediation due date
    name: str = ""  # vulnerabilityName
    ransomware: bool | None = None  # knownRansomwareCampaignUse: Known / Unknown / absent
    vendor: str = ""
    product: str = ""
    short_description: str = ""
    required_action: str = ""
    notes: str = ""
    cwes: tuple[str, ...] = ()


@dataclass(slots=True)
class KevCatalog:
    version: str = ""
    released: datetime | None = None
    entries: dict[str, KevEntry] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, cve: object) -> bool:
        return isinstance(cve, str) and cve.strip().upper() in self.entries

    def get(self, cve: str) -> KevEntry | None:
        return self.entries.get(cve.strip().upper())

    def matches(self, cves: Iterable[str]) -> list[KevEntry]:
        found = (self.get(cve) for cve in cves)
        return sorted({entry.cve: entry for entry in found if entry}.values(),
                      key=lambda entry: (entry.due_date, entry.cve))

    def earliest_due(self, cves: Iterable[str]) -> date | None:
        """The soonest KEV due date among these CVEs: the one that caps a deadline."""
        matched = self.matches(cves)
        return matched[0].due_date if matched else None


def looks_like_kev(head: bytes) -> bool:
    """Cheap guess from the first bytes; never raises."""
    text = head[:65536].decode("utf-8", errors="replace")
    return '"vulnerabilities"' in text and ('"catalogVersion"' in text or '"cveID"' in text)


def read_kev(stream: BinaryIO, *, source: str) -> KevCatalog:
    """Parse the catalog. Raises FormatError naming the field on bad input."""
    root = _load(stream, source)
    if not isinstance(root, dict):
        raise FormatError("expected a JSON object at the top level", source=source)
    rows = root.get("vulnerabilities")
    if not isinstance(rows, list):
        raise FormatError("missing or not a list", source=source, field="vulnerabilities")
    catalog = KevCatalog(version=_optional_text(root, "catalogVersion", source),
                         released=_released(root, source))
    _check_count(root, len(rows), source)
    for index, row in enumerate(rows):
        entry = _entry(row, f"vulnerabilities[{index}]", source)
        known = catalog.entries.get(entry.cve)
        if known is None or entry.due_date < known.due_date:  # a repeat keeps the stricter date
            catalog.entries[entry.cve] = entry
    return catalog


def _load(stream: BinaryIO, source: str) -> Any:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FormatError(f"the file is larger than the limit of {MAX_BYTES:,} bytes",
                          source=source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text (byte {exc.start})", source=source) from None
    check_bytes(data, source=source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg}", source=source, line=exc.lineno) from None


def _check_count(root: dict, actual: int, source: str) -> None:
    count = root.get("count")
    if count is None:
        return
    if not isinstance(count, int) or isinstance(count, bool) or count != actual:
        raise FormatError(f"says {count!r} entries but the list holds {actual} "
                          "(truncated download?)", source=source, field="count")


def _released(root: dict, source: str) -> datetime | None:
    value = root.get("dateReleased")
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise FormatError(f"not an ISO timestamp: {value!r}", source=source, field="dateReleased")


def _entry(row: Any, where: str, source: str) -> KevEntry:
    if not isinstance(row, dict):
        raise FormatError("expected an object", source=source, field=where)
    cve = row.get("cveID")
    if not isinstance(cve, str) or not _CVE.match(cve.strip().upper()):
        raise FormatError(f"not a CVE identifier: {cve!r}", source=source,
                          field=f"{where}.cveID")
    cve = cve.strip().upper()
    texts = {attr: _optional_text(row, key, source, where) for key, attr in _TEXT_FIELDS.items()}
    return KevEntry(cve=cve, date_added=_date(row, "dateAdded", where, cve, source),
                    due_date=_date(row, "dueDate", where, cve, source),
                    ransomware=_ransomware(row, where, cve, source),
                    cwes=_cwes(row, where, cve, source), **texts)


def _date(row: dict, key: str, where: str, cve: str, source: str) -> date:
    value = row.get(key)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise FormatError(f"{cve}: expected a YYYY-MM-DD date, found {value!r}", source=source,
                      field=f"{where}.{key}")


def _ransomware(row: dict, where: str, cve: str, source: str) -> bool | None:
    value = row.get("knownRansomwareCampaignUse")
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().lower() in _RANSOMWARE:
        return _RANSOMWARE[value.strip().lower()]
    raise FormatError(f"{cve}: expected Known or Unknown, found {value!r}", source=source,
                      field=f"{where}.knownRansomwareCampaignUse")


def _cwes(row: dict, where: str, cve: str, source: str) -> tuple[str, ...]:
    value = row.get("cwes")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FormatError(f"{cve}: expected a list of CWE identifiers", source=source,
                          field=f"{where}.cwes")
    return tuple(item.strip().upper() for item in value if item.strip())


def _optional_text(row: dict, key: str, source: str, where: str = "") -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        name = f"{where}.{key}" if where else key
        raise FormatError(f"expected text, found {type(value).__name__}", source=source,
                          field=name)
    return value.strip()
