"""Who belongs to a workspace and in which role: listing, adding, changing roles, removing.

Nobody grants a role above their own, only owners grant or take away ownership (``permissions.can_grant``),
and a workspace always keeps at least one owner.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from dunops import audit
from dunops.accounts import permissions, plans, tokens, users
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dunops.storage.models import Membership, Role, User


def listing(session: Session, grant: Access) -> list[Membership]:
    grant.require(Permission.MEMBERS_READ)
    query = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.user))
        .where(Membership.workspace_id == grant.workspace.id)
        .order_by(User.email)
    )
    return list(session.scalars(query))


def _require_grant(grant: Access, role: Role, verb: str) -> None:
    grant.require(Permission.MEMBERS_MANAGE)
    if not permissions.can_grant(grant.role, role):
        raise PermissionDenied(f"as {grant.role} you cannot {verb} the {role} role")


def _member(session: Session, grant: Access, user_id: int) -> Membership:
    found = session.scalars(
        select(Membership).where(Membership.workspace_id == grant.workspace.id, Membership.user_id == user_id)
    ).first()
    if found is None:
        raise NotFound(f"user {user_id} is not a member of '{grant.workspace.slug}'")
    return found


def _owner_count(session: Session, workspace_id: int) -> int:
    # Locking the owner rows makes two owners who demote each other at once queue up (PostgreSQL).
    owners = session.scalars(
        select(Membership.id)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER)
        .with_for_update()
    )
    return len(list(owners))


def _keep_an_owner(session: Session, grant: Access, member: Membership, verb: str) -> None:
    if member.role == Role.OWNER and _owner_count(session, grant.workspace.id) <= 1:
        raise Conflict(
            f"cannot {verb} the last owner of '{grant.workspace.slug}'; make someone else owner first"
        )


def _shares_a_workspace(session: Session, user_id: int, other_id: int) -> bool:
    mine = select(Membership.workspace_id).where(Membership.user_id == user_id)
    shared = select(Membership.id).where(Membership.user_id == other_id, Membership.workspace_id.in_(mine))
    return session.scalars(shared.limit(1)).first() is not None


def add(
    session: Session, grant: Access, email: str, role: Role, *, colleagues_only: bool = False
) -> Membership:
    """Add an existing user by email; everyone else is invited.

    The operator (CLI) may add anyone. Through the API, ``colleagues_only``: only people who already share
    a workspace with the caller, so that nobody is put in a workspace by a stranger, and the refusal is the
    same whether or not the address has an account.
    """
    _require_grant(grant, role, "grant")
    user = users.by_email(session, email)
    known = user is not None and user.is_active
    if known and colleagues_only:
        assert user is not None
        known = _shares_a_workspace(session, grant.principal.user.id, user.id)
    if user is None or not known:
        raise InvalidInput.single(
            "no one you already work with has this email address; invite them instead", "email"
        )
    existing = session.scalars(
        select(Membership).where(Membership.workspace_id == grant.workspace.id, Membership.user_id == user.id)
    ).first()
    if existing is not None:
        raise Conflict(f"{user.email} is already a member of '{grant.workspace.slug}' as {existing.role}")
    plans.require_member_room(session, grant.workspace)
    member = Membership(workspace_id=grant.workspace.id, user_id=user.id, role=role)
    session.add(member)
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="member.add",
        target=f"user:{user.id}",
        details={"email": user.email, "role": str(role)},
    )
    return member


def change_role(session: Session, grant: Access, user_id: int, role: Role) -> Membership:
    """Give a member another role; both the old and the new role must be yours to grant."""
    member = _member(session, grant, user_id)
    _require_grant(grant, role, "grant")
    _require_grant(grant, Role(member.role), "take away")
    if member.role == role:
        return member
    if role != Role.OWNER:
        _keep_an_owner(session, grant, member, "demote")
    previous = member.role
    member.role = role
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="member.role_change",
        target=f"user:{user_id}",
        details={"from": str(previous), "to": str(role)},
    )
    return member


def remove(session: Session, grant: Access, user_id: int) -> None:
    """Remove a member (or leave, when it is yourself); their tokens in the workspace are revoked."""
    member = _member(session, grant, user_id)
    leaving = user_id == grant.principal.user.id
    if leaving and grant.principal.token is not None:
        raise PermissionDenied("an API token cannot make its creator leave a workspace; sign in to leave")
    if not leaving:
        _require_grant(grant, Role(member.role), "remove a member with")
    _keep_an_owner(session, grant, member, "remove")
    tokens.revoke_member_tokens(session, grant.workspace.id, user_id, grant.principal)
    role = member.role
    session.delete(member)
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="member.leave" if leaving else "member.remove",
        target=f"user:{user_id}",
        details={"role": str(role)},
    )
