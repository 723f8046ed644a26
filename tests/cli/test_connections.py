"""``dunops connections``: add (secrets from the environment, never echoed), list, test, zones, remove."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dunops.cli.main import app
from tests.cli.conftest import add_zone_files
from tests.zones.helpers import member, zone_directory

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cli")
AS_OWNER = ["--email", "owner@example.com", "--workspace", "acme"]


@pytest.fixture(autouse=True)
def owner(db: Session) -> None:
    member(db, "acme", "owner@example.com")
    db.commit()


def test_add_list_test_zones_and_remove(tmp_path: Path) -> None:
    directory = zone_directory(tmp_path)
    added = add_zone_files(directory, *AS_OWNER)
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "connection 1 added"
    tested = runner.invoke(app, ["connections", "test", *AS_OWNER, "1"])
    assert tested.exit_code == 0
    assert tested.output.startswith("ok:")
    assert runner.invoke(app, ["connections", "zones", *AS_OWNER, "1"]).output.split() == ["example.test."]
    listed = runner.invoke(app, ["connections", "list", *AS_OWNER])
    assert "zonefile\tfiles\t0 zone(s)\tok" in listed.output
    assert (
        runner.invoke(app, ["zones", "import", *AS_OWNER, "example.test", "--connection", "1"]).exit_code == 0
    )
    refused = runner.invoke(app, ["connections", "remove", *AS_OWNER, "1"])
    assert refused.exit_code == 1
    assert "detach" in refused.output
    removed = runner.invoke(app, ["connections", "remove", *AS_OWNER, "1", "--detach"])
    assert "1 zone(s) now plan-only" in removed.output


def test_secrets_come_from_the_environment_and_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNOPS_SECRET_API_KEY", "cli-secret-value-77")
    added = runner.invoke(
        app,
        [
            "connections",
            "add",
            *AS_OWNER,
            "--kind",
            "powerdns",
            "--name",
            "pdns",
            "--config",
            "url=http://127.0.0.1:1",
            "--secret",
            "api_key",
        ],
    )
    assert added.exit_code == 0, added.output
    outputs = [
        runner.invoke(app, ["connections", "list", *AS_OWNER, "--json"]).output,
        runner.invoke(app, ["connections", "test", *AS_OWNER, "1"]).output,
    ]
    assert all("cli-secret-value-77" not in output for output in outputs)
    assert '"url": "http://127.0.0.1:1"' in outputs[0]


def test_bad_input_exits_with_the_named_field() -> None:
    result = runner.invoke(app, ["connections", "add", *AS_OWNER, "--kind", "powerdns", "--name", "p"])
    assert result.exit_code == 1
    assert "config.url" in result.output
    assert "secrets.api_key" in result.output
    assert (
        runner.invoke(
            app,
            ["connections", "add", *AS_OWNER, "--kind", "zonefile", "--name", "z", "--config", "nonsense"],
        ).exit_code
        == 2
    )
    stranger = runner.invoke(
        app, ["connections", "list", "--email", "owner@example.com", "--workspace", "other"]
    )
    assert stranger.exit_code == 1
    assert "not found" in stranger.output


def test_an_id_beyond_the_database_range_is_a_usage_error() -> None:
    for command in (["connections", "test"], ["changes", "show"], ["deployments", "show"]):
        result = runner.invoke(app, [*command, *AS_OWNER, "99999999999"])
        assert result.exit_code == 2, result.output
