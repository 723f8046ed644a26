"""The audit chain: every state change is recorded, and editing or deleting an event behind the service's back
is named by ``verify``."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts import access, memberships, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.storage.base import Base
from dunops.storage.database import make_engine, make_session_factory, transaction
from dunops.storage.models import Role


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


def test_an_edited_event_is_named(db: Session) -> None:
    workspace_id = _busy_workspace(db, "acme")
    db.execute(
        text("UPDATE audit_events SET target = 'user:1' WHERE workspace_id = :ws AND sequence = 2"),
        {"ws": workspace_id},
    )
    db.commit()
    count, breaks = audit.verify(db, workspace_id)
    assert count == 3
    assert [(item.sequence, item.reason) for item in breaks] == [(2, "content does not match its hash")]


def test_a_deleted_event_breaks_the_links(db: Session) -> None:
    workspace_id = _busy_workspace(db, "acme")
    db.execute(
        text("DELETE FROM audit_events WHERE workspace_id = :ws AND sequence = 2"), {"ws": workspace_id}
    )
    db.commit()
    _count, breaks = audit.verify(db, workspace_id)
    assert [item.sequence for item in breaks] == [3, 3]
    assert "expected sequence 2" in str(breaks[0])


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
