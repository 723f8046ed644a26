"""Sync: reading providers, drift detection, the scheduled sync job, and plans made against live zones.

Public surface: :func:`sync.sync_zone` / :func:`sync.sync` (drift as a Plan, stored as a ``drift``
version), :func:`planning.plan_for_zone` / :func:`planning.plan_against_live` (a :class:`LivePlan` with
the plan, the served fingerprints and the capability check). Importing this package registers the
periodic job ``sync.due_zones`` (:mod:`dunops.sync.schedule`).
"""

from dunops.sync import schedule
from dunops.sync.planning import LivePlan, plan_against_live, plan_for_zone
from dunops.sync.sync import SyncResult, due_zone_ids, sync_zone

__all__ = [
    "LivePlan",
    "SyncResult",
    "due_zone_ids",
    "plan_against_live",
    "plan_for_zone",
    "schedule",
    "sync_zone",
]
