"""Rotating the master key re-signs every chain under the new key, and only what was intact: a chain damaged
before the rotation shows the same damage afterwards, so a rotation never makes a broken trail look whole."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import access, memberships, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.audit import Finding
from dunops.config import Settings
from dunops.security.master_key import load_master_key, new_master_key_text, parse_master_key, write_key_file
from dunops.storage.models import AuditHead, Role


def _workspace(db: Session, slug: str) -> int:
    owner = Principal(user=users.create(db, f"owner@{slug}.example"))
    workspace = workspaces.create(db, owner, slug.title(), slug)
    grant = access.resolve(db, owner, slug, Permission.MEMBERS_MANAGE)
    for number in range(3):
        users.create(db, f"member{number}@{slug}.example")
        memberships.add(db, grant, f"member{number}@{slug}.example", Role.VIEWER)
    db.commit()
    return workspace.id


def _rotate(db: Session, settings: Settings) -> str:
    """Rotate as ``dunops keys rotate`` does: re-sign in one transaction, then put the new key in place."""
    text_of_new = new_master_key_text()
    new = parse_master_key(text_of_new, "new key")
    assert audit.rotate(db, load_master_key(settings), new) == 3
    db.commit()
    write_key_file(settings.master_key_file, text_of_new)
    return new.key_id


def _found(db: Session, workspace_id: int | None) -> tuple[int, list[tuple[Finding, int]]]:
    count, breaks = audit.verify(db, workspace_id)
    return count, [(item.kind, item.sequence) for item in breaks]


def test_intact_chains_verify_under_the_new_key_and_go_on_growing(db: Session, settings: Settings) -> None:
    acme, beta = _workspace(db, "acme"), _workspace(db, "beta")
    before = {row.id: row.hash for row in audit.listing(db, acme)}

    new_key_id = _rotate(db, settings)

    assert _found(db, acme) == (4, [])
    assert _found(db, beta) == (4, [])
    assert _found(db, None)[1] == []
    assert all(before[row.id] != row.hash for row in audit.listing(db, acme))
    assert {head.master_key_id for head in db.scalars(select(AuditHead))} == {new_key_id}
    audit.record(db, workspace_id=acme, actor=None, action="test.after")
    db.commit()
    assert _found(db, acme) == (5, [])


def test_damage_done_before_the_rotation_shows_in_the_same_place_after_it(
    db: Session, settings: Settings
) -> None:
    acme, beta = _workspace(db, "acme"), _workspace(db, "beta")
    db.execute(
        text("UPDATE audit_events SET target = 'forged' WHERE workspace_id = :ws AND sequence = 2"),
        {"ws": acme},
    )
    db.execute(text("DELETE FROM audit_events WHERE workspace_id = :ws AND sequence = 4"), {"ws": acme})
    db.execute(text("UPDATE audit_heads SET sequence = 2 WHERE workspace_id = :ws"), {"ws": beta})
    db.commit()
    acme_before, beta_before = _found(db, acme), _found(db, beta)
    assert acme_before == (3, [(Finding.REWRITTEN, 2), (Finding.TRUNCATED, 4)])
    assert beta_before == (4, [(Finding.HEAD, 0)])

    _rotate(db, settings)

    assert (_found(db, acme), _found(db, beta)) == (acme_before, beta_before)
