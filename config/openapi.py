"""drf-spectacular postprocessing: describe the error envelope every endpoint can answer with.

Views declare their success bodies with @extend_schema; the errors come from one exception
handler (config/exceptions.py), so they are added here once instead of on every view. A
response a view declares itself is kept; one declared without a body gets the envelope.
"""
from __future__ import annotations

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
    "400": "`invalid`: the input failed validation.",
    "401": "`not_authenticated`: missing, invalid or expired bearer token.",
    "404": "`not_found`",
    "503": "`service_unavailable`: Redis is unreachable; retry shortly.",
}


def _requires_token(operation: dict) -> bool:
    requirements = operation.get("security") or []
    return bool(requirements) and all(req for req in requirements)  # {} means "anonymous ok"


def _error_statuses(path: str, operation: dict) -> list[str]:
    statuses = ["503"]
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    if "requestBody" in operation or query:
        statuses.append("400")
    if _requires_token(operation):
        statuses.append("401")
    if "{" in path:
        statuses.append("404")
    return statuses


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Add the `Error` component and the error responses each operation can produce."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, operation):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                # Error statuses a view declares without a body get the envelope too.
                if status[0] in "45" and "content" not in response:
                    response["content"] = content
            operation["responses"] = dict(sorted(responses.items()))
    return result
