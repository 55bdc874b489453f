"""SARIF 2.1.0 logs from static analysis and dependency scanners."""

from openpoam.formats.sarif.importer import SarifImporter

PLUGINS = [SarifImporter()]
