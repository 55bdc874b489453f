"""What every changing view shares: signed in, changes by POST only, and a refusal answered
as a page (403 for a missing role), never a traceback.

A refused form is shown again at the address it was posted to; reloading that address (a
GET) leads back to the page the form belongs to, never to an empty 405."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_http_methods

from openpoam.tracker.services.actors import PermissionDenied

UNPROCESSABLE = 422  # the form was understood but refused: shown again with the reason


def action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return redirect(page_of(request.path))
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return forbidden(request, str(exc))
    checked = require_http_methods(["GET", "HEAD", "POST"])(login_required(wrapped))
    checked.is_action = True
    return checked


def page_of(path: str) -> str:
    """The nearest address above ``path`` that is a page, not another action:
    ``.../items/POAM-2026-0001/milestones/2/`` -> ``.../items/POAM-2026-0001/``."""
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) + "/"
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if not getattr(match.func, "is_action", False):
            return candidate
    return "/"


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
