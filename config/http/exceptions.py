"""Domain errors and the one exception handler that writes the JSON error envelope.

Every error leaves the API as `{"error": {"code", "message", "details"}}` with its status.
"""
from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django import db
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions as drf
from rest_framework.response import Response

from config import metrics
from config.redis.errors import REDIS_DOWN

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain error with a stable code, an HTTP status and optional details."""

    status_code = 400
    code = "invalid"
    default_message = "The request is invalid."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class NotAuthenticated(ApplicationError):
    status_code = 401
    code = "not_authenticated"
    default_message = "Authentication is required."


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    default_message = "The resource already exists."


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Forbidden(ApplicationError):
    status_code = 403
    code = "forbidden"
    default_message = "You do not have permission to perform this action."


class IdempotencyMismatch(ApplicationError):
    status_code = 422
    code = "idempotency_mismatch"
    default_message = "This Idempotency-Key was already used with a different request body."


class RequestTimeout(ApplicationError):
    status_code = 408
    code = "request_timeout"
    default_message = "The request did not arrive in time."


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class HeadersTooLarge(ApplicationError):
    status_code = 431
    code = "headers_too_large"
    default_message = "The request headers are too large."


class TooManyRequests(ApplicationError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; try again shortly."


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    default_message = "The data store is unreachable; try again shortly."


_DRF_CODES: dict[type, str] = {
    drf.ValidationError: "invalid",
    drf.ParseError: "invalid",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "not_authenticated",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
}

# Error statuses answered without an exception (Django's own 405, DRF's plain-text 406, a 403
# page): the code and message config.http.error_pages.ErrorPageMiddleware gives their envelope, in the same
# words as the exception handler. Any other status gets its reason phrase in snake_case.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid", "The request is malformed."),
    401: ("not_authenticated", NotAuthenticated.default_message),
    403: ("forbidden", Forbidden.default_message),
    404: ("not_found", NotFound.default_message),
    405: ("method_not_allowed", 'Method "{method}" not allowed.'),
    406: ("not_acceptable", "Could not satisfy the request Accept header."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Unsupported media type in the request."),
    429: ("rate_limited", "Request was throttled."),
    500: ("internal_error", "An unexpected error occurred."),
    503: ("service_unavailable", ServiceUnavailable.default_message),
}


def status_error(status: int, method: str) -> tuple[str, str]:
    """The envelope's (code, message) for an error status that came without one."""
    if status in STATUS_ERRORS:
        code, message = STATUS_ERRORS[status]
        return code, message.format(method=method)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_"), f"{phrase}."


# The optional archive database (DATABASE_URL) unreachable: the reads that need it answer 503 too.
DATABASE_DOWN = (db.OperationalError, db.InterfaceError)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    """Return the error envelope."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _drf_details(exc: drf.APIException) -> tuple[str, dict]:
    if isinstance(exc, drf.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            return "The request is invalid.", {"fields": detail}
        return "The request is invalid.", {"errors": detail}
    return str(exc.detail), {}


def classify(exc: Exception) -> tuple[int, str, str, dict, dict[str, str]]:
    """Map any exception to (status, code, message, details, headers)."""
    if isinstance(exc, ApplicationError):
        headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status_code == 401 else {}
        return exc.status_code, exc.code, exc.message, exc.details, headers
    if isinstance(exc, drf.APIException):
        code = next((c for t, c in _DRF_CODES.items() if isinstance(exc, t)), "error")
        message, details = _drf_details(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(-(-exc.wait // 1))))
        return exc.status_code, code, message, details, headers
    if isinstance(exc, Http404):
        return 404, "not_found", "Not found.", {}, {}
    if isinstance(exc, DjangoPermissionDenied):
        return 403, "forbidden", "You do not have permission to perform this action.", {}, {}
    if isinstance(exc, RequestDataTooBig):
        return 413, PayloadTooLarge.code, PayloadTooLarge.default_message, {}, {}
    if isinstance(exc, SuspiciousOperation):
        return 400, "invalid", "The request is malformed.", {}, {}
    if isinstance(exc, MultiPartParserError):  # a form body Django cannot split (no boundary...)
        return 400, "invalid", "The form body is malformed.", {}, {}
    if isinstance(exc, REDIS_DOWN):
        logger.warning("redis unreachable: %s", exc)
        metrics.redis_error()
        return 503, "service_unavailable", ServiceUnavailable.default_message, {}, {"Retry-After": "1"}
    if isinstance(exc, DATABASE_DOWN):
        logger.warning("archive database unreachable: %s", exc)
        db.close_old_connections()
        return 503, "service_unavailable", ServiceUnavailable.default_message, {}, {"Retry-After": "1"}
    logger.exception("unexpected error", exc_info=exc)
    return 500, "internal_error", "An unexpected error occurred.", {}, {}


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: every exception becomes the JSON envelope."""
    status, code, message, details, headers = classify(exc)
    return Response(error_body(code, message, details), status=status, headers=headers)


def json_error_response(exc: Exception) -> JsonResponse:
    """Plain-Django counterpart of `exception_handler` for errors outside DRF views."""
    status, code, message, details, headers = classify(exc)
    response = JsonResponse(error_body(code, message, details), status=status)
    for name, value in headers.items():
        response[name] = value
    return response
