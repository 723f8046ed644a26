"""Workspace plans: what a workspace may hold (zones, RRsets per zone and per change, connections,
members, agent messages a day), set by its plan from the table in settings (``DUNOPS_PLANS``).

Limits hold where the operator sells plans (``DUNOPS_ENFORCE_PLANS=true``); a self-hosted install
leaves them off and every workspace may hold what the instance-wide limits allow.

A limit refuses only what would add: a workspace over its plan after a downgrade keeps every zone,
record and connection it has, can still read, change and remove them, and is told which limit stops a
new one and how to get room. Nothing is ever deleted to fit a plan.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dunops.config import DEFAULT_PLANS, PlanLimits, Settings
from dunops.errors import Conflict, InvalidInput, Problem
from dunops.storage.models import Membership, ProviderConnection, Workspace, Zone

FREE = "free"

_table: dict[str, PlanLimits] = dict(DEFAULT_PLANS)
_enforced = [False]


class OverPlan(Conflict):
    """The workspace's plan has no room for what the request would add."""

    title = "Plan limit reached"


def configure(settings: Settings) -> None:
    """Use the plan table of ``settings`` in this process (the app, the CLI and the worker call it)."""
    _table.clear()
    _table.update(settings.plans)
    _enforced[0] = settings.enforce_plans


def names() -> list[str]:
    return list(_table)


def known(name: str) -> str:
    """``name`` if it is a plan of the table; the refusal lists the plans."""
    if name not in _table:
        raise InvalidInput.single(f"unknown plan '{name}'; plans: {', '.join(_table)}", "plan")
    return name


def limits_of(workspace: Workspace) -> PlanLimits:
    """The limits of the workspace's plan; a plan dropped from the table counts as Free."""
    return _table.get(workspace.plan) or _table[FREE]


def agent_questions_a_day(workspace: Workspace, instance_limit: int) -> tuple[int, str]:
    """How many questions the workspace may ask the agent a day, and what sets it: the instance's
    ``DUNOPS_AGENT_DAILY_MESSAGES``, or the workspace's plan where plans hold and it allows fewer."""
    plan = limits_of(workspace)
    if _enforced[0] and plan.agent_messages_per_day < instance_limit:
        return plan.agent_messages_per_day, f"the daily limit of its {plan.label} plan"
    return instance_limit, "its daily limit"


def _refuse(workspace: Workspace, what: str, have: int, allowed: int, location: str) -> OverPlan:
    plan = limits_of(workspace)
    return OverPlan(
        f"the {plan.label} plan of workspace '{workspace.slug}' allows {allowed:,} {what}; it has {have:,}."
        " Nothing was removed: remove some, or upgrade the plan, to add more",
        [Problem(f"over the plan's {allowed:,} {what}", location, "plan-limit")],
    )


def _count(
    session: Session, model: type[Zone | ProviderConnection | Membership], workspace: Workspace
) -> int:
    query = select(func.count()).select_from(model).where(model.workspace_id == workspace.id)
    return int(session.scalar(query) or 0)


def _room(
    session: Session,
    workspace: Workspace,
    model: type[Zone | ProviderConnection | Membership],
    what: str,
    allowed: int,
    location: str,
) -> None:
    if not _enforced[0]:
        return
    have = _count(session, model, workspace)
    if have >= allowed:
        raise _refuse(workspace, what, have, allowed, location)


def require_zone_room(session: Session, workspace: Workspace) -> None:
    """Refuse a new zone when the workspace holds as many as its plan allows."""
    _room(session, workspace, Zone, "zones", limits_of(workspace).zones, "name")


def require_connection_room(session: Session, workspace: Workspace) -> None:
    _room(session, workspace, ProviderConnection, "connections", limits_of(workspace).connections, "kind")


def require_member_room(session: Session, workspace: Workspace) -> None:
    _room(session, workspace, Membership, "members", limits_of(workspace).members, "email")


def require_zone_size(workspace: Workspace, rrsets: int, *, before: int = 0) -> None:
    """Refuse a zone of ``rrsets`` RRsets past the plan's zone size, unless it does not grow (``before``)."""
    allowed = limits_of(workspace).zone_rrsets
    if _enforced[0] and rrsets > allowed and rrsets > before:
        raise _refuse(workspace, "RRsets in one zone", rrsets, allowed, "content")


def require_change_size(workspace: Workspace, rrsets: int) -> None:
    """Refuse a change touching more RRsets than the plan allows in one change."""
    allowed = limits_of(workspace).change_rrsets
    if _enforced[0] and rrsets > allowed:
        raise _refuse(workspace, "RRsets changed at once", rrsets, allowed, "edits")
