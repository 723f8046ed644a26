"""Every router of the app, in the order they are mounted."""

from fastapi import APIRouter

from dunops.web import observability
from dunops.web.routes import (
    admin,
    audit,
    auth,
    billing,
    changes,
    connections,
    deployments,
    health,
    imports,
    invitations,
    me,
    members,
    pages,
    policy,
    support,
    tokens,
    workspaces,
    zones,
)

ROUTERS: list[APIRouter] = [
    health.router,
    observability.router,
    me.router,
    workspaces.router,
    members.router,
    invitations.router,
    tokens.router,
    audit.router,
    connections.router,
    zones.router,
    imports.router,
    changes.router,
    deployments.router,
    policy.router,
    billing.router,
    support.router,
    support.pages,
    auth.router,
    pages.router,
    admin.router,
]
