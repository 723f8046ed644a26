"""Each provider kind's connection fields: documented in the API schema by the models that check them,
and editable one at a time."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.zones.helpers import api_token, bearer, member


def _schema(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schemas: dict[str, Any] = response.json()["components"]["schemas"]
    return schemas


def test_creating_a_connection_is_documented_as_one_request_per_kind(client: TestClient) -> None:
    schemas = _schema(client)
    created = schemas["ConnectionIn"]
    assert created["discriminator"]["propertyName"] == "kind"
    assert set(created["discriminator"]["mapping"]) == {
        "zonefile",
        "powerdns",
        "rfc2136",
        "route53",
        "cloudflare",
    }
    powerdns = schemas["PowerDNSConnectionIn"]["properties"]
    assert powerdns["kind"]["const"] == "powerdns"
    assert powerdns["config"]["$ref"].endswith("/PowerDNSConfig")
    config = schemas["PowerDNSConfig"]
    assert set(config["properties"]) == {"url", "server_id", "dns_address"}
    assert config["required"] == ["url"]
    assert config["properties"]["server_id"]["default"] == "localhost"
    assert config["additionalProperties"] is False
    assert set(schemas["PowerDNSSecrets"]["properties"]) == {"api_key"}
    rfc2136 = schemas["Rfc2136Config"]["properties"]
    assert "hmac-sha256" in rfc2136["tsig_algorithm"]["enum"]


def test_changing_a_connection_documents_the_fields_each_kind_may_change(client: TestClient) -> None:
    schemas = _schema(client)
    changed = schemas["ConnectionUpdate"]["properties"]
    configs = {ref["$ref"].rsplit("/", 1)[-1] for ref in changed["config"]["anyOf"]}
    assert "PowerDNSConfigChange" in configs
    assert set(schemas["PowerDNSConfigChange"]["properties"]) == {"url", "server_id", "dns_address"}
    assert "required" not in schemas["PowerDNSConfigChange"]
    secrets = {ref["$ref"].rsplit("/", 1)[-1] for ref in changed["secrets"]["anyOf"]}
    assert "Route53SecretsChange" in secrets


def test_a_config_field_is_changed_alone_without_giving_the_secrets_again(
    client: TestClient, db: Session
) -> None:
    user, workspace = member(db, "acme", "owner@example.com")
    owner = bearer(api_token(db, user, workspace))
    db.commit()
    body = {
        "kind": "rfc2136",
        "name": "bind",
        "config": {"server": "127.0.0.1", "tsig_name": "ddns-key."},
        "secrets": {"tsig_secret": "c2VjcmV0LWtleS1ieXRlcw=="},
    }
    created = client.post("/api/v1/workspaces/acme/connections", json=body, headers=owner)
    assert created.status_code == 201, created.text
    url = f"/api/v1/workspaces/acme/connections/{created.json()['id']}"
    changed = client.patch(url, json={"config": {"zones": "a.test, B.test"}}, headers=owner)
    assert changed.status_code == 200, changed.text
    assert changed.json()["config"]["zones"] == ["a.test.", "b.test."]
    refused = client.patch(url, json={"config": {"tsig_algorithm": "sha3"}}, headers=owner)
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["config.tsig_algorithm"]
