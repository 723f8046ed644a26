"""The database out of reach: the API answers 503 with ``Retry-After`` (problem details), a browser gets
a page saying so, ``/readyz`` says which part is down, and all of it recovers without a restart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dunops.config import DatabaseOptions, Settings
from dunops.storage.database import make_engine
from dunops.web.app import create_app
from tests.zones.helpers import api_token, bearer, member


@pytest.fixture
def tight(settings: Settings, database_url: str) -> Iterator[tuple[TestClient, Engine]]:
    engine = make_engine(database_url, DatabaseOptions(pool_size=1, pool_timeout=0.5, busy_timeout=0.5))
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client, engine
    engine.dispose()


def test_a_browser_gets_a_page_and_the_probe_names_the_database(
    tight: tuple[TestClient, Engine], db: Session
) -> None:
    client, engine = tight
    user, workspace = member(db, "acme", "owner@acme.test")
    owner = bearer(api_token(db, user, workspace))
    db.commit()
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "queue": "ok"}
    held = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]  # type: ignore[attr-defined]
    try:
        page = client.get(
            "/", headers={"Accept": "text/html", "Cookie": "dunops_session=someone"}, follow_redirects=False
        )
        api = client.get("/api/v1/workspaces", headers={"Accept": "text/html", **owner})
        probe = client.get("/readyz")
    finally:
        for connection in held:
            connection.close()
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["Retry-After"].isdigit()
    assert "Back in a moment" in page.text
    assert "Nothing you did was lost" in page.text
    assert api.status_code == 503
    assert api.headers["content-type"] == "application/problem+json"
    assert probe.status_code == 503
    assert probe.json()["database"] != "ok"
    assert probe.json()["queue"] == "ok"
    assert client.get("/", headers={"Accept": "text/html"}, follow_redirects=False).status_code == 303
