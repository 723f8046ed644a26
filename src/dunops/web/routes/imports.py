"""``/api/v1/workspaces/{slug}/imports``: zones of any size imported as jobs, with their progress.

``POST .../imports/upload?name=&format=`` takes the zone file as the raw request body (any size up to
``DUNOPS_MAX_UPLOAD_MB``), streamed to the data dir without holding it in memory; ``POST .../imports``
takes ``{"name", "connection_id"}``. Both answer 202 with the import; ``GET .../imports/{id}`` follows it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import ContentTooLarge, InvalidInput
from dunops.storage.database import reading, transaction
from dunops.storage.models import ZoneImport
from dunops.web.deps import DB, MAX_ID, CurrentPrincipal, ReadDB, RowId, reader_of, settings_of, writer_of
from dunops.web.routing import api_router
from dunops.zones import imports, zones

router = api_router(prefix="/api/v1/workspaces/{slug}", tags=["zones"])

CHUNK = 1 << 16


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    connection_id: int = Field(ge=1, le=MAX_ID)


class ImportOut(BaseModel):
    id: int
    zone: str
    state: str
    phase: str = Field(description="queued, reading, storing, done or failed")
    done: int = Field(description="RRsets stored so far")
    total: int = Field(description="RRsets to store (known once the zone was read)")
    connection_id: int | None
    format: str
    upload_bytes: int
    message: str
    problems: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, record: ZoneImport) -> ImportOut:
        return cls(
            id=record.id,
            zone=record.fqdn,
            state=record.state.value,
            phase=record.phase,
            done=record.done,
            total=record.total,
            connection_id=record.connection_id,
            format=record.format,
            upload_bytes=record.upload_bytes,
            message=record.message,
            problems=list(record.problems),
            created_by=record.created_by,
            created_at=record.created_at,
            finished_at=record.finished_at,
        )


def _accepted(request: Request, slug: str, record: ZoneImport) -> JSONResponse:
    body = ImportOut.of(record).model_dump(mode="json")
    location = f"/api/v1/workspaces/{slug}/imports/{record.id}"
    return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED, headers={"Location": location})


@router.post("/imports", status_code=status.HTTP_202_ACCEPTED, response_model=ImportOut)
def import_from_connection(
    slug: str, body: ImportIn, request: Request, db: DB, principal: CurrentPrincipal
) -> JSONResponse:
    """Import a zone of any size as its connection's provider serves it, as a job."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_MANAGE)
    record = imports.start_from_connection(
        db, settings_of(request), grant, name=body.name, connection_id=body.connection_id
    )
    db.commit()
    return _accepted(request, slug, record)


async def _receive(request: Request, path: Path, limit: int) -> int:
    """Stream the request body to ``path`` (created 0600); refuses past ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ContentTooLarge(
            f"the upload is {int(declared):,} bytes; at most {limit:,} are taken (DUNOPS_MAX_UPLOAD_MB)"
        )
    size = 0
    async with await anyio.open_file(path, "xb") as target:
        await anyio.to_thread.run_sync(path.chmod, 0o600)
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ContentTooLarge(f"the upload is larger than {limit:,} bytes (DUNOPS_MAX_UPLOAD_MB)")
            await target.write(chunk)
    if size == 0:
        raise InvalidInput.single("is empty: send the zone file as the request body", "body")
    return size


def _check_access(request: Request, principal: Principal, slug: str, name: str, format: str) -> None:
    """Refuse before reading a byte of the body when the caller may not import here, or the zone's
    name or format is not one it could be imported as."""
    with reading(reader_of(request)) as db:
        access.resolve(db, principal, slug, Permission.ZONES_MANAGE)
    zones.clean_fqdn(name, "name")
    zones.zone_format(format)


def _start_upload(
    request: Request, principal: Principal, slug: str, name: str, format: str, path: Path
) -> ZoneImport:
    with transaction(writer_of(request)) as db:
        grant = access.resolve(db, principal, slug, Permission.ZONES_MANAGE)
        return imports.start_upload(db, settings_of(request), grant, name=name, format=format, upload=path)


@router.post(
    "/imports/upload",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {"content": {"text/dns": {}, "application/yaml": {}, "application/json": {}}}
    },
)
async def upload(
    slug: str,
    request: Request,
    principal: CurrentPrincipal,
    name: Annotated[str, Query(max_length=255, description="the zone, e.g. example.com")],
    format: Annotated[str, Query(description="bind, octodns or json")] = "bind",
) -> JSONResponse:
    """Import a zone file of any size (the raw request body) as a plan-only zone, as a job."""
    settings = settings_of(request)
    await run_in_threadpool(_check_access, request, principal, slug, name, format)
    path = settings.imports_dir / f"upload-{secrets.token_hex(12)}"
    try:
        await _receive(request, path, settings.max_upload_mb * 1024 * 1024)
        record = await run_in_threadpool(_start_upload, request, principal, slug, name, format, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _accepted(request, slug, record)


@router.get("/imports/{import_id}")
def get_import(slug: str, import_id: RowId, db: ReadDB, principal: CurrentPrincipal) -> ImportOut:
    """An import's state and progress (RRsets stored of the total), or why it failed."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return ImportOut.of(imports.get(db, grant, import_id))
