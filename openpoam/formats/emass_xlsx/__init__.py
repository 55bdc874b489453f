"""The DoD eMASS POA&M workbook (export only), laid out by layout.json."""

from openpoam.formats.emass_xlsx.writer import EmassXlsxExporter, Layout

PLUGINS = [EmassXlsxExporter()]

__all__ = ["PLUGINS", "EmassXlsxExporter", "Layout"]
