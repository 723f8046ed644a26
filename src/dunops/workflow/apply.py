"""Apply: a separate, explicit action that runs as a job and records a Deployment.

:func:`start_apply` moves an approved request to ``applying`` in one conditional UPDATE, so two
concurrent applies create exactly one deployment; asking again returns that same deployment. The job
(:func:`run_deployment`) takes the zone's lease, calls the provider's compare-and-set apply with the
revision's fingerprints, and records the outcome: ``applied`` with a new zone version, ``stale`` naming
each RRset that changed (nothing written), or ``failed``. Verification then reads the result back and,
where the provider serves DNS, queries its authoritative servers: each further pass is a job queued a
few seconds later, for a bounded number of passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

import structlog
from sqlalchemy import select, update
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
from dunops.providers import ApplyResult, Provider
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
    enqueue_after_commit(session, settings, APPLY_JOB, deployment_id=deployment.id)
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


def _actor(session: Session, deployment: Deployment) -> Principal | None:
    user = session.get(User, deployment.actor_user_id) if deployment.actor_user_id else None
    return Principal(user=user, client_address="job") if user is not None else None


def _loaded(session: Session, deployment_id: int) -> tuple[Deployment, ChangeRequest, ChangeRevision, Zone]:
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
def _opened(
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


def run_deployment(
    factory: sessionmaker[Session],
    settings: Settings,
    deployment_id: int,
    *,
    lease_wait: float = LEASE_WAIT_SECONDS,
    verify_attempts: int = VERIFY_ATTEMPTS,
    verify_interval: float = VERIFY_INTERVAL_SECONDS,
) -> DeploymentState:
    """The apply job: lease, compare-and-set apply, record, verify. A finished deployment is left alone."""
    holder = f"deployment:{deployment_id}:{uuid4().hex}"  # per run: a duplicate delivery is another holder
    vault = Vault.from_settings(settings)
    with transaction(factory) as session:
        deployment, change, revision, zone = _loaded(session, deployment_id)
        if deployment.state is not D.QUEUED:
            return deployment.state
        try:
            leases.wait_and_acquire(
                session, zone.id, holder, leases.Purpose.APPLY, zone_name=zone.fqdn, wait_seconds=lease_wait
            )
        except Locked as busy:
            deployment, change, revision, zone = _loaded(session, deployment_id)
            if deployment.state is not D.QUEUED:
                return deployment.state
            _finish(session, settings, deployment, change, D.NOT_STARTED, S.APPROVED, busy.detail)
            return D.NOT_STARTED
        deployment, change, revision, zone = _loaded(session, deployment_id)
        if deployment.state is not D.QUEUED:  # another runner got here first; this run took the lease
            leases.release(session, zone.id, holder)
            return deployment.state
        if connection_binding(session, zone) != (revision.connection_id, revision.connection_hash):
            _finish(session, settings, deployment, change, D.STALE, S.STALE, CONNECTION_CHANGED)
            leases.release(session, zone.id, holder)
            return D.STALE
        deployment.state = D.RUNNING
        deployment.started_at = utcnow()
        zone_id = zone.id
        plan = Plan.from_json(revision.plan)
        fingerprints = fingerprints_of(revision)
        stored = _stored(session, zone, plan)
    outcome: ApplyResult | DunopsError
    try:
        try:
            with _opened(factory, vault, zone_id, timeout=connections.WRITE_TIMEOUT) as provider:
                outcome = _write(provider, plan, fingerprints, stored)
        except DunopsError as error:
            outcome = error
        except Exception as error:
            outcome = ProviderError(f"the provider failed unexpectedly ({type(error).__name__})")
        try:
            with transaction(factory) as session:
                state = _record(session, settings, deployment_id, plan, outcome)
                leases.release(session, zone_id, holder)
        except Exception:
            with transaction(factory) as session:
                _give_up(session, settings, deployment_id)
            raise
    finally:
        with transaction(factory) as session:
            leases.release(session, zone_id, holder)
    if state is D.APPLIED:
        return verify_deployment(
            factory, settings, deployment_id, attempts=verify_attempts, interval=verify_interval
        )
    return state


def _touched(plan: Plan) -> list[tuple[str, str]]:
    return [(change.rrset.key, change.rtype) for change in plan.changes]


def _stored(session: Session, zone: Zone, plan: Plan) -> ZoneContent:
    """The touched RRsets as stored (for a plan-only zone, that is what is served)."""
    return ZoneContent(zone.fqdn + ".", records.get(session, zone.id, _touched(plan)).values())


def _write(
    provider: Provider | None, plan: Plan, fingerprints: dict[tuple[str, str], str], stored: ZoneContent
) -> ApplyResult:
    """The provider's compare-and-set apply (or, for a plan-only zone, the plan made on the stored rows)."""
    if provider is None:
        stale = [
            Problem("changed since the plan was made", f"{c.name} {c.rtype}")
            for c in plan.changes
            if rrset_fingerprint(stored.get(c.rrset.key, c.rtype)) != fingerprints.get((c.rrset.key, c.rtype))
        ]
        if stale:
            raise StalePlan(f"the zone {plan.origin} changed since the plan was made", stale)
        return ApplyResult(plan.origin, (), (), 0.0, plan.apply(stored))
    result = provider.apply(plan, fingerprints)
    if result.read_back is None:
        try:
            read_back: ZoneContent | None = provider.read_rrsets(plan.origin, _touched(plan))
        except DunopsError:
            read_back = None
        result = ApplyResult(
            result.zone, result.outcomes, result.request_ids, result.duration_seconds, read_back
        )
    return result


