"""Change requests: create (from RRset edits or a full desired zone), revise, submit, cancel, comment,
read, and expire.

The server plans against the provider's live state (:func:`dunops.sync.planning.plan_for_zone`) and
stores each plan as an immutable revision with its hash, fingerprints and risk reasons. A new revision
makes every earlier approval void. Every transition goes through :func:`move`, which checks the state
table and writes an AuditEvent naming the actor, the request, the revision and the plan hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import plans
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.dns.formats import read_zone
from dunops.dns.formats.json import zone_from_data, zone_to_data
from dunops.dns.plan import ChangeKind, Plan
from dunops.dns.rrset import RRset
from dunops.dns.safety import analyse
from dunops.dns.zone import RRsetKey
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dunops.security.vault import Vault
from dunops.storage.base import utcnow
from dunops.storage.models import (
    Approval,
    ChangeRequest,
    ChangeRevision,
    ChangeState,
    Comment,
    Deployment,
    ProviderConnection,
    Workspace,
    Zone,
)
from dunops.sync import edits as sync_edits
from dunops.sync.planning import LivePlan, plan_for_zone
from dunops.workflow import approvals as counted
from dunops.workflow import notifications
from dunops.workflow import policy as policies
from dunops.workflow.states import OPEN_STATES, check_transition
from dunops.zones import records as zone_records

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
COMMENT_MAX = 10_000

S = ChangeState


@dataclass(frozen=True, slots=True)
class ChangeView:
    """A request with what a reader needs: the current revision, approvals, comments, deployments."""

    change: ChangeRequest
    zone: Zone
    revision: ChangeRevision | None
    revisions: list[ChangeRevision]
    approvals: list[Approval]
    comments: list[Comment]
    deployments: list[Deployment]
    policy: policies.Policy
    valid_approvals: int = 0
    protected: list[str] = field(default_factory=list)


# -- reading -----------------------------------------------------------------------------------------


def get(session: Session, grant: Access, change_id: int, *, lock: bool = False) -> ChangeRequest:
    """A request of the caller's workspace; another workspace's request is ``NotFound`` like a missing one."""
    query = select(ChangeRequest).where(
        ChangeRequest.id == change_id, ChangeRequest.workspace_id == grant.workspace.id
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    change = session.scalars(query).first()
    if change is None:
        raise NotFound(f"change request {change_id} not found")
    return change


def current_revision(session: Session, change: ChangeRequest) -> ChangeRevision:
    revision = session.get(ChangeRevision, change.current_revision_id) if change.current_revision_id else None
    if revision is None:
        raise Conflict(f"change request {change.id} has no plan")
    return revision


def plan_of(revision: ChangeRevision) -> Plan:
    return Plan.from_json(revision.plan)


def view(session: Session, grant: Access, change_id: int) -> ChangeView:
    """A request with everything a reader needs. Only reads: an expiry that is due shows as ``expired``
    (:func:`state_of`) and is stored by the periodic job."""
    grant.require(Permission.ZONES_READ)
    return _view(session, get(session, grant, change_id))


def view_of_new(session: Session, change: ChangeRequest) -> ChangeView:
    """The view of a request created in this unit of work: one revision, nothing else yet, no lists read."""
    zone = session.get(Zone, change.zone_id)
    revision = current_revision(session, change)
    assert zone is not None
    policy = policies.for_zone(session, zone)
    protected = policy.protected_in(plan_of(revision))
    return ChangeView(change, zone, revision, [revision], [], [], [], policy, 0, protected)


def state_of(change: ChangeRequest) -> ChangeState:
    """The state a reader sees: an open request past its expiry is ``expired`` before the job stores it."""
    return S.EXPIRED if is_expired(change) else change.state


def _view(session: Session, change: ChangeRequest) -> ChangeView:
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    revision = session.get(ChangeRevision, change.current_revision_id) if change.current_revision_id else None
    revisions = list(
        session.scalars(
            select(ChangeRevision)
            .where(ChangeRevision.change_request_id == change.id)
            .order_by(ChangeRevision.number)
        )
    )
    approvals = list(
        session.scalars(select(Approval).where(Approval.change_request_id == change.id).order_by(Approval.id))
    )
    comments = list(
        session.scalars(select(Comment).where(Comment.change_request_id == change.id).order_by(Comment.id))
    )
    deployments = list(
        session.scalars(
            select(Deployment).where(Deployment.change_request_id == change.id).order_by(Deployment.id)
        )
    )
    policy = policies.for_zone(session, zone)
    valid, protected = 0, []
    if revision is not None:
        plan = plan_of(revision)
        valid = len(counted.standing(session, change, revision, policy, plan, loaded=approvals).counting)
        protected = policy.protected_in(plan)
    return ChangeView(
        change, zone, revision, revisions, approvals, comments, deployments, policy, valid, protected
    )


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """A request as a list shows it: with its zone's name and its current revision's hash and number."""

    change: ChangeRequest
    zone: str
    plan_hash: str | None
    revision: int


def page(
    session: Session,
    grant: Access,
    *,
    state: str | None = None,
    zone: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[ChangeRow]:
    """Requests of the workspace, newest first, older than ``before`` (an id); one query for any page."""
    grant.require(Permission.ZONES_READ)
    query = (
        select(ChangeRequest, Zone.fqdn, ChangeRevision.plan_hash, ChangeRevision.number)
        .join(Zone, Zone.id == ChangeRequest.zone_id)
        .outerjoin(ChangeRevision, ChangeRevision.id == ChangeRequest.current_revision_id)
        .where(ChangeRequest.workspace_id == grant.workspace.id)
    )
    if state:
        try:
            wanted = ChangeState(state)
        except ValueError:
            choices = ", ".join(s.value for s in ChangeState)
            raise InvalidInput.single(f"unknown state; expected one of {choices}", "state") from None
        query = query.where(_in_state(wanted))
    if zone:
        from dunops.zones import zones as zone_service

        query = query.where(ChangeRequest.zone_id == zone_service.get(session, grant, zone).id)
    if before is not None:
        query = query.where(ChangeRequest.id < before)
    rows = session.execute(query.order_by(ChangeRequest.id.desc()).limit(limit))
    return [ChangeRow(change, fqdn, plan_hash, number or 0) for change, fqdn, plan_hash, number in rows]


def _in_state(wanted: ChangeState) -> ColumnElement[bool]:
    """Requests a reader sees in ``wanted`` (see :func:`state_of`: open requests past expiry are expired)."""
    now = utcnow()
    lapsed = and_(ChangeRequest.state.in_(list(OPEN_STATES)), ChangeRequest.expires_at <= now)
    if wanted is S.EXPIRED:
        return or_(ChangeRequest.state == S.EXPIRED, lapsed)
    if wanted in OPEN_STATES:
        return and_(ChangeRequest.state == wanted, ChangeRequest.expires_at > now)
    return ChangeRequest.state == wanted


# -- transitions -------------------------------------------------------------------------------------


def move(
    session: Session,
    change: ChangeRequest,
    target: ChangeState,
    actor: Principal | None,
    action: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Make one transition allowed by the state table and write its AuditEvent."""
    previous = change.state
    check_transition(previous, target)
    change.state = target
    change.updated_at = utcnow()
    session.flush()
    revision = session.get(ChangeRevision, change.current_revision_id) if change.current_revision_id else None
    audit.record(
        session,
        workspace_id=change.workspace_id,
        actor=actor,
        action=action,
        target=f"change:{change.id}",
        details={
            "from": previous.value,
            "to": target.value,
            "revision": revision.number if revision else None,
            "plan_hash": revision.plan_hash if revision else None,
            **(details or {}),
        },
    )


