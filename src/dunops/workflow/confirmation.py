"""Confirming a plan: the exact plan hash a person reviewed, and every risk of that plan acknowledged.

A reviewer confirms when approving; under a policy that needs no approval, the author confirms when
applying. Either way the plan confirmed is the plan applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dunops.errors import Conflict, InvalidInput, Problem
from dunops.storage.models import ChangeRequest, ChangeRevision


def confirmed(change: ChangeRequest, revision: ChangeRevision, plan_hash: Any, acknowledge: Any) -> list[str]:
    """The acknowledged risk ids, once ``plan_hash`` is the revision's and every risk is acknowledged."""
    if not isinstance(plan_hash, str) or not plan_hash.strip():
        raise InvalidInput.single("is required: the hash of the plan you reviewed", "plan_hash")
    if not isinstance(acknowledge, Sequence) or isinstance(acknowledge, str):
        raise InvalidInput.single("must be a list of risk reason ids", "acknowledge")
    acknowledged = sorted({str(item) for item in acknowledge})
    if plan_hash.strip().lower() != revision.plan_hash:
        raise Conflict(
            f"the plan you reviewed ({plan_hash.strip()[:12]}) is not the current plan of change request "
            f"{change.id}: revision {revision.number} has plan hash {revision.plan_hash}; review it again",
            [Problem("is not the current plan's hash", "plan_hash")],
        )
    reasons = {reason["id"]: reason for reason in revision.risk_reasons}
    problems = [
        Problem(f"acknowledge risk '{rid}': {reason['message']}", "acknowledge", rid)
        for rid, reason in reasons.items()
        if rid not in acknowledged
    ]
    problems.extend(
        Problem(f"'{rid}' is not a risk reason of this plan", "acknowledge", rid)
        for rid in acknowledged
        if rid not in reasons
    )
    if problems:
        raise InvalidInput.collect(problems, f"{len(problems)} risk acknowledgement problem(s)")
    return acknowledged
