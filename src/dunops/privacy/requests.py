"""Data-subject requests (access, correction, export, deletion), each answered within 30 days.

A person files one for themselves (in-app support: ``POST /api/v1/me/requests``), or a workspace admin
files one for a member of the workspace. Each is recorded with its due date, 30 days after it was
received; operators see them with ``dunops requests list [--overdue]`` and are mailed by a daily job 7
days before one is due (``DUNOPS_OPERATOR_EMAILS``). What a person does themselves (correcting their
profile, an export, deleting their account or a workspace) is recorded as a request completed at once.
A support ticket of the kind "data request" is recorded as an access request naming the ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import support, users
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import InvalidInput, NotFound, PermissionDenied, Problem
from dunops.jobs import JobContext, periodic, queue_for
from dunops.notify import send_mail
from dunops.storage.base import utcnow
from dunops.storage.database import make_engine, make_session_factory, transaction
from dunops.storage.models import (
    DataRequest,
    Membership,
    RequestChannel,
    RequestKind,
    RequestState,
    SupportTicket,
)

ANSWER_WITHIN = timedelta(days=30)
REMIND_BEFORE = timedelta(days=7)
MAX_DETAILS = 4000
REMIND_JOB = "privacy.remind_requests"

log = structlog.get_logger(__name__)


def _kind(value: str) -> RequestKind:
    try:
        return RequestKind(value)
    except ValueError:
        choices = ", ".join(kind.value for kind in RequestKind)
        raise InvalidInput(
            f"'{value}' is not a kind of request; one of: {choices}", [Problem(choices, "kind", "choice")]
        ) from None


def _details(details: str) -> str:
    if len(details) > MAX_DETAILS:
        raise InvalidInput(
            f"details: at most {MAX_DETAILS} characters", [Problem("too long", "details", "too-long")]
        )
    return details.strip()


def file_own(session: Session, principal: Principal, kind: str, details: str = "") -> DataRequest:
    """A person asks about their own data through in-app support."""
    request = _new(session, _kind(kind), RequestChannel.SUPPORT, principal.user.id, principal, None)
    request.details = _details(details)
    return request


def file_for_member(session: Session, grant: Access, kind: str, email: str, details: str = "") -> DataRequest:
    """A workspace admin files a request for a member of the workspace."""
    grant.require(Permission.MEMBERS_MANAGE)
    subject = users.by_email(session, users.normalise_email(email))
    is_member = subject is not None and session.scalar(
        select(Membership.id).where(
            Membership.workspace_id == grant.workspace.id, Membership.user_id == subject.id
        )
    )
    if subject is None or not is_member:
        raise NotFound(f"{email} is not a member of {grant.workspace.slug}")
    request = _new(
        session, _kind(kind), RequestChannel.WORKSPACE_ADMIN, subject.id, grant.principal, grant.workspace.id
    )
    request.details = _details(details)
    return request


def _from_ticket(session: Session, ticket: SupportTicket) -> None:
    """A support ticket of the kind "data request" is a request under the policy: record it, due 30 days
    after the ticket was opened, naming the ticket (its thread says what is asked)."""
    if ticket.opened_by_id is None:
        return
    now = utcnow()
    session.add(
        DataRequest(
            kind=RequestKind.ACCESS,
            channel=RequestChannel.SUPPORT,
            subject_user_id=ticket.opened_by_id,
            filed_by_user_id=ticket.opened_by_id,
            workspace_id=ticket.workspace_id,
            details=f"support ticket #{ticket.id}: {ticket.subject}"[:MAX_DETAILS],
            received_at=now,
            due_at=now + ANSWER_WITHIN,
        )
    )
    session.flush()


support.DATA_REQUEST_HOOKS.append(_from_ticket)


def record_self_service(
    session: Session, principal: Principal, kind: RequestKind, workspace_id: int | None = None
) -> DataRequest:
    """What a person did themselves, recorded as a request completed at once."""
    request = _new(session, kind, RequestChannel.SELF_SERVICE, principal.user.id, principal, workspace_id)
    request.state = RequestState.COMPLETED
    request.completed_at = request.received_at
    session.flush()
    return request


def _new(
    session: Session,
    kind: RequestKind,
    channel: RequestChannel,
    subject_id: int,
    filed_by: Principal,
    workspace_id: int | None,
) -> DataRequest:
    now = utcnow()
    request = DataRequest(
        kind=kind,
        channel=channel,
        subject_user_id=subject_id,
        filed_by_user_id=filed_by.user.id,
        workspace_id=workspace_id,
        received_at=now,
        due_at=now + ANSWER_WITHIN,
    )
    session.add(request)
    session.flush()
    return request


def mine(session: Session, principal: Principal) -> list[DataRequest]:
    query = (
        select(DataRequest)
        .where(DataRequest.subject_user_id == principal.user.id)
        .order_by(DataRequest.received_at.desc(), DataRequest.id.desc())
    )
    return list(session.scalars(query))


def listing(session: Session, *, overdue: bool = False, now: datetime | None = None) -> list[DataRequest]:
    """Open requests, soonest due first; ``overdue``: only those past their due date."""
    query = select(DataRequest).where(DataRequest.state == RequestState.OPEN)
    if overdue:
        query = query.where(DataRequest.due_at < (now or utcnow()))
    return list(session.scalars(query.order_by(DataRequest.due_at, DataRequest.id)))


def complete(session: Session, request_id: int) -> DataRequest:
    """An operator answered the request."""
    request = session.get(DataRequest, request_id)
    if request is None:
        raise NotFound(f"request {request_id} not found")
    if request.state == RequestState.COMPLETED:
        raise PermissionDenied(f"request {request_id} was completed already")
    request.state = RequestState.COMPLETED
    request.completed_at = utcnow()
    session.flush()
    return request


def remind(session: Session, settings: Settings, now: datetime | None = None) -> list[DataRequest]:
    """Mail the operators about each open request due within 7 days that they were not reminded of."""
    now = now or utcnow()
    due = list(
        session.scalars(
            select(DataRequest)
            .where(
                DataRequest.state == RequestState.OPEN,
                DataRequest.reminded_at.is_(None),
                DataRequest.due_at <= now + REMIND_BEFORE,
            )
            .order_by(DataRequest.due_at)
        )
    )
    if not due:
        return []
    if not settings.operator_emails:
        log.warning("data requests are due soon but DUNOPS_OPERATOR_EMAILS is not set", due=len(due))
        return []
    lines = [
        f"- request {r.id}: {r.kind}, filed {r.received_at:%Y-%m-%d} ({r.channel}), due {r.due_at:%Y-%m-%d}"
        for r in due
    ]
    body = "\n".join(
        [
            "These data requests must be answered within 7 days:",
            "",
            *lines,
            "",
            "See them with: dunops requests list. Mark one answered with: dunops requests complete ID.",
        ]
    )
    for operator in settings.operator_emails:
        send_mail(session, settings, to=operator, subject=f"{len(due)} data request(s) due soon", body=body)
    for request in due:
        request.reminded_at = now
    session.flush()
    return due


@periodic(REMIND_JOB, crontab(hour="8", minute="3"))
def remind_requests(context: JobContext) -> None:
    """Every day: remind operators of the data requests due within 7 days (one runner at a time)."""
    settings = context.settings
    try:
        with queue_for(settings).huey.lock_task(REMIND_JOB):
            engine = make_engine(settings.sqlalchemy_url, settings.database_options)
            try:
                with transaction(make_session_factory(engine)) as session:
                    remind(session, settings)
            finally:
                engine.dispose()
    except TaskLockedException:
        log.info("request reminders already running elsewhere")
