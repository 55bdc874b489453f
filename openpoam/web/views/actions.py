"""What every changing view shares: POST only, signed in, and a refusal answered as a
page (403 for a missing role), never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from openpoam.tracker.services.actors import PermissionDenied

UNPROCESSABLE = 422  # the form was understood but refused: shown again with the reason


def action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return forbidden(request, str(exc))
    return require_POST(login_required(wrapped))


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/403.html", {"message": message}, status=403)


FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields around a file


def body_too_large(request: HttpRequest, limit: int) -> str:
    """A refusal message when the request announces more than ``limit`` bytes: checked
    before the body is read, so an oversized upload never lands on disk."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + FORM_OVERHEAD:
        return f"the upload is {length:,} bytes, over the limit of {limit:,} bytes"
    return ""
