"""Burp Suite XML issue exports."""

from openpoam.formats.burp.importer import BurpImporter

PLUGINS = [BurpImporter()]
