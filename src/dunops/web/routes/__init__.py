"""Every router of the app, in the order they are mounted."""

from fastapi import APIRouter

from dunops.web import observability
from dunops.web.routes import (
    audit,
    auth,
    changes,
    connections,
    conversations,
    deployments,
    health,
    imports,
    invitations,
    legal,
    me,
    members,
    pages,
    policy,
    privacy,
    tokens,
    workspaces,
    zones,
)

ROUTERS: list[APIRouter] = [
    health.router,
    observability.router,
    me.router,
    legal.router,
    workspaces.router,
    members.router,
    invitations.router,
    tokens.router,
    audit.router,
    connections.router,
    zones.router,
    imports.router,
    changes.router,
    conversations.router,
    deployments.router,
    policy.router,
    privacy.router,
    auth.router,
    pages.router,
    legal.pages,
]
