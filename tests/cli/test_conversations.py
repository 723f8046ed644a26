"""``dunops ask`` and ``dunops conversations``: the offline agent answers from the records, proposes a change
request for review, and a member's conversations are theirs to list, read and delete."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from dunops.storage.models import Role, User, UserStatus
from tests.cli.conftest import Invoke
from tests.zones.helpers import member, zone_directory

OWNER = ["--email", "owner@example.com", "--workspace", "acme"]
EDITOR = ["--email", "editor@example.com", "--workspace", "acme"]


def _zone(cli: Invoke, db: Session, tmp_path: Path) -> Path:
    member(db, "acme", "owner@example.com", Role.OWNER)
    member(db, "acme", "editor@example.com", Role.EDITOR)
    db.commit()
    directory = zone_directory(tmp_path)
    added = cli(
        "connections",
        "add",
        *OWNER,
        "--kind",
        "zonefile",
        "--name",
        "files",
        f"--config=directory={directory}",
    )
    assert added.exit_code == 0, added.output
    imported = cli("zones", "import", *OWNER, "example.test", "--connection", added.stdout.split()[1])
    assert imported.exit_code == 0, imported.output
    return directory


def test_ask_answers_from_the_records_and_keeps_the_conversation(
    cli: Invoke, db: Session, tmp_path: Path
) -> None:
    _zone(cli, db, tmp_path)
    asked = cli("ask", *EDITOR, "What does mail.example.test point to?")
    assert asked.exit_code == 0, asked.output
    assert asked.stdout.startswith("conversation 1\n")
    assert "192.0.2.25" in asked.stdout

    listed = cli("conversations", "list", *EDITOR, "--json")
    assert [row["id"] for row in json.loads(listed.stdout)] == [1]
    shown = json.loads(cli("conversations", "show", *EDITOR, 1, "--json").stdout)
    assert shown["messages"][0] == {**shown["messages"][0], "role": "user"}
    assert any(m["role"] == "tool" and m["tool"] == "find_records" for m in shown["messages"])

    assert json.loads(cli("conversations", "list", *OWNER, "--json").stdout) == []
    others = cli("conversations", "show", *OWNER, 1)
    assert others.exit_code == 1
    assert "conversation 1" in others.stderr

    deleted = cli("conversations", "delete", *EDITOR, 1)
    assert deleted.exit_code == 0, deleted.output
    assert json.loads(cli("conversations", "list", *EDITOR, "--json").stdout) == []


def test_ask_proposes_a_change_request_for_review_and_writes_nothing(
    cli: Invoke, db: Session, tmp_path: Path
) -> None:
    directory = _zone(cli, db, tmp_path)
    asked = cli("ask", *EDITOR, "Point api.example.test to 192.0.2.11")
    assert asked.exit_code == 0, asked.output
    assert "proposed change request #1 plan " in asked.stdout
    change = json.loads(cli("changes", "show", *EDITOR, 1, "--json").stdout)
    assert change["state"] == "pending_review"
    assert "192.0.2.11" not in (directory / "example.test.zone").read_text()


def test_a_suspended_member_cannot_ask(cli: Invoke, db: Session, tmp_path: Path) -> None:
    _zone(cli, db, tmp_path)
    user = db.query(User).filter_by(email="editor@example.com").one()
    user.status = UserStatus.SUSPENDED
    db.commit()
    asked = cli("ask", *EDITOR, "What does mail.example.test point to?")
    assert asked.exit_code == 1
    assert "suspended" in asked.stderr
