"""The purge: every row and file of a deleted workspace removed from production storage.

Rows go table by table, children first, as :func:`dunops.privacy.scope.workspace_rows` finds them;
files go from the workspace's own zone-file folder, its pending uploads and its exports. On SQLite,
deleted content is overwritten (``secure_delete``) and the write-ahead log is emptied once the purge
commits, so nothing of the workspace is left in the database files either; the job queue's log is
emptied the same way. The owners get a receipt listing what was removed, delivered at once rather than
through the queue; the tombstone stays, naming only the workspace's id.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts import workspaces
from dunops.config import Settings
from dunops.jobs import JobContext, job, periodic, queue_for
from dunops.notify import send_mail_now
from dunops.privacy.scope import workspace_rows
from dunops.privacy.workspace_deletion import PURGE_WORKSPACE_JOB
from dunops.storage.base import utcnow
from dunops.storage.database import make_engine, make_session_factory, transaction
from dunops.storage.models import (
    DataExport,
    DeletionTombstone,
    TombstoneKind,
    Workspace,
    WorkspaceStatus,
    ZoneImport,
)
from dunops.zones.kinds import ZoneDirectories

PURGE_DUE_JOB = "privacy.purge_due"

log = structlog.get_logger(__name__)

# How a receipt names what each table held.
_TABLE_LABELS = {
    "zones": "zones",
    "zone_rrsets": "record sets",
    "zone_versions": "zone versions",
    "zone_version_rrsets": "record set changes in versions",
    "zone_imports": "zone imports",
    "zone_leases": "zone locks",
    "provider_connections": "provider connections",
    "workspace_keys": "data keys",
    "change_requests": "change requests",
    "change_revisions": "change revisions",
    "approvals": "approvals",
    "change_comments": "comments",
    "deployments": "deployments",
    "approval_policies": "approval policies",
    "audit_events": "audit events",
    "audit_heads": "audit chain heads",
    "memberships": "memberships",
    "invitations": "invitations",
    "api_tokens": "API tokens",
    "notification_mutes": "notification settings",
    "data_exports": "exports",
    "usage_metrics": "daily usage counts",
    "error_traces": "error traces",
    "workspaces": "workspace",
}


@dataclass(slots=True)
class PurgeReceipt:
    """What a purge removed: rows per table, files, and who was told."""

    workspace_id: int
    name: str
    slug: str
    rows: Counter[str] = field(default_factory=Counter)
    files: int = 0
    notified: list[str] = field(default_factory=list)

    def mail_body(self, settings: Settings) -> str:
        return "\n".join(
            [
                f"The workspace {self.name} ({self.slug}) was deleted, and every row and file of it has",
                "now been removed from DunOps's production storage:",
                "",
                *self.lines(),
                "",
                "Its provider credentials were destroyed when the deletion was asked for.",
            ]
        )

    def lines(self) -> list[str]:
        listed = [
            f"- {count:,} {_TABLE_LABELS.get(table, table.replace('_', ' '))}"
            for table, count in sorted(self.rows.items())
            if count
        ]
        return [*listed, f"- {self.files:,} files"]


def purge_workspace(session: Session, settings: Settings, workspace_id: int) -> PurgeReceipt | None:
    """Remove every row and file of a workspace in deletion; ``None`` when there is nothing to purge
    (it was purged already, or an owner cancelled the deletion)."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.status != WorkspaceStatus.DELETING:
        return None
    receipt = PurgeReceipt(workspace.id, workspace.name, workspace.slug)
    receipt.notified = [owner.email for owner in workspaces.owners(session, workspace)]
    files = [ZoneDirectories.for_workspace(settings, workspace.id).own]
    files += [
        settings.imports_dir / upload
        for upload in session.scalars(
            select(ZoneImport.upload).where(ZoneImport.workspace_id == workspace.id, ZoneImport.upload != "")
        )
    ]
    files += [
        settings.exports_dir / name
        for name in session.scalars(
            select(DataExport.file_name).where(
                DataExport.workspace_id == workspace.id, DataExport.file_name != ""
            )
        )
    ]
    session.expunge(workspace)
    for table, condition in reversed(workspace_rows(workspace.id).items()):
        removed = session.execute(delete(table).where(condition))
        receipt.rows[table.name] += int(removed.rowcount or 0)  # type: ignore[attr-defined]
    receipt.files = sum(_remove(path) for path in files)
    for tombstone in session.scalars(
        select(DeletionTombstone).where(
            DeletionTombstone.kind == TombstoneKind.WORKSPACE,
            DeletionTombstone.subject_id == workspace_id,
            DeletionTombstone.purged_at.is_(None),
        )
    ):
        tombstone.purged_at = utcnow()
    session.flush()
    audit.record(
        session,
        workspace_id=None,
        actor=None,
        action="workspace.purge",
        target=f"workspace:{workspace_id}",
        details={"rows": sum(receipt.rows.values()), "files": receipt.files},
    )
    return receipt


