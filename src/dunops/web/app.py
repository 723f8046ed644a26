"""The FastAPI application factory: settings, database, routes, error mapping, OpenAPI at /api/docs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunops.config import Settings, load_settings
from dunops.storage.database import make_engine, make_read_factory, make_session_factory
from dunops.web import observability, problems
from dunops.web.routes import ROUTERS

WEB_DIR = Path(__file__).parent


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the app; the caller (``dunops serve``, a test) has prepared and migrated the database."""
    settings = settings or load_settings()
    app = FastAPI(
        title="DunOps",
        version="0.1.0",
        description="DNS operations for teams. JSON API under /api/v1.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.sqlalchemy_url, settings.database_options)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.read_factory = make_read_factory(app.state.engine)
    app.state.templates = Jinja2Templates(directory=WEB_DIR / "templates")
    problems.install(app)
    app.add_middleware(SecurityHeaders)
    observability.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


# No page may be framed (one-button confirmations would be clickjackable), sniffed into another type, or
# leak a one-time link through the Referer header.
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in SECURITY_HEADERS if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
