"""Keep errors raised in plain Django views in the JSON envelope (DRF views have their handler)."""
from __future__ import annotations

from typing import Callable

from django.http import HttpRequest, HttpResponse

from config.http.exceptions import json_error_response


class JsonErrorMiddleware:
    """Answer an exception escaping a non-DRF view with the error envelope, never an HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        return json_error_response(exc)
