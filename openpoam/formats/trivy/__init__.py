"""Aqua Trivy JSON reports."""

from openpoam.formats.trivy.parser import TrivyImporter

PLUGINS = [TrivyImporter()]
