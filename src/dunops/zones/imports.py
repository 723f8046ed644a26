"""Zone imports as jobs: a zone of any size (up to the per-zone limit) from an uploaded file or from a
connection, stored a batch at a time, with its progress visible while it runs.

The edge streams an upload to a file of the data dir and calls :func:`start_upload`, or calls
:func:`start_from_connection`; either records a :class:`ZoneImport` and queues the job once the
transaction commits. The job (:func:`run_import`) reads the zone (no transaction open while the file
is parsed or the provider answers), checks it, then stores its rows in batches, each its own short
transaction, under a zone marked ``importing`` that nobody else sees; the last step records version 1
and makes the zone visible. A failure at any point leaves nothing behind but the import's reasons.
"""

from __future__ import annotations

import contextlib
import time
from itertools import islice
from pathlib import Path

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts import plans
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.dns.formats import read_zone
from dunops.dns.validation import check_zone
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import Conflict, DunopsError, InvalidInput, NotFound
from dunops.jobs import JobContext, enqueue_after_commit, job
from dunops.security.vault import Vault
from dunops.storage import usage
from dunops.storage.base import utcnow
from dunops.storage.database import transaction
from dunops.storage.models import ImportState, User, VersionSource, Workspace, Zone, ZoneImport
from dunops.zones import connections, records, versions, zones

IMPORT_JOB = "zones.import"
BATCH = 20_000
"""RRsets stored per transaction: each holds the write lock for a fraction of a second."""
MAX_PROBLEMS = 100

log = structlog.get_logger(__name__)


def _refuse_taken(session: Session, grant: Access, fqdn: str) -> None:
    taken = session.scalars(
        select(Zone.id).where(Zone.workspace_id == grant.workspace.id, Zone.fqdn == fqdn)
    ).first()
    if taken is not None:
        raise Conflict(f"zone {fqdn} is already in this workspace")
    plans.require_zone_room(session, grant.workspace)


def _queue(session: Session, settings: Settings, grant: Access, record: ZoneImport) -> ZoneImport:
    record.created_by_id = grant.principal.user.id
    record.created_by = grant.principal.label
    session.add(record)
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="zone.import_queued",
        target=f"zone:{record.fqdn}",
        details={"import": record.id, "connection_id": record.connection_id, "format": record.format},
    )
    enqueue_after_commit(session, settings, IMPORT_JOB, durable=True, import_id=record.id)
    return record


def start_upload(
    session: Session,
    settings: Settings,
    grant: Access,
    *,
    name: str,
    format: str,
    upload: Path,
    filename: str = "upload",
) -> ZoneImport:
    """Queue the import of an uploaded file (already in ``settings.imports_dir``) as a plan-only zone.

    ``filename`` names the file in the reasons of a refusal (``big.zone:12:4: ...``)."""
    grant.require(Permission.ZONES_MANAGE)
    fqdn = zones.clean_fqdn(name)
    chosen = zones.zone_format(format)
    _refuse_taken(session, grant, fqdn)
    record = ZoneImport(
        workspace_id=grant.workspace.id,
        fqdn=fqdn,
        format=chosen.value,
        filename=filename[:255] or "upload",
        upload=upload.name,
        upload_bytes=upload.stat().st_size,
    )
    return _queue(session, settings, grant, record)


def start_from_connection(
    session: Session, settings: Settings, grant: Access, *, name: str, connection_id: int
) -> ZoneImport:
    """Queue the import of a zone as its connection's provider serves it."""
    grant.require(Permission.ZONES_MANAGE)
    fqdn = zones.clean_fqdn(name)
    connection = connections.get(session, grant, connection_id)
    _refuse_taken(session, grant, fqdn)
    record = ZoneImport(workspace_id=grant.workspace.id, fqdn=fqdn, connection_id=connection.id)
    return _queue(session, settings, grant, record)


def get(session: Session, grant: Access, import_id: int) -> ZoneImport:
    grant.require(Permission.ZONES_READ)
    found = session.get(ZoneImport, import_id)
    if found is None or found.workspace_id != grant.workspace.id:
        raise NotFound(f"import {import_id} not found")
    return found


# -- the job -------------------------------------------------------------------------------------------


def _progress(factory: sessionmaker[Session], import_id: int, **values: object) -> None:
    with transaction(factory) as session:
        session.execute(update(ZoneImport).where(ZoneImport.id == import_id).values(**values))


def _read(session: Session, settings: Settings, vault: Vault, record: ZoneImport) -> ZoneContent:
    """The zone to import, read with no transaction open (the caller's is ended first)."""
    origin = record.fqdn + "."
    if record.connection_id is None:
        path = settings.imports_dir / record.upload
        session.commit()
        text = path.read_text(encoding="utf-8", errors="strict")
        content = read_zone(
            text,
            zones.zone_format(record.format),
            origin,
            filename=record.filename,
            max_rrsets=settings.max_zone_rrsets,
        )
        del text
        if content.origin != origin:
            raise InvalidInput.single(f"the file is for {content.origin}, not {origin}", record.filename)
        check_zone(content)
        return content
    connection = connections.get_in(session, record.workspace_id, record.connection_id)
    with connections.provider_for(
        session, vault, connection, timeout=connections.WHOLE_ZONE_TIMEOUT
    ) as provider:
        session.commit()
        return provider.fetch(record.fqdn)


