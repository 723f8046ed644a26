"""Deployments: list and show them, reconcile or verify one again, and roll one back.

A rollback is a new change request that restores the RRsets a deployment touched to their content
before it, planned against the zone as served now and reviewed like any other. Restoring a zone
version works the same way with the whole version as the desired zone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.config import Settings
from dunops.dns.plan import Plan
from dunops.errors import Conflict, NotFound
from dunops.security.vault import Vault
from dunops.storage.base import utcnow
from dunops.storage.database import released
from dunops.storage.models import (
    ChangeRequest,
    ChangeRevision,
    Deployment,
    DeploymentState,
    Zone,
)
from dunops.workflow import apply, requests
from dunops.zones import versions, zones

WROTE = frozenset(
    {
        DeploymentState.APPLIED,
        DeploymentState.VERIFIED,
        DeploymentState.UNVERIFIED,
        DeploymentState.FAILED,
        DeploymentState.PARTIAL,
        DeploymentState.UNKNOWN,
    }
)


def page(
    session: Session, grant: Access, *, zone: str | None = None, before: int | None = None, limit: int = 50
) -> list[Deployment]:
    """Deployments of the workspace, newest first, older than ``before`` (an id); one query per page."""
    grant.require(Permission.ZONES_READ)
    query = select(Deployment).where(Deployment.workspace_id == grant.workspace.id)
    if zone:
        query = query.where(Deployment.zone_id == zones.get(session, grant, zone).id)
    if before is not None:
        query = query.where(Deployment.id < before)
    return list(session.scalars(query.order_by(Deployment.id.desc()).limit(limit)))


def get(session: Session, grant: Access, deployment_id: int) -> Deployment:
    grant.require(Permission.ZONES_READ)
    deployment = session.scalars(
        select(Deployment).where(
            Deployment.id == deployment_id, Deployment.workspace_id == grant.workspace.id
        )
    ).first()
    if deployment is None:
        raise NotFound(f"deployment {deployment_id} not found")
    return deployment


def reconcile(
    session: Session, factory: sessionmaker[Session], settings: Settings, grant: Access, deployment_id: int
) -> Deployment:
    """Reconcile one ``running`` deployment whose lease lapsed now, instead of at the next round; a
    deployment that is not running is returned as it is."""
    grant.require(Permission.CHANGES_APPLY)
    deployment = get(session, grant, deployment_id)
    if deployment.state is not DeploymentState.RUNNING:
        return deployment
    until = deployment.lease_expires_at
    if until is not None and until >= utcnow():
        raise Conflict(
            f"deployment {deployment.id} is running: its worker holds it until "
            f"{until.isoformat(timespec='seconds')}; it can be reconciled once that lease lapses"
        )
    with released(session):
        apply.reconcile(factory, settings, deployment.id)
    session.refresh(deployment)
    return deployment


def verify_again(session: Session, settings: Settings, grant: Access, deployment_id: int) -> Deployment:
    """Verify an ``unverified`` deployment again, as jobs, with a new deadline."""
    grant.require(Permission.CHANGES_APPLY)
    return apply.verify_again(session, settings, grant, get(session, grant, deployment_id))


def rollback(
    session: Session,
    settings: Settings,
    grant: Access,
    vault: Vault,
    deployment_id: int,
    *,
    submit: bool = True,
    title: str | None = None,
) -> ChangeRequest:
    """A new change request restoring every RRset the deployment touched to its content before it."""
    grant.require(Permission.CHANGES_PROPOSE)
    deployment = get(session, grant, deployment_id)
    if deployment.state not in WROTE:
        raise Conflict(f"deployment {deployment.id} is {deployment.state}: it wrote nothing to roll back")
    revision = session.get(ChangeRevision, deployment.revision_id)
    zone = session.get(Zone, deployment.zone_id)
    assert revision is not None
    assert zone is not None
    plan = Plan.from_json(revision.plan)
    restore = {(change.rrset.key, change.rtype): change.before for change in plan.changes}
    return requests.create(
        session,
        settings,
        grant,
        vault,
        zone=zone.fqdn,
        title=title or f"Roll back deployment {deployment.id}",
        description=(
            f"Restores the {len(plan)} RRset(s) deployment {deployment.id} changed "
            "to their content before it."
        ),
        replacements=restore,
        submit=submit,
        rollback_of=deployment.id,
    )


def restore_version(
    session: Session,
    settings: Settings,
    grant: Access,
    vault: Vault,
    zone_name: str,
    number: int,
    *,
    submit: bool = True,
) -> ChangeRequest:
    """A new change request making the zone what version ``number`` stored."""
    grant.require(Permission.CHANGES_PROPOSE)
    zone = zones.get(session, grant, zone_name)
    version = versions.by_number(session, zone, number)
    return requests.create(
        session,
        settings,
        grant,
        vault,
        zone=zone.fqdn,
        title=f"Restore {zone.fqdn} to version {number}",
        description=f"Makes the zone what version {number} ({version.source}) stored.",
        desired=versions.content_of(session, zone, version),
        submit=submit,
    )
