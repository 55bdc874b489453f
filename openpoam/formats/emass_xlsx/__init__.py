"""The DoD eMASS POA&M workbook: the service's official template, filled (export) and
read back (import); see data/SOURCES.md and README.md."""

from openpoam.formats.emass_xlsx.writer import BRANCHES, EmassXlsxExporter, Layout

PLUGINS = [EmassXlsxExporter()]

__all__ = ["BRANCHES", "PLUGINS", "EmassXlsxExporter", "Layout"]
