"""Apply: a separate, explicit action that runs as a job and records a Deployment.

:func:`start_apply` moves an approved request to ``applying`` in one conditional UPDATE, so two
concurrent applies create exactly one deployment; asking again returns that same deployment. The job
(:func:`run_deployment`) takes the zone's lease, calls the provider's compare-and-set apply with the
revision's fingerprints, and records the outcome: ``applied`` with a new zone version, ``stale`` naming
each RRset that changed (nothing written), or ``failed``. A failure that wrote nothing (the provider
still serves the plan's before state) hands the request back as ``approved``, its approvals intact.

The job and everything it needs are durable: the apply job is recorded with the deployment (the job
outbox), the deployment names its owner (``holder``) under a lease the owner renews while it writes, and
a deployment whose lease lapsed (its worker died, or the outcome could not be recorded) is *reconciled*
(:func:`reconcile`): the touched RRsets are read from the provider and compared with the plan, and the
truth is recorded as ``applied``, ``failed`` with nothing written, ``partial`` or ``unknown``.

Verification then reads the result back and, where the provider serves DNS, queries its authoritative
servers side by side, each query briefly: each pass is a job of its own, the next queued a few seconds
later, until everything is served, the passes run out or the deployment's verification deadline passes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.dns.plan import Plan
from dunops.dns.rrset import rrset_fingerprint
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import Conflict, DunopsError, Locked, Problem, ProviderError, StalePlan
from dunops.jobs import enqueue_after_commit
from dunops.providers import ApplyResult, ChangeStatus, Provider
from dunops.security.vault import Vault
from dunops.storage import usage
from dunops.storage.base import utcnow
from dunops.storage.database import transaction
from dunops.storage.models import (
    ChangeRequest,
    ChangeRevision,
    ChangeState,
    Deployment,
    DeploymentState,
    ProviderConnection,
    User,
    VersionSource,
    Zone,
    ZoneLease,
)
from dunops.workflow import notifications
from dunops.workflow import policy as policies
from dunops.workflow.confirmation import confirmed
from dunops.workflow.requests import (
    connection_binding,
    current_revision,
    fingerprints_of,
    get,
    move,
    refuse_if_expired,
    reopen_if_short,
)
from dunops.zones import connections, leases, records, versions

log = structlog.get_logger(__name__)

APPLY_JOB = "workflow.apply"
REQUEUE_AFTER_SECONDS = 60.0
"""A deployment still queued after this long is taken as lost (its job never arrived) and queued again."""
LEASE_WAIT_SECONDS = 30.0
VERIFY_JOB = "workflow.verify"
VERIFY_ATTEMPTS = 6
VERIFY_INTERVAL_SECONDS = 5.0
RECONCILE_ATTEMPTS = 10
"""Rounds of reconciliation that may fail to read the provider before the deployment is ``unknown``."""

CONNECTION_CHANGED = (
    "nothing was written: the zone's provider connection changed since the plan was made "
    "(re-pointed, replaced or detached); revise the request to plan against it again"
)

S = ChangeState
D = DeploymentState


def _latest_deployment(session: Session, change: ChangeRequest) -> Deployment | None:
    return session.scalars(
        select(Deployment)
        .where(
            Deployment.change_request_id == change.id, Deployment.revision_id == change.current_revision_id
        )
        .order_by(Deployment.id.desc())
        .limit(1)
    ).first()


class ApprovalsLapsed(Conflict):
    """The apply was refused because approvals no longer count; the request went back to review.

    The edge commits that move before answering (the refusal is itself a recorded state change).
    """


def _requeue_if_lost(session: Session, settings: Settings, deployment: Deployment) -> None:
    if deployment.state is not D.QUEUED:
        return
    if (utcnow() - deployment.created_at).total_seconds() < REQUEUE_AFTER_SECONDS:
        return
    enqueue_after_commit(session, settings, APPLY_JOB, deployment_id=deployment.id)


def start_apply(
    session: Session,
    settings: Settings,
    grant: Access,
    change_id: int,
    *,
    plan_hash: Any = None,
    acknowledge: Any = (),
) -> Deployment:
    """Queue the apply of an approved request; the same deployment comes back when asked twice.

    A deployment queued long ago and never started is queued again (the job runs once per deployment).
    Approvals are judged again against today's members and policy; when too few still count, the
    request goes back to ``pending_review`` and :class:`ApprovalsLapsed` says which ones no longer count.
    Where the policy needs no approval, a request in review is applied once the applier confirms its
    exact ``plan_hash`` and acknowledges every risk.
    """
    grant.require(Permission.CHANGES_APPLY)
    change = get(session, grant, change_id, lock=True)
    if change.state in (S.APPLYING, S.APPLIED, S.VERIFIED):
        existing = _latest_deployment(session, change)
        if existing is not None:
            _requeue_if_lost(session, settings, existing)
            return existing
    refuse_if_expired(change)
    revision = current_revision(session, change)
    if change.state is S.PENDING_REVIEW:
        _confirm_without_review(session, grant, change, revision, plan_hash, acknowledge)
    if change.state is not S.APPROVED:
        raise Conflict(
            f"change request {change.id} is {change.state}: only an approved request can be applied"
        )
    standing = reopen_if_short(session, change, grant.principal)
    if not standing.enough:
        raise ApprovalsLapsed(
            f"change request {change.id} has {len(standing.counting)} approval(s) of plan "
            f"{revision.plan_hash[:12]} that still count; {standing.required} needed. It is back in review"
            + (": " + "; ".join(standing.reasons()) if standing.lapsed else ""),
            [Problem(why, approval.reviewer) for approval, why in standing.lapsed],
        )
    moved = session.execute(
        update(ChangeRequest)
        .where(
            ChangeRequest.id == change.id,
            ChangeRequest.state == S.APPROVED,
            ChangeRequest.current_revision_id == revision.id,
        )
        .values(state=S.APPLYING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(change)
    now_state: ChangeState = change.state
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        existing = _latest_deployment(session, change)
        if now_state is S.APPLYING and existing is not None:
            return existing
        raise Conflict(f"change request {change.id} changed while applying it; it is now {change.state}")
    principal = grant.principal
    deployment = Deployment(
        workspace_id=change.workspace_id,
        zone_id=change.zone_id,
        change_request_id=change.id,
        revision_id=revision.id,
        plan_hash=revision.plan_hash,
        actor_user_id=principal.user.id,
        actor_token_id=principal.token.id if principal.token else None,
        actor=principal.label,
        state=D.QUEUED,
        rollback_of_id=change.rollback_of_id,
    )
    session.add(deployment)
    session.flush()
    audit.record(
        session,
        workspace_id=change.workspace_id,
        actor=principal,
        action="change.apply",
        target=f"change:{change.id}",
        details={
            "from": S.APPROVED.value,
            "to": S.APPLYING.value,
            "revision": revision.number,
            "plan_hash": revision.plan_hash,
            "deployment": deployment.id,
        },
    )
    enqueue_after_commit(session, settings, APPLY_JOB, durable=True, deployment_id=deployment.id)
    return deployment


def _confirm_without_review(
    session: Session,
    grant: Access,
    change: ChangeRequest,
    revision: ChangeRevision,
    plan_hash: Any,
    acknowledge: Any,
) -> None:
    """Approve a request in review on its applier's confirmation, where the policy needs no approval;
    otherwise refuse, saying what the policy needs and how a workspace of one can change it."""
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    policy = policies.for_zone(session, zone)
    if policy.approvals_required > 0:
        role = policy.approver_role(Plan.from_json(revision.plan))
        raise Conflict(
            f"change request {change.id} is pending_review: the policy of {zone.fqdn} needs "
            f"{policy.approvals_required} approval(s) from a member other than its author ({role} or "
            f"above) before it can be applied. Where nobody else can review, an admin may set the "
            f"policy's approvals_required to 0 (PATCH /api/v1/workspaces/{grant.workspace.slug}/policy, "
            "or `dunops policy set --approvals-required 0`): then its author applies after confirming "
            "the plan hash and every risk"
        )
    acknowledged = confirmed(change, revision, plan_hash, acknowledge)
    move(
        session,
        change,
        S.APPROVED,
        grant.principal,
        "change.confirm",
        {"plan_hash": revision.plan_hash, "acknowledged": acknowledged, "approvals_required": 0},
    )


# -- the job -----------------------------------------------------------------------------------------


def actor_of(session: Session, deployment: Deployment) -> Principal | None:
    user = session.get(User, deployment.actor_user_id) if deployment.actor_user_id else None
    return Principal(user=user, client_address="job") if user is not None else None


def loaded(session: Session, deployment_id: int) -> tuple[Deployment, ChangeRequest, ChangeRevision, Zone]:
    deployment = session.get(Deployment, deployment_id, populate_existing=True)
    if deployment is None:
        raise LookupError(f"deployment {deployment_id} not found")
    change = session.get(ChangeRequest, deployment.change_request_id, populate_existing=True)
    revision = session.get(ChangeRevision, deployment.revision_id)
    zone = session.get(Zone, deployment.zone_id)
    assert change is not None
    assert revision is not None
    assert zone is not None
    return deployment, change, revision, zone


@contextmanager
def opened(
    factory: sessionmaker[Session], vault: Vault, zone_id: int, *, timeout: float
) -> Iterator[Provider | None]:
    """The zone's provider (None for a plan-only zone) for a ``with`` block holding no transaction.

    Errors raised inside the block leave it scrubbed of the connection's secrets.
    """
    with factory() as session:
        zone = session.get(Zone, zone_id)
        if zone is None or zone.connection_id is None:
            session.rollback()
            yield None
            return
        connection = session.get(ProviderConnection, zone.connection_id)
        if connection is None or connection.workspace_id != zone.workspace_id:
            raise ProviderError(f"zone {zone.fqdn} has no usable provider connection")
        with connections.provider_for(session, vault, connection, timeout=timeout) as provider:
            session.rollback()  # the provider needs no database: hold no transaction while it works
            yield provider


def _outcomes(result: ApplyResult) -> list[dict[str, Any]]:
    return [
        {
            "name": o.name,
            "type": o.rtype,
            "kind": o.kind.value,
            "status": o.status.value,
            "message": o.message,
            "request_id": o.request_id,
        }
        for o in result.outcomes
    ]


@dataclass(frozen=True, slots=True)
class _Failed:
    """The provider's write failed; ``served`` is what it serves for the touched RRsets afterwards
    (None: it could not be read, so nobody knows yet what landed)."""

    error: DunopsError
    served: ZoneContent | None


def run_deployment(
    factory: sessionmaker[Session],
    settings: Settings,
    deployment_id: int,
    *,
    lease_wait: float = LEASE_WAIT_SECONDS,
    verify_attempts: int = VERIFY_ATTEMPTS,
    verify_interval: float = VERIFY_INTERVAL_SECONDS,
) -> DeploymentState:
    """The apply job: lease, compare-and-set apply, record, queue verification. A deployment that is not
    ``queued`` any more is left alone (a duplicate delivery).

    While the provider writes, the run renews its lease on the deployment and the zone. When the outcome
    cannot be recorded, or the provider failed and cannot say what it serves, the deployment stays
    ``running`` with the zone's lease held; once the lease lapses, reconciliation records the truth.
    """
    holder = f"deployment:{deployment_id}:{uuid4().hex}"  # per run: a duplicate delivery is another holder
    lease_seconds = settings.apply_lease_seconds
    vault = Vault.from_settings(settings)
    with transaction(factory) as session:
        deployment, change, revision, zone = loaded(session, deployment_id)
        if deployment.state is not D.QUEUED:
            return deployment.state
        try:
            leases.wait_and_acquire(
                session,
                zone.id,
                holder,
                leases.Purpose.APPLY,
                zone_name=zone.fqdn,
                wait_seconds=lease_wait,
                seconds=lease_seconds,
            )
        except Locked as busy:
            deployment, change, revision, zone = loaded(session, deployment_id)
            if deployment.state is not D.QUEUED:
                return deployment.state
            finish(session, settings, deployment, change, D.NOT_STARTED, S.APPROVED, busy.detail)
            return D.NOT_STARTED
        deployment, change, revision, zone = loaded(session, deployment_id)
        if deployment.state is not D.QUEUED:  # another runner got here first; this run took the lease
            leases.release(session, zone.id, holder)
            return deployment.state
        if connection_binding(session, zone) != (revision.connection_id, revision.connection_hash):
            finish(session, settings, deployment, change, D.STALE, S.STALE, CONNECTION_CHANGED)
            leases.release(session, zone.id, holder)
            return D.STALE
        deployment.state = D.RUNNING
        deployment.started_at = utcnow()
        deployment.holder = holder
        deployment.lease_expires_at = utcnow() + timedelta(seconds=lease_seconds)
        zone_id = zone.id
        plan = Plan.from_json(revision.plan)
        fingerprints = fingerprints_of(revision)
        stored = stored_rrsets(session, zone, plan)
    outcome: ApplyResult | DunopsError | _Failed
    state = D.RUNNING
    try:
        try:
            with (
                renewing(factory, settings, deployment_id, zone_id, holder),
                opened(factory, vault, zone_id, timeout=connections.WRITE_TIMEOUT) as provider,
            ):
                outcome = _write(provider, plan, fingerprints, stored)
        except DunopsError as error:
            outcome = error
        except Exception as error:
            outcome = ProviderError(f"the provider failed unexpectedly ({type(error).__name__})")
        with transaction(factory) as session:
            deployment, _change, _revision, _zone = loaded(session, deployment_id)
            if deployment.state is not D.RUNNING or deployment.holder != holder:
                # its lease lapsed (renewal failed) and reconciliation recorded what is served meanwhile
                return deployment.state
            state = _record(session, settings, deployment_id, plan, outcome, verify_attempts, verify_interval)
    finally:
        if state is not D.RUNNING:
            with transaction(factory) as session:
                leases.release(session, zone_id, holder)
    return state


@contextmanager
def renewing(
    factory: sessionmaker[Session], settings: Settings, deployment_id: int, zone_id: int, holder: str
) -> Iterator[None]:
    """For the length of the block, renew ``holder``'s lease on the deployment and its zone every third
    of the lease (a worker that dies stops renewing, and its deployment is reconciled once it lapses)."""
    stop = threading.Event()
    seconds = settings.apply_lease_seconds

    def renew() -> None:
        while not stop.wait(seconds / 3):
            until = utcnow() + timedelta(seconds=seconds)
            try:
                with transaction(factory) as session:
                    session.execute(
                        update(Deployment)
                        .where(Deployment.id == deployment_id, Deployment.holder == holder)
                        .values(lease_expires_at=until)
                        .execution_options(synchronize_session=False)
                    )
                    session.execute(
                        update(ZoneLease)
                        .where(ZoneLease.zone_id == zone_id, ZoneLease.holder == holder)
                        .values(expires_at=until)
                        .execution_options(synchronize_session=False)
                    )
            except Exception as error:
                log.warning(
                    "could not renew a deployment's lease", deployment=deployment_id, error=repr(error)
                )

    thread = threading.Thread(target=renew, name=f"lease-{deployment_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def touched(plan: Plan) -> list[tuple[str, str]]:
    return [(change.rrset.key, change.rtype) for change in plan.changes]


def stored_rrsets(session: Session, zone: Zone, plan: Plan) -> ZoneContent:
    """The touched RRsets as stored (for a plan-only zone, that is what is served)."""
    return ZoneContent(zone.fqdn + ".", records.get(session, zone.id, touched(plan)).values())


def _write(
    provider: Provider | None, plan: Plan, fingerprints: dict[tuple[str, str], str], stored: ZoneContent
) -> ApplyResult | _Failed:
    """The provider's compare-and-set apply (or, for a plan-only zone, the plan made on the stored rows).

    The touched RRsets are read first: a provider that cannot even be read fails the apply with nothing
    written. When the provider fails after that, what it serves is read back, to tell a failure that
    wrote nothing from one that did.
    """
    if provider is None:
        stale = [
            Problem("changed since the plan was made", f"{c.name} {c.rtype}")
            for c in plan.changes
            if rrset_fingerprint(stored.get(c.rrset.key, c.rtype)) != fingerprints.get((c.rrset.key, c.rtype))
        ]
        if stale:
            raise StalePlan(f"the zone {plan.origin} changed since the plan was made", stale)
        return ApplyResult(plan.origin, (), (), 0.0, plan.apply(stored))
    provider.read_rrsets(plan.origin, touched(plan))  # a provider that cannot be read was sent nothing
    try:
        result = provider.apply(plan, fingerprints)
    except StalePlan:
        raise
    except DunopsError as error:
        return _Failed(error, _read_or_none(provider, plan))
    except Exception as error:
        failed = ProviderError(f"the provider failed unexpectedly ({type(error).__name__})")
        return _Failed(failed, _read_or_none(provider, plan))
    if result.read_back is None:
        result = ApplyResult(
            result.zone,
            result.outcomes,
            result.request_ids,
            result.duration_seconds,
            _read_or_none(provider, plan),
        )
    return result


def _read_or_none(provider: Provider, plan: Plan) -> ZoneContent | None:
    try:
        return provider.read_rrsets(plan.origin, touched(plan))
    except Exception:
        return None


def _record(
    session: Session,
    settings: Settings,
    deployment_id: int,
    plan: Plan,
    outcome: ApplyResult | DunopsError | _Failed,
    verify_attempts: int,
    verify_interval: float,
) -> DeploymentState:
    deployment, change, _revision, zone = loaded(session, deployment_id)
    usage.count(session, zone.workspace_id, applies=1)
    if isinstance(outcome, StalePlan):
        deployment.stale_rrsets = [{"rrset": p.location, "message": p.message} for p in outcome.problems]
        finish(session, settings, deployment, change, D.STALE, S.STALE, outcome.detail)
        return D.STALE
    if isinstance(outcome, DunopsError):  # the provider could not be opened: nothing was sent to it
        deployment.results = [{"rrset": p.location, "message": p.message} for p in outcome.problems]
        finish(session, settings, deployment, change, D.FAILED, S.APPROVED, _nothing_written(outcome.detail))
        return D.FAILED
    if isinstance(outcome, _Failed):
        if outcome.served is None:
            deployment.message = (
                f"the provider failed while writing ({outcome.error.detail[:1000]}) and could not be read "
                "back; what it serves is recorded once the deployment's lease lapses"
            )
            return D.RUNNING
        return settle(
            session,
            settings,
            deployment,
            plan,
            outcome.served,
            outcome.error.detail,
            verify_attempts=verify_attempts,
            verify_interval=verify_interval,
        )
    deployment.results = _outcomes(outcome)
    deployment.request_ids = list(outcome.request_ids)
    deployment.duration_seconds = round(outcome.duration_seconds, 3)
    read_back = outcome.read_back
    if outcome.complete:
        if read_back is None:  # every change written, as the provider said: it serves the plan
            read_back = ZoneContent(plan.origin, [c.after for c in plan.changes if c.after is not None])
        _record_served(session, zone, deployment, plan, read_back)
        finish(session, settings, deployment, change, D.APPLIED, S.APPLIED, plan.summary(), final=False)
        queue_verification(session, settings, deployment, verify_attempts, verify_interval)
        return D.APPLIED
    missing = "not every change landed: " + "; ".join(
        f"{o.name} {o.rtype}: {o.status.value}"
        for o in outcome.outcomes
        if o.status is not ChangeStatus.WRITTEN
    )
    if read_back is not None:
        return settle(
            session,
            settings,
            deployment,
            plan,
            read_back,
            missing,
            verify_attempts=verify_attempts,
            verify_interval=verify_interval,
        )
    if all(o.status is ChangeStatus.REFUSED for o in outcome.outcomes):
        finish(session, settings, deployment, change, D.FAILED, S.APPROVED, _nothing_written(missing))
        return D.FAILED
    deployment.message = (
        missing[:1000] + "; the provider could not be read back: what it serves is recorded once the "
        "deployment's lease lapses"
    )
    return D.RUNNING


def _record_served(
    session: Session, zone: Zone, deployment: Deployment, plan: Plan, served: ZoneContent
) -> None:
    """Move DunOps' copy of the touched RRsets to what the provider serves (a new zone version)."""
    now = {key: served.get(*key) for key in touched(plan)}
    version = versions.record_changes(
        session,
        zone,
        versions.changes_to(session, zone, now),
        VersionSource.APPLY,
        actor_of(session, deployment),
    )
    if version is not None:
        deployment.zone_version_id = version.id


