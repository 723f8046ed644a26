"""One-time links: email sign-in links and the first-owner setup link, stored as SHA-256 only, used once.

A sign-in link is requested by address; the answer never says whether the address has an account (a
link row is written either way, so the per-address rate limit behaves the same), and mail goes only to
existing active users and to addresses with an invitation waiting (whose first link creates the account:
opening it proves the address). The first-owner link exists only while the instance has no user at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dunops.accounts import invitations, users, workspaces
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import Conflict, InvalidInput, NotAuthenticated, Problem, RateLimited
from dunops.notify.outbox import send_mail
from dunops.security.tokens import digest, new_secret
from dunops.storage import locks
from dunops.storage.base import utcnow
from dunops.storage.models import LinkPurpose, MagicLink, User, Workspace

_LINK_REFUSAL = "this link is invalid, has expired or was already used"
# Used links are kept this long so the hourly rate limit can count them, then swept.
_KEEP_USED = timedelta(days=1)


def sign_in_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/auth/magic/{token}"


def first_owner_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/auth/first-owner/{token}"


def _new_link(session: Session, email: str, purpose: LinkPurpose, lifetime: timedelta) -> str:
    token = new_secret()
    now = utcnow()
    session.add(
        MagicLink(
            token_hash=digest(token),
            email=email,
            purpose=purpose,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def request_sign_in(session: Session, settings: Settings, email: str) -> None:
    """Mail a sign-in link if ``email`` belongs to an active user; the same answer either way."""
    address = users.normalise_email(email)
    locks.hold(session, "magic-link", address)  # count and insert as one step, or the limit leaks
    now = utcnow()
    session.execute(delete(MagicLink).where(MagicLink.expires_at < now - _KEEP_USED))
    recent = session.scalar(
        select(func.count())
        .select_from(MagicLink)
        .where(
            MagicLink.email == address,
            MagicLink.purpose == LinkPurpose.SIGN_IN,
            MagicLink.created_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= settings.magic_link_per_hour:
        raise RateLimited(
            "too many sign-in links were requested for this address; try again within the hour",
            retry_after=3600,
        )
    token = _new_link(session, address, LinkPurpose.SIGN_IN, timedelta(minutes=settings.magic_link_minutes))
    user = users.by_email(session, address)
    if user is None and not invitations.waiting_for(session, address):
        return
    if user is not None and not user.is_active:
        return
    minutes = settings.magic_link_minutes
    greeting = f"Hello {user.name}" if user is not None and user.name else "Hello"
    send_mail(
        session,
        settings,
        to=address,
        subject="Your DunOps sign-in link",
        body=(
            f"{greeting},\n\n"
            f"open this link to sign in to DunOps:\n\n{sign_in_url(settings, token)}\n\n"
            f"It works once and expires in {minutes} minutes. If you did not ask for it, ignore this mail;"
            " nobody can sign in without opening the link.\n"
        ),
    )


def _usable(session: Session, token: str, purpose: LinkPurpose) -> MagicLink | None:
    link = session.get(MagicLink, digest(token))
    if link is None or link.purpose != purpose or link.used_at is not None or link.expires_at <= utcnow():
        return None
    return link


def _use(session: Session, token: str, purpose: LinkPurpose) -> MagicLink:
    """Mark the link used, atomically: of two simultaneous uses, exactly one wins."""
    link = _usable(session, token, purpose)
    if link is None:
        raise NotAuthenticated(_LINK_REFUSAL)
    result = session.execute(
        update(MagicLink)
        .where(MagicLink.token_hash == link.token_hash, MagicLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        raise NotAuthenticated(_LINK_REFUSAL)
    session.refresh(link)
    return link


def check_sign_in(session: Session, token: str) -> None:
    """Refuse (without using it) a sign-in link that could not sign anyone in."""
    if _usable(session, token, LinkPurpose.SIGN_IN) is None:
        raise NotAuthenticated(_LINK_REFUSAL)


def consume_sign_in(session: Session, token: str) -> User:
    """The active user a sign-in link signs in (created for an invited address); the link is used up."""
    link = _use(session, token, LinkPurpose.SIGN_IN)
    user = users.by_email(session, link.email)
    if user is None and invitations.waiting_for(session, link.email):
        user = users.create(session, link.email)
    if user is None or not user.is_active:
        raise NotAuthenticated("this link cannot sign anyone in; the account is missing or suspended")
    return user


def issue_first_owner_link(session: Session, settings: Settings) -> str | None:
    """A one-time setup URL while no user exists (older unused ones stop working); None afterwards."""
    if users.count(session) > 0:
        return None
    session.execute(
        delete(MagicLink).where(MagicLink.purpose == LinkPurpose.FIRST_OWNER, MagicLink.used_at.is_(None))
    )
    token = _new_link(session, "", LinkPurpose.FIRST_OWNER, timedelta(hours=settings.first_owner_link_hours))
    return first_owner_url(settings, token)


def check_first_owner(session: Session, token: str) -> None:
    if _usable(session, token, LinkPurpose.FIRST_OWNER) is None or users.count(session) > 0:
        raise NotAuthenticated(f"{_LINK_REFUSAL}; run 'dunops serve' again for a new one")


@dataclass(frozen=True, slots=True)
class FirstOwner:
    user: User
    workspace: Workspace


def complete_first_owner(
    session: Session, token: str, *, email: str, name: str, workspace_name: str
) -> FirstOwner:
    """Create the first user and their first workspace (as its owner); the link is used up."""
    problems: list[Problem] = []
    address = ""
    try:
        address = users.normalise_email(email)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if len(name.strip()) > 200:
        problems.append(Problem("must be at most 200 characters", "name"))
    try:
        workspaces.clean_name(workspace_name)
    except InvalidInput as exc:
        problems.extend(Problem(p.message, "workspace_name", p.code) for p in exc.problems)
    if problems:
        raise InvalidInput.collect(problems)
    check_first_owner(session, token)
    _use(session, token, LinkPurpose.FIRST_OWNER)
    if users.count(session) > 0:
        raise Conflict("this instance already has users; sign in instead")
    user = users.create(session, address, name)
    workspace = workspaces.create(session, Principal(user=user), name=workspace_name)
    return FirstOwner(user=user, workspace=workspace)