def _record(
    session: Session,
    settings: Settings,
    deployment_id: int,
    plan: Plan,
    outcome: ApplyResult | DunopsError,
) -> DeploymentState:
    deployment, change, _revision, zone = _loaded(session, deployment_id)
    usage.count(session, zone.workspace_id, applies=1)
    if isinstance(outcome, StalePlan):
        deployment.stale_rrsets = [{"rrset": p.location, "message": p.message} for p in outcome.problems]
        _finish(session, settings, deployment, change, D.STALE, S.STALE, outcome.detail)
        return D.STALE
    if isinstance(outcome, DunopsError):
        deployment.results = [{"rrset": p.location, "message": p.message} for p in outcome.problems]
        _finish(session, settings, deployment, change, D.FAILED, S.FAILED, outcome.detail)
        return D.FAILED
    deployment.results = _outcomes(outcome)
    deployment.request_ids = list(outcome.request_ids)
    deployment.duration_seconds = round(outcome.duration_seconds, 3)
    read_back = outcome.read_back
    if read_back is not None:
        served = {key: read_back.get(*key) for key in _touched(plan)}
        version = versions.record_changes(
            session,
            zone,
            versions.changes_to(session, zone, served),
            VersionSource.APPLY,
            _actor(session, deployment),
        )
        if version is not None:
            deployment.zone_version_id = version.id
    if outcome.complete:
        _finish(session, settings, deployment, change, D.APPLIED, S.APPLIED, plan.summary(), final=False)
        return D.APPLIED
    missing = [
        f"{o.name} {o.rtype}: {o.status.value}" for o in outcome.outcomes if o.status.value != "written"
    ]
    _finish(
        session,
        settings,
        deployment,
        change,
        D.FAILED,
        S.FAILED,
        "not every change landed: " + "; ".join(missing),
    )
    return D.FAILED


def _give_up(session: Session, settings: Settings, deployment_id: int) -> None:
    """The outcome could not be recorded: say so instead of leaving the request ``applying`` forever."""
    deployment, change, _revision, _zone = _loaded(session, deployment_id)
    if deployment.state is D.RUNNING and change.state is S.APPLYING:
        _finish(
            session,
            settings,
            deployment,
            change,
            D.FAILED,
            S.FAILED,
            "the outcome of the apply could not be recorded; sync the zone to see what the provider serves",
        )


