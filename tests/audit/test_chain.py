"""The audit chain: every state change is recorded and signed under the master key, and editing, deleting or
cutting off events behind the service's back is named by ``verify``, even after later writes."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts import access, memberships, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.audit import Finding
from dunops.audit.digest import ChainKey
from dunops.config import Settings
from dunops.errors import ConfigurationError
from dunops.security.master_key import load_master_key, new_master_key_text, write_key_file
from dunops.storage.base import Base
from dunops.storage.database import make_engine, make_session_factory, transaction
from dunops.storage.models import AuditHead, Role, User


def _busy_workspace(db: Session, slug: str) -> int:
    owner = Principal(user=users.create(db, f"owner@{slug}.example"))
    workspace = workspaces.create(db, owner, slug.title(), slug)
    grant = access.resolve(db, owner, slug, Permission.MEMBERS_MANAGE)
    users.create(db, f"member@{slug}.example")
    memberships.add(db, grant, f"member@{slug}.example", Role.VIEWER)
    workspaces.rename(db, grant, f"{slug.title()} renamed")
    db.commit()
    return workspace.id


def test_an_untouched_chain_verifies_and_chains_are_per_workspace(db: Session) -> None:
    first, second = _busy_workspace(db, "first"), _busy_workspace(db, "second")
    assert audit.verify(db, first) == (3, [])
    assert audit.verify(db, second) == (3, [])
    events = audit.listing(db, first)
    assert [event.action for event in events] == ["workspace.rename", "member.add", "workspace.create"]
    assert events[0].previous_hash == events[1].hash
    instance_count, instance_breaks = audit.verify(db, None)
    assert (instance_count, instance_breaks) == (4, [])


def _breaks(db: Session, workspace_id: int | None) -> list[tuple[Finding, int]]:
    db.rollback()
    return [(item.kind, item.sequence) for item in audit.verify(db, workspace_id)[1]]


def test_an_edited_event_is_named(db: Session) -> None:
    workspace_id = _busy_workspace(db, "acme")
    event_id = db.scalar(
        text("SELECT id FROM audit_events WHERE workspace_id = :ws AND sequence = 2"), {"ws": workspace_id}
    )
    db.execute(text("UPDATE audit_events SET target = 'user:1' WHERE id = :id"), {"id": event_id})
    db.commit()
    count, breaks = audit.verify(db, workspace_id)
    assert count == 3
    assert [str(item) for item in breaks] == [
        f"event #2 (id {event_id}) was rewritten: its content does not match its hash"
    ]


def test_a_deleted_event_is_named_as_missing(db: Session) -> None:
    workspace_id = _busy_workspace(db, "acme")
    db.execute(
        text("DELETE FROM audit_events WHERE workspace_id = :ws AND sequence = 2"), {"ws": workspace_id}
    )
    db.commit()
    count, breaks = audit.verify(db, workspace_id)
    assert count == 2
    assert [str(item) for item in breaks] == ["event #2 missing (deleted): the chain goes from #1 to #3"]


def test_a_head_is_signed_and_moves_with_every_commit(db: Session, settings: Settings) -> None:
    workspace_id = _busy_workspace(db, "acme")
    key = ChainKey.of(load_master_key(settings))
    head = db.scalars(select(AuditHead).where(AuditHead.workspace_id == workspace_id)).one()
    last = audit.listing(db, workspace_id, limit=1)[0]
    assert (head.sequence, head.hash, head.master_key_id) == (3, last.hash, key.master_key_id)
    assert key.signs_head(workspace_id, head.sequence, head.hash, head.mac)
    audit.record(db, workspace_id=workspace_id, actor=None, action="test.more")
    db.commit()
    db.refresh(head)
    assert head.sequence == 4


def test_deleting_the_last_events_is_named_as_truncation_and_stays_visible_after_more_writes(
    db: Session,
) -> None:
    workspace_id = _busy_workspace(db, "acme")
    db.execute(
        text("DELETE FROM audit_events WHERE workspace_id = :ws AND sequence > 1"), {"ws": workspace_id}
    )
    db.commit()
    assert _breaks(db, workspace_id) == [(Finding.TRUNCATED, 2)]
    assert "its head says it ends at #3, but it ends at #1" in str(audit.verify(db, workspace_id)[1][0])

    audit.record(db, workspace_id=workspace_id, actor=None, action="test.after")
    db.commit()
    assert _breaks(db, workspace_id) == [(Finding.MISSING, 2)]
    assert audit.listing(db, workspace_id, limit=1)[0].sequence == 4


def test_a_deleted_head_is_named_and_the_next_write_records_it_in_the_chain(db: Session) -> None:
    workspace_id = _busy_workspace(db, "acme")
    db.execute(text("DELETE FROM audit_heads WHERE workspace_id = :ws"), {"ws": workspace_id})
    db.commit()
    assert _breaks(db, workspace_id) == [(Finding.HEAD, 0)]

    audit.record(db, workspace_id=workspace_id, actor=None, action="test.after")
    db.commit()
    repaired, after = audit.listing(db, workspace_id, limit=2)[::-1]
    assert (repaired.action, repaired.details) == (audit.HEAD_REPAIRED, {"head": "missing", "chain_end": 3})
    assert (repaired.sequence, after.sequence, after.action) == (4, 5, "test.after")
    assert _breaks(db, workspace_id) == [(Finding.REPAIRED, 4)]


def test_a_forged_head_hiding_a_truncation_is_not_signed_over(db: Session) -> None:
    """Shortening the chain and moving its head back to match needs the head's signature."""
    workspace_id = _busy_workspace(db, "acme")
    first = audit.listing(db, workspace_id)[-1]
    db.execute(
        text("DELETE FROM audit_events WHERE workspace_id = :ws AND sequence > 1"), {"ws": workspace_id}
    )
    db.execute(
        text("UPDATE audit_heads SET sequence = 1, hash = :hash WHERE workspace_id = :ws"),
        {"hash": first.hash, "ws": workspace_id},
    )
    db.commit()
    assert _breaks(db, workspace_id) == [(Finding.HEAD, 0)]

    audit.record(db, workspace_id=workspace_id, actor=None, action="test.after")
    db.commit()
    repaired = audit.listing(db, workspace_id, limit=2)[1]
    assert repaired.details == {"head": "forged", "head_sequence": 1, "chain_end": 1}
    assert _breaks(db, workspace_id) == [(Finding.REPAIRED, 2)]


