"""Every ORM model; importing this package registers them all on ``Base.metadata``."""

from dunops.storage.models.audit import AuditEvent
from dunops.storage.models.token import ApiToken
from dunops.storage.models.user import (
    Identity,
    LinkPurpose,
    LoginAttempt,
    MagicLink,
    PendingLink,
    User,
    UserStatus,
    WebSession,
)
from dunops.storage.models.workspace import Invitation, Membership, Role, Workspace, WorkspaceStatus

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Identity",
    "Invitation",
    "LinkPurpose",
    "LoginAttempt",
    "MagicLink",
    "Membership",
    "PendingLink",
    "Role",
    "User",
    "UserStatus",
    "WebSession",
    "Workspace",
    "WorkspaceStatus",
]
