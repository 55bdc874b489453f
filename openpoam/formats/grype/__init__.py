"""Anchore Grype JSON reports."""

from openpoam.formats.grype.parser import GrypeImporter

PLUGINS = [GrypeImporter()]
