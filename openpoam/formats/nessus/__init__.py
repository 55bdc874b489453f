"""Tenable Nessus .nessus (NessusClientData_v2) importer."""

from openpoam.formats.nessus.parser import NessusImporter

PLUGINS = [NessusImporter()]
