"""Anchore Grype JSON reports."""

from openpoam.formats.grype.importer import GrypeImporter

PLUGINS = [GrypeImporter()]
