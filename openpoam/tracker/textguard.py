"""No NUL character is stored, on any database, by any interface.

PostgreSQL refuses NUL in text (a database error, a 500 page), SQLite stores it; so every
text field of every OpenPOAM model is checked once, just before it is saved, whatever wrote
it (a form, the API, the command line, an import), and the change is refused with a message
naming the field. Request fields are checked earlier by ``NulFieldMiddleware``, so a search or
a sign-in with a NUL in it never reaches a query.
"""

from __future__ import annotations

from django.db import models
from django.db.models.signals import pre_save

from openpoam.tracker.errors import ServiceError

NUL = "\x00"


def refusal(field: str) -> str:
    return f"{field}: contains a NUL character (\\x00), which cannot be stored"


def _refuse_nul(sender, instance, raw=False, **kwargs) -> None:
    if raw:  # fixtures loaded by Django itself
        return
    for field in sender._meta.concrete_fields:
        if not isinstance(field, (models.CharField, models.TextField)):
            continue
        value = getattr(instance, field.attname, None)
        if isinstance(value, str) and NUL in value:
            raise ServiceError(refusal(str(field.verbose_name)))


def check_rows(columns: list[str], rows) -> None:
    """The bulk insert paths of imports skip model signals: the same refusal for them."""
    for row in rows:
        for column, value in zip(columns, row):
            if value.__class__ is str and NUL in value:
                raise ServiceError(refusal(column))


def connect() -> None:
    """Guard every model of the product's own apps (called from the tracker's ready())."""
    from django.apps import apps

    for model in apps.get_models():
        if model.__module__.startswith("openpoam.") or model._meta.app_label in {"auth"}:
            pre_save.connect(_refuse_nul, sender=model, dispatch_uid=f"nul-{model._meta.label}")


class NulFieldMiddleware:
    """Refuse a request whose query or form fields hold a NUL character, naming the field:
    400 (422 with the API's JSON error shape under /api/). Files are read by their importers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http.multipartparser import MultiPartParserError

        try:
            field = _field_with_nul(request)
        except MultiPartParserError as exc:  # e.g. multipart/form-data without a boundary
            return _refused(request, 400, f"the request body is not valid form data ({exc})",
                            "")
        if field is None:
            return self.get_response(request)
        return _refused(request, 422 if request.path.startswith("/api/") else 400,
                        refusal(field), field)


def _refused(request, status: int, message: str, field: str):
    from django.http import HttpResponse, JsonResponse

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "field": field}, status=status)
    return HttpResponse(f"Refused: {message}.", status=status,
                        content_type="text/plain; charset=utf-8")


def _field_with_nul(request) -> str | None:
    sources = [request.GET]
    if request.method in ("POST", "PUT", "PATCH") and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.POST)
    for source in sources:
        for key, values in source.lists():
            if NUL in key:
                return "a field name"
            if any(NUL in value for value in values):
                return key
    return None
