"""Small hostile input that would expand: a YAML alias bomb, a $GENERATE bomb, a body declared or streamed
past the limit, JSON nested thousands deep and a flood of problems are refused at once, with small
answers, storing nothing; and the API docs work without internet access."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.types import Message

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.web.app import MAX_BODY_BYTES, create_app
from tests.dns.test_input_bounds import alias_bomb
from tests.zones.helpers import api_token, bearer, member

API = "/api/v1/workspaces/acme"
MB = 1 << 20


@pytest.fixture
def owner(db: Session) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    headers = bearer(api_token(db, user, workspace))
    db.commit()
    return headers


def _import(client: TestClient, headers: dict[str, str], zone_format: str, content: str) -> Any:
    body = {"name": "bomb.test", "format": zone_format, "content": content}
    return client.post(f"{API}/zones", json=body, headers=headers)


def _generate_bomb(lines: int = 32) -> str:
    """About a kilobyte of zone file that would make ``lines`` times 65,536 RRsets."""
    generate = "".join(f"$GENERATE 0-65535 l{n}-$ A 192.0.2.1\n" for n in range(lines))
    return "$ORIGIN bomb.test.\n$TTL 300\n" + generate


def test_a_yaml_alias_bomb_is_refused_at_once_with_a_small_answer(
    client: TestClient, owner: dict[str, str]
) -> None:
    bomb = alias_bomb(7)  # 4.8 million strings once expanded; its values' text runs to tens of megabytes
    started = time.perf_counter()
    response = _import(client, owner, "octodns", bomb)
    assert time.perf_counter() - started < 5
    assert response.status_code == 422
    assert len(response.content) < 1_000
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("content:1:4", "yaml-anchor")]
    assert client.get(f"{API}/zones/bomb.test", headers=owner).status_code == 404


def test_a_generate_bomb_in_a_request_is_refused_with_its_line_before_anything_is_made(
    client: TestClient, owner: dict[str, str]
) -> None:
    bomb = _generate_bomb()
    assert len(bomb) < 1_200
    started = time.perf_counter()
    response = _import(client, owner, "bind", bomb)
    assert time.perf_counter() - started < 5
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "content:33", "the 31st line would pass 2,000,000 records"
    assert "more than 2,000,000 records" in error["message"]
    assert client.get(f"{API}/zones/bomb.test", headers=owner).status_code == 404


def _upload(client: TestClient, headers: dict[str, str], text: str) -> Any:
    return client.post(
        f"{API}/imports/upload",
        params={"name": "bomb.test", "format": "bind"},
        content=text.encode(),
        headers={**headers, "Content-Type": "text/dns"},
    )


def test_an_uploaded_generate_bomb_fails_its_import_with_its_line_and_stores_nothing(
    client: TestClient, owner: dict[str, str], settings: Settings
) -> None:
    started = _upload(client, owner, _generate_bomb())
    assert started.status_code == 202, started.text
    clock = time.perf_counter()
    queue_for(settings).run_pending()
    assert time.perf_counter() - clock < 5
    failed = client.get(f"{API}/imports/{started.json()['id']}", headers=owner).json()
    assert (failed["state"], failed["done"]) == ("failed", 0)
    assert [problem["field"] for problem in failed["problems"]] == ["upload:33"]
    assert client.get(f"{API}/zones/bomb.test", headers=owner).status_code == 404


def test_the_configured_zone_limit_bounds_what_generate_lines_make(
    owner: dict[str, str], settings: Settings, engine: Engine
) -> None:
    limited = settings.model_copy(update={"max_zone_rrsets": 1_000})
    text = "$ORIGIN bomb.test.\n$TTL 300\n$GENERATE 1-600 a$ A 192.0.2.1\n$GENERATE 1-600 b$ A 192.0.2.1\n"
    with TestClient(create_app(limited, engine=engine)) as client:
        started = _upload(client, owner, text).json()
        queue_for(limited).run_pending()
        failed = client.get(f"{API}/imports/{started['id']}", headers=owner).json()
    assert failed["state"] == "failed"
    [problem] = failed["problems"]
    assert problem["field"] == "upload:4"
    assert "more than 1,000 records" in problem["message"]


def test_a_body_declared_over_the_limit_is_refused_before_a_byte_is_read(
    client: TestClient, owner: dict[str, str]
) -> None:
    read: list[bytes] = []

    def body() -> Iterator[bytes]:
        read.append(b"{")
        yield b"{"

    declared = {"Content-Length": str(2 << 30), "Content-Type": "application/json"}
    response = client.post(f"{API}/zones", content=body(), headers={**owner, **declared})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert (
        response.json()["detail"] == "the request body is 2,147,483,648 bytes; at most 33,554,432 are taken"
    )
    assert read == []


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(app: FastAPI) -> None:
    """Chunks of a megabyte with no end (Transfer-Encoding: chunked): the 33rd passes 32 MB."""
    received = 0
    answer: list[Message] = []

    async def receive() -> Message:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b" " * MB, "more_body": received < 1_000}

    async def send(message: Message) -> None:
        answer.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{API}/zones",
        "raw_path": f"{API}/zones".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)
    assert received == MAX_BODY_BYTES // MB + 1
    assert answer[0]["status"] == 413
    assert b"larger than 33,554,432 bytes" in answer[1]["body"]


def test_an_upload_keeps_its_own_larger_limit(client: TestClient, owner: dict[str, str]) -> None:
    zone = "$ORIGIN big.test.\n@ 300 IN A 192.0.2.1\n" + "; padding\n" * (4 * MB)
    assert len(zone) > MAX_BODY_BYTES
    response = client.post(
        f"{API}/imports/upload",
        params={"name": "big.test", "format": "bind"},
        content=zone.encode(),
        headers={**owner, "Content-Type": "text/dns"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["upload_bytes"] == len(zone)


@pytest.mark.parametrize("depth", [65, 100_000])
def test_json_nested_too_deeply_is_refused_with_422_naming_it(
    client: TestClient, owner: dict[str, str], depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    headers = {**owner, "Content-Type": "application/json"}
    for path, body in [
        (f"{API}/zones", '{"name": "bomb.test", "content": "", "x": ' + nested + "}"),
        (f"{API}/zones/bomb.test/plan", '{"desired": {"rrsets": ' + nested + "}}"),
    ]:
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [
            {
                "field": "body",
                "message": "arrays and objects are nested more than 64 levels deep",
                "code": "json-depth",
            }
        ]
    zone = _import(client, owner, "json", '{"origin": "bomb.test.", "rrsets": ' + nested + "}")
    assert zone.status_code == 422
    assert zone.json()["errors"][0]["field"] == "content"
    assert "nested more than 64 levels deep" in zone.json()["errors"][0]["message"]


def test_a_flood_of_problems_is_answered_with_the_first_100_and_a_count(
    client: TestClient, owner: dict[str, str]
) -> None:
    bad_lines = "".join(f"h{n} 300 IN A 192.0.2.{'9' * 10_000}\n" for n in range(1_000))
    response = _import(client, owner, "bind", "$ORIGIN bomb.test.\n" + bad_lines)
    assert response.status_code == 422
    assert len(response.content) < 100_000
    answer = response.json()
    assert answer["detail"] == "content: 1000 problem(s) reading the zone file"
    assert len(answer["errors"]) == 100
    assert answer["more_errors"] == 900
    assert answer["errors"][0]["field"] == "content:2:13"
    assert all(len(error["message"]) <= 500 for error in answer["errors"])


def test_a_flood_of_validation_errors_is_answered_with_the_first_100_and_a_count(
    client: TestClient, owner: dict[str, str]
) -> None:
    body = {"plan_hash": "x", "acknowledge": list(range(1_000))}
    response = client.post(f"{API}/changes/1/approve", json=body, headers=owner)
    assert response.status_code == 422
    answer = response.json()
    assert len(answer["errors"]) == 100
    assert answer["more_errors"] == 900
    assert answer["errors"][0] == {"field": "body.acknowledge.0", "message": "Input should be a valid string"}


def test_the_api_docs_load_only_assets_this_server_serves(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
    assert sorted(references) == [
        "/api/docs/assets/favicon.png",
        "/api/docs/assets/swagger-ui-bundle.js",
        "/api/docs/assets/swagger-ui.css",
        "/api/openapi.json",
    ]
    assert "//" not in page.text.replace("://' +", "")
    for reference in references:
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 1_000, reference
    assert "SwaggerUIBundle" in client.get("/api/docs/assets/swagger-ui-bundle.js").text
