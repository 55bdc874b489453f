"""The web interface: server-rendered, read-only pages behind a login."""

from openpoam.tracker.views.files import download_evidence
from openpoam.tracker.views.pages import home, item_detail, system_items
from openpoam.tracker.views.system_pages import (system_checks, system_cmmc, system_export,
                                                 system_imports)

__all__ = ["download_evidence", "home", "item_detail", "system_checks", "system_cmmc",
           "system_export", "system_imports", "system_items"]
