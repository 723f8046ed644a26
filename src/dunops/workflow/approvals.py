"""Which approvals count now: an approval is re-judged against today's members and policy, not the past.

An approval of the current plan counts only while its approver is an active user, still a member of
the workspace whose current role (lowered by the approving token's role, when a token approved) allows
approving and meets the policy's required role for the plan (admin for protected names), and is not
the author. The person the agent proposed a change for approves it explicitly, unless the policy demands
independent review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import permissions
from dunops.accounts.access import membership
from dunops.accounts.permissions import Permission
from dunops.dns.plan import Plan
from dunops.storage.models import ApiToken, Approval, ChangeRequest, ChangeRevision, Decision, User
from dunops.workflow.policy import Policy


@dataclass(frozen=True, slots=True)
class Standing:
    """The approvals of the current plan that count, and why each other one does not."""

    counting: list[Approval]
    lapsed: list[tuple[Approval, str]]
    required: int

    @property
    def enough(self) -> bool:
        return len(self.counting) >= self.required

    def reasons(self) -> list[str]:
        return [f"{approval.reviewer or 'a reviewer'}: {why}" for approval, why in self.lapsed]


def _why_not(
    session: Session, change: ChangeRequest, approval: Approval, policy: Policy, plan: Plan
) -> str | None:
    if approval.user_id is None:
        return "the approver's account no longer exists"
    if change.agent and approval.user_id == change.on_behalf_of_id:
        if policy.independent_review:
            return "the policy demands independent review: the person the agent acted for cannot approve"
    elif approval.user_id in {change.created_by_id, change.on_behalf_of_id}:
        return "the author cannot approve their own request"
    user = session.get(User, approval.user_id)
    if user is None or not user.is_active:
        return "the approver's account is not active"
    member = membership(session, change.workspace_id, user.id)
    if member is None:
        return "the approver is no longer a member of the workspace"
    token = session.get(ApiToken, approval.token_id) if approval.token_id is not None else None
    role = permissions.effective_role(member.role, token.role if token is not None else None)
    if not permissions.allows(role, Permission.CHANGES_APPROVE):
        return f"the approver's role is now {role}, which may not approve changes"
    needed = policy.approver_role(plan)
    if not policy.admits(role, plan):
        return f"the policy now needs the {needed} role or above; the approver is {role}"
    return None


def standing(
    session: Session,
    change: ChangeRequest,
    revision: ChangeRevision,
    policy: Policy,
    plan: Plan,
    *,
    loaded: Sequence[Approval] | None = None,
) -> Standing:
    """Judge every approval of the revision's exact plan hash against the current members and policy.

    ``loaded`` are the request's approvals when the caller has just read them all.
    """
    if loaded is None:
        approvals: Iterable[Approval] = session.scalars(
            select(Approval)
            .where(
                Approval.change_request_id == change.id,
                Approval.revision_id == revision.id,
                Approval.plan_hash == revision.plan_hash,
                Approval.decision == Decision.APPROVE,
            )
            .order_by(Approval.id)
        )
    else:
        approvals = [
            approval
            for approval in loaded
            if approval.revision_id == revision.id
            and approval.plan_hash == revision.plan_hash
            and approval.decision == Decision.APPROVE
        ]
    counting: list[Approval] = []
    lapsed: list[tuple[Approval, str]] = []
    for approval in approvals:
        why = _why_not(session, change, approval, policy, plan)
        if why is None:
            counting.append(approval)
        else:
            lapsed.append((approval, why))
    return Standing(counting, lapsed, policy.approvals_required)
