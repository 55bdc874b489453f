"""SARIF 2.1.0 logs from static analysis and dependency scanners."""

from openpoam.formats.sarif.parser import SarifImporter

PLUGINS = [SarifImporter()]
