"""``/api/v1/workspaces/{slug}/audit``: the workspace's audit trail, newest first (admin and above)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel

from dunops import audit
from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.storage.models import AuditEvent
from dunops.web.deps import MAX_ID, CurrentPrincipal, ReadDB
from dunops.web.paging import DEFAULT_PAGE, MAX_PAGE, Page
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1", tags=["audit"])


class AuditEventOut(BaseModel):
    sequence: int
    created_at: datetime
    actor: str
    actor_user_id: int | None
    actor_token_id: int | None
    action: str
    target: str
    details: dict[str, Any]
    client_address: str
    hash: str
    previous_hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            sequence=event.sequence,
            created_at=event.created_at,
            actor=event.actor,
            actor_user_id=event.actor_user_id,
            actor_token_id=event.actor_token_id,
            action=event.action,
            target=event.target,
            details=event.details,
            client_address=event.client_address,
            hash=event.hash,
            previous_hash=event.previous_hash,
        )


@router.get("/workspaces/{slug}/audit")
def list_audit(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="from a page's next link")] = None,
) -> Page[AuditEventOut]:
    """The workspace's events, newest first, a page at a time."""
    grant = access.resolve(db, principal, slug, Permission.AUDIT_READ)
    events = audit.listing(db, grant.workspace.id, limit=limit, before=cursor)
    last = str(events[-1].sequence) if len(events) == limit else None
    return Page.of([AuditEventOut.of(event) for event in events], request, last)
