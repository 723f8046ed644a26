"""Encrypted backups of the database and the data directory, which age out within 90 days.

A backup is a directory ``<backups dir>/<id>/`` holding two parts and a manifest:

- ``database.enc``: a consistent copy of the database (SQLite's online backup API; ``pg_dump`` in its
  custom format for PostgreSQL, streamed straight into the cipher so that no plaintext dump touches disk);
- ``files.enc``: a gzip'd tar of the data directory (zone files, uploads, exports, the mail outbox) without
  the master key file, the job queue, the database and the backups themselves;
- ``manifest.json``: id, created, expires, the database's dialect and schema revision, the id of the
  master key the parts were sealed under, and each part's size and SHA-256.

Each part is sealed with AES-256-GCM (:mod:`dunops.security.file_cipher`) under a key derived from the
master key for backups, bound to the backup's id and the part's name. A backup expires
``DUNOPS_BACKUP_RETENTION_DAYS`` (90 at most) after it was made; :func:`prune` (``dunops backup prune`` and
a daily job) deletes it then. :func:`restore`, into a stopped service, re-applies every deletion recorded
since the backup (:mod:`dunops.privacy.tombstones`), so a deleted workspace or account stays deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import structlog
from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy import Engine, text

from dunops.config import Settings
from dunops.errors import ConfigurationError, InvalidInput, NotFound, SecretUnreadable
from dunops.jobs import JobContext, jobs_file, periodic, queue_for
from dunops.privacy import purge, tombstones
from dunops.security import file_cipher
from dunops.security.master_key import derive_key, load_master_key
from dunops.storage.base import utcnow
from dunops.storage.database import make_engine, make_session_factory, reading, transaction, upgrade

PRUNE_BACKUPS_JOB = "privacy.prune_backups"
MANIFEST = "manifest.json"
DATABASE_PART = "database.enc"
FILES_PART = "files.enc"
FORMAT = 1
_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")
_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Part:
    """One encrypted file of a backup."""

    file: str
    bytes: int
    sha256: str
    plain_bytes: int


@dataclass(slots=True)
class Manifest:
    """What a backup holds; stored beside its parts as ``manifest.json`` (it holds nothing secret)."""

    id: str
    created: datetime
    expires: datetime
    database: str
    schema_revision: str
    key_id: str
    parts: dict[str, Part] = field(default_factory=dict)
    format: int = FORMAT

    @property
    def size(self) -> int:
        return sum(part.bytes for part in self.parts.values())

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["created"] = self.created.isoformat()
        body["expires"] = self.expires.isoformat()
        return body

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            body = json.loads(text)
            parts = {name: Part(**part) for name, part in body.pop("parts").items()}
            return cls(
                **{
                    **body,
                    "created": datetime.fromisoformat(body["created"]),
                    "expires": datetime.fromisoformat(body["expires"]),
                    "parts": parts,
                }
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"{where}: the manifest is unreadable ({exc})") from exc


@dataclass(slots=True)
class Restored:
    """What a restore did."""

    manifest: Manifest
    reapplied: tombstones.Reapplied


def backup_key(settings: Settings) -> tuple[bytes, str]:
    """The backups' key, derived from the master key, and the master key's id."""
    master = load_master_key(settings)
    return derive_key(master, "backups"), master.key_id


def _associated_data(backup_id: str, part: str) -> bytes:
    return f"dunops backup {FORMAT}\x00{backup_id}\x00{part}".encode()


# making -----------------------------------------------------------------------------------------------


def create(settings: Settings, engine: Engine) -> Manifest:
    """Make a new backup; returns its manifest."""
    key, key_id = backup_key(settings)
    now = utcnow().replace(microsecond=0)
    backup_id = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    folder = _private_dir(settings.backups_dir) / backup_id
    folder.mkdir(mode=0o700)
    try:
        with reading(make_session_factory(engine)) as session:
            revision = session.scalar(text("SELECT version_num FROM alembic_version")) or ""
        manifest = Manifest(
            id=backup_id,
            created=now,
            expires=now + timedelta(days=settings.backup_retention_days),
            database=engine.dialect.name,
            schema_revision=revision,
            key_id=key_id,
        )
        ad = _associated_data(backup_id, DATABASE_PART)
        if engine.dialect.name == "sqlite":
            plain = _dump_sqlite(engine, folder / DATABASE_PART, key, ad)
        else:
            plain = _dump_postgres(engine, folder / DATABASE_PART, key, ad)
        manifest.parts[DATABASE_PART] = _part(folder / DATABASE_PART, plain)
        plain = _archive_files(
            settings, engine, folder / FILES_PART, key, _associated_data(backup_id, FILES_PART)
        )
        manifest.parts[FILES_PART] = _part(folder / FILES_PART, plain)
        _write_private(folder / MANIFEST, manifest.to_json())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info("backup made", backup_id=backup_id, bytes=manifest.size)
    return manifest


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def _write_private(path: Path, content: str) -> None:
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        handle.write(content)


def _part(path: Path, plain_bytes: int) -> Part:
    return Part(path.name, path.stat().st_size, _sha256(path), plain_bytes)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(file_cipher.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ConfigurationError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _dump_sqlite(engine: Engine, target: Path, key: bytes, ad: bytes) -> int:
    """A consistent copy through SQLite's online backup API, then sealed; the plain copy is removed."""
    copy = target.with_name(".database.sqlite3")
    source = sqlite3.connect(_sqlite_path(engine))
    destination = sqlite3.connect(copy)
    try:
        os.chmod(copy, 0o600)
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    try:
        with copy.open("rb") as plain:
            return file_cipher.seal_stream(plain, target, key, ad)
    finally:
        copy.unlink(missing_ok=True)


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The database as a libpq URL without its password, and the environment carrying the password."""
    url = engine.url
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _check_client(engine: Engine, program: str) -> str:
    """The path of ``pg_dump``/``pg_restore``, refused when older than the server (it could not read it)."""
    found = shutil.which(program)
    if found is None:
        raise ConfigurationError(f"{program} is not installed: PostgreSQL backups need the PostgreSQL client")
    shown = subprocess.run(  # noqa: S603  (the PostgreSQL client found on PATH, fixed arguments)
        [found, "--version"], capture_output=True, text=True, check=False
    ).stdout
    version = re.search(r"(\d+)(?:\.\d+)?", shown)
    with engine.connect() as connection:
        server = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    if version is None or int(version.group(1)) < server:
        raise ConfigurationError(
            f"{program} is version {shown.strip() or 'unknown'} but the server is PostgreSQL {server}: "
            f"install the client of version {server} or later"
        )
    return found


def _dump_postgres(engine: Engine, target: Path, key: bytes, ad: bytes) -> int:
    program = _check_client(engine, "pg_dump")
    url, environment = _libpq(engine)
    command = [program, "--format=custom", "--no-owner", "--no-privileges", f"--dbname={url}"]
    with subprocess.Popen(  # noqa: S603  (the PostgreSQL client found on PATH; no shell)
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        plain = file_cipher.seal_stream(process.stdout, target, key, ad)  # type: ignore[arg-type]
        errors = process.stderr.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise ConfigurationError(f"pg_dump failed: {errors.strip() or f'exit code {process.returncode}'}")
    return plain


def _excluded(settings: Settings, engine: Engine) -> set[Path]:
    """What a files backup leaves out: the master key (a backup must not carry its own key), the job
    queue, the database (its own part) and the backups."""
    left_out = {settings.master_key_file, settings.backups_dir, settings.data_dir / "public-url"}
    queue = jobs_file(settings)
    left_out |= {queue.with_name(queue.name + suffix) for suffix in _SQLITE_SUFFIXES}
    if engine.dialect.name == "sqlite":
        database = _sqlite_path(engine)
        left_out |= {
            database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")
        }
    return {path.absolute() for path in left_out}


def _archive_files(settings: Settings, engine: Engine, target: Path, key: bytes, ad: bytes) -> int:
    excluded = _excluded(settings, engine)
    root = settings.data_dir.absolute()
    with (
        file_cipher.SealingWriter(target, key, ad) as writer,
        tarfile.open(fileobj=writer, mode="w|gz") as archive,  # type: ignore[call-overload]
    ):
        for path in sorted(root.iterdir()) if root.is_dir() else []:
            if path.absolute() not in excluded:
                archive.add(path, arcname=path.name, filter=_without_links)
    return writer.plain_bytes


def _without_links(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Links are left out: a restore must write nothing outside the data directory."""
    return None if member.issym() or member.islnk() else member


