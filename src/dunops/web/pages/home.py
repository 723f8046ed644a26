"""The signed-in home (the caller's workspaces) and a workspace's overview: its zones with their record
counts, last sync and drift, its open change requests and its recent deployments."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from dunops.accounts import workspaces
from dunops.accounts.permissions import Permission
from dunops.storage.models import VersionSource
from dunops.web.deps import CurrentPrincipal, OptionalPrincipal, ReadDB
from dunops.web.pages.base import page_router, render, workspace
from dunops.workflow import deployments, requests
from dunops.workflow.states import OPEN_STATES
from dunops.zones import zones

router = page_router()

OPEN_SHOWN = 10
RECENT_DEPLOYMENTS = 5


@router.get("/")
def home(request: Request, db: ReadDB, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return RedirectResponse("/sign-in", status_code=303)
    return render(
        request,
        "home.html",
        user=principal.user,
        workspaces=workspaces.listing(db, principal),
    )


@router.get("/w/{slug}")
def overview(slug: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    views = zones.listing(db, ws.grant)
    rows = requests.page(db, ws.grant, limit=50)
    open_changes = [row for row in rows if requests.state_of(row.change) in OPEN_STATES][:OPEN_SHOWN]
    return render(
        request,
        "workspace.html",
        ws=ws,
        zones=views,
        drift={view.zone.id for view in views if view.version and view.version.source == VersionSource.DRIFT},
        open_changes=open_changes,
        state_of=requests.state_of,
        deployments=deployments.page(db, ws.grant, limit=RECENT_DEPLOYMENTS),
        zone_names={view.zone.id: view.zone.fqdn for view in views},
    )
