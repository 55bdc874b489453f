"""OWASP ZAP XML reports."""

from openpoam.formats.zap.parser import ZapImporter

PLUGINS = [ZapImporter()]
