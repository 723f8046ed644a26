"""One log line per request without secrets, a request id, and Prometheus metrics at ``/metrics``."""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from dunops.config import Settings
from dunops.jobs import enqueue, queue_for
from dunops.notify.message import compose

SECRET = "Zq8xW3vN1pL6kT9rB2mC5yH7dF0gJ4sA"


def _request_lines(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("event") == "request"]


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_request_is_logged_once_with_its_outcome(client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        response = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    [line] = _request_lines(logs)
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["route"] == "/healthz"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["request_id"] == "trace-42"
    assert response.headers["x-request-id"] == "trace-42"


def test_a_missing_or_malformed_request_id_is_replaced(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert replaced != "bad id\twith spaces"
    assert re.fullmatch(r"[0-9a-f]{16}", replaced)


def test_credentials_tokens_and_forms_never_reach_the_log(client: TestClient) -> None:
    client.cookies.set("dunops_session", SECRET)
    with structlog.testing.capture_logs() as logs:
        client.get(
            f"/auth/magic/{SECRET}?code={SECRET}&state=x", headers={"Authorization": f"Bearer dnp_{SECRET}"}
        )
        client.post("/auth/magic", data={"email": "ada@example.com", "password": SECRET})
        client.get(f"/no/such/page/{SECRET}")
    lines = _request_lines(logs)
    assert len(lines) == 3
    assert SECRET not in repr(logs)
    assert "ada@example.com" not in repr(logs)
    assert lines[0]["path"] == "/auth/magic/{token}"
    assert lines[0]["route"] == "/auth/magic/{token}"
    assert lines[2]["path"] == "/no/such/page/{redacted}"


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    route = "/api/v1/workspaces/{slug}"
    before = _metric("dunops_http_requests_total", method="GET", route=route, status="401")
    latency_before = _metric(
        "dunops_http_request_duration_seconds_count", method="GET", route=route, status="401"
    )
    for slug in ("alpha", "beta", "gamma"):
        assert client.get(f"/api/v1/workspaces/{slug}").status_code == 401
    client.get("/definitely/not/a/route")

    body = client.get("/metrics").text
    assert _metric("dunops_http_requests_total", method="GET", route=route, status="401") == before + 3
    assert (
        _metric("dunops_http_request_duration_seconds_count", method="GET", route=route, status="401")
        == latency_before + 3
    )
    assert 'route="/api/v1/workspaces/{slug}"' in body
    assert 'route="<unmatched>"' in body
    assert "/api/v1/workspaces/alpha" not in body, "labels use the template, not the raw path"
    assert "dunops_http_request_duration_seconds_bucket" in body


def test_metrics_count_background_jobs(client: TestClient, settings: Settings) -> None:
    before = _metric("dunops_jobs_total", job="notify.deliver_mail", outcome="succeeded")
    mail = compose(sender=settings.mail_from, to="ada@example.com", subject="s", body="b")
    enqueue(settings, "notify.deliver_mail", mail_id=mail.id, to=mail.to, raw=mail.raw)
    assert queue_for(settings).run_pending() == 1
    body = client.get("/metrics").text
    assert 'dunops_jobs_total{job="notify.deliver_mail",outcome="succeeded"}' in body
    assert _metric("dunops_jobs_total", job="notify.deliver_mail", outcome="succeeded") == before + 1


def test_a_traceback_in_console_logs_shows_no_local_variables(settings: Settings, capfd: Any) -> None:
    from dunops.cli.serve import configure_logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging(settings.model_copy(update={"log_json": False}))
    try:
        api_key = SECRET
        raise RuntimeError("the provider broke")
    except RuntimeError as error:
        structlog.get_logger("test").error("unhandled error", exc_info=error)
        assert api_key
    finally:
        structlog.reset_defaults()
        root.handlers, root.level = handlers, level
    logged = capfd.readouterr().err
    assert "the provider broke" in logged
    assert SECRET not in logged
