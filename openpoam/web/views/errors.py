"""Error pages in the product's layout. The 404 page says the same thing whether a
thing does not exist or belongs to someone else, so it reveals nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)
