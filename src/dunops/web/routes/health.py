"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dunops.jobs import queue_for
from dunops.web.deps import settings_of
from dunops.web.routing import api_router

router = api_router(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> dict[str, str] | JSONResponse:
    """The database and the job queue answer (503 naming which does not, so no work is accepted that
    could not be stored or run)."""
    found = {"database": "ok", "queue": "ok"}
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        found["database"] = type(exc).__name__
    try:
        queue_for(settings_of(request)).pending()
    except Exception as exc:
        found["queue"] = type(exc).__name__
    if found != {"database": "ok", "queue": "ok"}:
        return JSONResponse({"status": "unavailable", **found}, status_code=503)
    return {"status": "ok", **found}
