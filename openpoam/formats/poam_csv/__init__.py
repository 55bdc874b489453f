"""POA&M as CSV: one row per item, every field kept (see README.md)."""

from openpoam.formats.poam_csv.reader import CsvImporter, CsvReadResult
from openpoam.formats.poam_csv.writer import CsvExporter

PLUGINS = [CsvExporter(), CsvImporter()]

__all__ = ["PLUGINS", "CsvExporter", "CsvImporter", "CsvReadResult"]