def _nothing_written(why: str) -> str:
    return (
        f"nothing was written: {why}. The request is approved again, its approvals still bound to the "
        "same plan: apply it again once the provider is back"
    )


SERVED_MESSAGES = {
    "written": "the provider serves the plan's content",
    "not_written": "the provider serves the content from before the plan",
    "differs": "the provider serves neither the plan's content nor the one before it",
}


def compare(plan: Plan, served: ZoneContent) -> list[dict[str, str]]:
    """Each touched RRset and whether the provider serves it as the plan made it (``written``), as it
    was before (``not_written``) or otherwise (``differs``)."""
    found = []
    for change in plan.changes:
        now = served.get(change.rrset.key, change.rtype)
        status = "written" if now == change.after else "not_written" if now == change.before else "differs"
        found.append(
            {
                "name": change.name,
                "type": change.rtype,
                "kind": change.kind.value,
                "status": status,
                "message": SERVED_MESSAGES[status],
            }
        )
    return found


def settle(
    session: Session,
    settings: Settings,
    deployment: Deployment,
    plan: Plan,
    served: ZoneContent,
    why: str,
    *,
    verify_attempts: int = VERIFY_ATTEMPTS,
    verify_interval: float = VERIFY_INTERVAL_SECONDS,
) -> DeploymentState:
    """Record what the provider serves for a deployment whose run did not say: every RRset as before
    the plan (nothing written: the request is ``approved`` again, its approvals bound to the same plan
    hash), every RRset as after it (``applied``, verified next), or a mix (``partial``, listed)."""
    change = session.get(ChangeRequest, deployment.change_request_id, populate_existing=True)
    zone = session.get(Zone, deployment.zone_id)
    assert change is not None
    assert zone is not None
    listing = compare(plan, served)
    deployment.results = listing
    seen = {item["status"] for item in listing}
    if seen == {"not_written"}:
        finish(session, settings, deployment, change, D.FAILED, S.APPROVED, _nothing_written(why))
        return D.FAILED
    _record_served(session, zone, deployment, plan, served)
    if seen == {"written"}:
        message = f"{why}; the provider serves the plan: {plan.summary()}"
        finish(session, settings, deployment, change, D.APPLIED, S.APPLIED, message, final=False)
        queue_verification(session, settings, deployment, verify_attempts, verify_interval)
        return D.APPLIED
    off = [
        f"{item['name']} {item['type']} ({item['status']})" for item in listing if item["status"] != "written"
    ]
    message = f"{why}; only part of the plan is served, not: " + ", ".join(off)
    finish(session, settings, deployment, change, D.PARTIAL, S.FAILED, message)
    return D.PARTIAL


