"""Approval policies: how many approvals a change needs and from whom, per workspace with per-zone overrides.

The workspace row (``zone_id`` NULL) is the default; a zone's row overrides it. Without any row the
defaults hold: one approval, from an editor or above. A policy of no approval lets a workspace of one
ship: the author applies after confirming the exact plan hash and every risk. A change touching a
protected name (a shell-style pattern such as ``*.prod``, ``@``, ``www.example.com.`` or ``bücher``)
needs approvers who are admins or owners. ``independent_review`` makes a change the agent proposed need an
approver other than the person it acted for. Patterns and names are compared the same way: lower case,
punycode, no trailing dot, relative patterns read against the zone's origin.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import idna
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import permissions
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.dns.plan import Plan
from dunops.errors import InvalidInput, Problem
from dunops.storage.base import utcnow
from dunops.storage.models import ApprovalPolicy, Role, Zone
from dunops.zones import zones

MAX_APPROVALS = 10
MAX_PATTERNS = 100


@dataclass(frozen=True, slots=True)
class Policy:
    """The policy in force for one zone (or the workspace default)."""

    approvals_required: int = 1
    min_role: Role = Role.EDITOR
    protected_names: tuple[str, ...] = field(default=())
    zone: str | None = None
    independent_review: bool = False

    def to_data(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "approvals_required": self.approvals_required,
            "min_role": self.min_role.value,
            "protected_names": list(self.protected_names),
            "independent_review": self.independent_review,
        }

    def protected_in(self, plan: Plan) -> list[str]:
        """The changed names (relative to the zone, ``@`` for the apex) that match a protected pattern."""
        origin = _bare(plan.origin)
        patterns = [absolute_pattern(pattern, origin) for pattern in self.protected_names]
        hits = []
        for change in plan.changes:
            name = _bare(change.rrset.key)
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                hits.append("@" if name == origin else name.removesuffix("." + origin))
        return sorted(set(hits))

    def approver_role(self, plan: Plan) -> Role:
        """The lowest role that may approve this plan."""
        if self.protected_in(plan) and self.min_role.rank < Role.ADMIN.rank:
            return Role.ADMIN
        return self.min_role

    def admits(self, role: Role, plan: Plan) -> bool:
        """Whether a member of ``role`` may approve this plan under this policy."""
        return permissions.allows(role, Permission.CHANGES_APPROVE) and (
            role.rank >= self.approver_role(plan).rank
        )


_WILDCARD = frozenset("*?[]")


def _bare(name: str) -> str:
    """A name lower-cased, without its trailing dot, Unicode labels as punycode (as zones store them)."""
    return _ascii(name.strip().lower().rstrip("."))


def _ascii(text: str) -> str:
    labels = []
    for label in text.split("."):
        if label.isascii() or _WILDCARD & set(label):
            labels.append(label)
            continue
        try:
            labels.append(idna.encode(label, uts46=True).decode("ascii"))
        except idna.IDNAError:
            labels.append(label)  # cannot name a real label, so it matches nothing
    return ".".join(labels)


def absolute_pattern(pattern: str, origin: str) -> str:
    """A protected-name pattern as an absolute, dotless, punycode pattern within zone ``origin``.

    ``@`` is the apex; a pattern ending in a dot, or naming the zone or a name inside it, is absolute;
    anything else is relative to the zone (``www``, ``*.prod``).
    """
    zone = _bare(origin)
    text = pattern.strip().lower()
    if text in ("@", ""):
        return zone
    if text.endswith("."):
        return _bare(text)
    bare = _bare(text)
    if bare == zone or bare.endswith("." + zone):
        return bare
    return f"{bare}.{zone}"


def _row(session: Session, workspace_id: int, zone_id: int | None) -> ApprovalPolicy | None:
    query = select(ApprovalPolicy).where(ApprovalPolicy.workspace_id == workspace_id)
    query = query.where(
        ApprovalPolicy.zone_id.is_(None) if zone_id is None else ApprovalPolicy.zone_id == zone_id
    )
    return session.scalars(query).first()


def _of(row: ApprovalPolicy | None, zone: str | None) -> Policy:
    if row is None:
        return Policy(zone=zone)
    return Policy(
        row.approvals_required, row.min_role, tuple(row.protected_names), zone, row.independent_review
    )


def for_zone(session: Session, zone: Zone) -> Policy:
    """The zone's override when it has one, else the workspace default (one query for both)."""
    rows = session.scalars(
        select(ApprovalPolicy).where(
            ApprovalPolicy.workspace_id == zone.workspace_id,
            or_(ApprovalPolicy.zone_id == zone.id, ApprovalPolicy.zone_id.is_(None)),
        )
    ).all()
    own = next((row for row in rows if row.zone_id == zone.id), None)
    if own is not None:
        return _of(own, zone.fqdn)
    return _of(next(iter(rows), None), None)


