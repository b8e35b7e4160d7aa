"""drf-spectacular postprocessing: describe the error envelope every endpoint can answer with.

Views declare their success bodies with @extend_schema; the errors come from one exception
handler (config/http/exceptions.py), so they are added here once instead of on every view. A
response a view declares itself is kept; one declared without a body gets the envelope.
Errors only one view raises (409 on register, 401 on a bad login, 403 for admin-only writes,
422 on an Idempotency-Key reuse) are declared on that view. The rules every body and query
meet (config.http.middleware: charsets, parameter count and syntax) go into the API's description.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView

ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every error response.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string", "example": "Not found."},
                "details": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

DESCRIPTIONS = {
    "400": "`invalid`: the input failed validation (a query parameter given twice or not in its syntax included).",
    "401": "`not_authenticated`: missing, invalid or expired bearer token.",
    "404": "`not_found`",
    "413": "`payload_too_large`: the body is over MAX_BODY_BYTES.",
    "415": (
        "`unsupported_media_type`: send `Content-Type: application/json` in UTF-8 (or UTF-16/UTF-32 "
        "named by `charset`), without a `Content-Encoding`."
    ),
    "429": "`rate_limited`: wait `Retry-After` seconds.",
    "503": "`service_unavailable`: Redis is unreachable; retry shortly.",
}


# A 429 always says when to come back (ratelimit.headers also sends RateLimit-* on it).
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Whole seconds to wait before trying again.",
        "required": True,
    }
}


def _requires_token(operation: dict) -> bool:
    requirements = operation.get("security") or []
    return bool(requirements) and all(req for req in requirements)  # {} means "anonymous ok"


def _views(generator) -> dict[tuple[str, str], Any]:
    """(path, method) -> the view that serves it (with its action's settings), for what they imply."""
    views = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        cls = getattr(callback, "cls", None)
        views[path, method.lower()] = cls and cls(**getattr(callback, "initkwargs", {}))
    return views


def _error_statuses(path: str, operation: dict, view: Any) -> list[str]:
    statuses = ["503"]
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    if "requestBody" in operation or query:
        statuses.append("400")
    if "requestBody" in operation:
        statuses += ["413", "415"]
    if getattr(view, "throttle_classes", None):
        statuses.append("429")
    if _requires_token(operation):
        statuses.append("401")
    if "{" in path:
        statuses.append("404")
    return statuses


def input_rules() -> str:
    """The rules every request's body and query meet (config.http.middleware), for the API's description."""
    return (
        "\n\nRequest bodies are JSON in UTF-8 (UTF-16 and UTF-32 when `charset` names them); any "
        "other charset, or a `Content-Encoding` other than `identity`, is 415 `unsupported_media_type`. "
        f"A query has at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters on any path, each "
        "parameter an operation reads is given at most once, and query integers are ASCII digits "
        "only (no sign, spaces or decimal point); anything else is 400 `invalid`."
    )


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Add the `Error` component, the error responses each operation can produce, and the input rules."""
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + input_rules()
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    views = _views(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, operation, views.get((path, method))):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            if "429" in responses:
                responses["429"].setdefault("headers", RETRY_AFTER)
            for status, response in responses.items():
                # Error statuses a view declares without a body get the envelope too.
                if status[0] in "45" and "content" not in response:
                    response["content"] = content
            operation["responses"] = dict(sorted(responses.items()))
    return result


class OpenApiYamlTextRenderer(OpenApiYamlRenderer):
    """The same YAML as `text/plain`, so a browser shows the schema instead of refusing it."""

    media_type = "text/plain"
    format = "yaml-text"
    charset = "utf-8"


class SchemaApi(SpectacularAPIView):
    """OpenAPI 3 schema: YAML or JSON by Accept (drf-spectacular), and readable text for a browser."""

    renderer_classes = [*SpectacularAPIView.renderer_classes, OpenApiYamlTextRenderer]

    def get_renderers(self):
        renderers = super().get_renderers()
        accept = self.request.META.get("HTTP_ACCEPT", "")
        if "text/html" in accept:
            renderers.sort(key=lambda r: not isinstance(r, OpenApiYamlTextRenderer))
        return renderers
