"""``/api/v1/workspaces/{slug}/deployments``: list, show and roll back deployments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB, RowId
from dunops.web.routes.changes import deployment_data, render
from dunops.web.routes.connections import vault_of
from dunops.workflow import deployments, requests

router = APIRouter(prefix="/api/v1/workspaces/{slug}", tags=["deployments"])


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    submit: bool = True


@router.get("/deployments")
def list_deployments(
    slug: str, db: ReadDB, principal: CurrentPrincipal, zone: str | None = None
) -> list[dict[str, Any]]:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return [deployment_data(d) for d in deployments.listing(db, grant, zone=zone)]


@router.get("/deployments/{deployment_id}")
def get_deployment(
    slug: str, deployment_id: RowId, db: ReadDB, principal: CurrentPrincipal
) -> dict[str, Any]:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return deployment_data(deployments.get(db, grant, deployment_id))


@router.post("/deployments/{deployment_id}/rollback", status_code=status.HTTP_201_CREATED)
def rollback_deployment(
    slug: str,
    deployment_id: RowId,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    body: RollbackIn | None = None,
) -> dict[str, Any]:
    """A new change request restoring what the deployment changed; reviewed like any other."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    chosen = body or RollbackIn()
    change = deployments.rollback(
        db, settings, grant, vault_of(request), deployment_id, submit=chosen.submit, title=chosen.title
    )
    return render(requests.view(db, grant, change.id))