def show(session: Session, grant: Access) -> tuple[Policy, list[Policy]]:
    """The workspace default and every zone override."""
    grant.require(Permission.WORKSPACE_READ)
    default = _of(_row(session, grant.workspace.id, None), None)
    rows = session.execute(
        select(ApprovalPolicy, Zone.fqdn)
        .join(Zone, Zone.id == ApprovalPolicy.zone_id)
        .where(ApprovalPolicy.workspace_id == grant.workspace.id)
        .order_by(Zone.fqdn)
    )
    return default, [_of(row, fqdn) for row, fqdn in rows]


def _clean(
    approvals_required: Any, min_role: Any, protected_names: Any, independent_review: Any = None
) -> tuple[int | None, Role | None, list[str] | None]:
    problems: list[Problem] = []
    required = role = names = None
    if approvals_required is not None:
        if (
            isinstance(approvals_required, bool)
            or not isinstance(approvals_required, int)
            or not 0 <= approvals_required <= MAX_APPROVALS
        ):
            problems.append(
                Problem(f"must be a whole number from 0 to {MAX_APPROVALS}", "approvals_required")
            )
        else:
            required = approvals_required
    if min_role is not None:
        try:
            role = Role(min_role)
        except ValueError:
            problems.append(Problem("must be one of editor, admin, owner", "min_role"))
        else:
            if role is Role.VIEWER:
                problems.append(Problem("a viewer may never approve; use editor, admin or owner", "min_role"))
    if protected_names is not None:
        if not isinstance(protected_names, Sequence) or isinstance(protected_names, str):
            problems.append(Problem("must be a list of name patterns", "protected_names"))
        elif len(protected_names) > MAX_PATTERNS:
            problems.append(Problem(f"at most {MAX_PATTERNS} patterns", "protected_names"))
        else:
            names = []
            for index, pattern in enumerate(protected_names):
                if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 255:
                    problems.append(Problem("must be a non-empty name pattern", f"protected_names[{index}]"))
                else:
                    names.append(pattern.strip().lower())
    if independent_review is not None and not isinstance(independent_review, bool):
        problems.append(Problem("must be true or false", "independent_review"))
    if problems:
        raise InvalidInput.collect(problems)
    return required, role, names


def update(
    session: Session,
    grant: Access,
    *,
    zone: str | None = None,
    approvals_required: Any = None,
    min_role: Any = None,
    protected_names: Any = None,
    independent_review: Any = None,
    clear: bool = False,
) -> Policy:
    """Change the workspace default (or a zone's override); ``clear`` drops a zone's override."""
    grant.require(Permission.POLICY_MANAGE)
    target = zones.get(session, grant, zone) if zone else None
    required, role, names = _clean(approvals_required, min_role, protected_names, independent_review)
    row = _row(session, grant.workspace.id, target.id if target else None)
    if clear:
        if target is None:
            raise InvalidInput.single("only a zone's override can be cleared", "clear")
        if row is not None:
            session.delete(row)
            session.flush()
        audit.record(
            session,
            workspace_id=grant.workspace.id,
            actor=grant.principal,
            action="policy.clear",
            target=f"zone:{target.fqdn}",
        )
        return for_zone(session, target)
    if row is None:
        base = _of(_row(session, grant.workspace.id, None), None) if target is not None else Policy()
        row = ApprovalPolicy(
            workspace_id=grant.workspace.id,
            zone_id=target.id if target else None,
            approvals_required=base.approvals_required,
            min_role=base.min_role,
            protected_names=list(base.protected_names),
            independent_review=base.independent_review,
        )
        session.add(row)
    if required is not None:
        row.approvals_required = required
    if role is not None:
        row.min_role = role
    if names is not None:
        row.protected_names = names
    if independent_review is not None:
        row.independent_review = independent_review
    row.updated_at = utcnow()
    session.flush()
    result = _of(row, target.fqdn if target else None)
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="policy.update",
        target=f"zone:{target.fqdn}" if target else f"workspace:{grant.workspace.slug}",
        details=result.to_data(),
    )
    return result