def finish(
    session: Session,
    settings: Settings,
    deployment: Deployment,
    change: ChangeRequest,
    state: DeploymentState,
    target: ChangeState,
    message: str,
    *,
    final: bool = True,
) -> None:
    deployment.state = state
    deployment.message = message[:4000]
    deployment.lease_expires_at = None
    if final or state is D.APPLIED:
        deployment.finished_at = utcnow()
    actor = actor_of(session, deployment)
    move(
        session,
        change,
        target,
        actor,
        f"change.{state.value}",
        {"deployment": deployment.id, "message": message[:500]},
    )
    notifications.to_author(session, settings, change, state.value, message)


# -- verification --------------------------------------------------------------------------------


def queue_verification(
    session: Session, settings: Settings, deployment: Deployment, attempts: int, interval: float
) -> None:
    """Start verifying an applied deployment: its first pass is a job of its own, and every pass ends
    by ``settings.verify_deadline_seconds`` from now."""
    deadline = utcnow() + timedelta(seconds=settings.verify_deadline_seconds)
    deployment.verification = {"attempts": 0, "deadline": deadline.isoformat(timespec="seconds")}
    enqueue_after_commit(
        session,
        settings,
        VERIFY_JOB,
        durable=True,
        deployment_id=deployment.id,
        attempt=1,
        attempts=attempts,
        interval=interval,
    )


