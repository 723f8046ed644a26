"""Races, with threads on SQLite and PostgreSQL: exactly one deployment, no write that was not approved,
no lost approval, no approval counted for a plan its reviewer did not see, and sync/apply exclusion."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts.access import resolve
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import DunopsError
from dunops.security.vault import Vault
from dunops.storage.database import transaction
from dunops.storage.models import Approval, ChangeRevision, Deployment, DeploymentState, User, Zone
from dunops.sync.sync import sync_zone
from dunops.workflow import apply, requests, review
from dunops.zones import leases
from tests.workflow.support import SLUG, ZONE, Team, team  # noqa: F401

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


def _race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at the same moment in threads; each result is its return value or its error."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except DunopsError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _as(factory: sessionmaker[Session], email: str, permission: Permission, work: Callable[..., Any]) -> Any:
    with transaction(factory) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        grant = resolve(session, Principal(user=user), SLUG, permission)
        return work(session, grant)


def test_two_applies_at_once_make_exactly_one_deployment(
    team: Team,  # noqa: F811
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    created = team.create([WEB])
    team.approve(created)

    def start(email: str) -> Callable[[], int]:
        def work(session: Session, grant: Any) -> int:
            return apply.start_apply(session, team.settings, grant, created["id"]).id

        return lambda: _as(session_factory, email, Permission.CHANGES_APPLY, work)

    ids = _race(start("author@example.com"), start("reviewer@example.com"), start("owner@example.com"))
    assert all(isinstance(i, int) for i in ids), ids
    assert len(set(ids)) == 1
    assert db.scalar(select(func.count(Deployment.id))) == 1
    db.rollback()  # an open SQLite transaction holds the write lock: end it before the job runs
    assert team.run_jobs() >= 1
    assert team.show(created["id"])["state"] == "verified"
    assert team.zone_file().count("192.0.2.80") == 1


def test_two_approvals_at_once_are_both_counted(
    team: Team,  # noqa: F811
    session_factory: sessionmaker[Session],
) -> None:
    team.client.patch("/api/v1/workspaces/acme/policy", json={"approvals_required": 2}, headers=team.owner)
    created = team.create([WEB])
    plan_hash = created["current_revision"]["plan_hash"]

    def approve(email: str) -> Callable[[], str]:
        def work(session: Session, grant: Any) -> str:
            return review.approve(
                session, team.settings, grant, created["id"], plan_hash=plan_hash
            ).state.value

        return lambda: _as(session_factory, email, Permission.CHANGES_APPROVE, work)

    results = _race(approve("reviewer@example.com"), approve("owner@example.com"))
    assert sorted(results) == ["approved", "pending_review"]
    shown = team.show(created["id"])
    assert shown["state"] == "approved"
    assert shown["valid_approvals"] == 2

    # the same reviewer twice at once: one approval recorded, the other refused
    second = team.create([{**WEB, "name": "w2"}])
    second_hash = second["current_revision"]["plan_hash"]

    def again() -> str:
        def work(session: Session, grant: Any) -> str:
            return review.approve(
                session, team.settings, grant, second["id"], plan_hash=second_hash
            ).state.value

        return str(_as(session_factory, "reviewer@example.com", Permission.CHANGES_APPROVE, work))

    results = _race(again, again)
    assert sum(isinstance(r, DunopsError) for r in results) == 1
    assert team.show(second["id"])["valid_approvals"] == 1


def test_a_revision_racing_an_approval_never_lets_the_approval_count_for_the_new_plan(
    team: Team,  # noqa: F811
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    vault = Vault.from_settings(team.settings)
    for round_number in range(3):
        created = team.create([{**WEB, "name": f"race{round_number}"}])
        first_hash = created["current_revision"]["plan_hash"]

        def approve_work(
            session: Session, grant: Any, change_id: int = created["id"], seen: str = first_hash
        ) -> str:
            return review.approve(session, team.settings, grant, change_id, plan_hash=seen).state.value

        def revise_work(
            session: Session, grant: Any, change_id: int = created["id"], n: int = round_number
        ) -> str:
            edits = [{**WEB, "name": f"race{n}", "values": ["192.0.2.99"]}]
            return requests.revise(session, team.settings, grant, vault, change_id, edits=edits).state.value

        _race(
            lambda w=approve_work: _as(
                session_factory, "reviewer@example.com", Permission.CHANGES_APPROVE, w
            ),
            lambda w=revise_work: _as(session_factory, "author@example.com", Permission.CHANGES_PROPOSE, w),
        )
        shown = team.show(created["id"])
        assert shown["revision"] == 2
        assert shown["state"] == "pending_review"
        assert shown["valid_approvals"] == 0
        assert team.post(team.author, f"/changes/{created['id']}/apply").status_code == 409
    db.expire_all()
    for approval, revision in db.execute(
        select(Approval, ChangeRevision).join(ChangeRevision, ChangeRevision.id == Approval.revision_id)
    ):
        assert approval.plan_hash == revision.plan_hash
    assert db.scalar(select(func.count(Deployment.id))) == 0


def test_an_apply_waits_for_a_sync_holding_the_zone_and_syncs_race_applies_safely(
    team: Team,  # noqa: F811
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    created = team.create([WEB])
    team.approve(created)
    deployment_id = team.post(team.author, f"/changes/{created['id']}/apply").json()["deployment"]
    queue_jobs = team.run_jobs  # the queued job is replaced by the threaded run below
    from dunops.jobs import queue_for

    queue_for(team.settings).huey.flush()
    zone_id = db.scalars(select(Zone.id).where(Zone.fqdn == ZONE)).one()
    db.rollback()
    released_at: list[float] = []

    def hold_sync_lease() -> None:
        with transaction(session_factory) as session:
            leases.acquire(session, zone_id, "sync:held", leases.Purpose.SYNC)
        time.sleep(0.5)
        with transaction(session_factory) as session:
            leases.release(session, zone_id, "sync:held")
        released_at.append(time.monotonic())

    def run_apply() -> DeploymentState:
        time.sleep(0.1)
        return apply.run_deployment(session_factory, team.settings, deployment_id, lease_wait=10)

    results = _race(hold_sync_lease, run_apply)
    assert results[1] is DeploymentState.APPLIED  # verification follows as a job of its own
    deployment = db.get(Deployment, deployment_id)
    assert deployment is not None
    assert deployment.started_at is not None
    assert team.zone_file().count("192.0.2.80") == 1
    db.rollback()

    # syncs racing the second apply: every sync either runs whole or is refused, the apply lands once
    second = team.create([{**WEB, "name": "w9"}])
    team.approve(second)
    second_id = team.post(team.author, f"/changes/{second['id']}/apply").json()["deployment"]
    queue_for(team.settings).huey.flush()
    vault = Vault.from_settings(team.settings)

    def sync_once() -> str:
        return "drift" if sync_zone(session_factory, vault, zone_id, None).changed else "same"

    outcomes = _race(
        sync_once,
        lambda: apply.run_deployment(session_factory, team.settings, second_id, lease_wait=10),
        sync_once,
    )
    assert outcomes[1] is DeploymentState.APPLIED
    for outcome in (outcomes[0], outcomes[2]):
        assert outcome in ("drift", "same") or "is busy" in str(outcome)
    assert db.scalar(select(func.count(Deployment.id))) == 2
    assert queue_jobs() >= 0
