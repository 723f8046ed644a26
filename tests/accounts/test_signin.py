"""Sign-in services without a browser: ID token verification, identity resolution, linking, redirects."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dunops.accounts import identities, oidc, signin, users
from dunops.accounts.identities import ExternalIdentity, OutcomeKind
from dunops.accounts.principal import Principal
from dunops.errors import NotAuthenticated, NotFound, PermissionDenied
from dunops.storage.base import utcnow
from dunops.storage.models import AuditEvent, Identity, PendingLink
from tests.oidc_server import OPERATOR_EMAIL, signing_key

ISSUER = "https://issuer.test"


@pytest.fixture
def empty_db(db: Session) -> Session:
    return db


@pytest.fixture(autouse=True)
def _first_owner(request: pytest.FixtureRequest) -> None:
    """Database tests run on an instance that has its first owner, unless they ask for an empty one."""
    if "db" in request.fixturenames and "empty_db" not in request.fixturenames:
        users.create(request.getfixturevalue("db"), OPERATOR_EMAIL)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "sub": "s1", "aud": "app", "iat": now, "exp": now + 60, "nonce": "n1", **overrides}


def verify(token: str) -> dict[str, Any]:
    keys = KeySet([signing_key("k1")])
    return oidc.verify_id_token(token, keys=keys, issuer=ISSUER, client_id="app", nonce="n1")


def test_a_well_formed_id_token_verifies() -> None:
    token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims(aud=["app"]), signing_key("k1"))
    assert verify(token)["sub"] == "s1"


@pytest.mark.parametrize(
    "missing", ["iss", "aud", "exp", "iat", "sub", "nonce"], ids=lambda name: f"without-{name}"
)
def test_an_id_token_without_a_required_claim_is_refused(missing: str) -> None:
    body = claims()
    del body[missing]
    token = jwt.encode({"alg": "RS256", "kid": "k1"}, body, signing_key("k1"))
    with pytest.raises(NotAuthenticated):
        verify(token)


def test_a_symmetric_or_unsigned_token_never_verifies() -> None:
    public = signing_key("k1").as_dict(private=False)
    hmac_key = OctKey.import_key(str(public["n"]).encode())
    forged = jwt.encode({"alg": "HS256", "kid": "k1"}, claims(), hmac_key)
    with pytest.raises(NotAuthenticated, match="signature"):
        verify(forged)
    header, payload, _ = forged.split(".")
    with pytest.raises(NotAuthenticated, match="signature"):
        verify(f"{header}.{payload}.")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/w/ops?tab=zones", "/w/ops?tab=zones"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        ("/a\nb", "/"),
    ],
)
def test_only_same_site_paths_survive_as_next(given: str, kept: str) -> None:
    assert signin.safe_next_path(given) == kept


def external(subject: str = "s1", email: str = "ada@example.com", verified: bool = True) -> ExternalIdentity:
    return ExternalIdentity("corp", ISSUER, subject, email=email, email_verified=verified, name="Ada")


def test_a_known_identity_signs_in_even_after_the_email_changed_unverified(db: Session) -> None:
    first = identities.resolve(db, external())
    again = identities.resolve(db, external(email="elsewhere@example.com", verified=False))
    assert again.kind == OutcomeKind.SIGNED_IN
    assert again.user.id == first.user.id
    assert db.scalars(select(Identity.email)).one() == "ada@example.com"


def test_a_matching_email_only_proposes_a_link_and_the_newest_proposal_wins(db: Session) -> None:
    owner = identities.resolve(db, external()).user
    older = identities.resolve(db, external(subject="s2", email="ADA@example.com"))
    newer = identities.resolve(db, external(subject="s2"))
    assert older.kind == newer.kind == OutcomeKind.LINK_PENDING
    assert newer.user.id == owner.id
    with pytest.raises(NotFound):
        identities.pending(db, older.link_token)
    stranger = users.create(db, "eve@example.com")
    with pytest.raises(PermissionDenied):
        identities.confirm(db, Principal(user=stranger), newer.link_token)
    identities.confirm(db, Principal(user=owner), newer.link_token)
    assert {i.subject for i in db.scalars(select(Identity))} == {"s1", "s2"}
    assert db.scalars(select(PendingLink)).all() == []
    db.commit()  # audit events join their chain when the transaction commits
    assert db.scalars(select(AuditEvent.action)).all().count("identity.link") == 2


def test_an_expired_link_proposal_cannot_be_confirmed(db: Session) -> None:
    owner = identities.resolve(db, external()).user
    proposal = identities.resolve(db, external(subject="s2"))
    db.execute(update(PendingLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(NotFound, match="expired"):
        identities.confirm(db, Principal(user=owner), proposal.link_token)


def test_a_suspended_user_is_refused_by_identity_and_by_email(db: Session) -> None:
    user = identities.resolve(db, external()).user
    users.suspend(db, user)
    with pytest.raises(NotAuthenticated, match="suspended"):
        identities.resolve(db, external())
    with pytest.raises(NotAuthenticated, match="suspended"):
        identities.resolve(db, external(subject="s2"))
    assert db.scalars(select(PendingLink)).all() == []


def test_before_the_first_owner_exists_no_provider_sign_in_creates_an_account(empty_db: Session) -> None:
    with pytest.raises(NotAuthenticated, match="not set up yet"):
        identities.resolve(empty_db, external())
    assert users.count(empty_db) == 0
