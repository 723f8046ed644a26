"""``/api/v1/workspaces/{slug}/zones``: import, read, export, sync, history and plan-against-live."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.dns.formats import ZoneFormat, read_zone
from dunops.dns.formats.json import zone_from_data
from dunops.dns.rrset import RRset
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import InvalidInput
from dunops.storage.models import ZoneVersion
from dunops.sync import planning, sync
from dunops.web.deps import DB, MAX_ID, CurrentPrincipal, ReadDB, RowId, writer_of
from dunops.web.paging import DEFAULT_PAGE, MAX_PAGE, Page
from dunops.web.routes.connections import vault_of
from dunops.web.routing import api_router
from dunops.web.schemas import Edits, LivePlanOut, PlanData
from dunops.zones import versions, zones

router = api_router(prefix="/api/v1/workspaces/{slug}", tags=["zones"])

_MEDIA_TYPES = {
    ZoneFormat.BIND: "text/dns; charset=utf-8",
    ZoneFormat.OCTODNS: "application/yaml; charset=utf-8",
    ZoneFormat.JSON: "application/json",
}
_SUFFIXES = {ZoneFormat.BIND: "zone", ZoneFormat.OCTODNS: "yaml", ZoneFormat.JSON: "json"}


class ZoneIn(BaseModel):
    """Import from a connection (``connection_id``) or from a file (``format`` + ``content``)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    connection_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    format: str | None = Field(default=None, description="bind, octodns or json (file import)")
    content: str | None = Field(default=None, description="the zone file's text (file import)")


class ZoneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sync_every_minutes: int | None = Field(
        default=None, description="Sync every N minutes; null turns it off."
    )


class VersionOut(BaseModel):
    number: int
    source: str
    content_hash: str
    rrsets: int
    created_at: datetime
    created_by: str
    cause: str = Field(description="import, sync, drift found by sync, or deployment N")

    @classmethod
    def of(cls, db: Session, version: ZoneVersion) -> VersionOut:
        return cls.many(db, [version])[0]

    @classmethod
    def many(cls, db: Session, found: list[ZoneVersion]) -> list[VersionOut]:
        causes = versions.causes(db, found)
        return [
            cls(
                number=version.number,
                source=version.source,
                content_hash=version.content_hash,
                rrsets=version.rrset_count,
                created_at=version.created_at,
                created_by=version.created_by,
                cause=causes[version.id],
            )
            for version in found
        ]


class ZoneOut(BaseModel):
    name: str
    connection_id: int | None = Field(description="null for a plan-only zone")
    current_version: VersionOut | None
    sync_every_minutes: int | None
    last_synced_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, db: Session, view: zones.ZoneView) -> ZoneOut:
        return cls.many(db, [view])[0]

    @classmethod
    def many(cls, db: Session, views: list[zones.ZoneView]) -> list[ZoneOut]:
        """Every zone's output with the causes of their versions read in one query."""
        found = [view.version for view in views if view.version is not None]
        described = {version.id: out for version, out in zip(found, VersionOut.many(db, found), strict=True)}
        return [
            cls(
                name=view.zone.fqdn,
                connection_id=view.zone.connection_id,
                current_version=described[view.version.id] if view.version else None,
                sync_every_minutes=view.zone.sync_every_minutes,
                last_synced_at=view.zone.last_synced_at,
                created_at=view.zone.created_at,
            )
            for view in views
        ]


class RRsetOut(BaseModel):
    name: str
    type: str
    ttl: int
    values: list[str]

    @classmethod
    def of(cls, rrset: RRset) -> RRsetOut:
        return cls(name=rrset.name, type=rrset.rtype, ttl=rrset.ttl, values=list(rrset.values))


class SyncOut(BaseModel):
    zone: str
    changed: bool
    version: VersionOut | None
    summary: str
    drift: PlanData = Field(description="RRset changes from the last version to the provider's zone")


class DiffOut(BaseModel):
    zone: str
    older: int
    newer: int
    summary: str
    changes: PlanData


class PlanIn(BaseModel):
    """Either ``edits`` (upsert/delete RRsets) or a desired zone (``desired`` or ``format``/``content``)."""

    model_config = ConfigDict(extra="forbid")

    edits: Edits | None = None
    desired: dict[str, Any] | None = None
    format: str | None = None
    content: str | None = None


@router.get("/zones")
def list_zones(slug: str, db: ReadDB, principal: CurrentPrincipal) -> list[ZoneOut]:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return ZoneOut.many(db, zones.listing(db, grant))


