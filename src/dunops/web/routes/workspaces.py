"""``/api/v1/workspaces``: create, list, read and rename workspaces."""

from __future__ import annotations

from datetime import datetime

from fastapi import status
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access, workspaces
from dunops.accounts.permissions import Permission
from dunops.storage.models import Role, Workspace
from dunops.web.deps import DB, CurrentPrincipal, ReadDB
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1", tags=["workspaces"])


class WorkspaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=workspaces.NAME_MAX)
    slug: str | None = Field(default=None, pattern=workspaces.SLUG_PATTERN.pattern)


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=workspaces.NAME_MAX)
    agent_enabled: bool | None = Field(default=None, description="Switch the agent on or off (owners).")


class WorkspaceOut(BaseModel):
    slug: str
    name: str
    plan: str
    status: str
    agent_enabled: bool
    role: Role = Field(description="The role the caller acts with in this workspace.")
    created_at: datetime

    @classmethod
    def of(cls, workspace: Workspace, role: Role) -> WorkspaceOut:
        return cls(
            slug=workspace.slug,
            name=workspace.name,
            plan=workspace.plan,
            status=workspace.status,
            agent_enabled=workspace.agent_enabled,
            role=role,
            created_at=workspace.created_at,
        )


@router.get("/workspaces")
def list_workspaces(db: ReadDB, principal: CurrentPrincipal) -> list[WorkspaceOut]:
    """The workspaces the caller belongs to (for an API token: its own workspace only)."""
    return [WorkspaceOut.of(item.workspace, item.role) for item in workspaces.listing(db, principal)]


@router.post("/workspaces", status_code=status.HTTP_201_CREATED)
def create_workspace(body: WorkspaceIn, db: DB, principal: CurrentPrincipal) -> WorkspaceOut:
    """Create a workspace; the caller becomes its owner. The slug is derived from the name unless given."""
    workspace = workspaces.create(db, principal, body.name, body.slug)
    return WorkspaceOut.of(workspace, Role.OWNER)


@router.get("/workspaces/{slug}")
def get_workspace(slug: str, db: ReadDB, principal: CurrentPrincipal) -> WorkspaceOut:
    grant = workspaces.get(db, principal, slug)
    return WorkspaceOut.of(grant.workspace, grant.role)


@router.patch("/workspaces/{slug}")
def update_workspace(slug: str, body: WorkspaceUpdate, db: DB, principal: CurrentPrincipal) -> WorkspaceOut:
    """Rename a workspace (admin and above); switch its agent on or off (owners)."""
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_UPDATE)
    workspace = grant.workspace
    if body.agent_enabled is not None:
        workspace = workspaces.set_agent(db, grant, body.agent_enabled)
    if body.name is not None:
        workspace = workspaces.rename(db, grant, body.name)
    return WorkspaceOut.of(workspace, grant.role)
