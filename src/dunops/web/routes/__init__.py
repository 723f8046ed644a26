"""Every router of the app, in the order they are mounted."""

from fastapi import APIRouter

from dunops.web.routes import audit, auth, health, invitations, me, members, pages, tokens, workspaces

ROUTERS: list[APIRouter] = [
    health.router,
    me.router,
    workspaces.router,
    members.router,
    invitations.router,
    tokens.router,
    audit.router,
    auth.router,
    pages.router,
]
