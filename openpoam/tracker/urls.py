"""The web pages. All need a signed-in user (sign-in itself: openpoam/accounts/urls.py)."""

from django.urls import path

from openpoam.tracker import views
from openpoam.tracker.views import cr26 as cr26_views

urlpatterns = [
    path("", views.home, name="home"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/", views.system_items, name="system"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/items/<str:poam_id>/",
         views.item_detail, name="item"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/cmmc/", views.system_cmmc,
         name="system-cmmc"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/checks/", views.system_checks,
         name="system-checks"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/imports/", views.system_imports,
         name="system-imports"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/export/<slug:format_key>/",
         views.system_export, name="system-export"),
    # FedRAMP CR26 (VDR/VER) pages: tracker/views/cr26.py
    path("org/<slug:org_slug>/system/<slug:system_slug>/cr26/", cr26_views.cr26_dashboard,
         name="system-cr26"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/cr26/accepted/",
         cr26_views.cr26_accepted, name="system-cr26-accepted"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/cr26/v/<str:poam_id>/",
         cr26_views.cr26_vulnerability, name="system-cr26-vuln"),
    path("org/<slug:org_slug>/system/<slug:system_slug>/cr26/report/<slug:kind>/",
         cr26_views.cr26_report, name="system-cr26-report"),
    path("evidence/<uuid:evidence_uuid>/", views.download_evidence, name="evidence"),
]
