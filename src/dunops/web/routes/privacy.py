"""The data lifecycle over HTTP: exports of an account or a workspace, and deleting a workspace (or
taking it back during its grace period)."""

from __future__ import annotations

from datetime import datetime

from fastapi import status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.config import Settings
from dunops.privacy import export as data_export
from dunops.privacy import requests as data_requests
from dunops.privacy import workspace_deletion
from dunops.storage.models import DataExport, DataRequest, ExportState
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB, RowId
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


class ExportQueued(BaseModel):
    id: int


class ExportOut(BaseModel):
    id: int
    kind: str
    state: str
    download_url: str | None
    expires_at: datetime | None
    size_bytes: int


def _export_out(settings: Settings, export: DataExport, slug: str | None) -> ExportOut:
    downloadable = data_export.is_downloadable(export)
    return ExportOut(
        id=export.id,
        kind=export.kind,
        state=ExportState.EXPIRED if export.state == ExportState.READY and not downloadable else export.state,
        download_url=data_export.download_url(settings, export, slug) if downloadable else None,
        expires_at=export.expires_at,
        size_bytes=export.size_bytes,
    )


def _zip(settings: Settings, export: DataExport) -> FileResponse:
    return FileResponse(
        data_export.download_path(settings, export),
        media_type="application/zip",
        filename=f"dunops-export-{export.id}.zip",
    )


@router.post("/me/exports", status_code=status.HTTP_202_ACCEPTED)
def export_me(db: DB, settings: AppSettings, principal: CurrentPrincipal) -> ExportQueued:
    """Export everything held about you (a zip built by a job; the link is mailed when it is ready)."""
    return ExportQueued(id=data_export.request_user_export(db, settings, principal).id)


@router.get("/me/exports/{export_id}")
def my_export(export_id: RowId, db: ReadDB, settings: AppSettings, principal: CurrentPrincipal) -> ExportOut:
    return _export_out(settings, data_export.get(db, principal, export_id, None), None)


@router.get("/me/exports/{export_id}/download", response_class=FileResponse)
def download_my_export(
    export_id: RowId, db: ReadDB, settings: AppSettings, principal: CurrentPrincipal
) -> FileResponse:
    return _zip(settings, data_export.get(db, principal, export_id, None))


@router.post("/workspaces/{slug}/exports", status_code=status.HTTP_202_ACCEPTED)
def export_workspace(slug: str, db: DB, settings: AppSettings, principal: CurrentPrincipal) -> ExportQueued:
    """Export everything the workspace holds (owners): every table, zones as BIND and octoDNS files,
    members as name and email; never a secret."""
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_EXPORT)
    return ExportQueued(id=data_export.request_workspace_export(db, settings, grant).id)


@router.get("/workspaces/{slug}/exports/{export_id}")
def workspace_export(
    slug: str, export_id: RowId, db: ReadDB, settings: AppSettings, principal: CurrentPrincipal
) -> ExportOut:
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_EXPORT)
    return _export_out(settings, data_export.get(db, principal, export_id, grant.workspace.id), slug)


@router.get("/workspaces/{slug}/exports/{export_id}/download", response_class=FileResponse)
def download_workspace_export(
    slug: str, export_id: RowId, db: ReadDB, settings: AppSettings, principal: CurrentPrincipal
) -> FileResponse:
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_EXPORT)
    return _zip(settings, data_export.get(db, principal, export_id, grant.workspace.id))


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="access, correction, export or deletion")
    details: str = Field(default="", max_length=data_requests.MAX_DETAILS)


class MemberRequestIn(RequestIn):
    email: str = Field(max_length=320, description="The member the request is for.")


class RequestOut(BaseModel):
    id: int
    kind: str
    state: str
    channel: str
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None


def _request_out(request: DataRequest) -> RequestOut:
    return RequestOut(
        id=request.id,
        kind=request.kind,
        state=request.state,
        channel=request.channel,
        received_at=request.received_at,
        due_at=request.due_at,
        completed_at=request.completed_at,
    )


@router.post("/me/requests", status_code=status.HTTP_201_CREATED)
def file_request(body: RequestIn, db: DB, principal: CurrentPrincipal) -> RequestOut:
    """Ask about your own data (access, correction, export, deletion); answered within 30 days."""
    return _request_out(data_requests.file_own(db, principal, body.kind, body.details))


@router.get("/me/requests")
def my_requests(db: ReadDB, principal: CurrentPrincipal) -> list[RequestOut]:
    """Your data requests, including what you did yourself (recorded as completed)."""
    return [_request_out(request) for request in data_requests.mine(db, principal)]


@router.post("/workspaces/{slug}/requests", status_code=status.HTTP_201_CREATED)
def file_member_request(slug: str, body: MemberRequestIn, db: DB, principal: CurrentPrincipal) -> RequestOut:
    """File a data request for a member of the workspace (admins)."""
    grant = access.resolve(db, principal, slug, Permission.MEMBERS_MANAGE)
    return _request_out(data_requests.file_for_member(db, grant, body.kind, body.email, body.details))
