"""The web interface: server-rendered, read-only pages behind a login."""

from openpoam.tracker.views.files import download_evidence
from openpoam.tracker.views.pages import home, item_detail, system_items

__all__ = ["download_evidence", "home", "item_detail", "system_items"]
