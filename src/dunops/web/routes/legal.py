"""Policy documents at ``/legal/<document>`` (pages in the app's layout, with their change history), and
the notices of material changes: ``/api/v1/me/notices`` and the acknowledge button of every page's banner."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from dunops.accounts import signin
from dunops.errors import DunopsError
from dunops.privacy import legal
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB, RowId
from dunops.web.routes.auth import check_csrf, error_page, render, signed_in_record
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1", tags=["me"])
pages = api_router(include_in_schema=False)


class NoticeOut(BaseModel):
    id: int
    document: str
    title: str
    version: int
    summary: str
    published_at: datetime
    url: str
    acknowledged_at: datetime | None


def _out(settings: AppSettings, notice: legal.Notice) -> NoticeOut:
    return NoticeOut(
        id=notice.id,
        document=notice.document.slug,
        title=notice.document.title,
        version=notice.version,
        summary=notice.summary,
        published_at=notice.published_at,
        url=f"{settings.public_url}{notice.document.path}",
        acknowledged_at=notice.acknowledged_at,
    )


@router.get("/me/notices")
def notices(db: ReadDB, settings: AppSettings, principal: CurrentPrincipal) -> list[NoticeOut]:
    """Material changes to the policy documents that you have not acknowledged yet."""
    return [_out(settings, notice) for notice in legal.pending(db, principal.user.id)]


@router.post("/me/notices/{notice_id}/acknowledge")
def acknowledge(notice_id: RowId, db: DB, settings: AppSettings, principal: CurrentPrincipal) -> NoticeOut:
    """You have read the change; the notice is no longer shown."""
    return _out(settings, legal.acknowledge(db, principal, notice_id))


@pages.get("/legal/{slug}")
def document_page(slug: str, request: Request, db: ReadDB) -> Response:
    current = signed_in_record(request, db)
    csrf_token = current[0].csrf_token if current else None
    try:
        shown = legal.current(db, slug)
    except DunopsError as error:
        return error_page(request, error, csrf_token=csrf_token)
    return render(request, "legal.html", shown=shown, documents=legal.DOCUMENTS, csrf_token=csrf_token)


@pages.post("/legal/notices/{notice_id}/acknowledge")
def acknowledge_page(
    notice_id: RowId,
    request: Request,
    db: DB,
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Acknowledge from the banner of any page; back to that page (a local path only)."""
    current = signed_in_record(request, db)
    if current is None:
        return RedirectResponse("/sign-in", status_code=303)
    record, principal = current
    try:
        check_csrf(record, csrf_token)
        legal.acknowledge(db, principal, notice_id)
    except DunopsError as error:
        return error_page(request, error, csrf_token=record.csrf_token)
    return RedirectResponse(signin.safe_next_path(next), status_code=303)