def test_events_added_beyond_the_head_are_named_and_recorded_by_the_next_write(db: Session) -> None:
    workspace_id = _busy_workspace(db, "acme")
    db.execute(
        text(
            "INSERT INTO audit_events (workspace_id, sequence, actor, action, target, details, "
            "client_address, created_at, previous_hash, hash) SELECT workspace_id, 4, actor, "
            "'member.remove', target, details, client_address, created_at, hash, hash FROM audit_events "
            "WHERE workspace_id = :ws AND sequence = 3"
        ),
        {"ws": workspace_id},
    )
    db.commit()
    assert _breaks(db, workspace_id) == [(Finding.REWRITTEN, 4), (Finding.BEYOND_HEAD, 4)]
    assert "event #4 beyond the head (#3): added behind" in str(audit.verify(db, workspace_id)[1][1])

    audit.record(db, workspace_id=workspace_id, actor=None, action="test.after")
    db.commit()
    assert audit.listing(db, workspace_id, limit=2)[1].details == {
        "head": "behind",
        "head_sequence": 3,
        "chain_end": 4,
    }
    assert _breaks(db, workspace_id) == [(Finding.REWRITTEN, 4), (Finding.REPAIRED, 5)]


def test_another_master_key_cannot_verify_nor_extend_a_chain(db: Session, settings: Settings) -> None:
    workspace_id = _busy_workspace(db, "acme")
    signed_with = load_master_key(settings).key_id
    write_key_file(settings.master_key_file, new_master_key_text())
    other = load_master_key(settings).key_id
    count, breaks = audit.verify(db, workspace_id)
    assert count == 3
    assert [str(item) for item in breaks] == [
        f"the chain is signed with master key {signed_with}, but the configured master key is {other}"
    ]
    audit.record(db, workspace_id=workspace_id, actor=None, action="test.refused")
    with pytest.raises(ConfigurationError, match=f"signed with master key {signed_with}"):
        db.commit()
    db.rollback()
    assert audit.listing(db, workspace_id, limit=1)[0].action == "workspace.rename"


def test_a_database_without_a_configured_master_key_stores_no_unsigned_event(
    migrated_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "unregistered.sqlite3"
    shutil.copy(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with make_session_factory(engine)() as session:
            users.create(session, "someone@example.com")
            with pytest.raises(ConfigurationError, match="no master key is configured"):
                session.commit()
            session.rollback()
            assert session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        engine.dispose()


def test_concurrent_writers_extend_each_chain_without_forking(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    workspace_id = _busy_workspace(db, "busy")
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def write(number: int) -> None:
        try:
            start.wait(10)
            with transaction(session_factory) as session:
                audit.record(
                    session, workspace_id=None, actor=None, action="test.instance", target=str(number)
                )
                audit.record(
                    session, workspace_id=workspace_id, actor=None, action="test.ws", target=str(number)
                )
        except BaseException as error:  # collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    db.rollback()
    instance_count, instance_breaks = audit.verify(db, None)
    workspace_count, workspace_breaks = audit.verify(db, workspace_id)
    assert (instance_breaks, workspace_breaks) == ([], [])
    assert workspace_count == 3 + 8
    assert instance_count >= 8


def test_events_join_their_chain_at_commit_and_vanish_with_a_rollback(db: Session) -> None:
    workspace_id = _busy_workspace(db, "acme")
    audit.record(db, workspace_id=workspace_id, actor=None, action="test.rolled_back")
    db.rollback()
    audit.record(db, workspace_id=workspace_id, actor=None, action="test.first")
    audit.record(db, workspace_id=None, actor=None, action="test.instance")
    audit.record(db, workspace_id=workspace_id, actor=None, action="test.second")
    db.commit()
    actions = [event.action for event in audit.listing(db, workspace_id)]
    assert actions[:2] == ["test.second", "test.first"]
    assert "test.rolled_back" not in actions
    assert audit.verify(db, workspace_id)[1] == []
    assert audit.verify(db, None)[1] == []


def test_a_long_transaction_does_not_hold_its_workspace_chain_until_it_commits(
    postgres_database: str,
) -> None:
    """On PostgreSQL the chain's lock is taken at commit: another writer of the workspace goes first."""
    engine = make_engine(postgres_database)
    factory = make_session_factory(engine)
    try:
        with transaction(factory) as setup:
            workspace_id = _busy_workspace(setup, "slow")
        slow = factory()
        audit.record(slow, workspace_id=workspace_id, actor=None, action="test.slow")
        slow.flush()
        finished = threading.Event()

        def quick() -> None:
            with transaction(factory) as session:
                audit.record(session, workspace_id=workspace_id, actor=None, action="test.quick")
            finished.set()

        threading.Thread(target=quick).start()
        assert finished.wait(10), "the quick writer waited for the slow one"
        slow.commit()
        slow.close()
        with factory() as session:
            actions = [event.action for event in audit.listing(session, workspace_id)]
            assert actions[:2] == ["test.slow", "test.quick"]
            assert audit.verify(session, workspace_id)[1] == []
    finally:
        with engine.begin() as connection:
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