def approval_standing(session: Session, change: ChangeRequest, revision: ChangeRevision) -> counted.Standing:
    """The current revision's approvals judged against today's members and the zone's policy now."""
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    return counted.standing(session, change, revision, policies.for_zone(session, zone), plan_of(revision))


def reopen_if_short(session: Session, change: ChangeRequest, actor: Principal | None) -> counted.Standing:
    """Move an approved request back to review when its approvals no longer satisfy the policy.

    Returns the standing; when it is short, the request is ``pending_review`` with an AuditEvent naming
    the approvals that no longer count.
    """
    revision = current_revision(session, change)
    standing = approval_standing(session, change, revision)
    if change.state is S.APPROVED and not standing.enough:
        move(
            session,
            change,
            S.PENDING_REVIEW,
            actor,
            "change.approvals_lapsed",
            {
                "approvals": len(standing.counting),
                "required": standing.required,
                "no_longer_counting": standing.reasons(),
            },
        )
    return standing


def is_expired(change: ChangeRequest) -> bool:
    return change.state in OPEN_STATES and utcnow() >= change.expires_at


def expire_if_due(session: Session, settings: Settings, change: ChangeRequest) -> bool:
    """Persist the expiry of an open request past its time (reads and the periodic job call this)."""
    if not is_expired(change):
        return False
    move(session, change, S.EXPIRED, None, "change.expire", {"expires_at": change.expires_at.isoformat()})
    notifications.to_author(session, settings, change, "expired")
    return True


