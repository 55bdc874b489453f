"""When the database is unreachable, answer 503 with a short page (JSON under /api/), never
a traceback, and recover by itself when the database is back.

Django turns an exception raised anywhere in the middleware chain or a view into a call of
the 500 handler, inside the ``except`` block that caught it; this handler looks at that
exception. A connection refused, closed or cut (``OperationalError``, ``InterfaceError``)
becomes 503 with Retry-After, so a load balancer and a script know to try again; anything
else keeps the plain 500 page. Nothing here touches the database: the page is a constant.

Recovery needs no restart: Django checks the connection at the start of each request
(CONN_HEALTH_CHECKS, on for DATABASE_URL in settings.py) and drops a broken one at the end
of the request that saw it fail, so the first request after the database returns reconnects.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error

log = logging.getLogger("openpoam.database")
RETRY_AFTER_SECONDS = 10
MESSAGE = "The database is unavailable. Try again in a few seconds."

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable — OpenPOAM</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;
padding: 0 1rem"><h1>Service unavailable</h1><p>{message}</p>
<p>Nothing you entered was saved by the request that failed: send it again when the page
loads.</p></body></html>
"""


def database_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error_or_unavailable(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: 503 when the database is what failed, otherwise Django's 500 page."""
    if not database_unavailable(sys.exc_info()[1]):
        return server_error(request, *args, **kwargs)
    log.warning("database unavailable: %s %s", request.method, request.path)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE, "status": 503}, status=503)
    else:
        response = HttpResponse(PAGE.format(message=MESSAGE), status=503,
                                content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
