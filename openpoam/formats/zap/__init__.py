"""OWASP ZAP XML reports."""

from openpoam.formats.zap.importer import ZapImporter

PLUGINS = [ZapImporter()]
