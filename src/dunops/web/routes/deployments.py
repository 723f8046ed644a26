"""``/api/v1/workspaces/{slug}/deployments``: list, show, reconcile, verify again and roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, status
from pydantic import BaseModel, ConfigDict

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.web.deps import DB, MAX_ID, AppSettings, CurrentPrincipal, ReadDB, RowId, writer_of
from dunops.web.paging import DEFAULT_PAGE, MAX_PAGE, Page
from dunops.web.routes.changes import ChangeOut, render
from dunops.web.routes.connections import vault_of
from dunops.web.routing import api_router
from dunops.web.schemas import DeploymentOut
from dunops.workflow import deployments, requests

router = api_router(prefix="/api/v1/workspaces/{slug}", tags=["deployments"])


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    submit: bool = True


@router.get("/deployments")
def list_deployments(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    zone: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="from a page's next link")] = None,
) -> Page[DeploymentOut]:
    """Deployments, newest first, a page at a time (``zone`` filters them)."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    found = deployments.page(db, grant, zone=zone, before=cursor, limit=limit)
    last = str(found[-1].id) if len(found) == limit else None
    return Page.of([DeploymentOut.of(d) for d in found], request, last)


@router.get("/deployments/{deployment_id}")
def get_deployment(slug: str, deployment_id: RowId, db: ReadDB, principal: CurrentPrincipal) -> DeploymentOut:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return DeploymentOut.of(deployments.get(db, grant, deployment_id))


@router.post("/deployments/{deployment_id}/reconcile")
def reconcile_deployment(
    slug: str,
    deployment_id: RowId,
    request: Request,
    db: ReadDB,
    settings: AppSettings,
    principal: CurrentPrincipal,
) -> DeploymentOut:
    """Record now what the provider serves for a running deployment whose worker stopped (its lease
    lapsed); 409 while its worker still holds it. Any other deployment is returned as it is."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_APPLY)
    return DeploymentOut.of(deployments.reconcile(db, writer_of(request), settings, grant, deployment_id))


@router.post("/deployments/{deployment_id}/verify", status_code=status.HTTP_202_ACCEPTED)
def verify_deployment(
    slug: str, deployment_id: RowId, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> DeploymentOut:
    """Verify an ``unverified`` deployment again (as jobs, with a new deadline); 409 for one that is
    not applied yet or did not write."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_APPLY)
    return DeploymentOut.of(deployments.verify_again(db, settings, grant, deployment_id))


@router.post("/deployments/{deployment_id}/rollback", status_code=status.HTTP_201_CREATED)
def rollback_deployment(
    slug: str,
    deployment_id: RowId,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    body: RollbackIn | None = None,
) -> ChangeOut:
    """A new change request restoring what the deployment changed; reviewed like any other."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    chosen = body or RollbackIn()
    change = deployments.rollback(
        db, settings, grant, vault_of(request), deployment_id, submit=chosen.submit, title=chosen.title
    )
    return render(requests.view(db, grant, change.id))
