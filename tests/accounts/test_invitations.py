"""Invitations: emailed one-time links for the invited address only, expiring, never above the inviter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import access, invitations, memberships, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import Conflict, NotFound, PermissionDenied
from dunops.jobs import queue_for
from dunops.notify import outbox
from dunops.security.tokens import digest
from dunops.storage.base import utcnow
from dunops.storage.models import Invitation, Role


@pytest.fixture
def mail_now(settings: Settings) -> Iterator[Settings]:
    """Mail is delivered to the outbox directory as soon as the transaction commits."""
    queue = queue_for(settings)
    queue.immediate = True
    yield settings
    queue.immediate = False


@pytest.fixture
def owner(db: Session) -> Principal:
    principal = Principal(user=users.create(db, "owner@example.com", "Olive Owner"))
    workspaces.create(db, principal, "Acme")
    return principal


def _grant(db: Session, principal: Principal) -> access.Access:
    return access.resolve(db, principal, "acme", Permission.WORKSPACE_READ)


def _invite(db: Session, settings: Settings, inviter: Principal, email: str, role: Role) -> str:
    """Invite, commit, and return the token from the link in the delivered mail."""
    invitations.invite(db, settings, _grant(db, inviter), email, role)
    db.commit()
    mail = outbox.recent_mails(settings, limit=1)[0]
    found = re.search(r"http://testserver/invitations/([A-Za-z0-9_-]+)", mail.body)
    assert found is not None, mail.body
    return found.group(1)


def test_the_invitee_gets_a_mail_and_joins_with_the_role(
    db: Session, mail_now: Settings, owner: Principal
) -> None:
    token = _invite(db, mail_now, owner, "Invitee@Example.com", Role.EDITOR)
    mail = outbox.recent_mails(mail_now, limit=1)[0]
    assert mail.to == "invitee@example.com"
    assert "Acme" in mail.subject
    assert "Olive Owner" in mail.body
    stored = db.scalars(select(Invitation)).one()
    assert stored.token_hash == digest(token)
    assert timedelta(days=6, hours=23) < stored.expires_at - utcnow() <= timedelta(days=7)
    invitee = Principal(user=users.create(db, "INVITEE@example.com"))
    member = invitations.accept(db, invitee, token)
    assert member.role == Role.EDITOR
    assert _grant(db, invitee).role == Role.EDITOR
    with pytest.raises(NotFound, match="already been used"):
        invitations.accept(db, invitee, token)


def test_the_wrong_user_is_refused_with_a_clear_message(
    db: Session, mail_now: Settings, owner: Principal
) -> None:
    token = _invite(db, mail_now, owner, "invitee@example.com", Role.VIEWER)
    other = Principal(user=users.create(db, "other@example.com"))
    with pytest.raises(
        PermissionDenied, match=r"sent to i\*\*\*@example.com.*signed in as other@example.com"
    ):
        invitations.accept(db, other, token)
    with pytest.raises(NotFound):
        _grant(db, other)


def test_expired_replaced_and_unknown_links_are_refused(
    db: Session, mail_now: Settings, owner: Principal
) -> None:
    first = _invite(db, mail_now, owner, "invitee@example.com", Role.VIEWER)
    second = _invite(db, mail_now, owner, "invitee@example.com", Role.VIEWER)
    invitee = Principal(user=users.create(db, "invitee@example.com"))
    with pytest.raises(NotFound, match="replaced"):
        invitations.accept(db, invitee, first)
    stored = db.scalars(select(Invitation).where(Invitation.token_hash == digest(second))).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(NotFound, match="expired"):
        invitations.accept(db, invitee, second)
    with pytest.raises(NotFound, match="not valid"):
        invitations.accept(db, invitee, "made-up")


def test_only_admins_invite_and_never_above_their_role(
    db: Session, mail_now: Settings, owner: Principal
) -> None:
    for email, role in (("admin@example.com", Role.ADMIN), ("editor@example.com", Role.EDITOR)):
        users.create(db, email)
        memberships.add(db, _grant(db, owner), email, role)
    admin = Principal(user=users.require_by_email(db, "admin@example.com"))
    editor = Principal(user=users.require_by_email(db, "editor@example.com"))
    with pytest.raises(PermissionDenied):
        invitations.invite(db, mail_now, _grant(db, editor), "x@example.com", Role.VIEWER)
    with pytest.raises(PermissionDenied):
        invitations.invite(db, mail_now, _grant(db, admin), "x@example.com", Role.OWNER)
    with pytest.raises(Conflict):
        invitations.invite(db, mail_now, _grant(db, admin), "editor@example.com", Role.VIEWER)
    assert invitations.invite(db, mail_now, _grant(db, admin), "x@example.com", Role.ADMIN).role == Role.ADMIN


def test_an_invitation_dies_with_its_inviters_right_to_grant_the_role(
    db: Session, mail_now: Settings, owner: Principal
) -> None:
    admin = Principal(user=users.create(db, "admin@example.com"))
    memberships.add(db, _grant(db, owner), admin.user.email, Role.ADMIN)
    token = _invite(db, mail_now, admin, "alt@example.com", Role.ADMIN)
    memberships.remove(db, _grant(db, owner), admin.user.id)
    db.commit()
    alt = Principal(user=users.create(db, "alt@example.com"))
    with pytest.raises(NotFound, match="withdrawn"):
        invitations.accept(db, alt, token)
    assert access.membership(db, _grant(db, owner).workspace.id, alt.user.id) is None
