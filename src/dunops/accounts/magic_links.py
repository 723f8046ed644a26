"""One-time links: email sign-in links and the first-owner setup link, stored as SHA-256 only, used once.

A sign-in link is requested by address; the answer never says whether the address has an account. The
request does the same work either way (a link row is written and a job queued), and the job mails only
existing active users and addresses with an invitation waiting (whose first link creates the account:
opening it proves the address). The first-owner link exists only while the instance has no user at all.

Rate limits, per hour, so that nobody can lock a person out of signing in by asking for their links:

- one client address may ask ``magic_link_per_hour`` links for one email address; a flood from
  elsewhere does not touch the budget of the owner's own client;
- one client address may ask ``_PER_CLIENT_FACTOR`` times that for all addresses together;
- past ``_CEILING_FACTOR`` times that for one email address from all clients together, links are
  still recorded and answered alike, but mailed only to requests from a client address the account
  has signed in from before: mail bombing stops, and the owner at a familiar place still gets a link.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from dunops.accounts import invitations, users, workspaces
from dunops.accounts.principal import Principal
from dunops.accounts.signin import safe_next_path
from dunops.config import Settings
from dunops.errors import Conflict, InvalidInput, NotAuthenticated, Problem, RateLimited
from dunops.jobs import JobContext, enqueue_after_commit, job
from dunops.notify.outbox import send_mail
from dunops.security.tokens import digest, new_secret
from dunops.storage import locks
from dunops.storage.base import utcnow
from dunops.storage.models import AuditEvent, LinkPurpose, MagicLink, User, Workspace

SEND_SIGN_IN_JOB = "accounts.send_sign_in_link"
_LINK_REFUSAL = "this link is invalid, has expired or was already used"
# Used links are kept this long so the hourly rate limits can count them, then swept.
_KEEP_USED = timedelta(days=1)
_WINDOW = timedelta(hours=1)
_PER_CLIENT_FACTOR = 10
_CEILING_FACTOR = 3


def sign_in_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/auth/magic/{token}"


def first_owner_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/auth/first-owner/{token}"


def _new_link(
    session: Session,
    email: str,
    purpose: LinkPurpose,
    lifetime: timedelta,
    *,
    client_address: str = "",
    next_path: str = "/",
) -> str:
    token = new_secret()
    now = utcnow()
    session.add(
        MagicLink(
            token_hash=digest(token),
            email=email,
            purpose=purpose,
            created_at=now,
            expires_at=now + lifetime,
            client_address=client_address,
            next_path=next_path,
        )
    )
    session.flush()
    return token


def _recent(session: Session, now: datetime, *conditions: ColumnElement[bool]) -> tuple[int, datetime | None]:
    """How many sign-in links matching ``conditions`` were asked for in the last hour, and the oldest."""
    count, oldest = session.execute(
        select(func.count(), func.min(MagicLink.created_at)).where(
            MagicLink.purpose == LinkPurpose.SIGN_IN, MagicLink.created_at > now - _WINDOW, *conditions
        )
    ).one()
    return int(count), oldest


def _limit(
    session: Session, now: datetime, allowed: int, refusal: str, *conditions: ColumnElement[bool]
) -> None:
    count, oldest = _recent(session, now, *conditions)
    if count < allowed or oldest is None:
        return
    retry_after = max(1, math.ceil((oldest + _WINDOW - now).total_seconds()))
    minutes = math.ceil(retry_after / 60)
    raise RateLimited(
        f"{refusal} Try again in {minutes} minute{'s' if minutes != 1 else ''}.", retry_after=retry_after
    )


def request_sign_in(
    session: Session, settings: Settings, email: str, *, client_address: str = "", next_path: str = "/"
) -> None:
    """Record a sign-in link for ``email`` asked from ``client_address`` and queue the job that mails it.

    The same work and the same answer whether or not the address has an account; ``next_path`` is
    where the link leads once signed in (only a same-site path; anything else becomes "/").
    """
    address = users.normalise_email(email)
    client = client_address[:64]
    # Count and insert as one step, or the limits leak; the client first, always in this order.
    locks.hold(session, "magic-link-client", client)
    locks.hold(session, "magic-link", address)
    now = utcnow()
    session.execute(delete(MagicLink).where(MagicLink.expires_at < now - _KEEP_USED))
    per_hour = settings.magic_link_per_hour
    _limit(
        session,
        now,
        per_hour,
        "Too many sign-in links were asked for this address from your network.",
        MagicLink.email == address,
        MagicLink.client_address == client,
    )
    _limit(
        session,
        now,
        _PER_CLIENT_FACTOR * per_hour,
        "Too many sign-in links were asked from your network.",
        MagicLink.client_address == client,
    )
    for_address, _ = _recent(session, now, MagicLink.email == address)
    token = _new_link(
        session,
        address,
        LinkPurpose.SIGN_IN,
        timedelta(minutes=settings.magic_link_minutes),
        client_address=client,
        next_path=safe_next_path(next_path),
    )
    enqueue_after_commit(
        session,
        settings,
        SEND_SIGN_IN_JOB,
        token=token,
        beyond_ceiling=for_address >= _CEILING_FACTOR * per_hour,
    )


def _signed_in_from(session: Session, user: User, client_address: str) -> bool:
    """Whether ``user`` has ever signed in from ``client_address`` (the audit trail remembers)."""
    found = session.scalars(
        select(AuditEvent.id)
        .where(
            AuditEvent.workspace_id.is_(None),
            AuditEvent.action == "auth.sign_in",
            AuditEvent.actor_user_id == user.id,
            AuditEvent.client_address == client_address,
        )
        .limit(1)
    ).first()
    return found is not None


def _may_mail(session: Session, link: MagicLink, user: User | None, *, beyond_ceiling: bool) -> bool:
    """An active user (past the ceiling, only when asked from a client they signed in from before), or
    an address with an invitation waiting (not past the ceiling)."""
    if user is None:
        return not beyond_ceiling and invitations.waiting_for(session, link.email)
    return user.is_active and (not beyond_ceiling or _signed_in_from(session, user, link.client_address))


def mail_sign_in_link(session: Session, settings: Settings, token: str, *, beyond_ceiling: bool) -> None:
    """Mail a recorded sign-in link if it can sign someone in."""
    link = _usable(session, token, LinkPurpose.SIGN_IN)
    if link is None:
        return
    user = users.by_email(session, link.email)
    if not _may_mail(session, link, user, beyond_ceiling=beyond_ceiling):
        return
    minutes = settings.magic_link_minutes
    greeting = f"Hello {user.name}" if user is not None and user.name else "Hello"
    send_mail(
        session,
        settings,
        to=link.email,
        subject="Your DunOps sign-in link",
        body=(
            f"{greeting},\n\n"
            f"open this link to sign in to DunOps:\n\n{sign_in_url(settings, token)}\n\n"
            f"It works once and expires in {minutes} minutes. If you did not ask for it, ignore this mail;"
            " nobody can sign in without opening the link.\n"
        ),
    )


@job(SEND_SIGN_IN_JOB, retries=3, retry_delay=30)
def send_sign_in_link(context: JobContext, *, token: str, beyond_ceiling: bool) -> None:
    """The job behind every sign-in link request: mail it when it can sign someone in."""
    with context.unit_of_work() as session:
        mail_sign_in_link(session, context.settings, token, beyond_ceiling=beyond_ceiling)


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


@dataclass(frozen=True, slots=True)
class LinkSignIn:
    """Who a used sign-in link signs in, and the same-site page it leads to."""

    user: User
    next_path: str


def consume_sign_in(session: Session, token: str) -> LinkSignIn:
    """The active user a sign-in link signs in (created for an invited address); the link is used up."""
    link = _use(session, token, LinkPurpose.SIGN_IN)
    user = users.by_email(session, link.email)
    if user is None and invitations.waiting_for(session, link.email):
        user = users.create(session, link.email)
    if user is None or not user.is_active:
        raise NotAuthenticated("this link cannot sign anyone in; the account is missing or suspended")
    return LinkSignIn(user, safe_next_path(link.next_path))


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
