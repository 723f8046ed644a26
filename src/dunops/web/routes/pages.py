"""The signed-in home page: the caller's workspaces (links only), or a redirect to the sign-in page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from dunops.accounts import workspaces
from dunops.privacy import legal
from dunops.web.deps import ReadDB
from dunops.web.routes.auth import render, signed_in_record
from dunops.web.routing import api_router

router = api_router(include_in_schema=False)


@router.get("/")
def home(request: Request, db: ReadDB) -> Response:
    current = signed_in_record(request, db)
    if current is None:
        return RedirectResponse("/sign-in", status_code=303)
    record, principal = current
    return render(
        request,
        "home.html",
        user=principal.user,
        workspaces=workspaces.listing(db, principal),
        notices=legal.pending(db, principal.user.id),
        csrf_token=record.csrf_token,
    )
