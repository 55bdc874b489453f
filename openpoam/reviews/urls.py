"""URLs of reviews, snapshots, metrics, the report and calendar feeds."""

from django.urls import path

from openpoam.reviews import views

SYSTEM = "org/<slug:org_slug>/system/<slug:system_slug>/"

urlpatterns = [
    path(SYSTEM + "reviews/", views.review_list, name="system-reviews"),
    path(SYSTEM + "reviews/<str:month>/", views.review_detail, name="system-review"),
    path(SYSTEM + "reviews/<str:month>/items/<str:poam_id>/", views.review_entry,
         name="system-review-entry"),
    path(SYSTEM + "snapshots/compare/", views.snapshot_compare, name="snapshot-compare"),
    path(SYSTEM + "snapshots/<int:number>/export/<slug:format_key>/", views.snapshot_export,
         name="snapshot-export"),
    path(SYSTEM + "metrics/", views.metrics_page, name="system-metrics"),
    path(SYSTEM + "report.pdf", views.report_pdf, name="system-report"),
    path(SYSTEM + "calendars/", views.calendar_feeds, name="system-calendars"),
    path("calendar/<str:feed_token>.ics", views.calendar_feed, name="calendar-feed"),
]
