"""Every permission decision in DunOps: one role -> permission table that every service consults.

Nothing else compares roles. A token acts with the lower of its own role and its creator's current role.
A refusal is one sentence naming the role and what it may not do ("A viewer may not apply changes.").
"""

from __future__ import annotations

from enum import StrEnum

from dunops.errors import NotFound, PermissionDenied
from dunops.storage.models import Membership, Role


class Permission(StrEnum):
    WORKSPACE_READ = "workspace.read"
    WORKSPACE_UPDATE = "workspace.update"
    WORKSPACE_DELETE = "workspace.delete"
    WORKSPACE_EXPORT = "workspace.export"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    OWNERS_MANAGE = "owners.manage"
    TOKENS_MANAGE = "tokens.manage"
    MEMBER_TOKENS_MANAGE = "member_tokens.manage"
    AUDIT_READ = "audit.read"
    CONNECTIONS_READ = "connections.read"
    CONNECTIONS_MANAGE = "connections.manage"
    ZONES_READ = "zones.read"
    ZONES_MANAGE = "zones.manage"
    CHANGES_PROPOSE = "changes.propose"
    CHANGES_APPROVE = "changes.approve"
    CHANGES_APPLY = "changes.apply"
    POLICY_MANAGE = "policy.manage"
    AGENT_MANAGE = "agent.manage"


_VIEWER = {
    Permission.WORKSPACE_READ,
    Permission.MEMBERS_READ,
    Permission.TOKENS_MANAGE,
    Permission.CONNECTIONS_READ,
    Permission.ZONES_READ,
}
_EDITOR = _VIEWER | {
    Permission.ZONES_MANAGE,
    Permission.CHANGES_PROPOSE,
    Permission.CHANGES_APPROVE,
    Permission.CHANGES_APPLY,
}
_ADMIN = _EDITOR | {
    Permission.WORKSPACE_UPDATE,
    Permission.MEMBERS_MANAGE,
    Permission.MEMBER_TOKENS_MANAGE,
    Permission.AUDIT_READ,
    Permission.CONNECTIONS_MANAGE,
    Permission.POLICY_MANAGE,
}
_OWNER = _ADMIN | {
    Permission.OWNERS_MANAGE,
    Permission.WORKSPACE_DELETE,
    Permission.WORKSPACE_EXPORT,
    Permission.AGENT_MANAGE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.EDITOR: frozenset(_EDITOR),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}

# What each permission lets a member do, worded to finish "A viewer may not ...".
ACTIONS: dict[Permission, str] = {
    Permission.WORKSPACE_READ: "open this workspace",
    Permission.WORKSPACE_UPDATE: "change the workspace's settings",
    Permission.WORKSPACE_DELETE: "delete the workspace",
    Permission.WORKSPACE_EXPORT: "export the workspace's data",
    Permission.MEMBERS_READ: "see the workspace's members",
    Permission.MEMBERS_MANAGE: "invite, remove or change members",
    Permission.OWNERS_MANAGE: "make, remove or change owners",
    Permission.TOKENS_MANAGE: "manage their own API tokens",
    Permission.MEMBER_TOKENS_MANAGE: "manage other members' tokens",
    Permission.AUDIT_READ: "read the audit log",
    Permission.CONNECTIONS_READ: "see the provider connections",
    Permission.CONNECTIONS_MANAGE: "add, change or remove provider connections",
    Permission.ZONES_READ: "read zones",
    Permission.ZONES_MANAGE: "add, import, sync or remove zones",
    Permission.CHANGES_PROPOSE: "propose changes",
    Permission.CHANGES_APPROVE: "approve changes",
    Permission.CHANGES_APPLY: "apply changes",
    Permission.POLICY_MANAGE: "change the approval policy",
    Permission.AGENT_MANAGE: "switch the agent on or off",
}


def effective_role(membership_role: Role, token_role: Role | None) -> Role:
    """A token never acts above the role its creator holds now."""
    if token_role is None or token_role.rank >= membership_role.rank:
        return membership_role
    return token_role


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def with_article(role: Role) -> str:
    """The role as a sentence names a member of it: "a viewer", "an admin"."""
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"


def refusal(role: Role, permission: Permission) -> str:
    """The sentence that says ``role`` may not do what ``permission`` covers."""
    return f"{with_article(role).capitalize()} may not {ACTIONS[permission]}."


def require(role: Role, permission: Permission) -> None:
    if not allows(role, permission):
        raise PermissionDenied(refusal(role, permission))


def can_grant(granter: Role, role: Role) -> bool:
    """Whether a member of role ``granter`` may give (or take away) ``role``."""
    if role == Role.OWNER:
        return allows(granter, Permission.OWNERS_MANAGE)
    return allows(granter, Permission.MEMBERS_MANAGE) and role.rank <= granter.rank


def not_a_member(slug: str) -> NotFound:
    """The refusal for a workspace the caller may not see: 404, so its existence does not leak."""
    return NotFound(f"workspace '{slug}' not found")


__all__ = [
    "ACTIONS",
    "ROLE_PERMISSIONS",
    "Membership",
    "Permission",
    "allows",
    "can_grant",
    "effective_role",
    "not_a_member",
    "refusal",
    "require",
    "with_article",
]
