"""Error pages: the JSON envelope (a plain HTML page for a browser), never Django's debug page.

With DEBUG on, Django answers an exception that escapes a middleware (a disallowed Host, an
unexpected error) with its technical page, which lists the settings, `REDIS_URL` included.
`QuietExceptionReporter` (DEFAULT_EXCEPTION_REPORTER) renders nothing of it and marks the
request, and `ErrorPageMiddleware` (outermost) answers such a request with the error page instead.

Some error answers come from no exception: Django's empty `text/html` 405 (a plain view's
method decorator), DRF's plain-text 406 when no renderer suits the client (Swagger's HTML-only
view), a page of a library. `ErrorPageMiddleware` gives an API client (one that does not ask
for HTML) the envelope for any error response whose body is not JSON, keeping its status and
headers (Allow, Retry-After, cookies); a browser keeps the page. CSRF failures come through
`csrf_failure` (CSRF_FAILURE_VIEW) with Django's reason in the message.
"""
from __future__ import annotations

import html
import json
from typing import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.debug import ExceptionReporter

from config.http.csp import protect
from config.http.exceptions import classify, error_body, status_error

_ESCAPED = "_error_page_exception"


def _wants_html(request: HttpRequest) -> bool:
    """True for a browser: it asks for text/html before JSON (API clients get JSON)."""
    try:
        return request.get_preferred_type(["application/json", "text/html"]) == "text/html"
    except Exception:  # a malformed Accept header is no reason to fail the error page itself
        return False


def error_page(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """Answer an error: the JSON envelope, or a plain HTML page for a browser."""
    if _wants_html(request):
        text = html.escape(message)
        page = (
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{status} {text}</title></head><body><h1>{status}</h1><p>{text}</p>"
            f"<p><code>{html.escape(code)}</code></p></body></html>"
        )
        return protect(HttpResponse(page, status=status, content_type="text/html; charset=utf-8"))
    return JsonResponse(error_body(code, message), status=status)


class QuietExceptionReporter(ExceptionReporter):
    """Django's reporter for the debug page, rendering nothing: the request gets `error_page`."""

    def __init__(self, request, exc_type, exc_value, tb, is_email=False):
        super().__init__(request, exc_type, exc_value, tb, is_email=is_email)
        if request is not None and not is_email:
            setattr(request, _ESCAPED, exc_value)

    def get_traceback_html(self) -> str:
        if self.is_email:
            return super().get_traceback_html()
        return "<!doctype html><title>Error</title><p>An error occurred.</p>"

    def get_traceback_text(self) -> str:
        if self.is_email:
            return super().get_traceback_text()
        return json.dumps(error_body("internal_error", "An error occurred."))


class ErrorPageMiddleware:
    """Replace the response to a request whose exception reached Django's debug page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        exc = getattr(request, _ESCAPED, None)
        if exc is None:
            if response.status_code >= 400 and not _is_json(response) and not _asks_for_html(request):
                _envelope_in_place(request, response)
            return response
        status, code, message, _, headers = classify(exc)
        page = error_page(request, status, code, message)
        for name, value in headers.items():
            page[name] = value
        return page


def _asks_for_html(request: HttpRequest) -> bool:
    """A browser's Accept, or the browsable API asked for by DRF's `?format=api`."""
    return _wants_html(request) or "format=api" in request.META.get("QUERY_STRING", "")


def _is_json(response: HttpResponse) -> bool:
    media_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _envelope_in_place(request: HttpRequest, response: HttpResponse) -> None:
    """Give an error response the envelope as its body, keeping its status and other headers."""
    if response.streaming:
        return  # no error of ours streams; a library's streamed body is left as it is
    code, message = status_error(response.status_code, request.method or "")
    response.content = json.dumps(error_body(code, message), separators=(",", ":")).encode()
    response["Content-Type"] = "application/json"
    response["Content-Length"] = str(len(response.content))
    for name in ("Content-Encoding", "Content-Language", "Content-Disposition"):
        del response[name]
    patch_vary_headers(response, ("Accept",))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: 403 `forbidden` with Django's reason, instead of its HTML page."""
    message = (
        f"CSRF verification failed: {reason} Send the CSRF token of the page you came from, "
        "or authenticate with a bearer token."
    )
    return error_page(request, 403, "forbidden", message)


def bad_request(request, exception=None):
    return error_page(request, 400, "invalid", "The request is malformed.")


def permission_denied(request, exception=None):
    return error_page(request, 403, "forbidden", "You do not have permission.")


def page_not_found(request, exception=None):
    return error_page(request, 404, "not_found", "Not found.")


def server_error(request):
    return error_page(request, 500, "internal_error", "An unexpected error occurred.")
