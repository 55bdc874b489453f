"""Aqua Trivy JSON reports."""

from openpoam.formats.trivy.importer import TrivyImporter

PLUGINS = [TrivyImporter()]