def _deadline_of(deployment: Deployment, settings: Settings) -> datetime:
    stored = (deployment.verification or {}).get("deadline")
    if isinstance(stored, str):
        try:
            return datetime.fromisoformat(stored)
        except ValueError:
            pass
    return utcnow() + timedelta(seconds=settings.verify_deadline_seconds)


def _check(
    provider: Provider | None, plan: Plan, session_content: Any, *, query_timeout: float, deadline: float
) -> dict[str, Any]:
    """One verification pass: DNS queries where the provider serves DNS, else the provider's read-back."""
    if provider is not None:
        try:
            verification = provider.verify(plan, timeout=query_timeout, deadline=deadline)
        except ProviderError:
            verification = None
        if verification is not None:
            return {
                "method": "dns",
                "servers": list(verification.servers),
                "changes": [
                    {
                        "name": o.name,
                        "type": o.rtype,
                        "kind": o.kind.value,
                        "status": o.status.value,
                        "answers": [
                            {"server": a.server, "matches": a.matches, "detail": a.detail} for a in o.answers
                        ],
                    }
                    for o in verification.outcomes
                ],
            }
        try:
            served = provider.read_rrsets(plan.origin, touched(plan))
        except DunopsError as error:
            return {"method": "read-back", "error": error.detail, "changes": []}
    else:
        served = session_content
    changes: list[dict[str, Any]] = []
    for change in plan.changes:
        now = served.get(change.rrset.key, change.rtype)
        ok = now == change.after
        changes.append(
            {
                "name": change.name,
                "type": change.rtype,
                "kind": change.kind.value,
                "status": "served" if ok else "not_yet_served",
                "answers": [],
            }
        )
    return {"method": "read-back", "servers": [], "changes": changes}


