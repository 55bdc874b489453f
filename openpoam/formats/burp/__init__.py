"""Burp Suite XML issue exports."""

from openpoam.formats.burp.parser import BurpImporter

PLUGINS = [BurpImporter()]
