"""Mail written by a CLI process links to where ``dunops serve`` answers, whatever the CLI's own port."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dunops.cli.main import app
from dunops.config import Settings
from dunops.notify import recent_mails
from dunops.storage.models import Role
from tests.cli.conftest import Invoke, add_zone_files
from tests.support import free_port
from tests.zones.helpers import member, zone_directory

DUNOPS = Path(sys.executable).with_name("dunops")
OWNER = ["--email", "owner@example.com", "--workspace", "acme"]
EDITOR = ["--email", "editor@example.com", "--workspace", "acme"]
runner = CliRunner()


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``dunops serve`` on a port of its own over the test's database and data dir, without a worker."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("DUNOPS_")}
    env.update(
        DUNOPS_DATABASE_URL=settings.sqlalchemy_url,
        DUNOPS_DATA_DIR=str(settings.data_dir),
        DUNOPS_WORKER="false",
    )
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [str(DUNOPS), "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "dunops serve did not answer /healthz"
                time.sleep(0.1)
        yield base
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def test_mail_from_the_cli_links_to_the_running_server(
    cli: Invoke, served: str, db: Session, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUNOPS_PORT", raising=False)  # the CLI's own default, 8000, is not where serve is
    member(db, "acme", "owner@example.com")
    member(db, "acme", "editor@example.com", Role.EDITOR)
    db.commit()
    added = add_zone_files(zone_directory(tmp_path), *OWNER)
    assert added.exit_code == 0, added.output
    connection = added.output.split()[1]
    assert (
        runner.invoke(app, ["zones", "import", *OWNER, "example.test", "--connection", connection]).exit_code
        == 0
    )
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps([{"action": "upsert", "name": "api", "type": "A", "values": ["192.0.2.7"]}]))
    created = runner.invoke(
        app,
        [
            "changes",
            "create",
            *EDITOR,
            "example.test",
            "--title",
            "Add api",
            "--edits",
            str(edits),
            "--submit",
        ],
    )
    assert created.exit_code == 0, created.output
    plan_hash = json.loads(runner.invoke(app, ["changes", "show", *OWNER, "1", "--json"]).output)[
        "current_revision"
    ]["plan_hash"]
    assert runner.invoke(app, ["changes", "approve", *OWNER, "1", "--plan-hash", plan_hash]).exit_code == 0

    applied = runner.invoke(app, ["changes", "apply", *EDITOR, "1", "--wait"])  # runs the mail jobs here

    assert applied.exit_code == 0, applied.output
    links = [link for mail in recent_mails(settings) for link in re.findall(r"https?://\S+", mail.body)]
    assert links, [mail.body for mail in recent_mails(settings)]
    assert all(link.startswith(f"{served}/") for link in links), links
    assert httpx.get(links[0], timeout=5).status_code == 401  # the server answers there: sign in first


def test_base_url_wins_over_the_recorded_url_and_an_install_never_served_uses_its_own_port(
    settings: Settings, served: str
) -> None:
    recorded = Settings(data_dir=settings.data_dir)
    assert recorded.public_url == served
    assert Settings(data_dir=settings.data_dir, base_url="https://dns.example.com").public_url == (
        "https://dns.example.com"
    )
    assert Settings(data_dir=settings.data_dir / "elsewhere", port=8123).public_url == "http://127.0.0.1:8123"
