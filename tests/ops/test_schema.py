"""OpenAPI: the served schema is valid OpenAPI 3 and documents every /api/v1/ route and method,
including routes other apps add later; Swagger UI is served."""
from __future__ import annotations

import re
from pathlib import Path

from django.contrib.admindocs.views import simplify_regex
from django.core.management import call_command
from django.urls import URLResolver, get_resolver
from drf_spectacular.validation import validate_schema

PARAM = re.compile(r"<(?:[^>:]+:)?(\w+)>")
# The schemas and their UIs (OpenAPI, Swagger UI, Redoc, AsyncAPI), the browsable index of links.
NOT_DOCUMENTED = {"schema", "docs", "redoc", "asyncapi", "api-root"}


def api_routes(patterns=None, prefix: str = ""):
    """Yield (OpenAPI path, view callback) for every URL pattern under /api/v1/."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from api_routes(pattern.url_patterns, route)
        elif route.lstrip("^").startswith("api/v1/") and pattern.name not in NOT_DOCUMENTED:
            yield PARAM.sub(r"{\1}", simplify_regex(route)), pattern.callback


def view_methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)  # a viewset route: the methods its router mapped
    if actions:
        return set(actions) - {"options", "head"}
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return {"get"}  # a function view: at least its path must be documented
    return {m for m in view.http_method_names if hasattr(view, m) and m not in ("options", "head")}


def _schema(api) -> dict:
    resp = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_served_schema_is_valid_openapi(api):
    schema = _schema(api)
    validate_schema(schema)  # the OpenAPI 3 JSON-schema check drf-spectacular itself uses
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "Session token from /auth/login",
    }


def test_schema_documents_every_route_and_method(api):
    documented = _schema(api)["paths"]
    routes = list(api_routes())
    assert len(routes) >= 10
    for path, callback in routes:
        assert path in documented, f"{path} is routed but missing from the OpenAPI schema"
        missing = view_methods(callback) - set(documented[path])
        assert not missing, f"{path}: {sorted(missing)} missing from the schema"


def test_every_operation_documents_the_error_envelope(api):
    schema = _schema(api)
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"]["503"]["content"]["application/json"]["schema"] == error
            if operation.get("security") == [{"bearerAuth": []}]:
                assert "401" in operation["responses"], f"{method} {path}"


def test_schema_generates_without_warnings(tmp_path: Path):
    # `--fail-on-warn` turns any drf-spectacular warning (unknown serializer, name clash) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.")


def test_swagger_ui_is_served_and_points_at_the_schema(api):
    resp = api.get("/api/v1/docs/")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "swagger-ui" in page and '<script src="/api/v1/docs/?script="></script>' in page
    # The init script is its own resource (the page runs under a CSP with no inline script).
    script = api.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    script = script.content.decode()
    assert "/api/v1/schema/" in script
    assert "persistAuthorization" in script


def test_the_schema_states_the_input_rules(api, settings):
    schema = _schema(api)
    description = schema["info"]["description"]
    assert "UTF-8" in description and "Content-Encoding" in description
    assert f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters" in description
    assert "ASCII digits" in description
    board = {p["name"]: p for p in schema["paths"]["/api/v1/leaderboard"]["get"]["parameters"]}
    assert board["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}
    assert "Digits 0-9 only" in board["limit"]["description"] and "at most once" in board["offset"]["description"]
    register = schema["paths"]["/api/v1/auth/register"]["post"]["responses"]
    assert "UTF-8" in register["415"]["description"]
