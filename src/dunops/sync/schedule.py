"""The scheduled sync: a periodic job that syncs every zone whose schedule is on and whose time has come.

Each zone syncs in its own transaction, so one failing provider does not hold the others back; a failure
is logged (zone and reason, never credentials) and retried at the next run.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from huey import crontab
from huey.exceptions import TaskLockedException

from dunops.config import Settings
from dunops.errors import DunopsError
from dunops.jobs import JobContext, periodic, queue_for
from dunops.security.vault import Vault
from dunops.storage.database import make_engine, make_session_factory, transaction
from dunops.sync.sync import due_zone_ids, sync_zone

JOB_NAME = "sync.due_zones"

log = structlog.get_logger(__name__)


def run_due_syncs(settings: Settings, now: datetime | None = None) -> dict[int, str]:
    """Sync every due zone; returns ``{zone id: "unchanged" | "drift" | "failed: reason"}``."""
    engine = make_engine(settings.sqlalchemy_url, settings.database_options)
    factory = make_session_factory(engine)
    outcomes: dict[int, str] = {}
    try:
        vault = Vault.from_settings(settings)
        with transaction(factory) as session:
            due = due_zone_ids(session, now)
        for zone_id in due:
            try:
                result = sync_zone(factory, vault, zone_id, None)
                outcomes[zone_id] = "drift" if result.changed else "unchanged"
            except DunopsError as error:
                outcomes[zone_id] = f"failed: {error.detail}"
                log.warning("scheduled sync failed", zone_id=zone_id, reason=error.detail)
    finally:
        engine.dispose()
    return outcomes


@periodic(JOB_NAME, crontab(minute="*"))
def sync_due_zones(context: JobContext) -> None:
    """Every minute: sync the zones that are due (one runner at a time across replicas)."""
    try:
        with queue_for(context.settings).huey.lock_task(JOB_NAME):
            run_due_syncs(context.settings)
    except TaskLockedException:
        log.info("scheduled sync already running elsewhere")