def _finish(
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
    if final or state is D.APPLIED:
        deployment.finished_at = utcnow()
    actor = _actor(session, deployment)
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


def _check(provider: Provider | None, plan: Plan, session_content: Any) -> dict[str, Any]:
    """One verification pass: DNS queries where the provider serves DNS, else the provider's read-back."""
    if provider is not None:
        try:
            verification = provider.verify(plan)
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
            served = provider.read_rrsets(plan.origin, _touched(plan))
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
    queued ``interval`` seconds later (no worker waits for it), and after the last one the deployment
    is ``unverified``, naming what is not served. A plan-only zone has nothing to verify."""
    vault = Vault.from_settings(settings)
    with transaction(factory) as session:
        deployment, _change, revision, zone = _loaded(session, deployment_id)
        if deployment.state is not D.APPLIED or _passes(deployment) >= attempt:
            return deployment.state  # finished, or this pass ran already (a duplicate delivery)
        if zone.connection_id is None:
            _nothing_serves(deployment, zone)
            return D.APPLIED
        plan = Plan.from_json(revision.plan)
        zone_id = zone.id
        stored = _stored(session, zone, plan)
    try:
        with _opened(factory, vault, zone_id, timeout=connections.DEFAULT_TIMEOUT) as provider:
            result = _check(provider, plan, stored)
    except DunopsError as error:
        result = {"method": "read-back", "error": error.detail, "changes": []}
    except Exception as error:
        log.warning("verification failed", deployment=deployment_id, exc_info=True)
        result = {"method": "read-back", "error": f"the check failed ({type(error).__name__})", "changes": []}
    result["attempts"] = attempt
    result["checked_at"] = utcnow().isoformat(timespec="seconds")
    pending = [f"{c['name']} {c['type']}" for c in result.get("changes", []) if c["status"] != "served"]
    served = not pending and "error" not in result
    with transaction(factory) as session:
        deployment, change, _revision, _zone = _loaded(session, deployment_id)
        if deployment.state is not D.APPLIED or _passes(deployment) >= attempt:
            return deployment.state
        deployment.verification = result
        actor = _actor(session, deployment)
        if served:
            deployment.state = D.VERIFIED
            deployment.finished_at = utcnow()
            move(session, change, S.VERIFIED, actor, "change.verified", {"deployment": deployment.id})
            return D.VERIFIED
        not_served = ", ".join(pending) or str(result.get("error", ""))
        if attempt < attempts:
            deployment.message = f"verifying (pass {attempt} of {attempts}); not yet served: {not_served}"
            enqueue_after_commit(
                session,
                settings,
                VERIFY_JOB,
                delay=interval,
                deployment_id=deployment_id,
                attempt=attempt + 1,
                attempts=attempts,
                interval=interval,
            )
            return D.APPLIED
        deployment.state = D.UNVERIFIED
        deployment.finished_at = utcnow()
        deployment.message = "not yet served after verification: " + not_served
        audit.record(
            session,
            workspace_id=change.workspace_id,
            actor=actor,
            action="deployment.unverified",
            target=f"change:{change.id}",
            details={"deployment": deployment.id, "not_served": pending},
        )
        return D.UNVERIFIED


FINAL = frozenset({D.VERIFIED, D.UNVERIFIED, D.STALE, D.FAILED, D.NOT_STARTED})


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
    ``queued``, ``running`` or ``applied`` for good (the request follows)."""
    reason = f"the apply stopped on an unexpected error ({type(error).__name__})"
    with transaction(factory) as session:
        deployment = session.get(Deployment, deployment_id, populate_existing=True)
        if deployment is None:
            return
        change = session.get(ChangeRequest, deployment.change_request_id, populate_existing=True)
        assert change is not None
        if deployment.state in (D.QUEUED, D.RUNNING):
            _finish(
                session,
                settings,
                deployment,
                change,
                D.FAILED,
                S.FAILED,
                reason + "; sync the zone to see what the provider serves",
            )
        elif deployment.state is D.APPLIED:
            deployment.state = D.UNVERIFIED
            deployment.finished_at = utcnow()
            deployment.message = reason + " while verifying; the change was written"
