"""``/admin``: the operators' pages (platform admins only): workspaces with usage, users, suspension.

Every action is a form posted with the session's CSRF token and audited by the service it calls; a
signed-in member who is not a platform admin gets 404, as for any page that is not theirs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dunops.accounts import platform, support, users
from dunops.accounts.principal import Principal
from dunops.errors import DunopsError, PermissionDenied
from dunops.security.tokens import same
from dunops.storage.models import WebSession
from dunops.web.deps import DB, AppSettings, ReadDB, RowId
from dunops.web.routes.auth import error_page, render, signed_in_record
from dunops.web.routing import api_router

router = api_router(include_in_schema=False, prefix="/admin")


def operator(request: Request, db: Session) -> tuple[WebSession, Principal] | None:
    """The signed-in platform admin, None when nobody is signed in; anyone else is refused (404)."""
    current = signed_in_record(request, db)
    if current is not None:
        platform.require_operator(current[1])
    return current


def _checked(record: WebSession, csrf_token: str) -> None:
    if not csrf_token or not same(csrf_token, record.csrf_token):
        raise PermissionDenied("missing or wrong CSRF token; reload the page and try again")


def _sign_in() -> Response:
    return RedirectResponse("/sign-in?next=/admin", status_code=303)


@router.get("")
def overview(request: Request, db: ReadDB, notice: str = "") -> Response:
    current = operator(request, db)
    if current is None:
        return _sign_in()
    record, principal = current
    return render(
        request,
        "admin.html",
        me=principal.user,
        usage=platform.usage(db),
        people=platform.people(db),
        notice=notice[:200],
        csrf_token=record.csrf_token,
    )


def _act(
    request: Request, db: Session, csrf_token: str, action: str, target: str | int, reason: str
) -> Response:
    """Do ``action`` on a workspace (by slug) or a user (by id), once the operator and the token check out."""
    current = operator(request, db)
    if current is None:
        return _sign_in()
    record, principal = current
    try:
        _checked(record, csrf_token)
        if isinstance(target, int):
            target = users.get(db, target).email
        if action == "suspend-workspace":
            platform.suspend_workspace(db, target, reason=reason, actor=principal)
        elif action == "unsuspend-workspace":
            platform.unsuspend_workspace(db, target, actor=principal)
        elif action == "suspend-user":
            platform.suspend_user(db, target, reason=reason, actor=principal)
        else:
            platform.unsuspend_user(db, target, actor=principal)
    except DunopsError as error:
        db.rollback()
        return error_page(request, error, csrf_token=record.csrf_token)
    done = action.replace("-", " ").replace("suspend ", "suspended ")
    return RedirectResponse(f"/admin?notice={done}", status_code=303)


Csrf = Annotated[str, Form()]
Reason = Annotated[str, Form()]


@router.post("/workspaces/{slug}/suspend")
def suspend_workspace(
    request: Request, db: DB, slug: str, csrf_token: Csrf = "", reason: Reason = ""
) -> Response:
    return _act(request, db, csrf_token, "suspend-workspace", slug, reason)


@router.post("/workspaces/{slug}/unsuspend")
def unsuspend_workspace(request: Request, db: DB, slug: str, csrf_token: Csrf = "") -> Response:
    return _act(request, db, csrf_token, "unsuspend-workspace", slug, "")


@router.post("/users/{user_id}/suspend")
def suspend_user(
    request: Request, db: DB, user_id: RowId, csrf_token: Csrf = "", reason: Reason = ""
) -> Response:
    return _act(request, db, csrf_token, "suspend-user", user_id, reason)


@router.post("/users/{user_id}/unsuspend")
def unsuspend_user(request: Request, db: DB, user_id: RowId, csrf_token: Csrf = "") -> Response:
    return _act(request, db, csrf_token, "unsuspend-user", user_id, "")


@router.get("/tickets")
def tickets(request: Request, db: ReadDB, status: str = "") -> Response:
    current = operator(request, db)
    if current is None:
        return _sign_in()
    record, _ = current
    try:
        found = support.every(db, status=status or None)
    except DunopsError as error:
        return error_page(request, error, csrf_token=record.csrf_token)
    return render(request, "admin_tickets.html", tickets=found, csrf_token=record.csrf_token)


@router.get("/tickets/{ticket_id}")
def ticket(request: Request, db: ReadDB, ticket_id: RowId) -> Response:
    current = operator(request, db)
    if current is None:
        return _sign_in()
    record, _ = current
    try:
        thread = support.thread_of(db, ticket_id)
    except DunopsError as error:
        return error_page(request, error, csrf_token=record.csrf_token)
    return render(request, "admin_ticket.html", thread=thread, csrf_token=record.csrf_token)


@router.post("/tickets/{ticket_id}/answer")
def answer_ticket(
    request: Request,
    db: DB,
    settings: AppSettings,
    ticket_id: RowId,
    csrf_token: Csrf = "",
    message: Annotated[str, Form(max_length=support.MESSAGE_MAX)] = "",
    close: Annotated[bool, Form()] = False,
) -> Response:
    current = operator(request, db)
    if current is None:
        return _sign_in()
    record, principal = current
    try:
        _checked(record, csrf_token)
        support.answer(db, settings, ticket_id, message, actor=principal, close=close)
    except DunopsError as error:
        db.rollback()
        return error_page(request, error, csrf_token=record.csrf_token)
    return RedirectResponse(f"/admin/tickets/{ticket_id}", status_code=303)