def refuse_if_expired(change: ChangeRequest) -> None:
    """Every action on a request past its expiry is refused (the state itself is stored by the job)."""
    if is_expired(change):
        raise Conflict(
            f"change request {change.id} expired at {change.expires_at.isoformat(timespec='seconds')}"
        )


def expire_due(session: Session, settings: Settings) -> list[int]:
    """Expire every open request past its time, in every workspace; returns their ids."""
    due = session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.state.in_(list(OPEN_STATES)), ChangeRequest.expires_at <= utcnow())
        .order_by(ChangeRequest.id)
    )
    return [change.id for change in list(due) if expire_if_due(session, settings, change)]


# -- planning ----------------------------------------------------------------------------------------


def _text(value: Any, location: str, limit: int, *, required: bool, single_line: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput.single("is required" if required else "must be text", location)
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput.single(f"at most {limit} characters", location)
    if single_line and ("\n" in text or "\r" in text):
        raise InvalidInput.single("must be a single line", location)
    refuse_control_characters(text, location)
    return text


def refuse_control_characters(text: str, location: str) -> None:
    """Refuse NUL and other control characters (tab and line breaks excepted) in stored text."""
    if any((ord(c) < 0x20 and c not in "\t\n\r") or ord(c) == 0x7F for c in text):
        raise InvalidInput.single("must not contain NUL or other control characters", location)


def desired_zone(desired: Any, origin: str) -> ZoneContent:
    """A desired zone given as ``{"format": "bind"|"octodns"|"json", "content": "..."}``."""
    from dunops.zones.zones import zone_format

    if not isinstance(desired, Mapping):
        raise InvalidInput.single("must be an object with format and content", "desired")
    content = desired.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput.single("is required: the desired zone's text", "desired.content")
    chosen = zone_format(str(desired.get("format", "bind")), "desired.format")
    return read_zone(content, chosen, origin, filename="desired.content")


def _zone_of(session: Session, grant: Access, name: Any) -> Zone:
    from dunops.zones import zones as zone_service

    if not isinstance(name, str) or not name.strip():
        raise InvalidInput.single("is required (a zone of this workspace)", "zone")
    try:
        return zone_service.get(session, grant, name)
    except NotFound:
        raise InvalidInput.single(f"no zone {name!r} in this workspace", "zone") from None


def _plan(
    session: Session,
    vault: Vault,
    zone: Zone,
    *,
    edits: Any,
    desired: Any,
    source: dict[str, Any] | None,
    replacements: Mapping[RRsetKey, RRset | None] | None = None,
) -> tuple[LivePlan, dict[str, Any]]:
    """Plan against live from edits, a desired zone, replacements, or (re-plan) a stored source."""
    given = [item for item in (edits, desired, replacements) if item is not None]
    if len(given) > 1:
        raise InvalidInput.single("give either edits or desired, not both", "edits")
    if not given and source is None:
        raise InvalidInput.single("give edits or a desired zone", "edits")
    if edits is not None:
        if not isinstance(edits, Sequence) or isinstance(edits, str):
            raise InvalidInput.single("must be a list of edits", "edits")
        return plan_for_zone(session, vault, zone, edits=list(edits)), {"edits": list(edits)}
    if desired is not None:
        target = desired if isinstance(desired, ZoneContent) else desired_zone(desired, zone.fqdn + ".")
        data = zone_to_data(target)
        return plan_for_zone(session, vault, zone, desired=target), {"desired_zone": data}
    if replacements is not None:
        stored = {"replace": sync_edits.replacements_data(replacements)}
        return plan_for_zone(session, vault, zone, replacements=replacements), stored
    assert source is not None
    if "edits" in source:
        return plan_for_zone(session, vault, zone, edits=source["edits"]), source
    if "replace" in source:
        restored = sync_edits.replacements_from(source["replace"])
        return plan_for_zone(session, vault, zone, replacements=restored), source
    target = zone_from_data(source["desired_zone"], zone.fqdn + ".", filename="desired")
    return plan_for_zone(session, vault, zone, desired=target), source


def connection_binding(session: Session, zone: Zone) -> tuple[int | None, str]:
    """The zone's connection id and a hash of that connection's kind and non-secret config now.

    A plan-only zone (no connection) binds to ``(None, "")``.
    """
    if zone.connection_id is None:
        return None, ""
    connection = session.get(ProviderConnection, zone.connection_id, populate_existing=True)
    if connection is None or connection.workspace_id != zone.workspace_id:
        return zone.connection_id, "missing"
    blob = json.dumps({"kind": connection.kind, "config": connection.config}, sort_keys=True, default=str)
    return connection.id, hashlib.sha256(blob.encode()).hexdigest()


def _add_revision(
    session: Session, change: ChangeRequest, live: LivePlan, source: dict[str, Any], actor: Principal
) -> ChangeRevision:
    if live.unsupported:
        raise InvalidInput.collect(live.unsupported, "the provider cannot hold every change of this plan")
    plan = live.plan
    reasons = analyse(plan)
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    _within_plan(session, zone, plan)
    connection_id, connection_hash = connection_binding(session, zone)
    change.revision_number += 1
    revision = ChangeRevision(
        change_request_id=change.id,
        number=change.revision_number,
        plan=plan.to_json(),
        plan_hash=plan.hash,
        fingerprints=[
            {"name": name, "type": rtype, "fingerprint": value}
            for (name, rtype), value in sorted(live.fingerprints.items())
        ],
        risk_reasons=[{"id": r.id, "code": r.code, "message": r.message} for r in reasons],
        source=source,
        summary=plan.summary()[:400],
        connection_id=connection_id,
        connection_hash=connection_hash,
        created_by_id=actor.user.id,
        created_by=actor.label,
    )
    session.add(revision)
    session.flush()
    change.current_revision_id = revision.id
    change.updated_at = utcnow()
    session.flush()
    return revision


def _within_plan(session: Session, zone: Zone, plan: Plan) -> None:
    """Refuse a change larger than the plan allows, or one that grows the zone past the plan's size."""
    workspace = session.get(Workspace, zone.workspace_id)
    assert workspace is not None
    plans.require_change_size(workspace, len(plan))
    growth = plan.count(ChangeKind.CREATE) - plan.count(ChangeKind.DELETE)
    if growth > 0:
        before = zone_records.count(session, zone.id)
        plans.require_zone_size(workspace, before + growth, before=before)


def fingerprints_of(revision: ChangeRevision) -> dict[tuple[str, str], str]:
    return {(item["name"], item["type"]): item["fingerprint"] for item in revision.fingerprints}


def _no_changes(change: ChangeRequest) -> InvalidInput:
    return InvalidInput.single(
        f"no changes: the zone already serves what change request {change.id} asks for", "plan"
    )


def _require_author(grant: Access, change: ChangeRequest, what: str) -> None:
    user_id = grant.principal.user.id
    if user_id not in {change.created_by_id, change.on_behalf_of_id}:
        raise PermissionDenied(f"only the author of change request {change.id} may {what} it")


# -- actions -----------------------------------------------------------------------------------------


def create(
    session: Session,
    settings: Settings,
    grant: Access,
    vault: Vault,
    *,
    zone: Any,
    title: Any,
    description: Any = None,
    edits: Any = None,
    desired: Any = None,
    replacements: Mapping[RRsetKey, RRset | None] | None = None,
    submit: bool = False,
    rollback_of: int | None = None,
    agent: str = "",
    conversation_id: int | None = None,
) -> ChangeRequest:
    """Plan the edits, desired zone or replacements against live and store the request with revision 1.

    ``agent`` names the agent that proposes it on behalf of the grant's user (in ``conversation_id``).
    """
    grant.require(Permission.CHANGES_PROPOSE)
    clean_title = _text(title, "title", TITLE_MAX, required=True, single_line=True)
    clean_description = _text(description, "description", DESCRIPTION_MAX, required=False)
    target = _zone_of(session, grant, zone)
    live, source = _plan(
        session, vault, target, edits=edits, desired=desired, source=None, replacements=replacements
    )
    principal = grant.principal
    now = utcnow()
    change = ChangeRequest(
        workspace_id=grant.workspace.id,
        zone_id=target.id,
        title=clean_title,
        description=clean_description,
        state=S.DRAFT,
        created_by_id=principal.user.id,
        created_by_token_id=principal.token.id if principal.token else None,
        created_by=principal.label,
        rollback_of_id=rollback_of,
        agent=agent,
        on_behalf_of_id=principal.user.id if agent else None,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=settings.change_expiry_days),
    )
    session.add(change)
    session.flush()
    revision = _add_revision(session, change, live, source, principal)
    audit.record(
        session,
        workspace_id=change.workspace_id,
        actor=principal,
        action="change.create",
        target=f"change:{change.id}",
        details={
            "zone": target.fqdn,
            "to": S.DRAFT.value,
            "revision": revision.number,
            "plan_hash": revision.plan_hash,
            "changes": len(live.plan),
            "rollback_of": rollback_of,
            **({"agent": agent, "conversation": conversation_id} if agent else {}),
        },
    )
    if submit:
        _submit(session, settings, grant, change)
    return change


