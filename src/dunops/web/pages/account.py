"""The account page: profile, linked sign-in identities, and browser sessions (sign out one or all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from dunops.accounts import sessions, signin, users
from dunops.security.tokens import digest
from dunops.web.deps import DB, SESSION_COOKIE, CurrentPrincipal, ReadDB
from dunops.web.pages.base import page_router, render

router = page_router()


@router.get("/account")
def account(request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    user = users.get(db, principal.user.id)
    return render(
        request,
        "account.html",
        user=user,
        identities=list(user.identities),
        sessions=sessions.listing(db, user.id),
        current=digest(request.cookies.get(SESSION_COOKIE, "")),
    )


@router.post("/account/sessions/sign-out")
def sign_out_session(
    db: DB, principal: CurrentPrincipal, session: Annotated[str, Form(min_length=64, max_length=64)]
) -> Response:
    signin.close_session_by_id(db, principal, session)
    return RedirectResponse("/account", status_code=303)
