"""``dunops serve`` (the web app, with job consumers in-process) and ``dunops worker`` (consumers alone).

The embedded default prepares ``./.dunops/`` (SQLite database, 0600 master key file, outbox, job queue),
migrates it, and prints a one-time sign-in link for the first owner while no user exists.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import prometheus_client
import structlog
import typer
import uvicorn
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from dunops import audit, notify, privacy, sync, workflow
from dunops.accounts import housekeeping, magic_links, plans
from dunops.accounts.magic_links import issue_first_owner_link
from dunops.cli.output import handled
from dunops.config import Settings, load_settings
from dunops.errors import ConfigurationError
from dunops.jobs import BackgroundWorker, queue_for, run_worker
from dunops.jobs.metrics import watch_queue
from dunops.security.vault import ensure_master_key
from dunops.storage.database import alembic_config, make_engine, make_session_factory, transaction, upgrade
from dunops.web import sentry
from dunops.web.app import create_app
from dunops.zones import imports

# Packages whose modules declare jobs; importing them registers the jobs before any consumer starts.
JOB_PACKAGES = (housekeeping, imports, magic_links, notify, privacy, sync, workflow)
# Where this server answers, for the install's other processes; read back by ``Settings.public_url``.
PUBLIC_URL_FILE = "public-url"

log = structlog.get_logger(__name__)


def register(main: typer.Typer) -> None:
    """Add ``serve`` and ``worker`` as top-level commands of the main app."""
    main.command("serve")(serve)
    main.command("worker")(worker)


@handled
def serve(
    host: str | None = typer.Option(None, help="Address to listen on [default: DUNOPS_HOST]."),
    port: int | None = typer.Option(None, min=1, max=65535, help="Port [default: DUNOPS_PORT]."),
    migrate: bool = typer.Option(
        False, "--migrate", help="Migrate a PostgreSQL database first (the embedded SQLite one always is)."
    ),
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="Serve HTTPS with this PEM certificate.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="Its PEM private key.")] = None,
) -> None:
    """Run the web app, with the job worker in-process unless DUNOPS_WORKER=false."""
    tls = _tls_options(tls_cert, tls_key)
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = load_settings(**overrides)
    configure_logging(settings)
    sentry.start(settings, "web")
    engine = prepare_database(settings, migrate=migrate or settings.is_embedded_database)
    _require_master_key(settings, engine)
    record_public_url(settings, https=bool(tls))
    app = create_app(settings, engine=engine)
    announce_first_owner(settings, engine)
    background = (
        BackgroundWorker(queue_for(settings), workers=settings.worker_threads) if settings.worker else None
    )
    options: dict[str, Any] = {"log_config": None, "access_log": False, "server_header": False, **tls}
    # uvicorn handles SIGTERM itself, then re-raises it once it has stopped; exit cleanly at that point
    # (or during start-up) so that the consumer below is stopped too.
    signal.signal(signal.SIGTERM, _exit_gracefully)
    if background is not None:
        watch_queue(background.queue.pending)
        background.start()
    try:
        if settings.web_processes == 1:
            uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, **options)).run()
        else:
            engine.dispose()  # each process opens its own connections
            os.environ.update({"DUNOPS_HOST": settings.host, "DUNOPS_PORT": str(settings.port)})
            uvicorn.run(
                f"{__name__}:process_app",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.web_processes,
                **options,
            )
    finally:
        if background is not None:
            background.stop()
        engine.dispose()


def process_app() -> FastAPI:
    """The app of one of several web processes (``DUNOPS_WEB_PROCESSES``): the parent migrated, checked
    the master key and runs the job consumer; each process opens its own connections."""
    settings = load_settings()
    configure_logging(settings)
    sentry.start(settings, "web")
    return create_app(settings)


@handled
def worker(
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=64, help="Consumer threads [default: DUNOPS_WORKER_THREADS]."
    ),
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        min=1,
        max=65535,
        help="Serve Prometheus /metrics on DUNOPS_HOST at this port.",
    ),
) -> None:
    """Run job consumers alone (scaled set-ups: beside ``dunops serve`` replicas with DUNOPS_WORKER=false)."""
    settings = load_settings()
    configure_logging(settings)
    sentry.start(settings, "worker")
    engine = prepare_database(settings, migrate=settings.is_embedded_database)
    _require_master_key(settings, engine)
    engine.dispose()  # the jobs open their own connections
    audit.configure(settings)
    plans.configure(settings)
    if metrics_port is not None:
        prometheus_client.start_http_server(metrics_port, addr=settings.host)
    queue = queue_for(settings)
    watch_queue(queue.pending)
    run_worker(queue, workers=workers or settings.worker_threads)


def _require_master_key(settings: Settings, engine: Engine) -> None:
    """Stop at start-up, not at the first secret, when the master key is missing or not the one in use."""
    try:
        with transaction(make_session_factory(engine)) as session:
            ensure_master_key(session, settings)
    except ConfigurationError:
        engine.dispose()
        raise


def _tls_options(cert: Path | None, key: Path | None) -> dict[str, str]:
    """uvicorn's TLS options, when both files are given and readable."""
    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        raise ConfigurationError("--tls-cert and --tls-key go together: give both, or neither")
    for option, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path.is_file():
            raise ConfigurationError(f"{option}: {path} is not a readable file")
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


