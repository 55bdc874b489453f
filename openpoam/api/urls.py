"""/api/v1/ (the API, its OpenAPI document and docs), the token pages, and JSON 404s for
anything else under /api/."""

from django.urls import path, re_path

from openpoam.api import errors, views
from openpoam.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", errors.not_found),
    path("tokens/", views.token_list, name="api-tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
]
