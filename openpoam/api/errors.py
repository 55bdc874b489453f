"""Every API error is JSON ``{"detail": ..., "field": ...}`` with its status code.

No HTML page and no traceback ever leaves /api/: Django's 404s, ninja's validation
errors, service refusals, bad files, oversized bodies and unexpected failures are all
turned into this one shape here.
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from openpoam import dbguard
from openpoam.formats.base import FormatError
from openpoam.tracker.services.actors import PermissionDenied, ServiceError
from openpoam.tracker.services.evidence import StoreFull
from openpoam.tracker.services.items import StaleVersion

log = logging.getLogger(__name__)
# Service messages start with the field they refuse ("scheduled_completion: ...").
_FIELD_PREFIX = re.compile(r"^([a-z_]{2,40}):\s")


class ApiError(Exception):
    def __init__(self, status: int, detail: str, field: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field


class TooLarge(ApiError):
    def __init__(self, detail: str, field: str = "") -> None:
        super().__init__(413, detail, field)


def error(status: int, detail: str, field: str = "", **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, "field": field, **extra}, status=status)


def field_of(message: str) -> str:
    match = _FIELD_PREFIX.match(message)
    return match.group(1) if match else ""


@csrf_exempt
def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """For paths under /api/ that match nothing, whatever the method: a POST changes
    nothing here, so it needs no CSRF check (which would answer Django's HTML page)."""
    return error(404, "Not found.")


def install(api: NinjaAPI, serialize_item) -> None:
    """Register the handlers; ``serialize_item`` renders the current item for a 409."""

    def handle(exc_class, status_of):
        api.add_exception_handler(exc_class, lambda request, exc: status_of(exc))

    handle(ApiError, lambda exc: error(exc.status, exc.detail, exc.field))
    handle(StaleVersion, lambda exc: error(409, str(exc), "version",
                                           current=serialize_item(exc.current)))
    handle(PermissionDenied, lambda exc: error(403, str(exc)))
    handle(StoreFull, lambda exc: error(507, str(exc), "file"))  # Insufficient Storage
    handle(ServiceError, lambda exc: error(400, str(exc), field_of(str(exc))))
    handle(FormatError, lambda exc: error(422, str(exc), "file"))
    handle(ValidationError, _validation)
    handle(AuthenticationError, lambda exc: error(401, "A valid API token is required "
                                                  "(Authorization: Bearer <token>)."))
    handle(Throttled, lambda exc: _throttled(exc))
    handle(HttpError, _http_error)
    handle(Http404, lambda exc: error(404, "Not found."))
    handle(ObjectDoesNotExist, lambda exc: error(404, "Not found."))
    handle(RequestDataTooBig, lambda exc: error(413, "The request body is too large."))
    # A value the database refuses (NUL in a path or a form field): the request's fault.
    handle(DataError, lambda exc: error(422, "A value holds characters that cannot be stored "
                                        "(such as NUL)."))
    handle(OperationalError, _unavailable)  # the database is down or cut off: retry
    handle(InterfaceError, _unavailable)
    handle(Exception, _unexpected)


def _validation(exc: ValidationError) -> JsonResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ())]
    # loc is (where, [schema name,] field, ...): drop the container names.
    field = ".".join(p for p in location if p not in ("body", "query", "path", "form", "file",
                                                      "payload", "changes", "data"))
    message = first.get("msg", "invalid input")
    unknown = [e for e in exc.errors if e.get("type") == "extra_forbidden"]
    if unknown:  # name every unknown field at once
        names = [str(e["loc"][-1]) for e in unknown]
        field = names[0]
        message = f"not a field of this request: {', '.join(names)}"
        return error(422, message, field, errors=_plain(exc.errors))
    return error(422, f"{field or 'request'}: {message}", field, errors=_plain(exc.errors))


def _plain(errors: list[dict]) -> list[dict]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in errors[:20]]


def _http_error(exc: HttpError) -> JsonResponse:
    cause = exc.__cause__  # ninja wraps what the body parser raised ("Cannot parse ...")
    if isinstance(cause, ApiError):
        return error(cause.status, cause.detail, cause.field)
    return error(exc.status_code, str(exc))


def _throttled(exc: Throttled) -> JsonResponse:
    response = error(429, "Too many requests for this token; slow down and retry.")
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


def _unavailable(exc: Exception) -> JsonResponse:
    log.warning("database unavailable: %s", str(exc).strip().splitlines()[0] if str(exc) else "")
    response = error(503, dbguard.MESSAGE)
    response["Retry-After"] = str(dbguard.RETRY_AFTER_SECONDS)
    return response


def _unexpected(exc: Exception) -> JsonResponse:
    log.exception("API request failed", exc_info=exc)
    return error(500, "The server failed to handle this request; it has been logged.")
