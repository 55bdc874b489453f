"""Nessus / Tenable CSV exports (Nessus Pro, Tenable.io/VM, Tenable.sc/ACAS, VM workbench)."""

from openpoam.formats.nessus_csv.parser import NessusCsvImporter

PLUGINS = [NessusCsvImporter()]