def _remove(target: Path) -> int:
    """Delete a file or a directory tree; returns how many files went."""
    if target.is_symlink() or target.is_file():
        target.unlink()
        return 1
    if target.is_dir():
        count = sum(1 for item in target.rglob("*") if not item.is_dir())
        shutil.rmtree(target)
        return count
    return 0


def due_workspace_ids(session: Session) -> list[int]:
    """Workspaces in deletion whose grace period is over."""
    query = (
        select(Workspace.id)
        .where(Workspace.status == WorkspaceStatus.DELETING, Workspace.purge_after <= utcnow())
        .order_by(Workspace.id)
    )
    return list(session.scalars(query))


def compact(engine: Engine) -> None:
    """On SQLite, empty the write-ahead log so that no old page of purged rows stays in it."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    try:
        busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("the write-ahead log could not be emptied yet: a reader holds it")
    finally:
        raw.close()


def purge_one(factory: sessionmaker[Session], settings: Settings, workspace_id: int) -> PurgeReceipt | None:
    """Purge one workspace in its own transaction, then compact the database."""
    with transaction(factory) as session:
        receipt = purge_workspace(session, settings, workspace_id)
    if receipt is not None:
        bind = factory.kw.get("bind")
        if isinstance(bind, Engine):
            compact(bind)
        body = receipt.mail_body(settings)
        for email in receipt.notified:
            send_mail_now(settings, to=email, subject=f"Deletion receipt: {receipt.name}", body=body)
        queue_for(settings).compact()
        log.info("workspace purged", workspace_id=workspace_id, rows=sum(receipt.rows.values()))
    return receipt


def run_due_purges(settings: Settings, engine: Engine | None = None) -> list[PurgeReceipt]:
    """Purge every workspace whose grace period is over (``dunops purge``, and the hourly job)."""
    own = engine is None
    engine = engine or make_engine(settings.sqlalchemy_url, settings.database_options)
    factory = make_session_factory(engine)
    try:
        with transaction(factory) as session:
            due = due_workspace_ids(session)
        return [receipt for wid in due if (receipt := purge_one(factory, settings, wid)) is not None]
    finally:
        if own:
            engine.dispose()


@job(PURGE_WORKSPACE_JOB, retries=3, retry_delay=60)
def purge_workspace_job(context: JobContext, *, workspace_id: int) -> None:
    """Purge one workspace now (a deletion with no grace period)."""
    with context.sessions() as factory:
        purge_one(factory, context.settings, workspace_id)


@periodic(PURGE_DUE_JOB, crontab(minute="7"))
def purge_due(context: JobContext) -> None:
    """Every hour: purge the workspaces whose grace period is over (one runner at a time)."""
    try:
        with queue_for(context.settings).huey.lock_task(PURGE_DUE_JOB):
            run_due_purges(context.settings)
    except TaskLockedException:
        log.info("purge already running elsewhere")
