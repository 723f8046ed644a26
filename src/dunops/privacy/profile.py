"""Seeing and correcting what is held about a person: the full account view, a new name, a new email.

A new email replaces the old one only once the person follows the link mailed to the new address, so
nobody can move an account to an address they do not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import users, workspaces
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import Conflict, NotFound, Problem
from dunops.notify import send_mail
from dunops.privacy import requests
from dunops.security.tokens import digest, new_secret
from dunops.storage.base import utcnow
from dunops.storage.models import (
    ApiToken,
    EmailChange,
    Identity,
    Membership,
    RequestKind,
    User,
    WebSession,
    Workspace,
)

EMAIL_CHANGE_HOURS = 24


@dataclass(frozen=True, slots=True)
class Held:
    """Everything held about one person (tokens and sessions as metadata only)."""

    user: User
    identities: list[Identity]
    sessions: list[WebSession]
    memberships: list[tuple[Membership, Workspace]]
    tokens: list[tuple[ApiToken, Workspace]]
    pending_email: str | None


def held(session: Session, user_id: int) -> Held:
    user = users.get(session, user_id)
    identities = list(
        session.scalars(select(Identity).where(Identity.user_id == user_id).order_by(Identity.id))
    )
    web_sessions = list(
        session.scalars(
            select(WebSession).where(WebSession.user_id == user_id).order_by(WebSession.created_at)
        )
    )
    memberships = [
        (m, w)
        for m, w in session.execute(
            select(Membership, Workspace)
            .join(Workspace, Workspace.id == Membership.workspace_id)
            .where(Membership.user_id == user_id)
            .order_by(Workspace.slug)
        )
    ]
    tokens = [
        (t, w)
        for t, w in session.execute(
            select(ApiToken, Workspace)
            .join(Workspace, Workspace.id == ApiToken.workspace_id)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.id)
        )
    ]
    pending = session.scalars(
        select(EmailChange.new_email)
        .where(EmailChange.user_id == user_id, EmailChange.expires_at > utcnow())
        .order_by(EmailChange.created_at.desc())
    ).first()
    return Held(user, identities, web_sessions, memberships, tokens, pending)


def correct(
    session: Session, settings: Settings, principal: Principal, *, name: str | None, email: str | None
) -> User:
    """Correct the caller's name at once; a new email is mailed a confirmation link first."""
    user = users.get(session, principal.user.id)
    if name is not None:
        cleaned = workspaces.clean_name(name)
        if cleaned != user.name:
            user.name = cleaned
            audit.record(
                session, workspace_id=None, actor=principal, action="user.rename", target=f"user:{user.id}"
            )
    if email is not None:
        address = users.normalise_email(email)
        if address != user.email:
            if users.by_email(session, address) is not None:
                raise Conflict("another account uses this address", [Problem("is taken", "email", "taken")])
            token = new_secret()
            session.execute(delete(EmailChange).where(EmailChange.user_id == user.id))
            session.add(
                EmailChange(
                    token_hash=digest(token),
                    user_id=user.id,
                    new_email=address,
                    expires_at=utcnow() + timedelta(hours=EMAIL_CHANGE_HOURS),
                )
            )
            send_mail(
                session,
                settings,
                to=address,
                subject="Confirm your new DunOps email address",
                body=f"Someone (we hope you) asked to use {address} for their DunOps account. To confirm, "
                f"open this link within {EMAIL_CHANGE_HOURS} hours and press Confirm:\n\n"
                f"{settings.public_url}/account/email/confirm/{token}\n\n"
                "From a script, send a POST to:\n\n"
                f"{settings.public_url}/api/v1/me/email/confirm/{token}\n\n"
                "If this was not you, ignore this mail: nothing changes.",
            )
    if name is not None or email is not None:
        requests.record_self_service(session, principal, RequestKind.CORRECTION)
    session.flush()
    return user


def confirm_email(session: Session, token: str) -> User:
    """Replace the account's email with the address the link was mailed to."""
    change = session.get(EmailChange, digest(token))
    if change is None or change.expires_at <= utcnow():
        raise NotFound("this confirmation link is unknown or has expired")
    user = users.get(session, change.user_id)
    if users.by_email(session, change.new_email) is not None:
        raise Conflict(f"another account uses {change.new_email} now")
    previous = user.email
    user.email = change.new_email
    session.delete(change)
    session.flush()
    audit.record(
        session,
        workspace_id=None,
        actor=Principal(user=user),
        action="user.email_change",
        target=f"user:{user.id}",
        details={"from": previous, "to": user.email},
    )
    return user
