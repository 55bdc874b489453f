from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True),
         name="favicon"),
    path("", include("openpoam.api.urls")),
    path("", include("openpoam.web.urls")),
]

handler404 = "openpoam.web.views.errors.page_not_found"
# An unreachable database answers 503 with a short page or JSON (openpoam/dbguard.py).
handler500 = "openpoam.dbguard.server_error_or_unavailable"
