"""Request dependencies: the unit of work, and who is calling (bearer token or session cookie + CSRF).

Everything here that touches the database is a plain ``def``, so it runs in the threadpool and never
on the event loop. A handler takes :data:`DB` (a transaction that may write, committed before the
response is sent) or :data:`ReadDB` (a read-only transaction); the caller is looked up in a short
read-only transaction of its own. Marking a credential as used is a write, so it happens after the
response and at most once a minute per credential (:mod:`dunops.accounts.usage`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts import sessions, tokens, usage
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import NotAuthenticated, PermissionDenied
from dunops.security.tokens import same
from dunops.storage.database import reading
from dunops.storage.models import User, WebSession

SESSION_COOKIE = "dunops_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def writer_of(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def reader_of(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.read_factory
    return factory


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed the moment the handler returns, rolled back when it
    raises (:class:`dunops.web.routing.UnitOfWorkRoute`), so a 2xx answer always means stored.

    Making the session costs no I/O and closing it after that finds no transaction left, so this runs
    on the event loop without a trip to the threadpool.
    """
    session = writer_of(request)()
    try:
        yield session
    finally:
        await _close(session)


async def read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only transaction for a handler that only reads (ended the same way)."""
    session = reader_of(request)()
    try:
        yield session
    finally:
        await _close(session)


async def _close(session: Session) -> None:
    if session.in_transaction():  # a handler outside UnitOfWorkRoute: ending it is I/O
        await run_in_threadpool(session.close)
    else:
        session.close()


DB = Annotated[Session, Depends(db_session, scope="function")]
ReadDB = Annotated[Session, Depends(read_session, scope="function")]
AppSettings = Annotated[Settings, Depends(settings_of)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def browser_session(request: Request, db: Session) -> WebSession | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return sessions.lookup(db, settings_of(request), cookie)


async def _csrf_value(request: Request) -> str:
    """The CSRF token a request presents (header or form field); reads the body only, never the database."""
    if request.method in SAFE_METHODS or SESSION_COOKIE not in request.cookies:
        return ""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


def _principal_or_none(
    request: Request, background: BackgroundTasks, csrf: Annotated[str, Depends(_csrf_value)]
) -> Principal | None:
    authorization = request.headers.get("Authorization", "")
    with reading(reader_of(request)) as db:
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
            user, token = tokens.authenticate(db, value.strip())
            if usage.token_due(token):
                background.add_task(usage.touch_token, writer_of(request), token.id)
            return Principal(user=user, token=token, client_address=client_address(request))
        record = browser_session(request, db)
        if record is None:
            return None
        if request.method not in SAFE_METHODS and not same(csrf, record.csrf_token):
            raise PermissionDenied("missing or wrong CSRF token for a cookie-authenticated request")
        signed_in = db.get(User, record.user_id)
        if signed_in is None:
            return None
    if usage.session_due(record):
        background.add_task(usage.touch_session, writer_of(request), record.id_hash)
    request.state.csrf_token = record.csrf_token
    request.state.user_id = signed_in.id
    return Principal(user=signed_in, client_address=client_address(request))


async def require_principal(principal: Annotated[Principal | None, Depends(_principal_or_none)]) -> Principal:
    if principal is None:
        raise NotAuthenticated("sign in or send 'Authorization: Bearer <token>'")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(_principal_or_none)]
CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


# Database ids are 32-bit on PostgreSQL: a larger one is a 422, never a 500.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
