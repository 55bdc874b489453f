"""Exports: build the plain document once, hand it to the format's exporter, write atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpoam.formats import registry
from openpoam.tracker.documents import build_document
from openpoam.tracker.models import Role, System
from openpoam.tracker.services.actors import Actor, require


@dataclass
class ExportResult:
    items: int
    warnings: list[str]
    format_label: str
    designation: str


def export_system(actor: Actor, system: System, format_key: str, output: Path) -> ExportResult:
    require(actor, system.organization, Role.VIEWER)
    exporter = registry.default().exporter(format_key)
    document = build_document(system)
    output = Path(output)
    fd, tmp = tempfile.mkstemp(dir=output.parent or ".", prefix=f".{output.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            warnings = exporter.write(document, stream)
        os.replace(tmp, output)  # never leave half a file where the user expects a whole one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return ExportResult(items=len(document.items), warnings=list(warnings or []),
                        format_label=exporter.label, designation=system.designation_enum.label)


def export_bytes(actor: Actor, system: System, format_key: str) -> tuple[bytes, object, list[str]]:
    """For the web: the file's bytes, its exporter (media type, extension) and warnings."""
    import io

    require(actor, system.organization, Role.VIEWER)
    exporter = registry.default().exporter(format_key)
    buffer = io.BytesIO()
    warnings = exporter.write(build_document(system), buffer)
    return buffer.getvalue(), exporter, list(warnings or [])