# reading ----------------------------------------------------------------------------------------------


def list_backups(settings: Settings) -> list[Manifest]:
    """Every backup in the backups directory, oldest first."""
    folder = settings.backups_dir
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        if _ID.match(entry.name) and (entry / MANIFEST).is_file():
            found.append(Manifest.from_json((entry / MANIFEST).read_text(encoding="utf-8"), entry.name))
    return found


def load(settings: Settings, backup_id: str) -> Manifest:
    if not _ID.match(backup_id):
        raise InvalidInput(f"'{backup_id}' is not a backup id (they look like 20260101T000000Z-1a2b3c)")
    path = settings.backups_dir / backup_id / MANIFEST
    if not path.is_file():
        raise NotFound(f"backup {backup_id} not found in {settings.backups_dir}")
    return Manifest.from_json(path.read_text(encoding="utf-8"), backup_id)


def verify(settings: Settings, backup_id: str) -> Manifest:
    """Check every part against the manifest's size and SHA-256, and decrypt it through (GCM tag)."""
    manifest = load(settings, backup_id)
    key, key_id = backup_key(settings)
    if manifest.key_id != key_id:
        raise SecretUnreadable(
            f"backup {backup_id} was sealed under master key {manifest.key_id}, "
            f"but the configured master key is {key_id}"
        )
    folder = settings.backups_dir / backup_id
    for name in (DATABASE_PART, FILES_PART):
        part = manifest.parts.get(name)
        path = folder / name
        if part is None or not path.is_file():
            raise SecretUnreadable(f"backup {backup_id}: {name} is missing")
        if path.stat().st_size != part.bytes or _sha256(path) != part.sha256:
            raise SecretUnreadable(f"backup {backup_id}: {name} does not match its manifest's SHA-256")
        if file_cipher.check(path, key, _associated_data(backup_id, name)) != part.plain_bytes:
            raise SecretUnreadable(f"backup {backup_id}: {name} decrypts to a different length")
    return manifest