def _submit(session: Session, settings: Settings, grant: Access, change: ChangeRequest) -> None:
    revision = current_revision(session, change)
    plan = plan_of(revision)
    if not plan:
        raise _no_changes(change)
    move(session, change, S.PENDING_REVIEW, grant.principal, "change.submit")
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    policy = policies.for_zone(session, zone)
    notifications.awaiting_review(
        session, settings, change, plan.render()[-2000:], policy.approver_role(plan).rank
    )


def submit(session: Session, settings: Settings, grant: Access, change_id: int) -> ChangeRequest:
    """Ask for review: draft -> pending_review; a plan with no changes is refused."""
    grant.require(Permission.CHANGES_PROPOSE)
    change = get(session, grant, change_id, lock=True)
    refuse_if_expired(change)
    _require_author(grant, change, "submit")
    if change.state is not S.DRAFT:
        check_transition(change.state, S.PENDING_REVIEW)
        raise Conflict(f"change request {change.id} is already {change.state}")
    _submit(session, settings, grant, change)
    return change


def revise(
    session: Session,
    settings: Settings,
    grant: Access,
    vault: Vault,
    change_id: int,
    *,
    edits: Any = None,
    desired: Any = None,
    title: Any = None,
    description: Any = None,
) -> ChangeRequest:
    """A new revision from new edits or a desired zone, or (neither given) a re-plan of the last source.

    Approvals of earlier revisions no longer count; a request under review goes back to review.
    """
    grant.require(Permission.CHANGES_PROPOSE)
    change = get(session, grant, change_id)
    clean_title = None if title is None else _text(title, "title", TITLE_MAX, required=True, single_line=True)
    clean_description = (
        None if description is None else _text(description, "description", DESCRIPTION_MAX, required=False)
    )
    _check_revisable(grant, change)
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    previous = current_revision(session, change)
    live, source = _plan(session, vault, zone, edits=edits, desired=desired, source=previous.source)
    # The plan was made without a transaction; now take the request and check it again.
    change = get(session, grant, change_id, lock=True)
    _check_revisable(grant, change)
    if change.current_revision_id != previous.id:
        raise Conflict(f"change request {change.id} was revised meanwhile; look at it again")
    if clean_title is not None:
        change.title = clean_title
    if clean_description is not None:
        change.description = clean_description
    target = S.DRAFT if change.state is S.DRAFT else S.PENDING_REVIEW
    if target is S.PENDING_REVIEW and not live.plan:
        raise _no_changes(change)
    revision = _add_revision(session, change, live, source, grant.principal)
    move(
        session,
        change,
        target,
        grant.principal,
        "change.revise",
        {"previous_revision": previous.number, "previous_plan_hash": previous.plan_hash},
    )
    if target is S.PENDING_REVIEW:
        plan = live.plan
        policy = policies.for_zone(session, zone)
        notifications.awaiting_review(
            session, settings, change, plan.render()[-2000:], policy.approver_role(plan).rank
        )
    del revision
    return change


