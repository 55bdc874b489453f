"""Qualys importers: XML (asset data report, web GUI scan) and CSV (scan report, VMDR, PCI)."""

from openpoam.formats.qualys.csv_export import QualysCsvImporter
from openpoam.formats.qualys.xml_report import QualysXmlImporter

PLUGINS = [QualysXmlImporter(), QualysCsvImporter()]
