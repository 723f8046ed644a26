"""Promise: "technical data is kept only as long as needed" — request logs (JSON lines without bodies or
secrets), error traces (shown to the user by trace id, read by operators with ``dunops errors``) and daily
usage counts per workspace, each removed after its retention by a daily job, and with its workspace."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import JobContext, registry
from dunops.privacy import retention
from dunops.security.master_key import create_key_file
from dunops.storage import usage
from dunops.storage.base import utcnow
from dunops.storage.models import ErrorTrace, UsageMetric, Workspace
from dunops.zones import zones as zone_service
from tests.cli.conftest import Invoke
from tests.workflow.support import BASE, ZONE, Team, team  # noqa: F401

SECRET = "Zq8xW3vN1pL6kT9rB2mC5yH7dF0gJ4sA"
"""A credential-looking value put in query strings, cookies and error messages."""
WWW = {"action": "upsert", "name": "api", "type": "A", "ttl": 300, "values": ["192.0.2.8"]}
ADDRESS = "ops@example.com"
LINE_FIELDS = {"time", "request_id", "method", "route", "status", "duration_ms", "workspace_id"}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    configured = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="http://testserver",
        zonefile_roots=[tmp_path],
        deletion_grace_days=0,
    )
    configured.prepare_data_dir()
    create_key_file(configured.master_key_file)
    return configured


def _flushed(app: FastAPI) -> None:
    app.state.request_log.flush()


def _lines(settings: Settings) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(settings.logs_dir.glob("requests-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def _workspace_id(db: Session, slug: str = "acme") -> int:
    found = db.scalar(select(Workspace.id).where(Workspace.slug == slug))
    db.rollback()
    assert found is not None
    return found


def test_promise_a_request_leaves_a_json_line_without_its_body_or_token(
    team: Team,  # noqa: F811
    app: FastAPI,
    settings: Settings,
    db: Session,
) -> None:
    title = "a title only the body carries"
    team.client.cookies.set("dunops_session", SECRET)
    created = team.client.post(
        f"{BASE}/changes?code={SECRET}&state=x",
        json={"zone": ZONE, "title": title, "edits": [WWW], "submit": False},
        headers={**team.author, "X-Request-ID": "promise-6-request"},
    )
    team.client.cookies.clear()
    assert created.status_code == 201, created.text
    _flushed(app)

    today = utcnow().date().isoformat()
    log_file = settings.logs_dir / f"requests-{today}.jsonl"
    assert log_file.stat().st_mode & 0o777 == 0o600
    [line] = [line for line in _lines(settings) if line["request_id"] == "promise-6-request"]
    assert set(line) == LINE_FIELDS
    assert line["method"] == "POST"
    assert line["route"] == "/api/v1/workspaces/{slug}/changes"
    assert line["status"] == 201
    assert line["workspace_id"] == _workspace_id(db)
    assert line["duration_ms"] >= 0
    assert line["time"].startswith(today)
    # Every request made so far is there, and none left its body, token, cookie or query string.
    raw = "".join(path.read_text() for path in settings.logs_dir.iterdir())
    token = team.author["Authorization"].removeprefix("Bearer ")
    for leaked in (title, token, SECRET, "code=", "example.test"):
        assert leaked not in raw
    assert [line["route"] for line in _lines(settings)][:2] == [
        "/api/v1/workspaces/{slug}/connections",
        "/api/v1/workspaces/{slug}/zones",
    ]


def test_promise_an_unexpected_error_shows_a_trace_id_that_operators_find(
    team: Team,  # noqa: F811
    app: FastAPI,
    db: Session,
    cli: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(session: Session, grant: object) -> None:
        api_key = SECRET  # a local variable: never captured
        raise RuntimeError(f"listing failed for {ADDRESS} with password={api_key} and {api_key}")

    monkeypatch.setattr(zone_service, "listing", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get(f"{BASE}/zones", headers={**team.viewer, "X-Request-ID": "promise-6-error"})
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    problem = failed.json()
    trace_id = problem["trace_id"]
    assert trace_id in problem["detail"]
    assert SECRET not in failed.text

    shown = cli("errors", "show", trace_id)
    assert shown.exit_code == 0, shown.output
    assert f"trace_id: {trace_id}" in shown.output
    assert "route: /api/v1/workspaces/{slug}/zones" in shown.output
    assert f"workspace_id: {_workspace_id(db)}" in shown.output
    assert "request_id: promise-6-error" in shown.output
    assert "Traceback (most recent call last)" in shown.output
    assert ", in broken" in shown.output
    assert "RuntimeError: listing failed for {email} with password={redacted} and {redacted}" in shown.output
    assert SECRET not in shown.output
    assert ADDRESS not in shown.output
    stored = db.scalars(select(ErrorTrace)).one()
    assert (stored.trace_id, stored.method, stored.error_type) == (trace_id, "GET", "RuntimeError")
    assert SECRET not in stored.traceback
    db.rollback()

    listed = cli("errors", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith(f"{trace_id}\t")
    assert "GET /api/v1/workspaces/{slug}/zones\tRuntimeError" in listed.output
    unknown = cli("errors", "show", "0123456789abcdef")
    assert unknown.exit_code != 0
    assert "no error trace '0123456789abcdef'" in unknown.output


def _usage(db: Session, workspace_id: int) -> dict[str, int]:
    row = db.scalars(select(UsageMetric).where(UsageMetric.workspace_id == workspace_id)).one()
    db.rollback()
    return {name: getattr(row, name) for name in usage.COUNTED} | {"day": row.day.toordinal()}


def test_promise_usage_is_counted_per_workspace_and_day(
    team: Team,  # noqa: F811
    app: FastAPI,
    db: Session,
) -> None:
    synced = team.post(team.owner, f"/zones/{ZONE}/sync")
    assert synced.status_code == 200, synced.text
    change = team.create([WWW])
    assert team.approve(change).status_code == 200
    assert team.post(team.author, f"/changes/{change['id']}/apply").status_code == 202
    team.run_jobs()
    assert team.show(change["id"])["state"] == "verified"
    conversation = team.post(team.author, "/conversations", {})
    assert conversation.status_code == 201, conversation.text
    asked = team.post(
        team.author,
        f"/conversations/{conversation.json()['id']}/messages",
        {"content": "List the MX records"},
    )
    assert asked.status_code == 200, asked.text
    assert team.client.get("/healthz").status_code == 200  # no workspace: not counted
    assert team.client.get("/api/v1/me", headers=team.owner).status_code == 200  # nor this one
    _flushed(app)

    api_calls = sum(
        1 for line in _lines(app.state.settings) if line["workspace_id"] and line["route"].startswith("/api/")
    )
    assert api_calls == 9  # connect, import, sync, create, approve, apply, show, and two to ask the agent
    assert _usage(db, _workspace_id(db)) == {
        "api_calls": api_calls,
        "syncs": 1,
        "applies": 1,
        "imports": 1,
        "agent_messages": 1,
        "day": utcnow().date().toordinal(),
    }


def test_promise_technical_data_is_removed_after_its_retention_and_with_its_workspace(
    team: Team,  # noqa: F811
    app: FastAPI,
    db: Session,
    engine: Engine,
    settings: Settings,
) -> None:
    workspace_id = _workspace_id(db)
    today = utcnow().date()
    now = utcnow()
    # Old and recent request log files, error traces and usage rows.
    for days_ago in (0, 29, 30, 45):
        path = retention.request_log_file(settings.logs_dir, today - timedelta(days=days_ago))
        path.write_text('{"route": "/healthz"}\n')
    stray = settings.logs_dir / "notes.txt"
    stray.write_text("not a request log")
    for days_ago, trace_id in ((29, "recent"), (31, "old")):
        db.add(
            ErrorTrace(
                trace_id=trace_id,
                occurred_at=now - timedelta(days=days_ago),
                error_type="RuntimeError",
                traceback="",
                workspace_id=workspace_id,
            )
        )
    for days_ago in (399, 400):
        usage.count(db, workspace_id, today - timedelta(days=days_ago), api_calls=1)
    db.commit()

    spec = registry.registered()[retention.PURGE_TECHNICAL_DATA_JOB]
    assert spec.schedule is not None
    minutes_of_a_day = [now.replace(hour=hour, minute=minute) for hour in range(24) for minute in range(60)]
    assert sum(1 for moment in minutes_of_a_day if spec.schedule(moment)) == 1  # once a day
    spec.function(JobContext(settings))

    kept_logs = sorted(path.name for path in settings.logs_dir.iterdir())
    assert kept_logs == sorted(
        [retention.request_log_file(settings.logs_dir, today - timedelta(days=d)).name for d in (0, 29)]
        + ["notes.txt"]
    )
    assert db.scalars(select(ErrorTrace.trace_id)).all() == ["recent"]
    days = sorted(today.toordinal() - day.toordinal() for day in db.scalars(select(UsageMetric.day)))
    assert days[-1] == 399
    assert 400 not in days
    db.rollback()

    # The retention is a setting, with bounds.
    shorter = settings.model_copy(update={"error_trace_days": 1, "usage_metrics_days": 1})
    with db.begin():
        removed = retention.purge_expired(db, shorter)
    assert (removed.error_traces, removed.usage_rows) == (1, 1)
    with pytest.raises(ValidationError):
        Settings(request_log_days=0)
    assert Settings().request_log_days == 30
    assert Settings().error_trace_days == 30
    assert Settings().usage_metrics_days == 400

    # A purged workspace's usage rows and traces go with it; another workspace's stay.
    db.add(ErrorTrace(trace_id="last", error_type="RuntimeError", traceback="", workspace_id=workspace_id))
    db.commit()
    _flushed(app)
    assert db.scalars(select(UsageMetric.workspace_id)).all() == [workspace_id]
    db.rollback()
    deleted = team.client.delete(BASE, headers=team.owner)
    assert deleted.status_code == 202, deleted.text
    team.run_jobs()
    assert db.scalars(select(UsageMetric)).all() == []
    assert db.scalars(select(ErrorTrace)).all() == []
