"""The OpenAPI names client generators build on stay as checked in (tests/ops/openapi_contract.json).

API.md: `operationId`s and component schema names are contract. Adding an endpoint or a
component means adding it to the file; renaming or dropping one fails here.
"""
from __future__ import annotations

import json
from pathlib import Path

CONTRACT = json.loads((Path(__file__).parent / "openapi_contract.json").read_text())


def _schema(api) -> dict:
    resp = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_every_path_and_method_keeps_its_operation_id(api):
    schema = _schema(api)
    served = {
        f"{method.upper()} {path}": operation["operationId"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert served == CONTRACT["operations"]


def test_component_schema_names_are_unchanged(api):
    assert sorted(_schema(api)["components"]["schemas"]) == CONTRACT["components"]
