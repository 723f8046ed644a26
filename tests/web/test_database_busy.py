"""When the database cannot be had within a request's budget (the pool is empty, SQLite's write lock is
held elsewhere), the answer is a quick 503 with ``Retry-After``, never a hang or a 500, and nothing
half-done is stored."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dunops.config import DatabaseOptions, Settings
from dunops.security.master_key import create_key_file
from dunops.storage.database import make_engine
from dunops.storage.models import Workspace
from dunops.web.app import create_app
from tests.zones.helpers import api_token, bearer, member


@pytest.fixture
def owner(db: Session) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    headers = bearer(api_token(db, user, workspace))
    db.commit()
    return headers


@pytest.fixture
def tight(settings: Settings, database_url: str) -> Iterator[tuple[TestClient, Engine]]:
    """The app on an engine with one pooled connection (and one overflow) and half-second waits."""
    engine = make_engine(database_url, DatabaseOptions(pool_size=1, pool_timeout=0.5, busy_timeout=0.5))
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client, engine
    engine.dispose()


def test_an_empty_pool_answers_503_with_retry_after(
    tight: tuple[TestClient, Engine], owner: dict[str, str]
) -> None:
    client, engine = tight
    assert client.get("/api/v1/workspaces", headers=owner).status_code == 200
    held = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]  # type: ignore[attr-defined]
    try:
        started = time.monotonic()
        response = client.get("/api/v1/workspaces", headers=owner)
        assert time.monotonic() - started < 5
    finally:
        for connection in held:
            connection.close()
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert response.json()["title"] == "Service unavailable"
    assert client.get("/api/v1/workspaces", headers=owner).status_code == 200, "the pool recovers"


def test_a_write_lock_held_elsewhere_answers_503_and_stores_nothing(
    tmp_path: Path, migrated_template: Path
) -> None:
    """SQLite only: one lock serialises every writer of the database file."""
    path = tmp_path / "busy.sqlite3"
    shutil.copy(migrated_template, path)
    url = f"sqlite:///{path}"
    settings = Settings(data_dir=tmp_path / "data", database_url=url)
    settings.prepare_data_dir()
    create_key_file(settings.master_key_file)
    engine = make_engine(url, DatabaseOptions(pool_size=2, pool_timeout=0.5, busy_timeout=0.5))
    with Session(engine) as db:
        user, workspace = member(db, "acme", "owner@example.com")
        owner = bearer(api_token(db, user, workspace))
        db.commit()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            other.execute("BEGIN IMMEDIATE")  # another process writing
            started = time.monotonic()
            response = client.patch("/api/v1/workspaces/acme", json={"name": "Beta"}, headers=owner)
            assert time.monotonic() - started < 5
            reading = client.get("/api/v1/workspaces", headers=owner)
            other.execute("ROLLBACK")
            renamed = client.patch("/api/v1/workspaces/acme", json={"name": "Gamma"}, headers=owner)
            assert renamed.status_code == 200, renamed.text
        with Session(engine) as db:
            names = set(db.scalars(select(Workspace.name)))
    finally:
        other.close()
        engine.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert reading.status_code == 200, "reads never wait for a writer"
    assert names == {"Gamma"}
