"""What an operator watches: provider calls at /metrics by kind, operation and outcome, and errors
reported to Sentry (a local fake of its envelope endpoint) without cookies, headers or bodies."""

from __future__ import annotations

import gzip
import json
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy.orm import Session

import dunops.agent.metrics
import dunops.jobs.metrics  # noqa: F401
from dunops.config import Settings
from dunops.web import sentry
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member

METRIC = "dunops_provider_call_duration_seconds_count"


def _metric(client: TestClient, line_start: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_provider_calls_are_counted_by_kind_operation_and_outcome(
    client: TestClient, db: Session, tmp_path: Path
) -> None:
    user, workspace = member(db, "acme", "owner@example.com")
    owner = bearer(api_token(db, user, workspace))
    db.commit()
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "example.test.zone").write_text(ZONE_TEXT)
    body = {"kind": "zonefile", "name": "files", "config": {"directory": str(tmp_path / "files")}}
    connection = client.post("/api/v1/workspaces/acme/connections", json=body, headers=owner).json()["id"]
    ok = f'{METRIC}{{kind="zonefile",operation="fetch",outcome="ok"}}'
    missing = f'{METRIC}{{kind="zonefile",operation="fetch",outcome="ZoneMissing"}}'
    before_ok, before_missing = _metric(client, ok), _metric(client, missing)

    for name in ("example.test", "absent.test"):
        client.post(
            "/api/v1/workspaces/acme/zones", json={"name": name, "connection_id": connection}, headers=owner
        )

    assert _metric(client, ok) == before_ok + 1
    assert _metric(client, missing) == before_missing + 1


class _Envelopes(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        type(self).received.append(data)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def sentry_server() -> Iterator[str]:
    _Envelopes.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Envelopes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_address[1]}/42"
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)
    server.shutdown()
    server.server_close()


def test_an_unhandled_error_is_reported_to_sentry_without_secrets(
    app: FastAPI, settings: Settings, sentry_server: str
) -> None:
    assert sentry.start(settings, "web") is False  # no DSN: nothing is sent anywhere
    assert sentry.start(settings.model_copy(update={"sentry_dsn": SecretStr(sentry_server)}), "web")

    def explode() -> None:
        raise RuntimeError("the disk caught fire")

    app.add_api_route("/explode", explode)
    # made at run time, so that the source lines a report quotes cannot hold them
    query, header, cookie = (f"dnp_{secrets.token_hex(8)}" for _ in range(3))
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set("dunops_session", cookie)
    answer = client.get(f"/explode?token={query}", headers={"Authorization": f"Bearer {header}"})
    assert answer.status_code == 500
    sentry_sdk.flush(timeout=5)
    sent = b"".join(_Envelopes.received)
    assert b"the disk caught fire" in sent
    assert b"RuntimeError" in sent
    for secret in (query, header, cookie):
        assert secret.encode() not in sent


def test_the_grafana_dashboard_queries_only_metrics_dunops_exports() -> None:
    exported = set()
    for family in REGISTRY.collect():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(family.type, [""])
        exported.update(family.name + suffix for suffix in suffixes)
    dashboard = json.loads((Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bdunops_[a-z_]+", target["expr"])
    }
    assert len(queried) >= 8
    assert queried <= exported, queried - exported