def verify_deployment(
    factory: sessionmaker[Session],
    settings: Settings,
    deployment_id: int,
    *,
    attempt: int = 1,
    attempts: int = VERIFY_ATTEMPTS,
    interval: float = VERIFY_INTERVAL_SECONDS,
) -> DeploymentState:
    """One verification pass: ``verified`` when every change is served; otherwise the next pass is
    queued ``interval`` seconds later (no worker waits for it), and after the last one, or once the
    deployment's verification deadline passed, the deployment is ``unverified``, naming what is not
    served. Queries run side by side, each waiting ``settings.verify_query_timeout_seconds`` at most,
    and none is sent past the deadline. A plan-only zone has nothing to verify."""
    vault = Vault.from_settings(settings)
    with transaction(factory) as session:
        deployment, _change, revision, zone = loaded(session, deployment_id)
        if deployment.state is not D.APPLIED or _passes(deployment) >= attempt:
            return deployment.state  # finished, or this pass ran already (a duplicate delivery)
        if zone.connection_id is None:
            _nothing_serves(deployment, zone)
            return D.APPLIED
        plan = Plan.from_json(revision.plan)
        zone_id = zone.id
        stored = stored_rrsets(session, zone, plan)
        deadline = _deadline_of(deployment, settings)
    left = (deadline - utcnow()).total_seconds()
    try:
        with opened(
            factory, vault, zone_id, timeout=min(connections.DEFAULT_TIMEOUT, max(left, 1))
        ) as provider:
            result = _check(
                provider,
                plan,
                stored,
                query_timeout=settings.verify_query_timeout_seconds,
                deadline=time.monotonic() + max(left, 0),
            )
    except DunopsError as error:
        result = {"method": "read-back", "error": error.detail, "changes": []}
    except Exception as error:
        log.warning("verification failed", deployment=deployment_id, exc_info=True)
        result = {"method": "read-back", "error": f"the check failed ({type(error).__name__})", "changes": []}
    result["attempts"] = attempt
    result["checked_at"] = utcnow().isoformat(timespec="seconds")
    result["deadline"] = deadline.isoformat(timespec="seconds")
    pending = [f"{c['name']} {c['type']}" for c in result.get("changes", []) if c["status"] != "served"]
    served = not pending and "error" not in result
    with transaction(factory) as session:
        deployment, change, _revision, _zone = loaded(session, deployment_id)
        if deployment.state is not D.APPLIED or _passes(deployment) >= attempt:
            return deployment.state
        deployment.verification = result
        actor = actor_of(session, deployment)
        if served:
            deployment.state = D.VERIFIED
            deployment.finished_at = utcnow()
            move(session, change, S.VERIFIED, actor, "change.verified", {"deployment": deployment.id})
            return D.VERIFIED
        not_served = _listed(pending) or str(result.get("error", ""))
        if attempt < attempts and utcnow() + timedelta(seconds=interval) < deadline:
            deployment.message = f"verifying (pass {attempt} of {attempts}); not yet served: {not_served}"
            enqueue_after_commit(
                session,
                settings,
                VERIFY_JOB,
                delay=interval,
                durable=True,
                deployment_id=deployment_id,
                attempt=attempt + 1,
                attempts=attempts,
                interval=interval,
            )
            return D.APPLIED
        deployment.state = D.UNVERIFIED
        deployment.finished_at = utcnow()
        why = "after verification" if attempt >= attempts else "by the verification deadline"
        deployment.message = (
            f"not yet served {why}: {not_served}. Verify again later "
            f"(POST .../deployments/{deployment.id}/verify or `dunops deployments verify`)"
        )[:4000]
        audit.record(
            session,
            workspace_id=change.workspace_id,
            actor=actor,
            action="deployment.unverified",
            target=f"change:{change.id}",
            details={
                "deployment": deployment.id,
                "not_served": pending[:100],
                "not_served_count": len(pending),
            },
        )
        return D.UNVERIFIED


