"""Data exports: a zip of everything held about a person, or everything a workspace holds, built by a job.

What goes in is derived from the schema (:mod:`dunops.privacy.scope`): every table with rows of the
workspace (or of the account), so a table added later (conversations, say) is exported without a list to
extend. What never goes in is named here once: key material, token and session hashes, sealed secrets.
A workspace export also carries each zone as a BIND file and as octoDNS YAML, and its members as name
and email only. Another workspace's rows cannot be reached: every row is selected through the workspace's
own keys. The zip is downloadable by its requester for ``DUNOPS_EXPORT_LINK_HOURS`` (24) and the link is
mailed when it is ready.
"""

from __future__ import annotations

import json
import secrets
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from huey import crontab
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.dns.formats import ZoneFormat, write_zone
from dunops.errors import NotFound, PermissionDenied
from dunops.jobs import JobContext, enqueue_after_commit, job, periodic
from dunops.notify import send_mail
from dunops.privacy import requests
from dunops.privacy.account_deletion import AUTHORED
from dunops.privacy.scope import user_rows, workspace_rows
from dunops.storage.base import utcnow
from dunops.storage.database import transaction
from dunops.storage.models import (
    DataExport,
    ExportKind,
    ExportState,
    Membership,
    RequestKind,
    User,
    Workspace,
    WorkspaceStatus,
    Zone,
)
from dunops.zones import records

BUILD_EXPORT_JOB = "privacy.build_export"
EXPIRE_EXPORTS_JOB = "privacy.expire_exports"

NEVER_EXPORTED_TABLES = frozenset({"workspace_keys", "audit_heads", "zone_leases", "error_traces"})
"""Key material, internal locks and error traces (code locations for operators): never in an export."""
NEVER_EXPORTED_COLUMNS = frozenset(
    {"secret_ciphertext", "secret_nonce", "wrapped_key", "token_hash", "id_hash", "csrf_token", "mac"}
)
"""Sealed secrets and the hashes that stand for tokens and sessions: never in an export."""

log = structlog.get_logger(__name__)

README = """DunOps data export
==================

{what}, made {made} (UTC).

Files
-----
tables/<table>.json   Every row held, one JSON file per table of the database, as stored. Secrets are
                      left out: provider credentials, key material, token and session hashes.
{extra}README.txt            This file.

Times are UTC, in ISO 8601. Ids link rows across tables (for example zone_versions.zone_id -> zones.id).
"""

WORKSPACE_FILES = """members.json          The workspace's members: name, email and role.
zones/<zone>.zone     Each zone's current records, as a BIND zone file.
zones/<zone>.yaml     The same records as an octoDNS YAML file.
"""


def request_workspace_export(session: Session, settings: Settings, grant: Access) -> DataExport:
    """Queue the export of a workspace (owners)."""
    grant.require(Permission.WORKSPACE_EXPORT)
    return _queue(session, settings, ExportKind.WORKSPACE, grant.principal, grant.workspace.id)


def request_user_export(session: Session, settings: Settings, principal: Principal) -> DataExport:
    """Queue the export of everything held about the caller."""
    if principal.token is not None:
        raise PermissionDenied("an API token cannot export its person's data: sign in to do that")
    return _queue(session, settings, ExportKind.USER, principal, None)


def _queue(
    session: Session, settings: Settings, kind: ExportKind, principal: Principal, workspace_id: int | None
) -> DataExport:
    export = DataExport(kind=kind, user_id=principal.user.id, workspace_id=workspace_id)
    session.add(export)
    requests.record_self_service(session, principal, RequestKind.EXPORT, workspace_id)
    enqueue_after_commit(session, settings, BUILD_EXPORT_JOB, export_id=export.id)
    return export


def get(session: Session, principal: Principal, export_id: int, workspace_id: int | None) -> DataExport:
    """One export of the caller's (of the workspace, when given); expired ones say so."""
    export = session.get(DataExport, export_id)
    if export is None or export.user_id != principal.user.id or export.workspace_id != workspace_id:
        raise NotFound(f"export {export_id} not found")
    return export


