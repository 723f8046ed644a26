"""A zone's pages: its records (filtered and paged on the server, fast on 100k-record zones), its
versions with their causes, the diff between two versions, export downloads, and sync with its drift;
the agent panel beside them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from dunops.accounts.permissions import Permission
from dunops.errors import InvalidInput
from dunops.storage.models import VersionSource
from dunops.sync import sync
from dunops.web.deps import MAX_ID, CurrentPrincipal, ReadDB, writer_of
from dunops.web.pages import agent
from dunops.web.pages.base import FormProblems, page_router, render, workspace
from dunops.web.routes.connections import vault_of
from dunops.web.routes.zones import VersionOut, export_zone
from dunops.zones import versions, zones

router = page_router()

RECORDS_PER_PAGE = 100
VERSIONS_SHOWN = 20
_FILTER_FIELDS = {"name": "name", "type": "type", "contains": "contains", "cursor": "cursor"}


@router.get("/w/{slug}/zones/{zone}")
def zone_page(
    slug: str,
    zone: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    name: Annotated[str, Query(max_length=300)] = "",
    type: Annotated[str, Query(max_length=20)] = "",
    contains: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=1000)] = "",
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    conversation: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    view = zones.show(db, ws.grant, zone)
    problems = FormProblems()
    try:
        found = zones.record_page(
            db,
            ws.grant,
            zone,
            owner=name or None,
            rtype=type or None,
            contains=contains or None,
            cursor=cursor or None,
            limit=RECORDS_PER_PAGE,
        )
        rrsets, next_cursor = found.rrsets, found.next_cursor
    except InvalidInput as error:
        problems = FormProblems.of(error, _FILTER_FIELDS)
        rrsets, next_cursor = [], None
    listed = versions.listing(db, view.zone, before=before, limit=VERSIONS_SHOWN)
    origin = view.zone.fqdn + "."
    return render(
        request,
        "zone.html",
        422 if problems.fields or problems.general else 200,
        ws=ws,
        view=view,
        drift=view.version is not None and view.version.source == VersionSource.DRIFT,
        rrsets=rrsets,
        relative=lambda owner: _relative(owner, origin),
        filters={"name": name, "type": type, "contains": contains},
        filtered=bool(name or type or contains),
        paged=bool(cursor),
        next_cursor=next_cursor,
        problems=problems,
        versions=VersionOut.many(db, listed),
        older_versions=listed[-1].number if len(listed) == VERSIONS_SHOWN else None,
        agent=agent.panel(db, ws, conversation, view.zone.fqdn),
    )


def _relative(owner: str, origin: str) -> str:
    """An owner name as a person types it in this zone: ``www``, ``@`` for the apex."""
    if owner == origin:
        return "@"
    return owner.removesuffix("." + origin) if owner.endswith("." + origin) else owner


@router.get("/w/{slug}/zones/{zone}/diff")
def diff_page(
    slug: str,
    zone: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    older: Annotated[int, Query(ge=1, le=MAX_ID)],
    newer: Annotated[int, Query(ge=1, le=MAX_ID)],
) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    found = zones.get(db, ws.grant, zone)
    plan = versions.diff(db, found, older, newer)
    return render(
        request,
        "diff.html",
        ws=ws,
        zone=found,
        older=older,
        newer=newer,
        summary=plan.summary(),
        changes=plan.to_data()["changes"],
    )


@router.get("/w/{slug}/zones/{zone}/export")
def export_page(
    slug: str, zone: str, db: ReadDB, principal: CurrentPrincipal, format: str = "bind"
) -> Response:
    """The export download, as the API answers it (a file to save)."""
    return export_zone(slug, zone, db, principal, format)


@router.post("/w/{slug}/zones/{zone}/sync")
def sync_page(slug: str, zone: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_MANAGE)
    result = sync.sync(db, writer_of(request), ws.grant, vault_of(request), zone)
    return render(
        request,
        "synced.html",
        ws=ws,
        zone=result.zone,
        changed=result.changed,
        version=result.version,
        summary=result.drift.summary(),
        changes=result.drift.to_data()["changes"],
    )
