"""Request bodies: their nesting depth is measured before the JSON parser reads them."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.parser import Parser

from openpoam.api.errors import ApiError
from openpoam.formats.base import FormatError
from openpoam.formats.json_depth import check_bytes


class DepthLimitedParser(Parser):
    def parse_body(self, request: HttpRequest):
        try:
            check_bytes(request.body, source="request body")
        except FormatError as exc:
            raise ApiError(422, str(exc), "body") from None
        return super().parse_body(request)
