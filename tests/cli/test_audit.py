"""``dunops audit verify``: 0 for an intact chain; 1 naming the event edited behind the service's back."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.cli.conftest import Invoke


def _workspace(cli: Invoke) -> None:
    for email in ("owner@example.com", "bob@example.com"):
        assert cli("users", "create", "--email", email).exit_code == 0
    assert cli("workspaces", "create", "--name", "Acme", "--owner", "owner@example.com").exit_code == 0
    assert (
        cli(
            "members", "add", "--workspace", "acme", "--email", "bob@example.com", "--role", "viewer"
        ).exit_code
        == 0
    )
    assert (
        cli(
            "tokens", "create", "--email", "owner@example.com", "--workspace", "acme", "--role", "viewer"
        ).exit_code
        == 0
    )


def test_an_intact_chain_verifies(cli: Invoke) -> None:
    _workspace(cli)
    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout == "acme: 3 events verified, ok\n"
    everything = cli("audit", "verify")
    assert everything.exit_code == 0
    assert everything.stdout.splitlines() == [
        "(instance): 2 events verified, ok",
        "acme: 3 events verified, ok",
    ]


def test_an_edited_event_is_named_and_exits_1(cli: Invoke, db: Session) -> None:
    _workspace(cli)
    event_id = db.scalar(text("SELECT id FROM audit_events WHERE action = 'member.add'"))
    db.execute(
        text('UPDATE audit_events SET details = \'{"role": "owner"}\' WHERE id = :id'), {"id": event_id}
    )
    db.commit()
    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 1
    assert f"acme: broken: event #2 (id {event_id}): content does not match its hash" in verified.stderr
    assert verified.stdout == "acme: 3 events verified, 1 broken\n"
    assert cli("audit", "verify", "--workspace", "nope").exit_code == 1
