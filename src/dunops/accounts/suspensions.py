"""What a suspended account or workspace is told: a 403 that names the suspension and its reason."""

from __future__ import annotations

from dunops.errors import Suspended
from dunops.storage.models import User, Workspace

_CONTACT = "contact the operator of this DunOps service"


def of_user(user: User) -> Suspended:
    reason = f": {user.suspended_reason}" if user.suspended_reason else ""
    return Suspended(f"the account {user.email} is suspended{reason}; {_CONTACT}")


def of_workspace(workspace: Workspace) -> Suspended:
    reason = f": {workspace.suspended_reason}" if workspace.suspended_reason else ""
    return Suspended(f"the workspace '{workspace.slug}' is suspended{reason}; {_CONTACT}")
