"""The web interface: pages grouped by what they show; every change goes through a service."""

from openpoam.web.views.admin_pages import approvals, org_people, system_new, system_settings
from openpoam.web.views.cmmc_grid import cmmc_assess, cmmc_preview
from openpoam.web.views.dashboard import system_dashboard
from openpoam.web.views.evidence import evidence_add
from openpoam.web.views.files import download_evidence
from openpoam.web.views.item_actions import (comment_add, item_edit, item_new, item_status,
                                             request_add, request_decide, vendor_checkin)
from openpoam.web.views.item_page import item_detail
from openpoam.web.views.items_list import bulk_change, system_items
from openpoam.web.views.milestones import milestone_add, milestone_change
from openpoam.web.views.pages import home
from openpoam.web.views.imports import (export_job, import_confirm, import_detail,
                                        import_upload, system_imports, system_job,
                                        system_job_again, system_job_download,
                                        system_job_progress)
from openpoam.web.views.checks import system_checks
from openpoam.web.views.bulk_work import work_on_items
from openpoam.web.views.saved_views import saved_view_add, saved_view_delete
from openpoam.web.views.system_pages import system_cmmc, system_export

__all__ = ["approvals", "org_people", "system_new", "system_settings", "cmmc_assess", "cmmc_preview", "import_confirm", "import_detail", "import_upload", "bulk_change", "comment_add", "download_evidence", "evidence_add", "home",
           "item_detail", "item_edit", "item_new", "item_status", "milestone_add",
           "milestone_change", "request_add", "request_decide", "system_checks", "system_cmmc",
           "system_dashboard", "system_export", "system_imports", "system_items", "vendor_checkin",
           "system_job", "system_job_again", "system_job_progress", "export_job",
           "system_job_download"]
__all__ += ["saved_view_add", "saved_view_delete", "work_on_items"]
