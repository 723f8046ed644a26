"""Hostile edits of the audit trail by someone who can write the database but does not hold the master key:
cutting off its end, rewriting an event and recomputing every hash the unkeyed way, deleting an event from
the middle. Each one is named by ``dunops audit verify`` (exit 1, one line per problem); an untouched trail
verifies (exit 0)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dunops.accounts import access, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.audit.digest import GENESIS, content, legacy_hash
from dunops.storage.models import AuditEvent, Role
from tests.cli.conftest import Invoke, cli  # noqa: F401

pytestmark = pytest.mark.usefixtures("cli")


@pytest.fixture
def trail(client: TestClient, db: Session) -> int:
    """Workspace "acme" with six events, all made through the API; returns its id."""
    owner = Principal(user=users.create(db, "owner@example.com"))
    workspace = workspaces.create(db, owner, "Acme")
    grant = access.resolve(db, owner, "acme", Permission.TOKENS_MANAGE)
    headers = {"Authorization": f"Bearer {tokens.create(db, grant, role=Role.OWNER).secret}"}
    db.commit()
    for name in ("Acme Two", "Acme Three", "Acme Four", "Acme Five"):
        renamed = client.patch("/api/v1/workspaces/acme", json={"name": name}, headers=headers)
        assert renamed.status_code == 200, renamed.text
    listed = client.get("/api/v1/workspaces/acme/audit", headers=headers).json()["items"]
    assert [event["sequence"] for event in listed] == [6, 5, 4, 3, 2, 1]
    return workspace.id


def _events(db: Session, workspace_id: int) -> list[Any]:
    table = AuditEvent.__table__
    return list(
        db.execute(select(table).where(table.c.workspace_id == workspace_id).order_by(table.c.sequence))
    )


def _rehash_the_old_way(db: Session, workspace_id: int, start: int) -> None:
    """What the attacker does after an edit: recompute the links and hashes from event ``start`` on with
    plain SHA-256, as the chain was hashed before it was signed."""
    previous = GENESIS
    for row in _events(db, workspace_id):
        if row.sequence >= start:
            event_hash = legacy_hash({**content(row), "previous_hash": previous})
            db.execute(
                text("UPDATE audit_events SET previous_hash = :previous, hash = :hash WHERE id = :id"),
                {"previous": previous, "hash": event_hash, "id": row.id},
            )
            previous = event_hash
        else:
            previous = row.hash
    db.commit()


def test_an_untouched_trail_verifies(trail: int, cli: Invoke) -> None:  # noqa: F811
    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout == "acme: 6 events verified, ok\n"
    assert verified.stderr == ""


def test_deleting_the_last_events_is_reported_as_truncation(trail: int, db: Session, cli: Invoke) -> None:  # noqa: F811
    db.execute(text("DELETE FROM audit_events WHERE workspace_id = :ws AND sequence > 4"), {"ws": trail})
    db.commit()
    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 1
    assert (
        verified.stderr == "acme: the chain was truncated: its head says it ends at #6, but it ends at #4\n"
    )
    assert verified.stdout == "acme: 4 events verified, 1 problem(s)\n"


def test_a_rewrite_with_every_hash_recomputed_the_old_way_is_reported(
    trail: int,
    db: Session,
    cli: Invoke,  # noqa: F811
) -> None:
    db.execute(
        text("UPDATE audit_events SET details = :details WHERE workspace_id = :ws AND sequence = 2"),
        {"details": '{"email": "bob@example.com", "role": "owner"}', "ws": trail},
    )
    _rehash_the_old_way(db, trail, start=2)
    rows = _events(db, trail)
    assert all(row.previous_hash == before.hash for before, row in itertools.pairwise(rows))
    db.rollback()  # end the read: SQLite lets one writer in at a time, and the command migrates first

    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 1
    assert verified.stderr.splitlines() == [
        "acme: events #2-#6 were rewritten: their content does not match their hashes",
        "acme: event #6 is not the event the head names (replaced)",
    ]


def test_deleting_an_event_from_the_middle_is_reported_even_with_the_links_recomputed(
    trail: int,
    db: Session,
    cli: Invoke,  # noqa: F811
) -> None:
    db.execute(text("DELETE FROM audit_events WHERE workspace_id = :ws AND sequence = 3"), {"ws": trail})
    db.commit()
    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 1
    assert verified.stderr == "acme: event #3 missing (deleted): the chain goes from #2 to #4\n"

    _rehash_the_old_way(db, trail, start=4)
    relinked = cli("audit", "verify", "--workspace", "acme")
    assert relinked.exit_code == 1
    assert relinked.stderr.splitlines() == [
        "acme: event #3 missing (deleted): the chain goes from #2 to #4",
        "acme: events #4-#6 were rewritten: their content does not match their hashes",
        "acme: event #6 is not the event the head names (replaced)",
    ]