def _listed(names: list[str], most: int = 20) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def verify_again(
    session: Session,
    settings: Settings,
    grant: Access,
    deployment: Deployment,
    *,
    attempts: int = VERIFY_ATTEMPTS,
    interval: float = VERIFY_INTERVAL_SECONDS,
) -> Deployment:
    """Verify an ``unverified`` deployment again (a new deadline from now), as jobs; a ``verified`` one
    is left alone."""
    grant.require(Permission.CHANGES_APPLY)
    if deployment.state is D.VERIFIED:
        return deployment
    if deployment.state is not D.UNVERIFIED:
        raise Conflict(
            f"deployment {deployment.id} is {deployment.state}: only an unverified deployment is "
            "verified again"
        )
    deployment.state = D.APPLIED
    deployment.finished_at = utcnow()
    deployment.message = "verifying again"
    queue_verification(session, settings, deployment, attempts, interval)
    audit.record(
        session,
        workspace_id=deployment.workspace_id,
        actor=grant.principal,
        action="deployment.verify",
        target=f"deployment:{deployment.id}",
        details={"deployment": deployment.id},
    )
    return deployment


FINAL = frozenset({D.VERIFIED, D.UNVERIFIED, D.STALE, D.FAILED, D.NOT_STARTED, D.PARTIAL, D.UNKNOWN})


