"""A full disk under ``dunops serve`` (its SQLite database and data dir on a small tmpfs): writes that
cannot be stored answer 5xx, never 2xx, and every object a 2xx answer named exists once there is room
again."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.security.master_key import create_key_file
from dunops.storage.database import make_engine
from tests.faults.support import seed_members
from tests.servers.dunops import DunopsServer, start_dunops
from tests.support import missing_server
from tests.zones.helpers import ZONE_TEXT

BASE = "/api/v1/workspaces/acme"
EDIT = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


@pytest.fixture
def disk(tmp_path: Path, migrated_template: Path) -> Iterator[Path]:
    """A tmpfs a little larger than the database (root only: CI runs as root; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    size = migrated_template.stat().st_size + 1_500_000
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=False)
    if mounted.returncode != 0:
        missing_server("mounting a tmpfs (root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _grow(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=200m", str(disk)], check=True)


def _served_on(disk: Path, migrated_template: Path, tmp_path: Path) -> tuple[DunopsServer, str, Settings]:
    database = disk / "dunops.sqlite3"
    shutil.copy(migrated_template, database)
    url = f"sqlite:///{database}"
    settings = Settings(data_dir=disk / "data", database_url=url)
    settings.prepare_data_dir()
    create_key_file(settings.master_key_file)
    return start_dunops(tmp_path / "served", database_url=url, data_dir=str(settings.data_dir)), url, settings


def _fill(server: DunopsServer, author: dict[str, str], attempts: int = 3000) -> tuple[list[int], list[int]]:
    """Create change requests until writes fail a while: the ids answered 201, and the other statuses."""
    created: list[int] = []
    refused: list[int] = []
    with httpx.Client(base_url=server.url + BASE, headers=author, timeout=30) as client:
        for number in range(attempts):
            body = {"zone": "example.test", "title": f"change {number} " + "x" * 150, "edits": [EDIT],
                    "description": "d" * 4000, "submit": False}  # fmt: skip
            response = client.post("/changes", json=body)
            if response.status_code == 201:
                created.append(int(response.json()["id"]))
            else:
                refused.append(response.status_code)
                if len(refused) >= 10:
                    break
    return created, refused


def test_a_full_disk_answers_5xx_and_every_2xx_answer_is_stored(
    tmp_path: Path, disk: Path, migrated_template: Path
) -> None:
    server, url, _settings = _served_on(disk, migrated_template, tmp_path)
    try:
        engine = make_engine(url)
        with Session(engine) as db:
            author, approver = seed_members(db)
        engine.dispose()
        made = httpx.post(
            f"{server.url}{BASE}/zones",
            json={"name": "example.test", "format": "bind", "content": ZONE_TEXT},
            headers=approver,
            timeout=30,
        )
        assert made.status_code == 201, made.text
        created, refused = _fill(server, author)
        print(f"\nFAULT full disk: {len(created)} changes answered 201, then {sorted(set(refused))} answers")
        assert refused, "the disk filled up"
        assert all(status >= 500 for status in refused), refused
        assert 503 in refused
        _grow(disk)
        with httpx.Client(base_url=server.url + BASE, headers=author, timeout=30) as client:
            missing = [i for i in created if client.get(f"/changes/{i}").status_code != 200]
            assert not missing, f"answered 201 but not stored: {missing}"
            again = client.post("/changes", json={"zone": "example.test", "title": "after", "edits": [EDIT]})
            assert again.status_code == 201, again.text
    finally:
        server.stop()
