"""``/api/v1/workspaces/{slug}/policy`` (approval policy) and ``.../notifications/mute``."""

from __future__ import annotations

from typing import Any

from fastapi import Response, status
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.web.deps import DB, CurrentPrincipal, ReadDB
from dunops.web.routing import api_router
from dunops.workflow import notifications, review
from dunops.workflow import policy as policies

router = api_router(prefix="/api/v1/workspaces/{slug}", tags=["policy"])


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zone: str | None = Field(default=None, description="Change this zone's override (else the default).")
    approvals_required: Any = None
    min_role: Any = None
    protected_names: Any = Field(default=None, description="Name patterns, e.g. ['@', '*.prod'].")
    independent_review: Any = Field(
        default=None, description="The agent's proposals need a reviewer other than the person it acted for."
    )
    clear: bool = Field(default=False, description="Drop the zone's override.")


def _out(default: policies.Policy, overrides: list[policies.Policy]) -> dict[str, Any]:
    return {"default": default.to_data(), "zones": [o.to_data() for o in overrides]}


@router.get("/policy")
def get_policy(slug: str, db: ReadDB, principal: CurrentPrincipal) -> dict[str, Any]:
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    return _out(*policies.show(db, grant))


@router.patch("/policy")
def update_policy(slug: str, body: PolicyIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    grant = access.resolve(db, principal, slug, Permission.POLICY_MANAGE)
    review.update_policy(
        db,
        grant,
        zone=body.zone,
        approvals_required=body.approvals_required,
        min_role=body.min_role,
        protected_names=body.protected_names,
        independent_review=body.independent_review,
        clear=body.clear,
    )
    return _out(*policies.show(db, grant))


@router.put("/notifications/mute", status_code=status.HTTP_204_NO_CONTENT)
def mute(slug: str, db: DB, principal: CurrentPrincipal) -> Response:
    """Stop change-workflow mail from this workspace to you."""
    notifications.mute(db, access.resolve(db, principal, slug, Permission.WORKSPACE_READ))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/notifications/mute", status_code=status.HTTP_204_NO_CONTENT)
def unmute(slug: str, db: DB, principal: CurrentPrincipal) -> Response:
    notifications.unmute(db, access.resolve(db, principal, slug, Permission.WORKSPACE_READ))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
