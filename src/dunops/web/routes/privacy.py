"""The data lifecycle over HTTP: deleting a workspace (and taking it back during its grace period)."""

from __future__ import annotations

from datetime import datetime

from fastapi import status
from pydantic import BaseModel

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.privacy import workspace_deletion
from dunops.web.deps import DB, AppSettings, CurrentPrincipal
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1", tags=["privacy"])


class DeletionOut(BaseModel):
    slug: str
    status: str
    purge_after: datetime | None
    credentials: str = "destroyed"


@router.delete("/workspaces/{slug}", status_code=status.HTTP_202_ACCEPTED)
def delete_workspace(slug: str, db: DB, settings: AppSettings, principal: CurrentPrincipal) -> DeletionOut:
    """Delete a workspace (owners): access ends and its provider credentials are destroyed now; every
    row and file of it is purged after ``DUNOPS_DELETION_GRACE_DAYS`` (default 7), during which an owner
    may take it back with ``POST .../restore``. The owners get a receipt by email once it is purged."""
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_DELETE)
    tombstone = workspace_deletion.delete_workspace(db, settings, grant)
    return DeletionOut(slug=slug, status="deleting", purge_after=tombstone.purge_after)


@router.post("/workspaces/{slug}/restore")
def restore_workspace(slug: str, db: DB, principal: CurrentPrincipal) -> DeletionOut:
    """Cancel a workspace's deletion during its grace period (owners); credentials must be entered again."""
    workspace = workspace_deletion.cancel_deletion(db, principal, slug)
    return DeletionOut(slug=workspace.slug, status=workspace.status, purge_after=None)
