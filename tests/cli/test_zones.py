"""``dunops zones``: import from a file or a connection, list, show, sync with drift, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dunops.cli.main import app
from tests.cli.conftest import add_zone_files
from tests.zones.helpers import ZONE_TEXT, member, zone_directory

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cli")
AS_OWNER = ["--email", "owner@example.com", "--workspace", "acme"]


@pytest.fixture(autouse=True)
def owner(db: Session) -> None:
    member(db, "acme", "owner@example.com")
    db.commit()


def test_file_import_show_list_and_export(tmp_path: Path) -> None:
    path = tmp_path / "example.test.zone"
    path.write_text(ZONE_TEXT)
    imported = runner.invoke(app, ["zones", "import", *AS_OWNER, "example.test", "--file", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "example.test\tplan-only\tv1 (import, 5 RRsets)" in imported.output
    assert "example.test" in runner.invoke(app, ["zones", "list", *AS_OWNER]).output
    shown = runner.invoke(app, ["zones", "show", *AS_OWNER, "example.test"]).output
    assert "mail.example.test. 300 IN A 192.0.2.25" in shown
    exported = runner.invoke(app, ["zones", "export", *AS_OWNER, "example.test", "--format", "json"])
    assert len(json.loads(exported.output)["rrsets"]) == 5
    synced = runner.invoke(app, ["zones", "sync", *AS_OWNER, "example.test"])
    assert synced.exit_code == 1
    assert "plan-only" in synced.output


def test_sync_prints_the_drift(tmp_path: Path) -> None:
    directory = zone_directory(tmp_path)
    add_zone_files(directory, *AS_OWNER)
    assert (
        runner.invoke(app, ["zones", "import", *AS_OWNER, "example.test", "--connection", "1"]).exit_code == 0
    )
    assert "no drift" in runner.invoke(app, ["zones", "sync", *AS_OWNER, "example.test"]).output
    (directory / "example.test.zone").write_text(ZONE_TEXT + 'new 300 IN TXT "hello"\n')
    synced = runner.invoke(app, ["zones", "sync", *AS_OWNER, "example.test"])
    assert synced.exit_code == 0, synced.output
    assert "drift stored as version 2" in synced.output
    assert '+new.example.test. 300 IN TXT "hello"' in synced.output
    as_json = json.loads(runner.invoke(app, ["zones", "sync", *AS_OWNER, "example.test", "--json"]).output)
    assert as_json["changed"] is False


def test_a_bad_file_is_refused_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.zone"
    path.write_text(ZONE_TEXT + "x 300 IN A 300.0.0.1\ny 300 IN MX nope\n")
    result = runner.invoke(app, ["zones", "import", *AS_OWNER, "example.test", "--file", str(path)])
    assert result.exit_code == 1
    assert ":9:" in result.output
    assert ":10:" in result.output
    assert runner.invoke(app, ["zones", "import", *AS_OWNER, "example.test"]).exit_code == 2
