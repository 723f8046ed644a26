"""Request dependencies: the unit of work, and who is calling (bearer token or session cookie + CSRF)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts import sessions, tokens
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import NotAuthenticated, PermissionDenied
from dunops.security.tokens import same
from dunops.storage.models import User, WebSession

SESSION_COOKIE = "dunops_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


DB = Annotated[Session, Depends(db_session)]
AppSettings = Annotated[Settings, Depends(settings_of)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def browser_session(request: Request, db: Session) -> WebSession | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return sessions.lookup(db, settings_of(request), cookie)


async def _csrf_value(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def _principal_or_none(request: Request, db: DB) -> Principal | None:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        user, token = tokens.authenticate(db, value.strip())
        return Principal(user=user, token=token, client_address=client_address(request))
    record = browser_session(request, db)
    if record is None:
        return None
    if request.method not in SAFE_METHODS and not same(await _csrf_value(request), record.csrf_token):
        raise PermissionDenied("missing or wrong CSRF token for a cookie-authenticated request")
    found = db.get(User, record.user_id)
    if found is None:
        return None
    user = found
    request.state.csrf_token = record.csrf_token
    return Principal(user=user, client_address=client_address(request))


async def require_principal(principal: Annotated[Principal | None, Depends(_principal_or_none)]) -> Principal:
    if principal is None:
        raise NotAuthenticated("sign in or send 'Authorization: Bearer <token>'")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(_principal_or_none)]
CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


# Database ids are 32-bit on PostgreSQL: a larger one is a 422, never a 500.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
