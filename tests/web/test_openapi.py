"""The OpenAPI document describes what the API takes and answers: edits, plans, change requests and
deployments have schemas with examples, and no workflow route answers an undescribed object."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

BASE = "/api/v1/workspaces/{slug}"


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _answer(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    responses = document["paths"][path][method]["responses"]
    ok = next(code for code in responses if code.startswith("2"))
    return _resolve(document, responses[ok]["content"]["application/json"]["schema"])


def _property(document: dict[str, Any], schema: dict[str, Any], name: str) -> dict[str, Any]:
    found = schema["properties"][name]
    options = found.get("anyOf", [found])
    return _resolve(document, next(option for option in options if option.get("type") != "null"))


def test_an_edit_is_documented_as_upsert_or_delete_with_examples(document: dict[str, Any]) -> None:
    body = document["paths"][f"{BASE}/changes"]["post"]["requestBody"]["content"]["application/json"]
    change_in = _resolve(document, body["schema"])
    edits = _property(document, change_in, "edits")
    edit = _resolve(document, edits["items"])
    upsert, delete = edit["oneOf"]
    assert upsert["properties"]["action"]["const"] == "upsert"
    assert set(upsert["required"]) == {"action", "name", "type", "values"}
    assert upsert["properties"]["ttl"]["anyOf"][0]["maximum"] == 2147483647
    assert upsert["examples"][0]["values"] == ["192.0.2.10"]
    assert delete["properties"]["action"]["const"] == "delete"
    assert "values" not in delete["properties"]
    plan_in = document["paths"][f"{BASE}/zones/{{zone}}/plan"]["post"]["requestBody"]["content"]
    assert _property(document, _resolve(document, plan_in["application/json"]["schema"]), "edits") == edits


def test_a_change_request_answer_describes_its_revision_plan_and_deployments(
    document: dict[str, Any],
) -> None:
    change = _answer(document, f"{BASE}/changes/{{change_id}}", "get")
    assert {"state", "current_revision", "approvals", "approvals_required", "deployments"} <= set(
        change["properties"]
    )
    revision = _property(document, change, "current_revision")
    plan = _resolve(document, revision["properties"]["plan"])
    planned = _resolve(document, plan["properties"]["changes"]["items"])
    assert set(planned["properties"]["kind"]["enum"]) == {"create", "update", "delete"}
    risk = _resolve(document, revision["properties"]["risk_reasons"]["items"])
    assert set(risk["properties"]) == {"id", "code", "message"}
    deployment = _resolve(document, change["properties"]["deployments"]["items"])
    assert "verified" in deployment["properties"]["state"]["enum"]
    assert _answer(document, f"{BASE}/deployments/{{deployment_id}}", "get") == deployment
    queued = _answer(document, f"{BASE}/changes/{{change_id}}/apply", "post")
    assert "deployment" in queued["properties"]
    live = _answer(document, f"{BASE}/zones/{{zone}}/plan", "post")
    assert _resolve(document, live["properties"]["plan"]) == plan


def test_no_workflow_route_answers_an_undescribed_object(document: dict[str, Any]) -> None:
    undescribed = []
    for path, operations in document["paths"].items():
        if not path.startswith(BASE) or not any(
            part in path for part in ("/changes", "/deployments", "/plan")
        ):
            continue
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if code.startswith("2") and schema is not None:
                    resolved = _resolve(document, schema)
                    if resolved.get("type") == "object" and "properties" not in resolved:
                        undescribed.append(f"{method.upper()} {path}")
    assert undescribed == []