def mine(session: Session, principal: Principal, limit: int = 10) -> list[DataExport]:
    """The caller's latest exports of their own data, newest first."""
    query = (
        select(DataExport)
        .where(DataExport.user_id == principal.user.id, DataExport.workspace_id.is_(None))
        .order_by(DataExport.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def is_downloadable(export: DataExport, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return export.state == ExportState.READY and export.expires_at is not None and now < export.expires_at


def download_path(settings: Settings, export: DataExport) -> Path:
    if not is_downloadable(export) or not export.file_name:
        raise NotFound(f"export {export.id} is not ready, or its link has expired")
    return settings.exports_dir / export.file_name


def download_url(settings: Settings, export: DataExport, slug: str | None) -> str:
    base = f"/api/v1/workspaces/{slug}/exports" if slug else "/api/v1/me/exports"
    return f"{settings.public_url}{base}/{export.id}/download"


# building ------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _table_rows(session: Session, table: Table, condition: Any) -> list[dict[str, Any]]:
    columns = [column for column in table.c if column.name not in NEVER_EXPORTED_COLUMNS]
    query = select(*columns).where(condition).order_by(*table.primary_key.columns)
    return [{key: _plain(value) for key, value in row.items()} for row in session.execute(query).mappings()]


def _dump(archive: zipfile.ZipFile, name: str, value: Any) -> None:
    archive.writestr(name, json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def _workspace_files(session: Session, archive: zipfile.ZipFile, workspace_id: int) -> None:
    for table, condition in workspace_rows(workspace_id).items():
        if table.name not in NEVER_EXPORTED_TABLES:
            _dump(archive, f"tables/{table.name}.json", _table_rows(session, table, condition))
    members = session.execute(
        select(User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.email)
    )
    _dump(archive, "members.json", [{"name": n, "email": e, "role": r} for n, e, r in members])
    zones = session.scalars(
        select(Zone).where(Zone.workspace_id == workspace_id, Zone.importing.is_(False)).order_by(Zone.fqdn)
    )
    for zone in zones:
        content = records.load(session, zone)
        archive.writestr(f"zones/{zone.fqdn}.zone", write_zone(content, ZoneFormat.BIND)[0])
        archive.writestr(f"zones/{zone.fqdn}.yaml", write_zone(content, ZoneFormat.OCTODNS)[0])


def _user_files(session: Session, archive: zipfile.ZipFile, user_id: int) -> None:
    for table, condition in user_rows(user_id).items():
        if table.name not in NEVER_EXPORTED_TABLES:
            _dump(archive, f"tables/{table.name}.json", _table_rows(session, table, condition))
    for who, _shown in AUTHORED:
        table = who.class_.__table__
        if isinstance(table, Table):
            _dump(archive, f"authored/{table.name}.json", _table_rows(session, table, who == user_id))


def build(factory: sessionmaker[Session], settings: Settings, export_id: int) -> DataExport | None:
    """Write the export's zip and mark it ready (or failed); mails the requester the link."""
    with transaction(factory) as session:
        export = session.get(DataExport, export_id)
        if export is None or export.state != ExportState.QUEUED:
            return None
        export.state = ExportState.RUNNING
    name = f"export-{export_id}-{secrets.token_hex(12)}.zip"
    settings.exports_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = settings.exports_dir / name
    with transaction(factory) as session:
        export = session.get(DataExport, export_id)
        assert export is not None
        requester = session.get(User, export.user_id)
        workspace = session.get(Workspace, export.workspace_id) if export.workspace_id else None
        if requester is None or (workspace is not None and workspace.status != WorkspaceStatus.ACTIVE):
            export.state = ExportState.FAILED
            export.message = "the account or the workspace was deleted"
            return export
        made = utcnow()
        what = f"Workspace {workspace.name} ({workspace.slug})" if workspace else f"Account {requester.email}"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            path.chmod(0o600)
            if workspace is not None:
                _workspace_files(session, archive, workspace.id)
            else:
                _user_files(session, archive, requester.id)
            extra = WORKSPACE_FILES if workspace else "authored/<table>.json What you wrote in workspaces.\n"
            archive.writestr("README.txt", README.format(what=what, made=made.isoformat(), extra=extra))
        export.state = ExportState.READY
        export.file_name = name
        export.size_bytes = path.stat().st_size
        export.finished_at = made
        export.expires_at = made + timedelta(hours=settings.export_link_hours)
        url = download_url(settings, export, workspace.slug if workspace else None)
        send_mail(
            session,
            settings,
            to=requester.email,
            subject="Your DunOps data export is ready",
            body=f"{what}: your export is ready. Download it while signed in, within "
            f"{settings.export_link_hours} hours:\n\n{url}\n",
        )
        return export


@job(BUILD_EXPORT_JOB, retries=2, retry_delay=60)
def build_export(context: JobContext, *, export_id: int) -> None:
    with context.sessions() as factory:
        build(factory, context.settings, export_id)


def expire(session: Session, settings: Settings) -> int:
    """Delete the files of exports whose link has expired; returns how many."""
    now = utcnow()
    count = 0
    for export in session.scalars(
        select(DataExport).where(DataExport.state == ExportState.READY, DataExport.expires_at <= now)
    ):
        (settings.exports_dir / export.file_name).unlink(missing_ok=True)
        export.state = ExportState.EXPIRED
        export.file_name = ""
        count += 1
    return count


@periodic(EXPIRE_EXPORTS_JOB, crontab(minute="17"))
def expire_exports(context: JobContext) -> None:
    """Every hour: delete the files of exports whose link has expired."""
    with context.unit_of_work() as session:
        expire(session, context.settings)
