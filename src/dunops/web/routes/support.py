"""``/api/v1/workspaces/{slug}/support/tickets``: members open, read and add to their workspace's tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Form, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from dunops.accounts import access, support
from dunops.accounts.permissions import Permission
from dunops.errors import DunopsError, PermissionDenied
from dunops.security.tokens import same
from dunops.storage.models import SupportTicket
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB, RowId
from dunops.web.routes.auth import error_page, render, signed_in_record
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1/workspaces/{slug}/support/tickets", tags=["support"])


class TicketIn(BaseModel):
    subject: str = Field(max_length=support.SUBJECT_MAX)
    message: str = Field(max_length=support.MESSAGE_MAX)
    kind: str = Field(default="question", max_length=32)
    zone: str | None = Field(default=None, max_length=255)
    change_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ReplyIn(BaseModel):
    message: str = Field(max_length=support.MESSAGE_MAX)


class MessageOut(BaseModel):
    author: str
    from_operator: bool
    body: str
    created_at: datetime


class TicketOut(BaseModel):
    id: int
    kind: str
    status: str
    subject: str
    zone: str
    change_id: int | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    messages: list[MessageOut] | None = None

    @classmethod
    def of(cls, ticket: SupportTicket, thread: support.Thread | None = None) -> TicketOut:
        return cls(
            id=ticket.id,
            kind=ticket.kind.value,
            status=ticket.status.value,
            subject=ticket.subject,
            zone=ticket.zone,
            change_id=ticket.change_id,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            due_at=ticket.due_at,
            messages=[
                MessageOut(
                    author=m.author, from_operator=m.from_operator, body=m.body, created_at=m.created_at
                )
                for m in thread.messages
            ]
            if thread
            else None,
        )


@router.post("", status_code=status.HTTP_201_CREATED)
def open_ticket(
    slug: str, body: TicketIn, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> TicketOut:
    """Ask the operators for help (kind ``question``) or make a request about your data (``data_request``,
    answered within 30 days); optionally about one zone or change request. You get a copy by mail."""
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    thread = support.open_ticket(
        db,
        settings,
        grant,
        subject=body.subject,
        message=body.message,
        kind=body.kind,
        zone=body.zone,
        change_id=body.change_id,
    )
    return TicketOut.of(thread.ticket, thread)


@router.get("")
def list_tickets(slug: str, db: ReadDB, principal: CurrentPrincipal) -> list[TicketOut]:
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    return [TicketOut.of(ticket) for ticket in support.listing(db, grant)]


@router.get("/{ticket_id}")
def show_ticket(slug: str, ticket_id: RowId, db: ReadDB, principal: CurrentPrincipal) -> TicketOut:
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    thread = support.get(db, grant, ticket_id)
    return TicketOut.of(thread.ticket, thread)


@router.post("/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
def reply(
    slug: str, ticket_id: RowId, body: ReplyIn, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> TicketOut:
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    thread = support.reply(db, settings, grant, ticket_id, body.message)
    return TicketOut.of(thread.ticket, thread)


pages = api_router(include_in_schema=False)


@pages.get("/support/{slug}")
def support_page(request: Request, db: ReadDB, slug: str, opened: int = 0) -> Response:
    """The workspace's tickets and a form to open one."""
    current = signed_in_record(request, db)
    if current is None:
        return RedirectResponse(f"/sign-in?next=/support/{slug}", status_code=303)
    record, principal = current
    try:
        grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
        tickets = support.listing(db, grant)
    except DunopsError as error:
        return error_page(request, error, csrf_token=record.csrf_token)
    return render(
        request,
        "support.html",
        workspace=grant.workspace,
        tickets=tickets,
        opened=opened,
        csrf_token=record.csrf_token,
    )


@pages.post("/support/{slug}")
def support_open(
    request: Request,
    db: DB,
    settings: AppSettings,
    slug: str,
    subject: Annotated[str, Form(max_length=support.SUBJECT_MAX)] = "",
    message: Annotated[str, Form(max_length=support.MESSAGE_MAX)] = "",
    kind: Annotated[str, Form(max_length=32)] = "question",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    current = signed_in_record(request, db)
    if current is None:
        return RedirectResponse(f"/sign-in?next=/support/{slug}", status_code=303)
    record, principal = current
    try:
        if not csrf_token or not same(csrf_token, record.csrf_token):
            raise PermissionDenied("missing or wrong CSRF token; reload the page and try again")
        grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
        thread = support.open_ticket(db, settings, grant, subject=subject, message=message, kind=kind)
    except DunopsError as error:
        db.rollback()
        return error_page(request, error, csrf_token=record.csrf_token)
    return RedirectResponse(f"/support/{slug}?opened={thread.ticket.id}", status_code=303)
