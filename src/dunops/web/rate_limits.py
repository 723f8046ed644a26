"""Request rate limits on the API and on sign-in, before a request reaches a route or the database.

- every request under ``/api/`` counts against its client address (``DUNOPS_RATE_LIMIT_CLIENT``) and
  against its credential, the bearer token or the session cookie (``DUNOPS_RATE_LIMIT_API``);
- every request under ``/auth/`` (asking for a link, opening one, starting a provider's sign-in) counts
  against its client address (``DUNOPS_RATE_LIMIT_SIGN_IN``), whatever email address it names, so a
  flood of sign-in attempts from one client across many addresses is stopped.

Credentials are counted by digest only: no token or session id is kept in the limiter's storage. A
refusal is a 429 problem document with ``Retry-After``. The per-address link limits of
:mod:`dunops.accounts.magic_links` stay beneath this layer.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from dunops.config import Settings
from dunops.errors import DunopsError
from dunops.security.rate_limits import RateLimiter, storage_for
from dunops.security.tokens import digest
from dunops.web import problems
from dunops.web.deps import SESSION_COOKIE


def limiter_for(settings: Settings) -> RateLimiter:
    return RateLimiter(
        storage_for(settings.redis_url),
        {
            "api": settings.rate_limit_api,
            "client": settings.rate_limit_client,
            "sign-in": settings.rate_limit_sign_in,
        },
    )


class RequestRateLimit:
    """ASGI middleware answering 429 to a client, token or session past its rate."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                self._count(scope)
            except DunopsError as error:
                await problems.error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _count(self, scope: Scope) -> None:
        path: str = scope["path"]
        client = scope["client"][0] if scope.get("client") else ""
        if path.startswith("/auth/"):
            self.limiter.hit("sign-in", client, "too many sign-in attempts from your network")
        elif path.startswith("/api/v1/"):
            self.limiter.hit("client", client, "too many requests from your network")
            credential = _credential(Headers(scope=scope))
            if credential:
                self.limiter.hit("api", credential, "too many requests with this credential")


def _credential(headers: Headers) -> str:
    """Which credential a request presents, as a digest: ``token:…`` or ``session:…``; empty if none."""
    authorization = headers.get("authorization", "")
    if authorization:
        return "token:" + digest(authorization.partition(" ")[2].strip())
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except CookieError:  # an unreadable cookie header presents no session
        return ""
    session = cookies.get(SESSION_COOKIE)
    return "session:" + digest(session.value) if session is not None and session.value else ""


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware to ``app``, counting in Redis when ``DUNOPS_REDIS_URL`` is set."""
    app.add_middleware(RequestRateLimit, limiter=limiter_for(settings))
