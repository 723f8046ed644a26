"""``GET .../records``: pages in canonical order that add up to the zone exactly, filters by name, subtree,
type and text, and clear refusals of bad cursors and limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.dns.formats import read_bind
from tests.zones.helpers import api_token, bearer, member

RECORDS = "/api/v1/workspaces/acme/zones/example.test/records"

ZONE = """$ORIGIN example.test.
@ 3600 IN SOA ns1 hostmaster 1 10800 3600 604800 3600
@ 3600 IN NS ns1
@ 3600 IN NS ns2
@ 300 IN MX 10 mail
@ 300 IN TXT "v=spf1 mx -all"
mail 300 IN A 192.0.2.25
a 300 IN A 192.0.2.1
a-b 300 IN A 192.0.2.2
x.a 300 IN A 192.0.2.3
x.a 300 IN AAAA 2001:db8::3
y.x.a 300 IN TXT "deep"
*.a 300 IN A 192.0.2.9
_dmarc 300 IN TXT "v=DMARC1; p=none"
Www 300 IN CNAME a
"""


@pytest.fixture
def owner(db: Session, client: TestClient) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    headers = bearer(api_token(db, user, workspace))
    db.commit()
    body = {"name": "example.test", "format": "bind", "content": ZONE}
    assert client.post("/api/v1/workspaces/acme/zones", json=body, headers=headers).status_code == 201
    return headers


def _all_pages(client: TestClient, headers: dict[str, str], **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    response = client.get(RECORDS, params=params, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next"] is None:
            return items
        response = client.get(page["next"], headers=headers)


def test_pages_of_any_size_add_up_to_the_zone_in_canonical_order(
    client: TestClient, owner: dict[str, str]
) -> None:
    expected = [(rrset.name, rrset.rtype) for rrset in read_bind(ZONE, "example.test.").sorted()]
    for limit in (1, 3, 7, 1000):
        items = _all_pages(client, owner, limit=limit)
        assert [(item["name"], item["type"]) for item in items] == expected, limit
    first = client.get(RECORDS, params={"limit": 2}, headers=owner).json()
    assert len(first["items"]) == 2
    assert "limit=2" in first["next"]


def test_filters_by_name_subtree_type_and_text(client: TestClient, owner: dict[str, str]) -> None:
    def names(**params: object) -> list[tuple[object, object]]:
        return [(item["name"], item["type"]) for item in _all_pages(client, owner, limit=2, **params)]

    assert names(name="x.a") == [("x.a.example.test.", "A"), ("x.a.example.test.", "AAAA")]
    assert names(name="X.A.example.test.", type="aaaa") == [("x.a.example.test.", "AAAA")]
    assert names(name="a", under=True) == [
        ("a.example.test.", "A"),
        ("*.a.example.test.", "A"),
        ("x.a.example.test.", "A"),
        ("x.a.example.test.", "AAAA"),
        ("y.x.a.example.test.", "TXT"),
    ]
    assert ("a-b.example.test.", "A") not in names(name="a", under=True)
    assert names(name="www") == [("Www.example.test.", "CNAME")]
    assert names(type="TXT", contains="SPF1") == [("example.test.", "TXT")]
    assert names(contains="100%_\\") == []
    assert names(name="nothing-here") == []


def test_bad_cursors_and_limits_are_refused_with_the_field_named(
    client: TestClient, owner: dict[str, str]
) -> None:
    for params, field in (
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"name": "a..b"}, "name"),
    ):
        response = client.get(RECORDS, params=params, headers=owner)
        assert response.status_code == 422, (params, response.text)
        assert field in response.json()["errors"][0]["field"], response.text
