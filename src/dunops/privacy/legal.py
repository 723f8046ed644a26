"""Policy documents with a change log: the privacy policy, the security overview, the subprocessor list
and the DPA process.

Each document ships with the product (``documents/<slug>.txt``, with its history before this release) and
is served at ``/legal/<slug>``. Publishing a new version (``dunops legal publish``) records it; a
*material* change also puts a notice in front of every member of a workspace until they acknowledge it,
and mails them. Document text is plain: blank lines separate blocks, ``# `` starts a heading and ``- `` a
list item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import InvalidInput, NotFound, Problem
from dunops.notify import send_mail
from dunops.storage.base import utcnow
from dunops.storage.models import (
    LegalNotice,
    LegalVersion,
    Membership,
    User,
    UserStatus,
    Workspace,
    WorkspaceStatus,
)

MAX_SUMMARY = 500


@dataclass(frozen=True, slots=True)
class Document:
    slug: str
    title: str
    shipped_history: tuple[tuple[date, str], ...]
    """Edits made before this release, newest first."""

    @property
    def shipped_text(self) -> str:
        return resources.files("dunops.privacy").joinpath(f"documents/{self.slug}.txt").read_text("utf-8")

    @property
    def path(self) -> str:
        return f"/legal/{self.slug}"


_FIRST = date(2026, 11, 28)
DOCUMENTS = {
    document.slug: document
    for document in (
        Document(
            "privacy",
            "Privacy policy",
            (
                (_FIRST, "Said which provider receives what."),
                (date(2026, 4, 2), "Clarified that workspace data is not used for AI model training."),
                (date(2026, 2, 15), "Added subprocessor list reference and DPA process."),
                (date(2025, 11, 8), "Initial publication."),
            ),
        ),
        Document("security", "Security overview", ((_FIRST, "Initial publication."),)),
        Document("subprocessors", "Subprocessors", ((_FIRST, "Initial publication."),)),
        Document("dpa", "Data processing agreements", ((_FIRST, "Initial publication."),)),
    )
}


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of a document to render: a heading, a paragraph or a list."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    when: date
    summary: str
    version: int | None = None
    material: bool = False


@dataclass(frozen=True, slots=True)
class Current:
    """A document as served: its current text and its change history, newest first."""

    document: Document
    version: int | None
    published_at: datetime | None
    body: str
    history: list[Change]

    @property
    def blocks(self) -> list[Block]:
        return parse(self.body)


def parse(body: str) -> list[Block]:
    blocks = []
    for chunk in body.strip().split("\n\n"):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("# "):
            blocks.append(Block("heading", lines.pop(0)[2:]))
        if lines and all(line.startswith("- ") for line in lines):
            blocks.append(Block("list", items=tuple(line[2:] for line in lines)))
        elif lines:
            blocks.append(Block("paragraph", " ".join(lines)))
    return blocks


def document(slug: str) -> Document:
    found = DOCUMENTS.get(slug)
    if found is None:
        raise NotFound(f"no document '{slug}'; there are: {', '.join(DOCUMENTS)}")
    return found


def current(session: Session, slug: str) -> Current:
    """The latest published version of a document (the shipped text until one is published)."""
    shown = document(slug)
    versions = list(
        session.scalars(
            select(LegalVersion).where(LegalVersion.document == slug).order_by(LegalVersion.version.desc())
        )
    )
    history = [Change(v.published_at.date(), v.summary, v.version, v.material) for v in versions]
    history += [Change(when, summary) for when, summary in shown.shipped_history]
    if versions:
        latest = versions[0]
        return Current(shown, latest.version, latest.published_at, latest.body, history)
    return Current(shown, None, None, shown.shipped_text, history)


@dataclass(frozen=True, slots=True)
class Published:
    version: LegalVersion
    notified: int


def publish(
    session: Session, settings: Settings, slug: str, *, summary: str, material: bool, body: str | None = None
) -> Published:
    """Record a new version of a document (``body``, else the shipped text); a material change notifies
    every member of an active workspace, in the app and by mail."""
    shown = document(slug)
    summary = " ".join(summary.split())
    problems = []
    if not summary:
        problems.append(Problem("say what changed", "summary", "required"))
    if len(summary) > MAX_SUMMARY:
        problems.append(Problem(f"at most {MAX_SUMMARY} characters", "summary", "too-long"))
    text = shown.shipped_text if body is None else body
    if not text.strip():
        problems.append(Problem("the document is empty", "body", "required"))
    if problems:
        raise InvalidInput("the new version cannot be published", problems)
    last = session.scalar(select(func.max(LegalVersion.version)).where(LegalVersion.document == slug)) or 0
    version = LegalVersion(document=slug, version=last + 1, body=text, summary=summary, material=material)
    session.add(version)
    session.flush()
    notified = 0
    if material:
        for user in _members(session):
            session.add(LegalNotice(user_id=user.id, version_id=version.id))
            send_mail(
                session,
                settings,
                to=user.email,
                subject=f"DunOps has changed its {shown.title.lower()}",
                body=(
                    f"We changed our {shown.title.lower()} (version {version.version}):\n\n{summary}\n\n"
                    f"Read it at {settings.public_url}{shown.path}\n"
                ),
            )
            notified += 1
        session.flush()
    return Published(version, notified)


def _members(session: Session) -> list[User]:
    query = (
        select(User)
        .where(
            User.status == UserStatus.ACTIVE,
            User.id.in_(
                select(Membership.user_id)
                .join(Workspace, Workspace.id == Membership.workspace_id)
                .where(Workspace.status == WorkspaceStatus.ACTIVE)
            ),
        )
        .order_by(User.id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    document: Document
    version: int
    summary: str
    published_at: datetime
    acknowledged_at: datetime | None


def pending(session: Session, user_id: int) -> list[Notice]:
    """The notices a person has not acknowledged yet, oldest first."""
    rows = session.execute(
        select(LegalNotice, LegalVersion)
        .join(LegalVersion, LegalVersion.id == LegalNotice.version_id)
        .where(LegalNotice.user_id == user_id, LegalNotice.acknowledged_at.is_(None))
        .order_by(LegalNotice.id)
    ).all()
    return [_notice(notice, version) for notice, version in rows]


def acknowledge(session: Session, principal: Principal, notice_id: int) -> Notice:
    """The caller has read a notice; it is no longer shown to them."""
    found = session.execute(
        select(LegalNotice, LegalVersion)
        .join(LegalVersion, LegalVersion.id == LegalNotice.version_id)
        .where(LegalNotice.id == notice_id, LegalNotice.user_id == principal.user.id)
    ).first()
    if found is None:
        raise NotFound(f"notice {notice_id} not found")
    notice, version = found
    if notice.acknowledged_at is None:
        notice.acknowledged_at = utcnow()
        session.flush()
    return _notice(notice, version)


def _notice(notice: LegalNotice, version: LegalVersion) -> Notice:
    return Notice(
        notice.id,
        DOCUMENTS[version.document],
        version.version,
        version.summary,
        version.published_at,
        notice.acknowledged_at,
    )
