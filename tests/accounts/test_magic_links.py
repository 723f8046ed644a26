"""Magic-link services: rate limits that do not reveal accounts, single use, the first-owner link."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts import magic_links, users
from dunops.config import Settings
from dunops.errors import InvalidInput, NotAuthenticated, RateLimited
from dunops.storage.database import transaction
from dunops.storage.models import LinkPurpose, MagicLink, Membership


def test_the_rate_limit_counts_unknown_addresses_like_known_ones(db: Session, settings: Settings) -> None:
    limited = settings.model_copy(update={"magic_link_per_hour": 2})
    for _ in range(2):
        magic_links.request_sign_in(db, limited, "ghost@example.com")
    with pytest.raises(RateLimited):
        magic_links.request_sign_in(db, limited, "Ghost@Example.com ")
    assert db.scalar(select(func.count()).select_from(MagicLink)) == 2


def test_a_sign_in_link_is_used_once(db: Session, settings: Settings) -> None:
    user = users.create(db, "ada@example.com")
    token = magic_links._new_link(
        db, user.email, LinkPurpose.SIGN_IN, __import__("datetime").timedelta(minutes=5)
    )
    magic_links.check_sign_in(db, token)
    assert magic_links.consume_sign_in(db, token).user.id == user.id
    with pytest.raises(NotAuthenticated):
        magic_links.consume_sign_in(db, token)
    with pytest.raises(NotAuthenticated):
        magic_links.check_sign_in(db, token)


def test_a_first_owner_token_is_not_a_sign_in_token(db: Session, settings: Settings) -> None:
    url = magic_links.issue_first_owner_link(db, settings)
    assert url is not None
    assert url.startswith("http://testserver/auth/first-owner/")
    token = url.rsplit("/", 1)[1]
    with pytest.raises(NotAuthenticated):
        magic_links.consume_sign_in(db, token)
    stored = db.scalars(select(MagicLink)).one()
    assert stored.purpose == LinkPurpose.FIRST_OWNER
    assert token not in stored.token_hash


def test_first_owner_setup_names_every_bad_field_at_once(db: Session, settings: Settings) -> None:
    url = magic_links.issue_first_owner_link(db, settings)
    assert url is not None
    with pytest.raises(InvalidInput) as caught:
        magic_links.complete_first_owner(
            db, url.rsplit("/", 1)[1], email="x", name="n" * 201, workspace_name=" "
        )
    assert {p.location for p in caught.value.problems} == {"email", "name", "workspace_name"}


def test_first_owner_setup_creates_an_owner(db: Session, settings: Settings) -> None:
    url = magic_links.issue_first_owner_link(db, settings)
    assert url is not None
    created = magic_links.complete_first_owner(
        db, url.rsplit("/", 1)[1], email="root@example.com", name="Root", workspace_name="Main"
    )
    membership = db.scalars(select(Membership)).one()
    assert (membership.user_id, membership.workspace_id, membership.role) == (
        created.user.id,
        created.workspace.id,
        "owner",
    )
    assert magic_links.issue_first_owner_link(db, settings) is None


def test_parallel_requests_cannot_pass_the_rate_limit_together(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    limited = settings.model_copy(update={"magic_link_per_hour": 3})
    start = threading.Barrier(10)
    refused: list[RateLimited] = []

    def ask() -> None:
        start.wait(10)
        try:
            with transaction(session_factory) as session:
                magic_links.request_sign_in(session, limited, "ghost@example.com")
        except RateLimited as error:
            refused.append(error)

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(refused) == 7
    assert db.scalar(select(func.count()).select_from(MagicLink)) == 3
