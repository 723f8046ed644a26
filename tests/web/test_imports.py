"""Zone imports as jobs: an uploaded file of any size or a connection's zone, stored a batch at a time
with visible progress, refused with located reasons, bounded in size, and invisible until done."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.storage.models import Role
from dunops.web.app import create_app
from dunops.zones import imports, records
from tests.web.test_load import generated_zone
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member, zone_directory

API = "/api/v1/workspaces/acme"


@pytest.fixture
def owner(db: Session) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    headers = bearer(api_token(db, user, workspace))
    db.commit()
    return headers


def _upload(client: TestClient, headers: dict[str, str], text: str, **params: str) -> Any:
    return client.post(
        f"{API}/imports/upload",
        params={"name": "big.test", "format": "bind", **params},
        content=text.encode(),
        headers={**headers, "Content-Type": "text/dns"},
    )


def test_an_uploaded_zone_is_imported_by_a_job(
    client: TestClient, owner: dict[str, str], settings: Settings
) -> None:
    response = _upload(client, owner, generated_zone("big.test.", 5_000))
    assert response.status_code == 202, response.text
    started = response.json()
    assert response.headers["Location"] == f"{API}/imports/{started['id']}"
    assert (started["state"], started["zone"], started["format"]) == ("queued", "big.test", "bind")
    assert client.get(f"{API}/zones/big.test", headers=owner).status_code == 404
    queue_for(settings).run_pending()

    done = client.get(f"{API}/imports/{started['id']}", headers=owner).json()
    assert (done["state"], done["phase"], done["done"], done["total"]) == ("succeeded", "done", 5_001, 5_001)
    zone = client.get(f"{API}/zones/big.test", headers=owner).json()
    assert zone["current_version"]["rrsets"] == 5_001
    assert zone["current_version"]["cause"] == "import"
    found = client.get(f"{API}/zones/big.test/records", params={"name": "h4999"}, headers=owner).json()
    assert found["items"][0]["values"] == ["10.0.19.135"]
    assert list(settings.imports_dir.iterdir()) == [], "the upload is removed once imported"


def test_progress_is_visible_and_the_zone_hidden_while_it_is_stored(
    client: TestClient, owner: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH", 500)
    real_insert = records.insert_all

    def slow_insert(*args: Any, **kwargs: Any) -> int:
        time.sleep(0.05)
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(records, "insert_all", slow_insert)
    started = _upload(client, owner, generated_zone("big.test.", 3_000)).json()
    worker = threading.Thread(target=queue_for(settings).run_pending)
    worker.start()
    seen: list[tuple[str, int, int]] = []
    hidden: list[tuple[bool, int]] = []

    def storing() -> bool:
        now = client.get(f"{API}/imports/{started['id']}", headers=owner).json()
        seen.append((now["phase"], now["done"], now["total"]))
        return bool(now["phase"] == "storing" and now["done"] < now["total"])

    while worker.is_alive():
        if storing():
            listed = "big.test" in [z["name"] for z in client.get(f"{API}/zones", headers=owner).json()]
            shown = client.get(f"{API}/zones/big.test", headers=owner).status_code
            if storing():  # still storing after both looks: the zone was hidden throughout
                hidden.append((listed, shown))
        time.sleep(0.02)
    worker.join()
    assert any(phase == "storing" and 0 < done < total for phase, done, total in seen), seen
    assert hidden
    assert all(not listed and shown == 409 for listed, shown in hidden), hidden
    assert client.get(f"{API}/imports/{started['id']}", headers=owner).json()["state"] == "succeeded"


def test_a_bad_file_fails_with_located_reasons_and_leaves_nothing(
    client: TestClient, owner: dict[str, str], settings: Settings
) -> None:
    bad = (
        ZONE_TEXT.replace("example.test.", "big.test.")
        + "broken 300 IN A 999.1.1.1\ncname 300 IN CNAME a\ncname 300 IN A 192.0.2.1\n"
    )
    started = _upload(client, owner, bad).json()
    queue_for(settings).run_pending()
    failed = client.get(f"{API}/imports/{started['id']}", headers=owner).json()
    assert failed["state"] == "failed"
    fields = [problem["field"] for problem in failed["problems"]]
    assert any(field.startswith("upload:9") for field in fields), failed
    assert client.get(f"{API}/zones/big.test", headers=owner).status_code == 404
    assert list(settings.imports_dir.iterdir()) == []
    again = _upload(client, owner, ZONE_TEXT.replace("example.test.", "big.test."))
    assert again.status_code == 202


def _client(settings: Settings, engine: Engine, **overrides: Any) -> TestClient:
    app: FastAPI = create_app(settings.model_copy(update=overrides), engine=engine)
    return TestClient(app)


def test_uploads_and_zones_over_their_limits_are_refused(
    owner: dict[str, str], settings: Settings, engine: Engine
) -> None:
    with _client(settings, engine, max_upload_mb=1) as small:
        response = _upload(small, owner, "; padding\n" * 120_000)
        assert response.status_code == 413, response.text
        assert "DUNOPS_MAX_UPLOAD_MB" in response.json()["detail"]
    assert list(settings.imports_dir.iterdir()) == []
    limited = settings.model_copy(update={"max_zone_rrsets": 100})
    with _client(settings, engine, max_zone_rrsets=100) as strict:
        started = _upload(strict, owner, generated_zone("big.test.", 500)).json()
        queue_for(limited).run_pending()
        failed = strict.get(f"{API}/imports/{started['id']}", headers=owner).json()
    assert failed["state"] == "failed"
    assert "at most 100" in failed["problems"][0]["message"]


def test_a_connection_zone_is_imported_by_a_job(
    client: TestClient, owner: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    directory = zone_directory(tmp_path)
    body = {"kind": "zonefile", "name": "files", "config": {"directory": str(directory)}}
    connection = client.post(f"{API}/connections", json=body, headers=owner).json()
    started = client.post(
        f"{API}/imports", json={"name": "example.test", "connection_id": connection["id"]}, headers=owner
    )
    assert started.status_code == 202, started.text
    queue_for(settings).run_pending()
    done = client.get(f"{API}/imports/{started.json()['id']}", headers=owner).json()
    assert (done["state"], done["total"]) == ("succeeded", 5)
    assert client.get(f"{API}/zones/example.test", headers=owner).json()["connection_id"] == connection["id"]


def test_other_workspaces_and_viewers_cannot_import_or_see_imports(
    client: TestClient, owner: dict[str, str], db: Session, settings: Settings
) -> None:
    started = _upload(client, owner, ZONE_TEXT.replace("example.test.", "big.test.")).json()
    user, workspace = member(db, "other", "stranger@example.com")
    stranger = bearer(api_token(db, user, workspace))
    viewer_user, acme = member(db, "acme", "viewer@example.com", Role.VIEWER)
    viewer = bearer(api_token(db, viewer_user, acme, Role.VIEWER))
    db.commit()
    assert client.get(f"{API}/imports/{started['id']}", headers=stranger).status_code == 404
    assert (
        client.get(f"/api/v1/workspaces/other/imports/{started['id']}", headers=stranger).status_code == 404
    )
    assert _upload(client, viewer, ZONE_TEXT).status_code == 403
    assert _upload(client, stranger, ZONE_TEXT).status_code == 404
    assert len(list(settings.imports_dir.iterdir())) == 1, "refused uploads leave no file"


def test_an_interrupted_import_can_be_forgotten_and_done_again(
    client: TestClient, owner: dict[str, str], db: Session, settings: Settings
) -> None:
    """A process killed mid-import leaves an ``importing`` zone: forgetting it frees the name."""
    from dunops.storage.models import Workspace, Zone

    workspace = db.query(Workspace).filter_by(slug="acme").one()
    db.add(Zone(workspace_id=workspace.id, fqdn="big.test", importing=True))
    db.commit()
    assert client.get(f"{API}/zones/big.test", headers=owner).status_code == 409
    assert _upload(client, owner, ZONE_TEXT.replace("example.test.", "big.test.")).status_code == 409
    assert client.delete(f"{API}/zones/big.test", headers=owner).status_code == 204
    started = _upload(client, owner, ZONE_TEXT.replace("example.test.", "big.test.")).json()
    queue_for(settings).run_pending()
    assert client.get(f"{API}/imports/{started['id']}", headers=owner).json()["state"] == "succeeded"


def test_importing_within_the_request_is_for_smaller_zones_and_says_so(
    client: TestClient, owner: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dunops.zones import zones

    monkeypatch.setattr(zones, "SYNC_IMPORT_RRSETS", 10)
    body = {"name": "big.test", "format": "bind", "content": generated_zone("big.test.", 20)}
    refused = client.post(f"{API}/zones", json=body, headers=owner)
    assert refused.status_code == 422
    assert "POST .../imports" in refused.json()["errors"][0]["message"]
    assert client.get(f"{API}/zones/big.test", headers=owner).status_code == 404