def _actor(session: Session, record: ZoneImport) -> Principal | None:
    user = session.get(User, record.created_by_id) if record.created_by_id else None
    return Principal(user=user, client_address="job") if user is not None else None


def _create_zone(factory: sessionmaker[Session], record: ZoneImport, rrsets: int) -> int:
    with transaction(factory) as session:
        workspace = session.get(Workspace, record.workspace_id)
        assert workspace is not None
        plans.require_zone_size(workspace, rrsets)
        zone = Zone(
            workspace_id=record.workspace_id,
            fqdn=record.fqdn,
            connection_id=record.connection_id,
            importing=True,
        )
        session.add(zone)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict(f"zone {record.fqdn} is already in this workspace") from exc
        return zone.id


def _store(factory: sessionmaker[Session], import_id: int, zone_id: int, content: ZoneContent) -> None:
    remaining = iter(content.rrsets.values())
    done = 0
    while batch := list(islice(remaining, BATCH)):
        with transaction(factory) as session:
            records.insert_all(session, zone_id, batch)
            done += len(batch)
            session.execute(update(ZoneImport).where(ZoneImport.id == import_id).values(done=done))


def _finish(factory: sessionmaker[Session], import_id: int, zone_id: int, content: ZoneContent) -> None:
    with transaction(factory) as session:
        record = session.get(ZoneImport, import_id)
        zone = session.get(Zone, zone_id)
        assert record is not None
        assert zone is not None
        actor = _actor(session, record)
        version = versions.record_initial(session, zone, content, VersionSource.IMPORT, actor, stored=True)
        zone.importing = False
        record.state, record.phase, record.zone_id = ImportState.SUCCEEDED, "done", zone_id
        record.finished_at = utcnow()
        usage.count(session, record.workspace_id, imports=1)
        how = f"connection {record.connection_id}" if record.connection_id else f"upload ({record.format})"
        audit.record(
            session,
            workspace_id=record.workspace_id,
            actor=actor,
            action="zone.import",
            target=f"zone:{record.fqdn}",
            details={
                "from": how,
                "connection_id": record.connection_id,
                "rrsets": len(content),
                "version": version.number,
                "import": import_id,
            },
        )


def _fail(factory: sessionmaker[Session], import_id: int, zone_id: int | None, error: DunopsError) -> None:
    with transaction(factory) as session:
        if zone_id is not None:
            zone = session.get(Zone, zone_id)
            if zone is not None and zone.importing:
                session.delete(zone)
        record = session.get(ZoneImport, import_id)
        assert record is not None
        record.state, record.phase, record.finished_at = ImportState.FAILED, "failed", utcnow()
        record.message = error.detail[:2000]
        problems = [{"field": p.location, "message": p.message[:500]} for p in error.problems[:MAX_PROBLEMS]]
        record.problems = problems


def run_import(factory: sessionmaker[Session], settings: Settings, import_id: int) -> ImportState:
    """The import job: read, check, store in batches, record version 1. A finished import is left alone."""
    vault = Vault.from_settings(settings)
    zone_id: int | None = None
    with factory() as session:
        claimed = session.execute(
            update(ZoneImport)
            .where(ZoneImport.id == import_id, ZoneImport.state == ImportState.QUEUED)
            .values(state=ImportState.RUNNING, phase="reading")
            .execution_options(synchronize_session=False)
        )
        session.commit()
        record = session.get(ZoneImport, import_id)
        if record is None or claimed.rowcount != 1:  # type: ignore[attr-defined]
            return record.state if record is not None else ImportState.FAILED  # another run has it
        try:
            try:
                content = _read(session, settings, vault, record)
            except UnicodeDecodeError as exc:
                raise InvalidInput.single(
                    f"is not UTF-8 text ({exc.reason} at byte {exc.start})", record.filename
                ) from exc
            if len(content) > settings.max_zone_rrsets:
                raise InvalidInput.single(
                    f"the zone holds {len(content):,} RRsets; a zone may hold at most "
                    f"{settings.max_zone_rrsets:,} (DUNOPS_MAX_ZONE_RRSETS)",
                    record.filename if record.connection_id is None else "connection_id",
                )
            _progress(factory, import_id, phase="storing", total=len(content))
            zone_id = _create_zone(factory, record, len(content))
            _store(factory, import_id, zone_id, content)
            _finish(factory, import_id, zone_id, content)
        except DunopsError as error:
            _fail(factory, import_id, zone_id, error)
            return ImportState.FAILED
        except Exception as error:
            log.error("zone import failed", import_id=import_id, error_type=type(error).__name__)
            _fail(
                factory,
                import_id,
                zone_id,
                DunopsError(f"the import failed unexpectedly ({type(error).__name__})"),
            )
            raise
        finally:
            if record.upload:
                with contextlib.suppress(FileNotFoundError):
                    (settings.imports_dir / record.upload).unlink()
    return ImportState.SUCCEEDED


def finished(factory: sessionmaker[Session], import_id: int, *, poll: float = 0.2) -> ZoneImport | None:
    """The import once it has succeeded or failed (another process may be running it)."""
    while True:
        with factory() as session:
            record = session.get(ZoneImport, import_id)
            if record is None or record.state in (ImportState.SUCCEEDED, ImportState.FAILED):
                return record
        time.sleep(poll)


@job(IMPORT_JOB)
def import_zone(context: JobContext, *, import_id: int) -> None:
    with context.sessions() as factory:
        run_import(factory, context.settings, import_id)
