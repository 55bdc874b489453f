"""/api/v1/ (the API, its OpenAPI document and docs) and JSON 404s for anything else under
/api/. The page where people make tokens is a web page (web/views/tokens.py)."""

from functools import wraps

from django.urls import include, path, re_path

from openpoam.api import errors
from openpoam.api.main import api


def _json_405(view):
    """ninja answers a wrong method with a plain-text 405; the API answers JSON."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        refused = errors.error(405, f"{request.method} is not allowed here (allowed: {allowed}).")
        refused["Allow"] = allowed
        return refused

    return wrapper


def _api_patterns():
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _json_405(pattern.callback)
    return patterns, app_name, namespace


urlpatterns = [
    path("api/v1/", _api_patterns()),
    re_path(r"^api/", include(([re_path(r"", errors.not_found, name="not-found")], "api"))),
]