@router.post("/zones", status_code=status.HTTP_201_CREATED)
def import_zone(slug: str, body: ZoneIn, request: Request, db: DB, principal: CurrentPrincipal) -> ZoneOut:
    """Import a zone from a connection, or a plan-only zone from a file in any supported format."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_MANAGE)
    if body.connection_id is not None:
        if body.format is not None or body.content is not None:
            raise InvalidInput.single(
                "give either connection_id or format and content, not both", "connection_id"
            )
        view = zones.import_from_connection(
            db, grant, vault_of(request), name=body.name, connection_id=body.connection_id
        )
    else:
        if body.content is None:
            raise InvalidInput.single("give connection_id, or format and content", "content")
        view = zones.import_from_file(
            db, grant, name=body.name, format=body.format or "bind", content=body.content
        )
    return ZoneOut.of(db, view)


@router.get("/zones/{zone}")
def get_zone(slug: str, zone: str, db: ReadDB, principal: CurrentPrincipal) -> ZoneOut:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return ZoneOut.of(db, zones.show(db, grant, zone))


@router.patch("/zones/{zone}")
def update_zone(slug: str, zone: str, body: ZoneUpdate, db: DB, principal: CurrentPrincipal) -> ZoneOut:
    """Turn the periodic sync on (``sync_every_minutes``: N) or off (null)."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_MANAGE)
    if "sync_every_minutes" in body.model_fields_set:
        zones.set_schedule(db, grant, zone, body.sync_every_minutes)
    return ZoneOut.of(db, zones.show(db, grant, zone))


@router.delete("/zones/{zone}", status_code=status.HTTP_204_NO_CONTENT)
def delete_zone(slug: str, zone: str, db: DB, principal: CurrentPrincipal) -> Response:
    """Forget the zone in DunOps; the provider's zone is not touched."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_MANAGE)
    zones.forget(db, grant, zone)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/zones/{zone}/records")
def zone_records(
    slug: str,
    zone: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    name: Annotated[str | None, Query(description="one owner name, relative or absolute")] = None,
    type: Annotated[str | None, Query(description="one record type")] = None,
    under: Annotated[bool, Query(description="with name: its whole subtree too")] = False,
    contains: Annotated[str | None, Query(max_length=200, description="text the values hold")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=1000, description="from a page's next link")] = None,
) -> Page[RRsetOut]:
    """The zone's RRsets as last stored, in canonical order, a page at a time; every filter is optional."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    found = zones.record_page(
        db, grant, zone, owner=name, subtree=under, rtype=type, contains=contains, cursor=cursor, limit=limit
    )
    return Page.of([RRsetOut.of(rrset) for rrset in found.rrsets], request, found.next_cursor)


@router.get("/zones/{zone}/export")
def export_zone(
    slug: str, zone: str, db: ReadDB, principal: CurrentPrincipal, format: str = "bind"
) -> Response:
    """The zone's records as a BIND zone file, an octoDNS YAML file or JSON."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    text, report = zones.export(db, grant, zone, format)
    fqdn = zones.clean_fqdn(zone, "zone")
    headers = {"Content-Disposition": f'attachment; filename="{fqdn}.{_SUFFIXES[report.target]}"'}
    if report.dropped:
        headers["X-DunOps-Dropped"] = str(len(report.dropped))
    return Response(text, media_type=_MEDIA_TYPES[report.target], headers=headers)


@router.post("/zones/{zone}/sync")
def sync_zone(slug: str, zone: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> SyncOut:
    """Read the zone from its provider now; a difference from the last version is stored as drift."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_MANAGE)
    result = sync.sync(db, writer_of(request), grant, vault_of(request), zone)
    return SyncOut(
        zone=result.zone.fqdn,
        changed=result.changed,
        version=VersionOut.of(db, result.version) if result.version else None,
        summary=result.drift.summary(),
        drift=PlanData.model_validate(result.drift.to_data()),
    )


@router.get("/zones/{zone}/versions")
def zone_versions(
    slug: str,
    zone: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="from a page's next link")] = None,
) -> Page[VersionOut]:
    """The stored versions, newest first, a page at a time."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    found = versions.listing(db, zones.get(db, grant, zone), before=cursor, limit=limit)
    last = str(found[-1].number) if len(found) == limit else None
    return Page.of(VersionOut.many(db, found), request, last)


@router.get("/zones/{zone}/versions/{older}/diff/{newer}")
def zone_diff(
    slug: str, zone: str, older: RowId, newer: RowId, db: ReadDB, principal: CurrentPrincipal
) -> DiffOut:
    """The RRset changes from version ``older`` to version ``newer``."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    plan = versions.diff(db, zones.get(db, grant, zone), older, newer)
    changes = PlanData.model_validate(plan.to_data())
    return DiffOut(zone=plan.origin, older=older, newer=newer, summary=plan.summary(), changes=changes)


@router.post("/zones/{zone}/plan")
def plan_zone(
    slug: str, zone: str, body: PlanIn, request: Request, db: DB, principal: CurrentPrincipal
) -> LivePlanOut:
    """Plan against the provider's zone as served now; read-only (nothing is stored or written)."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    desired: ZoneContent | None = None
    origin = zones.clean_fqdn(zone, "zone") + "."
    if body.desired is not None:
        desired = zone_from_data(body.desired, origin, filename="desired")
    elif body.content is not None:
        desired = read_zone(
            body.content, zones.zone_format(body.format or "bind"), origin, filename="content"
        )
    live = planning.plan_against_live(db, grant, vault_of(request), zone, desired=desired, edits=body.edits)
    return LivePlanOut.model_validate(live.to_data())