def record_public_url(settings: Settings, *, https: bool = False) -> None:
    """Record the URL this server answers on, so that mail sent by the CLI or a worker of the same install
    links here even when their own ``DUNOPS_PORT`` differs."""
    url = settings.base_url or f"{'https' if https else 'http'}://{settings.host}:{settings.port}"
    path = settings.data_dir / PUBLIC_URL_FILE
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(url + "\n")
    except OSError as exc:
        log.warning("could not record the public URL", path=str(path), error=str(exc))


def _tighten(settings: Settings) -> None:
    tightened = settings.prepare_data_dir()
    if tightened:
        log.warning(
            "data dir permissions tightened",
            data_dir=str(settings.data_dir),
            paths=len(tightened),
            examples=[str(path) for path in tightened[:5]],
        )


def _exit_gracefully(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def prepare_database(settings: Settings, *, migrate: bool) -> Engine:
    """The engine, with the data dir prepared and the schema migrated, or a clear error when it is behind."""
    if settings.is_embedded_database:
        _tighten(settings)
    engine = make_engine(settings.sqlalchemy_url, settings.database_options)
    try:
        if migrate:
            upgrade(engine)
            log.info("database migrated")
        else:
            _require_current_schema(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConfigurationError(
            f"DUNOPS_DATABASE_URL: cannot use the database ({type(exc).__name__})"
        ) from exc
    except ConfigurationError:
        engine.dispose()
        raise
    return engine


def _require_current_schema(engine: Engine) -> None:
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        raise ConfigurationError(
            "the database schema is not current: run `dunops db upgrade` or `dunops serve --migrate`"
        )


def announce_first_owner(settings: Settings, engine: Engine) -> None:
    """Print a one-time sign-in link for the first owner while the database has no user."""
    with transaction(make_session_factory(engine)) as session:
        link = issue_first_owner_link(session, settings)
    if link is not None:
        hours = settings.first_owner_link_hours
        typer.echo(f"No user exists yet. Open this one-time link within {hours} hours to become the owner:")
        typer.echo(f"  {link}")


def configure_logging(settings: Settings) -> None:
    """structlog for our logs and the libraries' (uvicorn, huey): JSON lines in production, console else."""
    as_json = settings.log_json if settings.log_json is not None else settings.environment == "production"
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor
    if as_json:
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        # A plain traceback: the default one shows every frame's local variables, secrets among them.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    # huey logs every task at INFO; keep that for debugging only.
    logging.getLogger("huey").setLevel(logging.DEBUG if settings.log_level == "debug" else logging.WARNING)
