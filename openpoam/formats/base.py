"""The one small interface every file format implements.

Three roles, each a plain object with a ``key`` (used on the command line and
in the registry) and a human ``label``:

- ``ScanImporter``: a scanner or checklist file -> stream of domain records
  (``openpoam.domain.findings``). Never ORM rows, never Django settings.
- ``PoamImporter``: a POA&M file written by another tool -> ``PoamDocument``.
- ``PoamExporter``: a ``PoamDocument`` -> bytes written to a binary stream.

Every problem with the input raises ``FormatError`` naming the file and, where
known, the line, row or field; a parser never returns half a result silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, runtime_checkable

from openpoam.domain.findings import Record, Severity
from openpoam.domain.poam import PoamDocument


class FormatError(ValueError):
    """The file cannot be read as the format claims. The message is shown as is."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None,
                 field: str = ""):
        self.source = source
        self.line = line
        self.field = field
        self.detail = message
        where = source
        if line is not None:
            where = f"{where}, line {line}" if where else f"line {line}"
        if field:
            where = f"{where}, field {field!r}" if where else f"field {field!r}"
        super().__init__(f"{where}: {message}" if where else message)


class FormatWarning(UserWarning):
    """A problem an importer read past (the file is still imported); the message names
    the file and line. Scan parsers that can warn take a ``warn`` callable; without
    one they issue this Python warning."""


Warn = Callable[[str], None]

# The optional keyword arguments of ScanImporter.parse(). A scan importer names the ones
# it takes in ``options``; the import service passes only those (declared, never probed).
ASSET = "asset"  # str: what was scanned, for code and image reports that may not say
WARN = "warn"  # Warn: told of each row read past (file and line)
BRIEF_BELOW = "brief_below"  # Severity: findings below it need only identity and title
SKIP = "skip"  # Skip: findings the import will drop need only be counted (domain Skipped)
PARSE_OPTIONS = frozenset({ASSET, WARN, BRIEF_BELOW, SKIP})


@dataclass(frozen=True)
class Skip:
    """Which open findings a parser may leave out, yielding ``Skipped`` counts instead:
    those under ``below`` whose weakness ``tracked(scope, weakness_id)`` says the system
    does not track (a tracked weakness keeps its minor findings, see Digester)."""

    below: Severity
    tracked: Callable[[str, str], bool]


@runtime_checkable
class ScanImporter(Protocol):
    key: str  # "nessus", "ckl", ...
    label: str  # "Tenable Nessus (.nessus)"
    options: frozenset[str]  # which of PARSE_OPTIONS parse() accepts

    def sniff(self, head: bytes, filename: str) -> bool:
        """True when the first bytes (up to 64 KiB) look like this format.

        Must be cheap. The registry calls it and reads an exception as "no".
        """
        ...

    def parse(self, stream: BinaryIO, *, source: str, **options) -> Iterator[Record]:
        """Stream the file and yield ScanInfo, Target and Finding records.

        ``source`` is the file name, used in error messages; ``options`` are those of
        PARSE_OPTIONS this importer declares. Raises FormatError on malformed input.
        """
        ...


@dataclass
class PoamReadResult:
    """A POA&M read with the warnings about rows it read past (``read_with_warnings``)."""

    document: PoamDocument
    warnings: list[str] = field(default_factory=list)


@runtime_checkable
class PoamImporter(Protocol):
    key: str
    label: str
    streams_items: bool  # True: it is a StreamingPoamImporter (read_stream)

    def sniff(self, head: bytes, filename: str) -> bool: ...

    def read(self, stream: BinaryIO, *, source: str) -> PoamDocument:
        """Read a whole POA&M. Raises FormatError naming the row or field."""
        ...

    def read_with_warnings(self, stream: BinaryIO, *, source: str) -> PoamReadResult:
        """As read(), with the warnings about rows it read past."""
        ...


class StreamingPoamImporter(PoamImporter, Protocol):
    """A POA&M importer that can also hand its items over one at a time (``streams_items``
    is True): the document's ``items`` is then an iterator read once, and its warnings are
    complete when the items are done. Large POA&Ms are imported without being held whole."""

    def read_stream(self, stream: BinaryIO, *, source: str) -> PoamReadResult: ...


@runtime_checkable
class PoamExporter(Protocol):
    key: str  # "oscal-json", "fedramp-xlsx", "emass-xlsx", "csv"
    label: str
    media_type: str
    extension: str  # ".json", ".xlsx" ...

    def write(self, document: PoamDocument, stream: BinaryIO) -> list[str]:
        """Write the document; return warnings (rule violations worth showing)."""
        ...


@runtime_checkable
class ReportExporter(Protocol):
    """A report built from its own plain document (e.g. FedRAMP CR26 reports), not a POA&M."""

    key: str
    label: str
    media_type: str
    extension: str

    def write_report(self, report: object, stream: BinaryIO) -> list[str]:
        """Write the report; raise FormatError rather than write an invalid one."""
        ...
