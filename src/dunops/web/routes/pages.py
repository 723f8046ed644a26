"""The web app's pages, one module per noun under :mod:`dunops.web.pages`, mounted as one router."""

from __future__ import annotations

from fastapi import APIRouter

from dunops.web.pages import access, account, agent, changes, connections, edits, home, settings, zones

router = APIRouter(include_in_schema=False)
# connections first: its /zones/new must win over a zone called "new"
for module in (home, connections, zones, edits, changes, agent, access, account, settings):
    router.include_router(module.router)
