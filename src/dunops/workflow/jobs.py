"""The workflow's jobs: the apply of one deployment and its verification passes, the mail of a request's
reviewers and author, and the periodic expiry of old requests; and the chore of every worker that
reconciles deployments whose worker stopped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy.orm import Session, sessionmaker

from dunops.jobs import JobContext, chore, job, periodic, queue_for
from dunops.storage.models import ChangeRequest
from dunops.workflow import apply, notifications, requests

EXPIRE_JOB = "workflow.expire_requests"
RECONCILE_CHORE = "workflow.reconcile"


@job(notifications.REVIEW_JOB, retries=3, retry_delay=30)
def mail_reviewers(context: JobContext, *, change_id: int, summary: str, min_rank: int) -> None:
    """Mail the reviewers of a request that awaits review."""
    with context.unit_of_work() as session:
        change = session.get(ChangeRequest, change_id)
        if change is not None:
            notifications.mail_reviewers(session, context.settings, change, summary, min_rank)


@job(notifications.AUTHOR_JOB, retries=3, retry_delay=30)
def mail_author(context: JobContext, *, change_id: int, event: str, detail: str = "") -> None:
    """Mail the author of a request what happened to it."""
    with context.unit_of_work() as session:
        change = session.get(ChangeRequest, change_id)
        if change is not None:
            notifications.mail_author(session, context.settings, change, event, detail)


@job(apply.APPLY_JOB)
def apply_deployment(
    context: JobContext,
    *,
    deployment_id: int,
    lease_wait: float = apply.LEASE_WAIT_SECONDS,
    verify_attempts: int = apply.VERIFY_ATTEMPTS,
    verify_interval: float = apply.VERIFY_INTERVAL_SECONDS,
) -> None:
    """Run one deployment (idempotent: a deployment that already ran is left alone)."""
    with _factory(context, deployment_id) as factory:
        apply.run_deployment(
            factory,
            context.settings,
            deployment_id,
            lease_wait=lease_wait,
            verify_attempts=verify_attempts,
            verify_interval=verify_interval,
        )


@job(apply.VERIFY_JOB)
def verify_deployment(
    context: JobContext, *, deployment_id: int, attempt: int, attempts: int, interval: float
) -> None:
    """One further verification pass of an applied deployment."""
    with _factory(context, deployment_id) as factory:
        apply.verify_deployment(
            factory, context.settings, deployment_id, attempt=attempt, attempts=attempts, interval=interval
        )


@contextmanager
def _factory(context: JobContext, deployment_id: int) -> Iterator[sessionmaker[Session]]:
    """Sessions for a deployment's job; an error of the job's own ends the deployment with its reason."""
    with context.sessions() as factory:
        try:
            yield factory
        except Exception as error:
            apply.fail_unexpectedly(factory, context.settings, deployment_id, error)
            raise


def expire_requests_now(context: JobContext) -> list[int]:
    """Expire every open request past its time now; returns their ids."""
    with context.unit_of_work() as session:
        return requests.expire_due(session, context.settings)


@periodic(EXPIRE_JOB, crontab(minute="*"))
def expire_requests(context: JobContext) -> None:
    """Every minute: move open requests past their expiry to ``expired`` and tell their authors."""
    try:
        with queue_for(context.settings).huey.lock_task(EXPIRE_JOB):
            expire_requests_now(context)
    except TaskLockedException:
        return  # another replica is expiring requests right now


@chore(RECONCILE_CHORE, lambda settings: settings.reconcile_seconds)
def reconcile_deployments(context: JobContext) -> None:
    """At start and every ``DUNOPS_RECONCILE_SECONDS``: reconcile deployments whose lease lapsed."""
    with context.sessions() as factory:
        apply.reconcile_lapsed(factory, context.settings)