def _check_revisable(grant: Access, change: ChangeRequest) -> None:
    refuse_if_expired(change)
    _require_author(grant, change, "revise")
    if change.state not in OPEN_STATES:
        raise Conflict(f"change request {change.id} is {change.state}: it can no longer be revised")


def cancel(session: Session, grant: Access, change_id: int) -> ChangeRequest:
    """Withdraw an open request (its author, or an admin)."""
    grant.require(Permission.CHANGES_PROPOSE)
    change = get(session, grant, change_id, lock=True)
    refuse_if_expired(change)
    if not grant.allows(Permission.POLICY_MANAGE):
        _require_author(grant, change, "cancel")
    move(session, change, S.CANCELLED, grant.principal, "change.cancel")
    return change


def comment(session: Session, grant: Access, change_id: int, body: Any) -> Comment:
    """Add a comment (any member who may propose or review)."""
    grant.require(Permission.CHANGES_PROPOSE)
    change = get(session, grant, change_id)
    text = _text(body, "body", COMMENT_MAX, required=True)
    note = Comment(
        change_request_id=change.id, user_id=grant.principal.user.id, author=grant.principal.label, body=text
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        workspace_id=change.workspace_id,
        actor=grant.principal,
        action="change.comment",
        target=f"change:{change.id}",
        details={"comment": note.id},
    )
    return note


def revision_data(revision: ChangeRevision) -> dict[str, Any]:
    """A revision as the API and CLI show it."""
    plan = Plan.from_json(revision.plan)
    return {
        "number": revision.number,
        "plan_hash": revision.plan_hash,
        "summary": revision.summary,
        "plan": json.loads(revision.plan),
        "rendered": plan.render(),
        "risk_reasons": revision.risk_reasons,
        "fingerprints": revision.fingerprints,
        "created_by": revision.created_by,
        "created_at": revision.created_at.isoformat(),
    }
