"""OpenVAS / Greenbone (GVM) report importers: XML and CSV."""

from openpoam.formats.openvas.parser import OpenvasCsvImporter, OpenvasXmlImporter

PLUGINS = [OpenvasXmlImporter(), OpenvasCsvImporter()]