def settled(deployment: Deployment) -> bool:
    """Whether nothing more will happen to the deployment: a final state, or applied to a plan-only
    zone (which nothing serves, so nothing is verified)."""
    return deployment.state in FINAL or (
        deployment.state is D.APPLIED and (deployment.verification or {}).get("method") == "none"
    )


def _passes(deployment: Deployment) -> int:
    return int((deployment.verification or {}).get("attempts", 0))


def _nothing_serves(deployment: Deployment, zone: Zone) -> None:
    deployment.verification = {
        "method": "none",
        "changes": [],
        "attempts": 1,
        "checked_at": utcnow().isoformat(timespec="seconds"),
    }
    deployment.finished_at = utcnow()
    deployment.message = (
        f"{zone.fqdn} is plan-only: DunOps' copy was changed, but no provider serves it, so nothing "
        f"was verified. Download the zone (GET .../zones/{zone.fqdn}/export) to deploy it yourself, "
        "or connect the zone to a provider"
    )


def fail_unexpectedly(
    factory: sessionmaker[Session], settings: Settings, deployment_id: int, error: BaseException
) -> None:
    """The job stopped on an error of its own: end the deployment with the reason instead of leaving it
    ``queued`` or ``applied`` for good (the request follows). A ``running`` deployment may have written:
    its lease is ended so that reconciliation records what the provider serves."""
    reason = f"the apply stopped on an unexpected error ({type(error).__name__})"
    with transaction(factory) as session:
        deployment = session.get(Deployment, deployment_id, populate_existing=True)
        if deployment is None:
            return
        change = session.get(ChangeRequest, deployment.change_request_id, populate_existing=True)
        assert change is not None
        if deployment.state is D.QUEUED:
            finish(
                session, settings, deployment, change, D.FAILED, S.FAILED, reason + "; nothing was written"
            )
        elif deployment.state is D.RUNNING:
            deployment.lease_expires_at = utcnow()
            deployment.message = reason + "; what the provider serves is recorded by reconciliation"
        elif deployment.state is D.APPLIED:
            deployment.state = D.UNVERIFIED
            deployment.finished_at = utcnow()
            deployment.message = reason + " while verifying; the change was written"


# -- reconciliation -------------------------------------------------------------------------------


