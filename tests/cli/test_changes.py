"""``dunops changes`` and ``dunops deployments``: the review and apply flow from the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dunops.cli.main import app
from dunops.storage.base import utcnow
from dunops.storage.models import Deployment, DeploymentState, Role
from tests.cli.conftest import add_zone_files
from tests.zones.helpers import member, zone_directory

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cli")
OWNER = ["--email", "owner@example.com", "--workspace", "acme"]
EDITOR = ["--email", "editor@example.com", "--workspace", "acme"]
VIEWER = ["--email", "viewer@example.com", "--workspace", "acme"]


@pytest.fixture
def zone_files(db: Session, tmp_path: Path) -> Path:
    member(db, "acme", "owner@example.com")
    member(db, "acme", "editor@example.com", Role.EDITOR)
    member(db, "acme", "viewer@example.com", Role.VIEWER)
    db.commit()
    directory = zone_directory(tmp_path)
    added = add_zone_files(directory, *OWNER)
    assert added.exit_code == 0, added.output
    connection = added.output.split()[1]
    imported = runner.invoke(app, ["zones", "import", *OWNER, "example.test", "--connection", connection])
    assert imported.exit_code == 0, imported.output
    return directory


def test_create_review_apply_and_roll_back(zone_files: Path, tmp_path: Path) -> None:
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
    assert created.output.startswith("#1\tpending_review\texample.test\tr1 plan ")
    assert "+api.example.test. 3600 IN A 192.0.2.7" in created.output
    shown = json.loads(runner.invoke(app, ["changes", "show", *OWNER, "1", "--json"]).output)
    plan_hash = shown["current_revision"]["plan_hash"]

    own = runner.invoke(app, ["changes", "approve", *EDITOR, "1", "--plan-hash", plan_hash])
    assert own.exit_code == 1
    assert "author" in own.output
    viewer = runner.invoke(app, ["changes", "approve", *VIEWER, "1", "--plan-hash", plan_hash])
    assert viewer.exit_code == 1
    approved = runner.invoke(app, ["changes", "approve", *OWNER, "1", "--plan-hash", plan_hash])
    assert approved.exit_code == 0, approved.output
    assert "\tapproved\t" in approved.output
    assert "#1\tapproved" in runner.invoke(app, ["changes", "list", *OWNER]).output

    applied = runner.invoke(app, ["changes", "apply", *EDITOR, "1", "--wait"])
    assert applied.exit_code == 0, applied.output
    assert applied.output.splitlines()[-1].startswith("deployment 1\tverified\tchange #1")
    assert "192.0.2.7" in (zone_files / "example.test.zone").read_text()
    assert "deployment 1\tverified" in runner.invoke(app, ["deployments", "list", *OWNER]).output
    assert json.loads(runner.invoke(app, ["deployments", "show", *OWNER, "1"]).output)["state"] == "verified"

    rollback = runner.invoke(app, ["deployments", "rollback", *OWNER, "1"])
    assert rollback.exit_code == 0, rollback.output
    assert rollback.output.startswith("#2\tpending_review")
    rejected = runner.invoke(app, ["changes", "reject", *EDITOR, "2", "--comment", "keep it"])
    assert "\trejected\t" in rejected.output


def test_reconcile_a_deployment_whose_worker_stopped_and_verify_again(
    zone_files: Path, tmp_path: Path, db: Session
) -> None:
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps([{"action": "upsert", "name": "api", "type": "A", "values": ["192.0.2.8"]}]))
    created = runner.invoke(
        app,
        ["changes", "create", *EDITOR, "example.test", "--title", "Add", "--edits", str(edits), "--submit"],
    )
    assert created.exit_code == 0, created.output
    plan_hash = json.loads(runner.invoke(app, ["changes", "show", *OWNER, "1", "--json"]).output)[
        "current_revision"
    ]["plan_hash"]
    assert runner.invoke(app, ["changes", "approve", *OWNER, "1", "--plan-hash", plan_hash]).exit_code == 0
    assert runner.invoke(app, ["changes", "apply", *EDITOR, "1"]).exit_code == 0
    # a worker took the deployment and died before writing; its lease lapsed a moment ago
    deployment = db.get(Deployment, 1)
    assert deployment is not None
    deployment.state = DeploymentState.RUNNING
    deployment.holder = "deployment:1:gone"
    deployment.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.commit()

    reconciled = runner.invoke(app, ["deployments", "reconcile", *EDITOR, "1"])
    assert reconciled.exit_code == 0, reconciled.output
    assert reconciled.output.startswith("deployment 1\tfailed\tchange #1")
    assert "nothing was written" in reconciled.output
    assert "\tapproved\t" in runner.invoke(app, ["changes", "show", *OWNER, "1"]).output
    assert "192.0.2.8" not in (zone_files / "example.test.zone").read_text()

    not_unverified = runner.invoke(app, ["deployments", "verify", *EDITOR, "1"])
    assert not_unverified.exit_code == 1
    assert "only an unverified deployment" in not_unverified.output
