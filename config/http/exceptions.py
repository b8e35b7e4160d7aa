"""Domain errors and the one exception handler that writes the JSON error envelope.

Every error leaves the API as `{"error": {"code", "message", "details"}}` with its status.
"""
from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django import db
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
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
        return 413, "payload_too_large", "The request body is too large.", {}, {}
    if isinstance(exc, SuspiciousOperation):
        return 400, "invalid", "The request is malformed.", {}, {}
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
