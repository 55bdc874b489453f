"""POA&M -> CSV (UTF-8 with BOM so Excel shows accents; RFC 4180 quoting)."""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from openpoam.domain.poam import PoamDocument, PoamItemData
from openpoam.formats.cells import guard
from openpoam.formats.poam_csv.columns import DOCUMENT_COLUMNS, HEADER, ITEM_COLUMNS, encode


class CsvExporter:
    key = "csv"
    label = "POA&M as CSV (.csv)"
    media_type = "text/csv"
    extension = ".csv"

    def write(self, document: PoamDocument, stream: BinaryIO) -> list[str]:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        try:
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(HEADER)
            common = _document_cells(document)
            for item in document.items:
                writer.writerow(common + _item_cells(item))
        finally:
            text.flush()
            text.detach()  # leave the caller's stream open
        return []


def _document_cells(document: PoamDocument) -> list[str]:
    system = document.system
    values = {
        "system_name": system.name, "system_acronym": system.acronym,
        "system_organization": system.organization, "system_framework": system.framework,
        "system_impact_level": system.impact_level, "system_designation": system.designation,
        "system_uuid": system.uuid, "system_description": system.description,
        "document_uuid": document.uuid, "document_version": document.version,
        "document_generated_at": document.generated_at,
    }
    return [guard(encode(kind, values[name])) for name, kind in DOCUMENT_COLUMNS]


def _item_cells(item: PoamItemData) -> list[str]:
    return [guard(encode(kind, getattr(item, name))) for name, kind in ITEM_COLUMNS]
