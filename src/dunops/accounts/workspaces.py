"""Workspaces: creation (the creator becomes owner), renaming, and the caller's list of workspaces.

A slug is derived from the name unless one is given; it is unique and matches ``SLUG_PATTERN``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import access, permissions
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from dunops.storage.models import Membership, Role, User, Workspace, WorkspaceStatus

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
NAME_MAX = 100
_DERIVED_SLUG_MAX = 50


@dataclass(frozen=True, slots=True)
class WorkspaceRole:
    """A workspace as the caller sees it: with the role the caller acts with there."""

    workspace: Workspace
    role: Role


def clean_name(name: str) -> str:
    """A trimmed display name of 1 to 100 printable characters; the refusal names the field."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput.single("must not be empty", "name")
    if len(cleaned) > NAME_MAX:
        raise InvalidInput.single(f"must be at most {NAME_MAX} characters", "name")
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise InvalidInput.single("must not contain control characters", "name")
    return cleaned


def slugify(name: str) -> str:
    """A slug candidate from a name: ASCII, lower case, words joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:_DERIVED_SLUG_MAX].strip("-")
    return slug if len(slug) >= 2 else "workspace"


def check_slug(slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidInput.single(
            "must be 2-63 lower-case letters, digits and hyphens, starting with a letter or digit",
            "slug",
        )
    return slug


def _slug_taken(session: Session, slug: str) -> bool:
    return session.scalars(select(Workspace.id).where(Workspace.slug == slug)).first() is not None


def _unique_slug(session: Session, base: str) -> str:
    candidate, number = base, 1
    while _slug_taken(session, candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def create(session: Session, actor: Principal, name: str, slug: str | None = None) -> Workspace:
    """Create a workspace owned by the acting user; an explicit slug must be free."""
    if actor.token is not None:
        raise PermissionDenied("an API token is bound to one workspace and cannot create workspaces")
    cleaned = clean_name(name)
    if slug is not None:
        chosen = check_slug(slug)
        if _slug_taken(session, chosen):
            raise Conflict(
                f"the slug '{chosen}' is already taken", [Problem("is already taken", "slug", "taken")]
            )
    else:
        chosen = _unique_slug(session, slugify(cleaned))
    workspace = Workspace(name=cleaned, slug=chosen)
    session.add(workspace)
    session.flush()
    session.add(Membership(workspace_id=workspace.id, user_id=actor.user.id, role=Role.OWNER))
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=actor,
        action="workspace.create",
        target=f"workspace:{workspace.slug}",
        details={"name": workspace.name, "slug": workspace.slug, "owner_user_id": actor.user.id},
    )
    return workspace


def get(session: Session, principal: Principal, slug: str) -> Access:
    """The caller's view of one workspace (404 unless a member, or a token of that workspace)."""
    return access.resolve(session, principal, slug, Permission.WORKSPACE_READ)


def rename(session: Session, grant: Access, name: str) -> Workspace:
    """Rename a workspace (admin and above); the slug stays, so links keep working."""
    grant.require(Permission.WORKSPACE_UPDATE)
    workspace = grant.workspace
    cleaned = clean_name(name)
    if cleaned == workspace.name:
        return workspace
    previous = workspace.name
    workspace.name = cleaned
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=grant.principal,
        action="workspace.rename",
        target=f"workspace:{workspace.slug}",
        details={"from": previous, "to": cleaned},
    )
    return workspace


def set_agent(session: Session, grant: Access, enabled: bool) -> Workspace:
    """Switch the agent on or off for the workspace (owners only)."""
    grant.require(Permission.AGENT_MANAGE)
    workspace = grant.workspace
    if workspace.agent_enabled == enabled:
        return workspace
    workspace.agent_enabled = enabled
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=grant.principal,
        action="workspace.agent_enabled" if enabled else "workspace.agent_disabled",
        target=f"workspace:{workspace.slug}",
    )
    return workspace


def listing(session: Session, principal: Principal) -> list[WorkspaceRole]:
    """The caller's active workspaces; a token sees only its own workspace."""
    query = (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == principal.user.id, Workspace.status == WorkspaceStatus.ACTIVE)
        .order_by(Workspace.name, Workspace.id)
    )
    token_role: Role | None = None
    if principal.token is not None:
        query = query.where(Workspace.id == principal.token.workspace_id)
        token_role = Role(principal.token.role)
    return [
        WorkspaceRole(workspace, permissions.effective_role(Role(role), token_role))
        for workspace, role in session.execute(query)
    ]


def by_slug(session: Session, slug: str) -> Workspace:
    """Operator lookup (CLI): any workspace by slug, whoever is asking."""
    workspace = session.scalars(select(Workspace).where(Workspace.slug == slug)).first()
    if workspace is None:
        raise NotFound(f"workspace '{slug}' not found")
    return workspace


def every(session: Session) -> list[Workspace]:
    """Operator listing (CLI): every workspace on this instance."""
    return list(session.scalars(select(Workspace).order_by(Workspace.slug)))


def owners(session: Session, workspace: Workspace) -> list[User]:
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id, Membership.role == Role.OWNER)
        .order_by(Membership.created_at, Membership.id)
    )
    return list(session.scalars(query))


def first_owner(session: Session, slug: str) -> User:
    """The owner the operator acts on behalf of when a CLI command names only the workspace."""
    found = owners(session, by_slug(session, slug))
    if not found:
        raise Conflict(f"workspace '{slug}' has no owner")
    return found[0]
