"""Middleware for what reaches the views: request input no view should read, and errors in the envelope.

RequestInputMiddleware runs before anything reads a body or a query (CSRF reads forms, DRF
parses JSON), so one rule holds for every view, the API's JSON and the browser login's form
alike, and a refused request reaches no view, throttle or quota:
- a body (any Content-Length or Transfer-Encoding) with a Content-Encoding other than identity,
  or naming a charset other than UTF-8/16/32 (config/http/charsets.py), unknown names included, is
  415 `unsupported_media_type`. We never decompress client input, and no other codec runs on it
  (config/http/handler.py keeps Django itself from trying one). A request without a body keeps no
  charset at all: Django would decode its query with it.
- a query of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (MAX_QUERY_FIELDS) parameters is 400
  `invalid`, on every path. Django counts them only when a view reads the query, and then the same
  way (one more than the `&`s), so a view never meets its TooManyFieldsSent.
"""
from __future__ import annotations

from typing import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from config.http.charsets import UNSUPPORTED_CHARSET, UNSUPPORTED_CODING, text_charset
from config.http.exceptions import json_error_response
from config.http.error_pages import error_page


class RequestInputMiddleware:
    """Answer 415 for a body that is not plain UTF-8/16/32 text, 400 for a query with too many fields."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_body(request.META):
            refusal = _body_refusal(request)
        else:
            refusal = None
            if request.encoding is not None:
                request.encoding = None  # no body to decode: the query is read as UTF-8 (DEFAULT_CHARSET)
        refusal = refusal or _query_refusal(request.META.get("QUERY_STRING", ""))
        if refusal is not None:
            return error_page(request, *refusal)
        return self.get_response(request)


def _has_body(meta: dict) -> bool:
    if "HTTP_TRANSFER_ENCODING" in meta:
        return True
    try:
        return int(meta.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return True  # the server framed a body Django cannot measure: judge it as one


def _body_refusal(request: HttpRequest) -> tuple[int, str, str] | None:
    if request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower() not in ("", "identity"):
        return 415, "unsupported_media_type", UNSUPPORTED_CODING
    charset = request.content_params.get("charset")
    if getattr(request, "content_type_malformed", False) or (charset is not None and text_charset(charset) is None):
        return 415, "unsupported_media_type", UNSUPPORTED_CHARSET
    return None


def _query_refusal(query: str) -> tuple[int, str, str] | None:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is not None and query and query.count("&") + 1 > limit:
        return 400, "invalid", f"A query may have at most {limit} parameters."
    return None


class JsonErrorMiddleware:
    """Answer an exception escaping a non-DRF view with the error envelope, never an HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        return json_error_response(exc)
