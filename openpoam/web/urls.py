"""Every HTML page. Who may reach each is in accounts/permissions.py (URL_PERMISSIONS): all
need a signed-in user but sign-in itself and the calendar feeds."""

from django.urls import path

from openpoam.web import views
from openpoam.web.views import cr26 as cr26_views
from openpoam.web.views import reviews as review_views
from openpoam.web.views import tokens as token_views
from openpoam.web.views.accounts import audit_trail, checkpoints, members, mfa, signin, sso
from openpoam.web.views import health, personal

SYSTEM = "org/<slug:org_slug>/system/<slug:system_slug>/"
ITEM = SYSTEM + "items/<str:poam_id>/"

urlpatterns = [
    # Sign-in, second factor, members and the audit trail: web/views/accounts/
    path("login/", signin.login_view, name="login"),
    path("login/verify/", signin.login_verify, name="login-verify"),
    path("logout/", signin.logout_view, name="logout"),  # POST only
    path("login/sso/", sso.sso_start, name="sso-start"),
    path("login/sso/callback/", sso.sso_callback, name="sso-callback"),
    path("login/card/", sso.cac_login, name="cac-login"),
    path("account/set-password/<uidb64>/<token>/", signin.set_password, name="set-password"),
    path("account/invitations/", members.invitation_list, name="invitations"),
    path("account/mfa/", mfa.mfa_status, name="mfa"),
    path("account/mfa/enrol/", mfa.mfa_enrol, name="mfa-enrol"),
    path("account/mfa/recovery-codes/", mfa.mfa_recovery, name="mfa-recovery"),
    path("account/mfa/remove/", mfa.mfa_remove, name="mfa-remove"),
    path("org/<slug:org_slug>/members/", members.member_list, name="members"),
    path("org/<slug:org_slug>/members/add/", members.member_add, name="member-add"),
    path("org/<slug:org_slug>/members/<int:user_id>/role/", members.member_role,
         name="member-role"),
    path("org/<slug:org_slug>/members/<int:user_id>/remove/", members.member_remove,
         name="member-remove"),
    path("org/<slug:org_slug>/members/<int:user_id>/unlock/", members.member_unlock,
         name="member-unlock"),
    path("org/<slug:org_slug>/settings/", members.org_settings, name="org-settings"),
    path("org/<slug:org_slug>/audit/", audit_trail.audit_trail, name="audit"),
    path("org/<slug:org_slug>/audit/public-key.pem", checkpoints.public_key,
         name="audit-public-key"),
    path("org/<slug:org_slug>/audit/checkpoint.json", checkpoints.download,
         name="audit-checkpoint"),
    path("org/<slug:org_slug>/audit/verify/", checkpoints.verify, name="audit-verify"),
    path("tokens/", token_views.token_list, name="api-tokens"),
    path("tokens/revoke/", token_views.token_revoke, name="api-token-revoke"),
    # The POA&M pages
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("requests/", views.approvals, name="approvals"),
    path("my-work/", personal.my_work, name="my-work"),
    path("me/notifications/", personal.notifications, name="notifications"),
    path("me/notifications/<int:notification_id>/open/", personal.notification_open,
         name="notification-open"),
    path("me/notifications/settings/", personal.notification_settings,
         name="notification-settings"),
    path("portfolio/", personal.portfolio, name="portfolio"),
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
    path(SYSTEM + "jobs/<uuid:job_id>/", views.system_job, name="system-job"),
    path(SYSTEM + "jobs/<uuid:job_id>/progress/", views.system_job_progress,
         name="system-job-progress"),
    path(SYSTEM + "jobs/<uuid:job_id>/again/", views.system_job_again, name="system-job-again"),
    path(SYSTEM + "jobs/<uuid:job_id>/download/", views.system_job_download,
         name="system-job-download"),
    path(SYSTEM + "exports/<str:format_key>/job/", views.export_job, name="system-export-job"),
    path(SYSTEM + "export/<slug:format_key>/", views.system_export, name="system-export"),
    # FedRAMP CR26 (VDR/VER) pages: web/views/cr26.py
    path(SYSTEM + "cr26/", cr26_views.cr26_dashboard, name="system-cr26"),
    path(SYSTEM + "cr26/accepted/", cr26_views.cr26_accepted, name="system-cr26-accepted"),
    path(SYSTEM + "cr26/v/<str:poam_id>/", cr26_views.cr26_vulnerability,
         name="system-cr26-vuln"),
    path(SYSTEM + "cr26/report/<slug:kind>/", cr26_views.cr26_report, name="system-cr26-report"),
    path("evidence/<uuid:evidence_uuid>/", views.download_evidence, name="evidence"),
    # The monthly cadence: reviews, snapshots, metrics, the report, calendar feeds.
    path(SYSTEM + "reviews/", review_views.review_list, name="system-reviews"),
    path(SYSTEM + "reviews/<str:month>/", review_views.review_detail, name="system-review"),
    path(SYSTEM + "reviews/<str:month>/items/<str:poam_id>/", review_views.review_entry,
         name="system-review-entry"),
    path(SYSTEM + "snapshots/compare/", review_views.snapshot_compare, name="snapshot-compare"),
    path(SYSTEM + "snapshots/<int:number>/export/<slug:format_key>/",
         review_views.snapshot_export, name="snapshot-export"),
    path(SYSTEM + "metrics/", review_views.metrics_page, name="system-metrics"),
    path(SYSTEM + "report.pdf", review_views.report_pdf, name="system-report"),
    path(SYSTEM + "calendars/", review_views.calendar_feeds, name="system-calendars"),
    path("calendar/<str:feed_token>.ics", review_views.calendar_feed, name="calendar-feed"),
]
