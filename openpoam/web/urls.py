"""The web pages. All need a signed-in user (sign-in itself: openpoam/accounts/urls.py)."""

from django.urls import path

from openpoam.web import views
from openpoam.web.views import cr26 as cr26_views

SYSTEM = "org/<slug:org_slug>/system/<slug:system_slug>/"
ITEM = SYSTEM + "items/<str:poam_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.approvals, name="approvals"),
    path("org/<slug:org_slug>/people/", views.org_people, name="org-people"),
    path("org/<slug:org_slug>/systems/new/", views.system_new, name="system-new"),
    path(SYSTEM, views.system_items, name="system"),
    path(SYSTEM + "settings/", views.system_settings, name="system-settings"),
    path(SYSTEM + "items/new", views.item_new, name="item-new"),
    path(SYSTEM + "bulk/", views.bulk_change, name="system-bulk"),
    path(SYSTEM + "work/", views.work_on_items, name="system-work"),
    path(SYSTEM + "views/", views.saved_view_add, name="saved-view-add"),
    path(SYSTEM + "views/<int:view_id>/delete/", views.saved_view_delete,
         name="saved-view-delete"),
    path(ITEM, views.item_detail, name="item"),
    path(ITEM + "edit/", views.item_edit, name="item-edit"),
    path(ITEM + "status/", views.item_status, name="item-status"),
    path(ITEM + "vendor/", views.vendor_checkin, name="item-vendor"),
    path(ITEM + "comments/", views.comment_add, name="item-comment"),
    path(ITEM + "requests/", views.request_add, name="item-request"),
    path(ITEM + "requests/<int:request_id>/", views.request_decide, name="item-request-decide"),
    path(ITEM + "milestones/", views.milestone_add, name="item-milestone-add"),
    path(ITEM + "milestones/<int:sequence>/", views.milestone_change, name="item-milestone"),
    path(ITEM + "evidence/", views.evidence_add, name="item-evidence"),
    path(SYSTEM + "dashboard/", views.system_dashboard, name="system-dashboard"),
    path(SYSTEM + "cmmc/", views.system_cmmc, name="system-cmmc"),
    path(SYSTEM + "cmmc/assess/", views.cmmc_assess, name="system-cmmc-assess"),
    path(SYSTEM + "cmmc/assess/preview/", views.cmmc_preview, name="system-cmmc-preview"),
    path(SYSTEM + "checks/", views.system_checks, name="system-checks"),
    path(SYSTEM + "imports/", views.system_imports, name="system-imports"),
    path(SYSTEM + "imports/upload/", views.import_upload, name="system-import-upload"),
    path(SYSTEM + "imports/confirm/", views.import_confirm, name="system-import-confirm"),
    path(SYSTEM + "imports/<int:record_id>/", views.import_detail, name="system-import"),
    path(SYSTEM + "export/<slug:format_key>/", views.system_export, name="system-export"),
    # FedRAMP CR26 (VDR/VER) pages: web/views/cr26.py
    path(SYSTEM + "cr26/", cr26_views.cr26_dashboard, name="system-cr26"),
    path(SYSTEM + "cr26/accepted/", cr26_views.cr26_accepted, name="system-cr26-accepted"),
    path(SYSTEM + "cr26/v/<str:poam_id>/", cr26_views.cr26_vulnerability,
         name="system-cr26-vuln"),
    path(SYSTEM + "cr26/report/<slug:kind>/", cr26_views.cr26_report, name="system-cr26-report"),
    path("evidence/<uuid:evidence_uuid>/", views.download_evidence, name="evidence"),
]
