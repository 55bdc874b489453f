"""Exports: build the plain document once, hand it to the format's exporter, write atomically."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpoam.formats import registry
from openpoam.formats.oscal.vocab import paused_gc
from openpoam.tracker.documents import stream_document
from openpoam.tracker.models import System
from openpoam.tracker.services import checkpoints
from openpoam.tracker.services.actors import Actor, require
from openpoam.tracker.services.cr26_reports import REPORT_KINDS, export_report

# Exports that carry the signed checkpoint of their organization's audit trail.
CHECKPOINTED = frozenset({"oscal-json", "oscal-xml", "fedramp-xlsx", "emass-xlsx"})


@dataclass
class ExportResult:
    items: int
    warnings: list[str]
    format_label: str
    designation: str


def export_system(actor: Actor, system: System, format_key: str, output: Path,
                  **options) -> ExportResult:
    """Write the export to ``output`` atomically: never half a file where a whole one was.
    ``options`` go to the format's exporter (eMASS: ``branch``, ``custom_properties``)."""
    output = Path(output)
    fd, tmp = tempfile.mkstemp(dir=output.parent or ".", prefix=f".{output.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            result = write_export(actor, system, format_key, stream, **options)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return result


def export_bytes(actor: Actor, system: System, format_key: str,
                 **options) -> tuple[bytes, object, list[str]]:
    """For the web: the file's bytes, its exporter (media type, extension) and warnings."""
    buffer = io.BytesIO()
    result = write_export(actor, system, format_key, buffer, **options)
    known = registry.default()
    exporter = known.report_exporters.get(format_key) or known.exporter(format_key)
    return buffer.getvalue(), exporter, result.warnings


def download_name(system: System, format_key: str, extension: str, on, kind: str = "poam") -> str:
    """The file name a download gets: the system, what it is, the format when the extension
    alone does not tell it (the FedRAMP and eMASS workbooks are both .xlsx), and the date:
    ``enclave-poam-fedramp-2026-12-07.xlsx``, ``enclave-poam-2026-12-07.csv``."""
    suffix = extension.lstrip(".")
    label = format_key.removesuffix(f"-{suffix}")
    parts = [system.slug, kind] + ([label] if label != suffix else []) + [on.isoformat()]
    return "-".join(parts) + extension


def write_export(actor: Actor, system: System, format_key: str, stream,
                 **options) -> ExportResult:
    """Check the permission, build the document once and let the format's exporter write it."""
    require(actor, system.organization, "poam.export")
    if format_key in registry.default().report_exporters:  # FedRAMP CR26 reports
        return write_preview(actor, system, format_key, stream)
    exporter = registry.default().exporter(format_key)
    with paused_gc():  # a POA&M is hundreds of thousands of acyclic objects
        # An exporter that writes only why milestone dates moved says so (history="moves").
        # The items are read in chunks as the exporter goes through them (memory flat).
        document = stream_document(system, with_history=getattr(exporter, "history", True))
        document.generated_by = actor.name
        if format_key in CHECKPOINTED:
            document.checkpoint = checkpoints.for_export(
                system.organization, f"{format_key} export of {system.organization.slug}/"
                                     f"{system.slug}")
        warnings = exporter.write(document, stream, **options)
    return ExportResult(items=len(document.items), warnings=list(warnings or []),
                        format_label=exporter.label, designation=system.designation_enum.label)


def write_preview(actor: Actor, system: System, format_key: str, stream):
    """The generic export path (`openpoam export cr26-vdt`, the web's export links): a preview
    that records nothing, so the report of record stays `openpoam fedramp report`."""
    kind = {key: kind for kind, key in REPORT_KINDS.items()}[format_key]
    result = export_report(actor, system, kind, record=False)
    stream.write(result.content)
    return ExportResult(items=result.vulnerabilities, warnings=[],
                        format_label=result.exporter.label,
                        designation=system.designation_enum.label)
