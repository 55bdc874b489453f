"""CISA Known Exploited Vulnerabilities (KEV) catalog.

Not a POA&M or scan format, so it registers no plugin: callers use ``read_kev``
to look up the BOD 22-01 due date of the CVEs on an item.
"""

from openpoam.formats.kev.catalog import KevCatalog, KevEntry, looks_like_kev, read_kev

PLUGINS: list = []

__all__ = ["PLUGINS", "KevCatalog", "KevEntry", "looks_like_kev", "read_kev"]
