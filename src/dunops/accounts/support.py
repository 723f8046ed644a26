"""In-app support: members open tickets about their workspace, operators answer; both sides are emailed.

Tickets are workspace data: every member query is scoped by the workspace, they go when the workspace
goes, and an export of the workspace includes them (:func:`export`). A ticket of the kind "data_request"
(a request under the privacy policy: access, correction, deletion) is due 30 days after it was received
(``due_at``); :data:`DATA_REQUEST_HOOKS` are called with each new one, so the privacy service's request
tracking picks it up, and :func:`data_requests_due` lists those still open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import InvalidInput, NotFound, Problem
from dunops.notify.outbox import send_mail
from dunops.storage.base import utcnow
from dunops.storage.models import (
    ChangeRequest,
    SupportTicket,
    TicketKind,
    TicketMessage,
    TicketStatus,
    User,
    Workspace,
    Zone,
)

SUBJECT_MAX = 200
MESSAGE_MAX = 10_000
DATA_REQUEST_DAYS = 30
OPERATOR_LABEL = "DunOps support"

DATA_REQUEST_HOOKS: list[Callable[[Session, SupportTicket], None]] = []
"""Called with every new data-request ticket, inside the transaction that stores it."""


@dataclass(frozen=True, slots=True)
class Thread:
    """A ticket with its messages, oldest first, and the workspace it belongs to."""

    ticket: SupportTicket
    workspace: Workspace
    messages: list[TicketMessage]


def _text(value: Any, location: str, limit: int, *, single_line: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput.single("must not be empty", location)
    if len(text) > limit:
        raise InvalidInput.single(f"must be at most {limit:,} characters", location)
    if single_line and any(char in text for char in "\r\n"):
        raise InvalidInput.single("must be one line", location)
    return text


def _kind(value: str) -> TicketKind:
    try:
        return TicketKind(value)
    except ValueError:
        kinds = ", ".join(kind.value for kind in TicketKind)
        raise InvalidInput.single(f"unknown kind; expected one of {kinds}", "kind") from None


def _operators(session: Session) -> list[str]:
    query = select(User.email).where(User.platform_admin.is_(True), User.status == "active").order_by(User.id)
    return list(session.scalars(query))


def _link(settings: Settings, ticket: SupportTicket, workspace: Workspace) -> str:
    return f"{settings.public_url}/api/v1/workspaces/{workspace.slug}/support/tickets/{ticket.id}"


def _mail_operators(session: Session, settings: Settings, thread: Thread, what: str, body: str) -> None:
    ticket, workspace = thread.ticket, thread.workspace
    for address in _operators(session):
        send_mail(
            session,
            settings,
            to=address,
            subject=f"[DunOps support #{ticket.id}] {what}: {ticket.subject}"[:300],
            body=(
                f"Workspace: {workspace.name} ({workspace.slug}), kind: {ticket.kind}\n\n{body}\n\n"
                f"Answer with: dunops support answer {ticket.id} --message '...', or at "
                f"{settings.public_url}/admin/tickets/{ticket.id}\n"
            ),
        )


def open_ticket(
    session: Session,
    settings: Settings,
    grant: Access,
    *,
    subject: Any,
    message: Any,
    kind: str = TicketKind.QUESTION.value,
    zone: str | None = None,
    change_id: int | None = None,
) -> Thread:
    """Open a ticket in the workspace (any member); its opener and the operators are emailed."""
    grant.require(Permission.WORKSPACE_READ)
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    checks: list[tuple[str, Callable[[], object]]] = [
        ("subject", partial(_text, subject, "subject", SUBJECT_MAX, single_line=True)),
        ("message", partial(_text, message, "message", MESSAGE_MAX)),
        ("kind", partial(_kind, kind)),
    ]
    for name, check in checks:
        try:
            values[name] = check()
        except InvalidInput as error:
            problems.extend(error.problems)
    workspace = grant.workspace
    fqdn = (zone or "").strip().lower().rstrip(".")
    if (
        fqdn
        and session.scalars(
            select(Zone.id).where(Zone.workspace_id == workspace.id, Zone.fqdn == fqdn)
        ).first()
        is None
    ):
        problems.append(Problem(f"no zone {fqdn} in this workspace", "zone"))
    if (
        change_id is not None
        and session.scalars(
            select(ChangeRequest.id).where(
                ChangeRequest.workspace_id == workspace.id, ChangeRequest.id == change_id
            )
        ).first()
        is None
    ):
        problems.append(Problem(f"no change request {change_id} in this workspace", "change_id"))
    if problems:
        raise InvalidInput.collect(problems)
    now = utcnow()
    ticket = SupportTicket(
        workspace_id=workspace.id,
        kind=values["kind"],
        subject=values["subject"],
        zone=fqdn,
        change_id=change_id,
        opened_by_id=grant.principal.user.id,
        created_at=now,
        updated_at=now,
        due_at=now + timedelta(days=DATA_REQUEST_DAYS) if values["kind"] is TicketKind.DATA_REQUEST else None,
    )
    session.add(ticket)
    session.flush()
    first = TicketMessage(
        ticket_id=ticket.id,
        author_id=grant.principal.user.id,
        author=grant.principal.user.email,
        body=values["message"],
        created_at=now,
    )
    session.add(first)
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=grant.principal,
        action="support.open",
        target=f"ticket:{ticket.id}",
        details={"kind": ticket.kind.value, "zone": fqdn, "change_id": change_id},
    )
    thread = Thread(ticket, workspace, [first])
    send_mail(
        session,
        settings,
        to=grant.principal.user.email,
        subject=f"[DunOps support #{ticket.id}] We received: {ticket.subject}"[:300],
        body=(
            f"We received your request about {workspace.name} and will answer by mail.\n\n"
            f"{values['message']}\n\nFollow it at {_link(settings, ticket, workspace)}\n"
            + (f"As a data request it is answered by {ticket.due_at:%Y-%m-%d}.\n" if ticket.due_at else "")
        ),
    )
    _mail_operators(session, settings, thread, "New ticket", values["message"])
    if ticket.kind is TicketKind.DATA_REQUEST:
        for hook in DATA_REQUEST_HOOKS:
            hook(session, ticket)
    return thread


def listing(session: Session, grant: Access) -> list[SupportTicket]:
    grant.require(Permission.WORKSPACE_READ)
    query = (
        select(SupportTicket)
        .where(SupportTicket.workspace_id == grant.workspace.id)
        .order_by(SupportTicket.id.desc())
    )
    return list(session.scalars(query))


def _messages(session: Session, ticket: SupportTicket) -> list[TicketMessage]:
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
    return list(session.scalars(query))


def get(session: Session, grant: Access, ticket_id: int) -> Thread:
    """One ticket of the workspace with its messages; a ticket of another workspace is not found."""
    grant.require(Permission.WORKSPACE_READ)
    ticket = session.scalars(
        select(SupportTicket).where(
            SupportTicket.id == ticket_id, SupportTicket.workspace_id == grant.workspace.id
        )
    ).first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found in this workspace")
    return Thread(ticket, grant.workspace, _messages(session, ticket))


def reply(session: Session, settings: Settings, grant: Access, ticket_id: int, message: Any) -> Thread:
    """A member adds to a ticket; it is open again and the operators are emailed."""
    thread = get(session, grant, ticket_id)
    body = _text(message, "message", MESSAGE_MAX)
    added = TicketMessage(
        ticket_id=thread.ticket.id,
        author_id=grant.principal.user.id,
        author=grant.principal.user.email,
        body=body,
    )
    session.add(added)
    thread.ticket.status = TicketStatus.OPEN
    thread.ticket.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="support.reply",
        target=f"ticket:{thread.ticket.id}",
    )
    _mail_operators(session, settings, thread, "Reply", body)
    return Thread(thread.ticket, thread.workspace, [*thread.messages, added])


# -- the operators' side --------------------------------------------------------------------------------


def every(session: Session, *, status: str | None = None) -> list[tuple[SupportTicket, Workspace]]:
    """Every ticket on the instance, newest first (operators only: the caller checks)."""
    query = select(SupportTicket, Workspace).join(Workspace, Workspace.id == SupportTicket.workspace_id)
    if status:
        try:
            query = query.where(SupportTicket.status == TicketStatus(status))
        except ValueError:
            raise InvalidInput.single("unknown status; expected open, answered or closed", "status") from None
    return [
        (ticket, workspace) for ticket, workspace in session.execute(query.order_by(SupportTicket.id.desc()))
    ]


def thread_of(session: Session, ticket_id: int) -> Thread:
    ticket = session.get(SupportTicket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    workspace = session.get(Workspace, ticket.workspace_id)
    assert workspace is not None
    return Thread(ticket, workspace, _messages(session, ticket))


def answer(
    session: Session,
    settings: Settings,
    ticket_id: int,
    message: Any,
    *,
    actor: Principal | None = None,
    close: bool = False,
) -> Thread:
    """An operator answers: the ticket is answered (or closed) and everyone who wrote in it is emailed."""
    thread = thread_of(session, ticket_id)
    body = _text(message, "message", MESSAGE_MAX)
    added = TicketMessage(
        ticket_id=thread.ticket.id,
        author_id=actor.user.id if actor else None,
        author=OPERATOR_LABEL,
        from_operator=True,
        body=body,
    )
    session.add(added)
    thread.ticket.status = TicketStatus.CLOSED if close else TicketStatus.ANSWERED
    thread.ticket.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        workspace_id=thread.workspace.id,
        actor=actor,
        action="support.answer",
        target=f"ticket:{thread.ticket.id}",
        details={"status": thread.ticket.status.value},
    )
    for address in sorted({m.author for m in thread.messages if not m.from_operator}):
        send_mail(
            session,
            settings,
            to=address,
            subject=f"[DunOps support #{thread.ticket.id}] Answer: {thread.ticket.subject}"[:300],
            body=f"{body}\n\nFollow the ticket at {_link(settings, thread.ticket, thread.workspace)}\n",
        )
    return Thread(thread.ticket, thread.workspace, [*thread.messages, added])


def data_requests_due(session: Session, before: datetime) -> list[SupportTicket]:
    """Data requests not yet closed whose 30 days end before ``before``."""
    query = select(SupportTicket).where(
        SupportTicket.kind == TicketKind.DATA_REQUEST,
        SupportTicket.status != TicketStatus.CLOSED,
        SupportTicket.due_at < before,
    )
    return list(session.scalars(query.order_by(SupportTicket.due_at)))


def export(session: Session, workspace_id: int) -> list[dict[str, Any]]:
    """The workspace's tickets and messages as plain data, for the export of the workspace's data."""
    tickets = session.scalars(
        select(SupportTicket).where(SupportTicket.workspace_id == workspace_id).order_by(SupportTicket.id)
    )
    return [
        {
            "id": ticket.id,
            "kind": ticket.kind.value,
            "status": ticket.status.value,
            "subject": ticket.subject,
            "zone": ticket.zone,
            "change_id": ticket.change_id,
            "created_at": ticket.created_at.isoformat(),
            "due_at": ticket.due_at.isoformat() if ticket.due_at else None,
            "messages": [
                {
                    "author": m.author,
                    "from_operator": m.from_operator,
                    "body": m.body,
                    "at": m.created_at.isoformat(),
                }
                for m in _messages(session, ticket)
            ],
        }
        for ticket in tickets
    ]
