"""Sign-in identities: who an (issuer, subject) pair is, first sign-in, and confirmed account linking.

Once the instance has its first owner, a first sign-in with a verified email creates the user. A sign-in
with a new identity whose verified email belongs to an existing user does not sign in: it leaves a
``PendingLink`` that the user confirms while signed in to that account. An unverified email never
creates or links anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import users
from dunops.accounts.principal import Principal
from dunops.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from dunops.security.tokens import digest, new_secret
from dunops.storage.base import utcnow
from dunops.storage.models import Identity, PendingLink, User

PENDING_LINK_MINUTES = 30


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """What a provider vouched for after a successful authorization-code exchange."""

    provider: str
    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False
    name: str = ""


class OutcomeKind(StrEnum):
    SIGNED_IN = "signed_in"
    LINK_PENDING = "link_pending"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of presenting an identity: a user to sign in, or a link that waits for confirmation."""

    kind: OutcomeKind
    user: User
    link_token: str = ""


def suspended_refusal() -> NotAuthenticated:
    return NotAuthenticated(
        "this account is suspended or closed; ask an administrator of this DunOps instance"
    )


def find(session: Session, issuer: str, subject: str) -> Identity | None:
    return session.scalars(
        select(Identity).where(Identity.issuer == issuer, Identity.subject == subject)
    ).first()


def resolve(session: Session, external: ExternalIdentity) -> Outcome:
    """The user an identity signs in as; creates the user on a first sign-in with a verified email."""
    known = find(session, external.issuer, external.subject)
    if known is not None:
        user = session.get(User, known.user_id)
        if user is None or not user.is_active:
            raise suspended_refusal()
        known.last_used_at = utcnow()
        if external.email and external.email_verified:
            known.email = external.email[:320]
        return Outcome(OutcomeKind.SIGNED_IN, user)
    if not external.email or not external.email_verified:
        raise NotAuthenticated(
            f"{external.provider} did not confirm an email address for this account; "
            "verify your email address there and try again"
        )
    try:
        address = users.normalise_email(external.email)
    except InvalidInput as exc:
        raise NotAuthenticated(f"{external.provider} returned an unusable email address") from exc
    existing = users.by_email(session, address)
    if existing is None:
        if users.count(session) == 0:
            # Until the operator has used the first-owner link, nobody else may take the first account.
            raise NotAuthenticated(
                "this DunOps instance is not set up yet: its operator must first open the one-time "
                "setup link that 'dunops serve' printed"
            )
        user = users.create(session, address, external.name)
        _attach(session, user, external, address)
        return Outcome(OutcomeKind.SIGNED_IN, user)
    if not existing.is_active:
        raise suspended_refusal()
    return Outcome(OutcomeKind.LINK_PENDING, existing, _propose_link(session, existing, external, address))


def _attach(session: Session, user: User, external: ExternalIdentity, address: str) -> Identity:
    identity = Identity(
        user_id=user.id,
        provider=external.provider,
        issuer=external.issuer,
        subject=external.subject,
        email=address,
        last_used_at=utcnow(),
    )
    session.add(identity)
    session.flush()
    audit.record(
        session,
        workspace_id=None,
        actor=Principal(user=user),
        action="identity.link",
        target=f"user:{user.id}",
        details={"provider": external.provider, "issuer": external.issuer},
    )
    return identity


def _propose_link(session: Session, user: User, external: ExternalIdentity, address: str) -> str:
    session.execute(
        delete(PendingLink).where(
            PendingLink.issuer == external.issuer, PendingLink.subject == external.subject
        )
    )
    token = new_secret()
    now = utcnow()
    session.add(
        PendingLink(
            token_hash=digest(token),
            user_id=user.id,
            provider=external.provider,
            issuer=external.issuer,
            subject=external.subject,
            email=address,
            created_at=now,
            expires_at=now + timedelta(minutes=PENDING_LINK_MINUTES),
        )
    )
    session.flush()
    return token


def pending(session: Session, token: str) -> PendingLink:
    """A link request that is still waiting; unknown and expired ones are the same refusal."""
    link = session.get(PendingLink, digest(token))
    if link is None or link.expires_at <= utcnow():
        raise NotFound("this link request is unknown or has expired; sign in with the new provider again")
    return link


def confirm(session: Session, principal: Principal, token: str) -> Identity:
    """Attach the waiting identity to the signed-in user, who must be the account it matched."""
    link = pending(session, token)
    if link.user_id != principal.user.id:
        raise PermissionDenied("this link request is for another account; sign in to that account first")
    if find(session, link.issuer, link.subject) is not None:
        raise Conflict("this sign-in identity is already linked to an account")
    external = ExternalIdentity(
        provider=link.provider,
        issuer=link.issuer,
        subject=link.subject,
        email=link.email,
        email_verified=True,
    )
    session.delete(link)
    return _attach(session, principal.user, external, link.email)
