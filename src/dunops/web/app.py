"""The FastAPI application factory: settings, database, routes, error mapping, OpenAPI at /api/docs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

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
    app.middleware("http")(_security_headers)
    observability.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


# No page may be framed (one-button confirmations would be clickjackable), sniffed into another type, or
# leak a one-time link through the Referer header.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


Handler = Callable[[Request], Awaitable[Response]]


async def _security_headers(request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