def lapsed(session: Session, settings: Settings) -> list[int]:
    """Deployments ``running`` whose owner stopped renewing its lease."""
    now = utcnow()
    legacy = now - timedelta(seconds=settings.apply_lease_seconds)
    return list(
        session.scalars(
            select(Deployment.id)
            .where(
                Deployment.state == D.RUNNING,
                or_(
                    Deployment.lease_expires_at < now,
                    and_(Deployment.lease_expires_at.is_(None), Deployment.started_at < legacy),
                ),
            )
            .order_by(Deployment.id)
        )
    )


def reconcile_lapsed(factory: sessionmaker[Session], settings: Settings) -> dict[int, DeploymentState]:
    """Reconcile every deployment whose lease lapsed; returns each one's state afterwards."""
    with transaction(factory) as session:
        found = lapsed(session, settings)
    return {deployment_id: reconcile(factory, settings, deployment_id) for deployment_id in found}


def reconcile(factory: sessionmaker[Session], settings: Settings, deployment_id: int) -> DeploymentState:
    """Record what the provider serves for a ``running`` deployment whose lease lapsed, and free its zone.

    The touched RRsets are read from the provider and compared with the plan (see :func:`settle`); when
    they cannot be read, the next round tries again, and after :data:`RECONCILE_ATTEMPTS` rounds the
    deployment is ``unknown`` (the request ``failed``), naming the RRsets to check. A deployment whose
    owner still renews its lease, or that another round is reconciling, is left alone (``running``).
    """
    holder = f"reconcile:{deployment_id}:{uuid4().hex}"
    vault = Vault.from_settings(settings)
    with transaction(factory) as session:
        deployment, _change, revision, zone = loaded(session, deployment_id)
        now = utcnow()
        if deployment.state is not D.RUNNING:
            return deployment.state
        if deployment.lease_expires_at is not None and deployment.lease_expires_at >= now:
            return D.RUNNING
        previous = deployment.holder
        claimed = session.execute(
            update(Deployment)
            .where(
                Deployment.id == deployment_id,
                Deployment.state == D.RUNNING,
                Deployment.holder == previous if previous is not None else Deployment.holder.is_(None),
                Deployment.lease_expires_at == deployment.lease_expires_at
                if deployment.lease_expires_at is not None
                else Deployment.lease_expires_at.is_(None),
            )
            .values(holder=holder, lease_expires_at=now + timedelta(seconds=settings.apply_lease_seconds))
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return D.RUNNING
        if previous is not None:  # the zone's lease passes from the stopped owner to this round
            session.execute(
                update(ZoneLease)
                .where(ZoneLease.zone_id == zone.id, ZoneLease.holder == previous)
                .values(holder=holder, expires_at=now + timedelta(seconds=settings.apply_lease_seconds))
                .execution_options(synchronize_session=False)
            )
        plan = Plan.from_json(revision.plan)
        zone_id = zone.id
        stored = stored_rrsets(session, zone, plan)
    served: ZoneContent | None
    trouble = ""
    try:
        with opened(factory, vault, zone_id, timeout=connections.DEFAULT_TIMEOUT) as provider:
            served = stored if provider is None else provider.read_rrsets(plan.origin, touched(plan))
    except DunopsError as error:
        served, trouble = None, error.detail
    except Exception as error:
        served, trouble = None, f"the provider failed unexpectedly ({type(error).__name__})"
    with transaction(factory) as session:
        deployment, change, _revision, _zone = loaded(session, deployment_id)
        if deployment.state is not D.RUNNING or deployment.holder != holder:
            return deployment.state
        why = "its worker stopped before the outcome was recorded; reconciled with what the provider serves"
        if served is None:
            deployment.reconcile_attempts += 1
            if deployment.reconcile_attempts < RECONCILE_ATTEMPTS:
                deployment.message = (
                    f"reconciling: the provider could not be read ({trouble}); trying again "
                    f"(round {deployment.reconcile_attempts} of {RECONCILE_ATTEMPTS})"
                )[:4000]
                deployment.lease_expires_at = utcnow()
                return D.RUNNING
            deployment.results = [
                {"name": c.name, "type": c.rtype, "kind": c.kind.value, "status": "unknown"}
                for c in plan.changes
            ]
            message = (
                f"its worker stopped before the outcome was recorded, and the provider could not be read "
                f"({trouble}); check these RRsets and sync the zone: "
                + _listed([f"{c.name} {c.rtype}" for c in plan.changes])
            )
            finish(session, settings, deployment, change, D.UNKNOWN, S.FAILED, message)
            state = D.UNKNOWN
        else:
            state = settle(session, settings, deployment, plan, served, why)
        leases.release(session, zone_id, holder)
        audit.record(
            session,
            workspace_id=deployment.workspace_id,
            actor=None,
            action="deployment.reconciled",
            target=f"change:{change.id}",
            details={"deployment": deployment.id, "state": state.value},
        )
        return state
