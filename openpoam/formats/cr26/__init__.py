"""FedRAMP CR26 reports: VER-RPT-VDT, VER-RPT-AVI and VER-TFR-MRH as JSON validated against
FedRAMP's vendored schemas, and the VER-TFR-MHR monthly summary as HTML. See README.md."""

from openpoam.formats.cr26.writer import EXPORTERS
from openpoam.formats.cr26.monthly import MonthlySummaryExporter

PLUGINS = [*EXPORTERS, MonthlySummaryExporter()]
