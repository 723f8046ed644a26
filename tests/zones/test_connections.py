"""Connection services: secrets merge on update, a broken ciphertext can be replaced whole, and provider
messages are scrubbed of secret values."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.errors import InvalidInput, Problem, ProviderError
from dunops.zones import connections
from tests.zones.helpers import directories_for, grant_for, member, vault_for


def test_secrets_merge_on_update_and_a_broken_ciphertext_can_be_replaced(
    db: Session, settings: Settings
) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant, vault = grant_for(db, user, "acme"), vault_for(settings)
    connection = connections.create(
        db,
        grant,
        vault,
        directories=directories_for(settings, grant),
        kind="route53",
        name="aws",
        config={},
        secrets={"access_key_id": "AKIAEXAMPLE", "secret_access_key": "first-secret"},
    )
    assert connection.config == {"region": "us-east-1"}
    places = directories_for(settings, grant)
    connections.update(
        db, grant, vault, connection.id, directories=places, secrets={"secret_access_key": "second-secret"}
    )
    assert connections.reveal_secrets(db, vault, connection) == {
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": "second-secret",
    }

    connection.secret_ciphertext = b"\x00" * len(connection.secret_ciphertext)
    results = connections.check_secrets(db, vault)
    assert [(r.connection_name, r.ok) for r in results] == [("aws", False)]
    with pytest.raises(InvalidInput) as partial:
        connections.update(
            db, grant, vault, connection.id, directories=places, secrets={"secret_access_key": "third"}
        )
    assert [p.location for p in partial.value.problems] == ["secrets.access_key_id"]
    connections.update(
        db,
        grant,
        vault,
        connection.id,
        directories=places,
        secrets={"access_key_id": "AKIANEW", "secret_access_key": "third"},
    )
    assert connections.check_secrets(db, vault)[0].ok


def test_provider_messages_are_scrubbed_of_secret_values() -> None:
    message = "401 for key s3cr3t-token at https://api (token s3cr3t-token)"
    assert connections.scrub(message, {"api_token": "s3cr3t-token", "short": "ab"}) == (
        "401 for key *** at https://api (token ***)"
    )


def test_errors_raised_while_using_a_provider_lose_every_secret_value(
    db: Session, settings: Settings
) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant, vault = grant_for(db, user, "acme"), vault_for(settings)
    connection = connections.create(
        db,
        grant,
        vault,
        kind="cloudflare",
        name="cf",
        config={},
        secrets={"api_token": "cf-token-123456"},
        directories=directories_for(settings, grant),
    )
    with pytest.raises(ProviderError) as caught, connections.provider_for(db, vault, connection):
        raise ProviderError(
            "refused token cf-token-123456", [Problem("bad cf-token-123456", "secrets.api_token")]
        )
    assert caught.value.detail == "refused token ***"
    assert str(caught.value) == "refused token ***"
    assert caught.value.problems == (Problem("bad ***", "secrets.api_token"),)
