"""Generic CSV findings read through a column mapping."""

from openpoam.formats.generic_csv.parser import GenericCsvImporter
from openpoam.formats.generic_csv.mapping import Mapping

PLUGINS = [GenericCsvImporter()]

__all__ = ["GenericCsvImporter", "Mapping", "PLUGINS"]
