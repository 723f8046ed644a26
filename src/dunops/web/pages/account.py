"""The account page: profile (name, and a new email confirmed by a mailed link), linked sign-in
identities, browser sessions (sign out one or all), change-workflow mail per workspace, exporting one's
data, data requests, and deleting the account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dunops.accounts import access, sessions, signin
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import Conflict, DunopsError, InvalidInput
from dunops.privacy import account_deletion, profile
from dunops.privacy import export as data_export
from dunops.privacy import requests as data_requests
from dunops.security.tokens import digest
from dunops.storage.models import RequestKind
from dunops.web.deps import DB, SESSION_COOKIE, AppSettings, CurrentPrincipal, ReadDB
from dunops.web.pages.base import FormProblems, page_router, render
from dunops.web.routes.auth import check_form_token, form_page
from dunops.workflow import notifications

router = page_router()

PROFILE_FIELDS = {"name": "name", "email": "email"}
REQUEST_FIELDS = {"kind": "kind", "details": "details"}
KINDS = [kind.value for kind in RequestKind]


def _account_page(
    request: Request, db: Session, principal: Principal, status: int = 200, **context: Any
) -> Response:
    held = profile.held(db, principal.user.id)
    user = held.user
    context.setdefault("profile_problems", FormProblems())
    context.setdefault("profile", {"name": user.name, "email": ""})
    context.setdefault("request_problems", FormProblems())
    context.setdefault("asked", {"kind": RequestKind.ACCESS.value, "details": ""})
    context.setdefault("delete_problems", FormProblems())
    return render(
        request,
        "account.html",
        status,
        user=user,
        pending_email=held.pending_email,
        identities=held.identities,
        sessions=sessions.listing(db, user.id),
        current=digest(request.cookies.get(SESSION_COOKIE, "")),
        memberships=[
            (membership, workspace, notifications.is_muted(db, user.id, workspace.id))
            for membership, workspace in held.memberships
        ],
        exports=[(item, data_export.is_downloadable(item)) for item in data_export.mine(db, principal)],
        data_requests=data_requests.mine(db, principal),
        kinds=KINDS,
        **context,
    )


@router.get("/account")
def account(request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    return _account_page(request, db, principal)


@router.post("/account/sessions/sign-out")
def sign_out_session(
    db: DB, principal: CurrentPrincipal, session: Annotated[str, Form(min_length=64, max_length=64)]
) -> Response:
    signin.close_session_by_id(db, principal, session)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/profile")
def update_profile(
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=400)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """The name changes at once; a new email only once the link mailed to it is followed."""
    try:
        profile.correct(db, settings, principal, name=name, email=email.strip() or None)
    except (InvalidInput, Conflict) as error:
        db.rollback()
        problems = FormProblems.of(_as_input(error), PROFILE_FIELDS)
        return _account_page(
            request,
            db,
            principal,
            422,
            profile_problems=problems,
            profile={"name": name, "email": email},
        )
    return _account_page(request, db, principal, profile_saved=True, mailed_to=email.strip() or None)


def _as_input(error: DunopsError) -> InvalidInput:
    return error if isinstance(error, InvalidInput) else InvalidInput(error.detail, error.problems)


@router.get("/account/email/confirm/{token}")
def confirm_email_form(token: str, request: Request) -> Response:
    """The page the mailed link opens: following a link changes nothing until its button is pressed."""
    return form_page(request, "email_confirm.html", token=token)


@router.post("/account/email/confirm/{token}")
def confirm_email(
    token: str, request: Request, db: DB, form_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    check_form_token(request, form_token)
    user = profile.confirm_email(db, token)
    return render(
        request,
        "message.html",
        title="Email address changed",
        message=f"Your account's email address is now {user.email}.",
        home_link=True,
    )


@router.post("/account/notifications/{slug}/mute")
def mute(slug: str, db: DB, principal: CurrentPrincipal) -> Response:
    notifications.mute(db, access.resolve(db, principal, slug, Permission.WORKSPACE_READ))
    return RedirectResponse("/account#notifications-heading", status_code=303)


@router.post("/account/notifications/{slug}/unmute")
def unmute(slug: str, db: DB, principal: CurrentPrincipal) -> Response:
    notifications.unmute(db, access.resolve(db, principal, slug, Permission.WORKSPACE_READ))
    return RedirectResponse("/account#notifications-heading", status_code=303)


@router.post("/account/exports")
def export_mine(db: DB, settings: AppSettings, principal: CurrentPrincipal) -> Response:
    """Queue the export of everything held about the caller; the page shows its state and link."""
    data_export.request_user_export(db, settings, principal)
    return RedirectResponse("/account#export-heading", status_code=303)


@router.post("/account/requests")
def file_request(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    kind: Annotated[str, Form(max_length=20)] = "",
    details: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        data_requests.file_own(db, principal, kind, details)
    except InvalidInput as error:
        db.rollback()
        problems = FormProblems.of(error, REQUEST_FIELDS)
        return _account_page(
            request, db, principal, 422, request_problems=problems, asked={"kind": kind, "details": details}
        )
    return _account_page(request, db, principal, request_filed=True)


@router.post("/account/delete")
def delete_account(
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    confirm_email: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Delete the caller's account once they typed its email; the last owner of a shared workspace is
    refused with the workspaces named."""
    try:
        if confirm_email.strip().lower() != principal.user.email.lower():
            raise InvalidInput.single("type your account's email address exactly", "confirm_email")
        result = account_deletion.delete_account(db, settings, principal)
    except (InvalidInput, Conflict) as error:
        db.rollback()
        if isinstance(error, Conflict):  # the last owner of a workspace with other members
            return _account_page(
                request, db, principal, 409, delete_problems=FormProblems(general=[error.detail])
            )
        problems = FormProblems.of(error, {"confirm_email": "confirm_email"})
        return _account_page(request, db, principal, 422, delete_problems=problems)
    deleted = ", ".join(result.workspaces_deleted)
    response = render(
        request,
        "message.html",
        title="Account deleted",
        message="Your account is deleted and every browser signed out."
        + (
            f" These workspaces, where you were the only member, are deleted too: {deleted}."
            if deleted
            else ""
        ),
        home_link=True,
        csrf_token="",
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
