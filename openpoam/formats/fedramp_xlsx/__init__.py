"""The FedRAMP POA&M workbook: export into the official template, import from it."""

from openpoam.formats.fedramp_xlsx.reader import FedrampXlsxImporter, WorkbookReadResult
from openpoam.formats.fedramp_xlsx.writer import FedrampXlsxExporter

PLUGINS = [FedrampXlsxExporter(), FedrampXlsxImporter()]

__all__ = ["PLUGINS", "FedrampXlsxExporter", "FedrampXlsxImporter", "WorkbookReadResult"]
