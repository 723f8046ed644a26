"""Every ORM model; importing this package registers them all on ``Base.metadata``."""

from dunops.storage.models.audit import AuditEvent, AuditHead
from dunops.storage.models.billing import BillingEvent
from dunops.storage.models.change import (
    Approval,
    ApprovalPolicy,
    ChangeRequest,
    ChangeRevision,
    ChangeState,
    Comment,
    Decision,
    Deployment,
    DeploymentState,
    NotificationMute,
)
from dunops.storage.models.connection import ProviderConnection
from dunops.storage.models.conversation import Conversation, Message, MessageRole
from dunops.storage.models.lease import ZoneLease
from dunops.storage.models.lifecycle import (
    DataRequest,
    LegalNotice,
    LegalVersion,
    RequestChannel,
    RequestKind,
    RequestState,
)
from dunops.storage.models.outbox import OutboxJob
from dunops.storage.models.privacy import (
    DataExport,
    DeletionTombstone,
    EmailChange,
    ExportKind,
    ExportState,
    TombstoneKind,
)
from dunops.storage.models.support import SupportTicket, TicketKind, TicketMessage, TicketStatus
from dunops.storage.models.technical import ErrorTrace, UsageMetric
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
from dunops.storage.models.vault import WorkspaceKey
from dunops.storage.models.workspace import Invitation, Membership, Role, Workspace, WorkspaceStatus
from dunops.storage.models.zone import (
    ImportState,
    VersionRRset,
    VersionSource,
    Zone,
    ZoneImport,
    ZoneRRset,
    ZoneVersion,
)

__all__ = [
    "ApiToken",
    "Approval",
    "ApprovalPolicy",
    "AuditEvent",
    "AuditHead",
    "BillingEvent",
    "ChangeRequest",
    "ChangeRevision",
    "ChangeState",
    "Comment",
    "Conversation",
    "DataExport",
    "DataRequest",
    "Decision",
    "DeletionTombstone",
    "Deployment",
    "DeploymentState",
    "EmailChange",
    "ErrorTrace",
    "ExportKind",
    "ExportState",
    "Identity",
    "ImportState",
    "Invitation",
    "LegalNotice",
    "LegalVersion",
    "LinkPurpose",
    "LoginAttempt",
    "MagicLink",
    "Membership",
    "Message",
    "MessageRole",
    "NotificationMute",
    "OutboxJob",
    "PendingLink",
    "ProviderConnection",
    "RequestChannel",
    "RequestKind",
    "RequestState",
    "Role",
    "SupportTicket",
    "TicketKind",
    "TicketMessage",
    "TicketStatus",
    "TombstoneKind",
    "UsageMetric",
    "User",
    "UserStatus",
    "VersionRRset",
    "VersionSource",
    "WebSession",
    "Workspace",
    "WorkspaceKey",
    "WorkspaceStatus",
    "Zone",
    "ZoneImport",
    "ZoneLease",
    "ZoneRRset",
    "ZoneVersion",
]
