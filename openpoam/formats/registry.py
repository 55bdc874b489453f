"""The one list of formats. The CLI, the web app and the API all look here.

Formats are listed explicitly (no directory scanning): a format that fails to
import breaks loudly at start-up instead of silently disappearing, and two
formats claiming the same key is an error.
"""

from __future__ import annotations

import importlib
from functools import cache

from openpoam.formats.base import (FormatError, PoamExporter, PoamImporter, ReportExporter,
                                   ScanImporter)
from openpoam.formats.xmlsafe import root_tag

# Each module exposes a module-level ``PLUGINS`` list of importer/exporter objects.
# Order is detection order: the first importer whose sniff() accepts a file wins,
# so specific formats come first and the generic CSV mapping last.
BUILTIN_MODULES: tuple[str, ...] = (
    "openpoam.formats.nessus",
    "openpoam.formats.nessus_csv",
    "openpoam.formats.openvas",
    "openpoam.formats.qualys",
    "openpoam.formats.sarif",
    "openpoam.formats.trivy",
    "openpoam.formats.grype",
    "openpoam.formats.zap",
    "openpoam.formats.burp",
    "openpoam.formats.ckl",
    "openpoam.formats.cklb",
    "openpoam.formats.xccdf",
    "openpoam.formats.oscal",
    "openpoam.formats.fedramp_xlsx",
    "openpoam.formats.emass_xlsx",
    "openpoam.formats.poam_csv",
    "openpoam.formats.generic_csv",
    "openpoam.formats.cr26",  # FedRAMP CR26 reports (report exporters)
)


class Registry:
    def __init__(self) -> None:
        self.scan_importers: dict[str, ScanImporter] = {}
        self.poam_importers: dict[str, PoamImporter] = {}
        self.exporters: dict[str, PoamExporter] = {}
        self.report_exporters: dict[str, ReportExporter] = {}

    def add(self, plugin: object) -> None:
        added = False
        for table, role in ((self.scan_importers, ScanImporter),
                            (self.poam_importers, PoamImporter),
                            (self.exporters, PoamExporter),
                            (self.report_exporters, ReportExporter)):
            if isinstance(plugin, role):
                key = plugin.key  # type: ignore[attr-defined]
                if key in table:
                    raise ValueError(f"two formats claim the key {key!r}: "
                                     f"{table[key]!r} and {plugin!r}")
                table[key] = plugin  # type: ignore[assignment]
                added = True
        if not added:
            raise TypeError(f"{plugin!r} implements no format role")

    def detect(self, head: bytes, filename: str) -> ScanImporter | PoamImporter:
        """The one importer whose sniff() accepts this content."""
        hits = [p for p in (*self.scan_importers.values(), *self.poam_importers.values())
                if p.sniff(head, filename)]
        if not hits:
            if not head.strip():
                raise FormatError("the file is empty: there is nothing to import",
                                  source=filename)
            raise FormatError(f"the format could not be recognised ({_seen(head)}); name it "
                              f"with --format (known: {', '.join(self.importer_keys())})",
                              source=filename)
        return hits[0]

    def importer(self, key: str) -> ScanImporter | PoamImporter:
        found = self.scan_importers.get(key) or self.poam_importers.get(key)
        if found is None:
            raise FormatError(f"unknown import format {key!r} "
                              f"(known: {', '.join(self.importer_keys())})")
        return found

    def exporter(self, key: str) -> PoamExporter:
        if key not in self.exporters:
            raise FormatError(f"unknown export format {key!r} "
                              f"(known: {', '.join(sorted(self.exporters))})")
        return self.exporters[key]

    def report_exporter(self, key: str) -> ReportExporter:
        if key not in self.report_exporters:
            raise FormatError(f"unknown report format {key!r} "
                              f"(known: {', '.join(sorted(self.report_exporters))})")
        return self.report_exporters[key]

    def importer_keys(self) -> list[str]:
        return sorted({*self.scan_importers, *self.poam_importers})


def _seen(head: bytes) -> str:
    """What the start of an unrecognised file looks like, for the refusal message."""
    root = root_tag(head)
    if root:
        return f"XML whose root element <{root}> no known format has"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "JSON that matches no known format"
    return "no known format matches its content"


def build(modules: tuple[str, ...] = BUILTIN_MODULES) -> Registry:
    registry = Registry()
    for name in modules:
        for plugin in importlib.import_module(name).PLUGINS:
            registry.add(plugin)
    return registry


@cache
def default() -> Registry:
    return build()