# restoring --------------------------------------------------------------------------------------------


def restore(settings: Settings, backup_id: str) -> Restored:
    """Put the database and the data directory back as they were at the backup, with every deletion
    recorded since re-applied. The service must be stopped: nothing else may write meanwhile."""
    manifest = verify(settings, backup_id)
    engine = make_engine(settings.sqlalchemy_url, settings.database_options)
    try:
        if engine.dialect.name != manifest.database:
            raise InvalidInput(
                f"backup {backup_id} is of a {manifest.database} database;"
                f" this install uses {engine.dialect.name}"
            )
        with reading(make_session_factory(engine)) as session:
            carried = tombstones.collect(session)
    finally:
        engine.dispose()
    key, _ = backup_key(settings)
    folder = settings.backups_dir / backup_id
    ad = _associated_data(backup_id, DATABASE_PART)
    engine = make_engine(settings.sqlalchemy_url, settings.database_options)
    try:
        if manifest.database == "sqlite":
            _load_sqlite(engine, folder / DATABASE_PART, key, ad)
        else:
            _load_postgres(engine, folder / DATABASE_PART, key, ad)
    finally:
        engine.dispose()
    _unpack_files(settings, folder / FILES_PART, key, _associated_data(backup_id, FILES_PART))
    engine = make_engine(settings.sqlalchemy_url, settings.database_options)
    try:
        upgrade(engine)  # a backup made before a later migration
        with transaction(make_session_factory(engine)) as session:
            reapplied = tombstones.reapply_all(session, settings, carried)
        purge.compact(engine)
    finally:
        engine.dispose()
    log.info("backup restored", backup_id=backup_id, reapplied=len(carried))
    return Restored(manifest, reapplied)


def _load_sqlite(engine: Engine, source: Path, key: bytes, ad: bytes) -> None:
    target = _sqlite_path(engine)
    copy = target.with_name(f".{target.name}.restoring")
    copy.unlink(missing_ok=True)
    with open(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        for chunk in file_cipher.open_chunks(source, key, ad):
            handle.write(chunk)
    try:
        restored = sqlite3.connect(copy)
        live = sqlite3.connect(target)
        try:
            restored.backup(live)
        finally:
            live.close()
            restored.close()
    finally:
        copy.unlink(missing_ok=True)


def _load_postgres(engine: Engine, source: Path, key: bytes, ad: bytes) -> None:
    program = _check_client(engine, "pg_restore")
    url, environment = _libpq(engine)
    engine.dispose()
    command = [
        program,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={url}",
    ]
    with subprocess.Popen(  # noqa: S603  (the PostgreSQL client found on PATH; no shell)
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment
    ) as process:
        assert process.stdin is not None
        assert process.stderr is not None
        try:
            for chunk in file_cipher.open_chunks(source, key, ad):
                process.stdin.write(chunk)
        except BrokenPipeError:
            pass
        process.stdin.close()
        errors = process.stderr.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise ConfigurationError(f"pg_restore failed: {errors.strip() or f'exit code {process.returncode}'}")


def _unpack_files(settings: Settings, source: Path, key: bytes, ad: bytes) -> None:
    """Replace the data directory's contents (but the master key, queue, database and backups)."""
    engine = make_engine(settings.sqlalchemy_url)
    try:
        excluded = _excluded(settings, engine)
    finally:
        engine.dispose()
    root = settings.data_dir.absolute()
    _private_dir(root)
    for path in sorted(root.iterdir()):
        if path.absolute() in excluded:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    reader: IO[bytes] = file_cipher.OpeningReader(source, key, ad)  # type: ignore[assignment]
    with tarfile.open(fileobj=reader, mode="r|gz") as archive:
        archive.extractall(root, filter="data")
    settings.prepare_data_dir()


# ageing out -------------------------------------------------------------------------------------------


def prune(settings: Settings, now: datetime | None = None) -> list[str]:
    """Delete every backup past its expiry or older than ``DUNOPS_BACKUP_RETENTION_DAYS``; returns their
    ids. A directory that is not a backup is left alone."""
    now = now or utcnow()
    oldest = now - timedelta(days=settings.backup_retention_days)
    removed = []
    for manifest in list_backups(settings):
        if manifest.expires <= now or manifest.created <= oldest:
            shutil.rmtree(settings.backups_dir / manifest.id)
            removed.append(manifest.id)
    if removed:
        log.info("backups pruned", removed=len(removed))
    return removed


@periodic(PRUNE_BACKUPS_JOB, crontab(hour="3", minute="37"))
def prune_backups(context: JobContext) -> None:
    """Every day: delete the backups that have aged out (one runner at a time)."""
    try:
        with queue_for(context.settings).huey.lock_task(PRUNE_BACKUPS_JOB):
            prune(context.settings)
    except TaskLockedException:
        log.info("backup prune already running elsewhere")
