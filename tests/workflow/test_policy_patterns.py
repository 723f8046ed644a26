"""Protected-name patterns match the names a plan changes however they are written: absolute with or
without the trailing dot, relative to the zone, ``@`` for the apex, Unicode (IDN) labels, wildcards."""

from __future__ import annotations

import pytest

from dunops.dns.formats import ZoneFormat, read_zone
from dunops.dns.plan import Plan, plan_changes
from dunops.workflow.policy import Policy
from tests.workflow.support import SLUG, Team, team  # noqa: F401

ORIGIN = "example.test."
CURRENT = """$ORIGIN example.test.
@ 300 IN A 192.0.2.1
www 300 IN A 192.0.2.2
xn--bcher-kva 300 IN A 192.0.2.3
api.prod 300 IN A 192.0.2.4
db.prod 300 IN A 192.0.2.5
mail 300 IN A 192.0.2.6
"""


def _plan() -> Plan:
    """Every name of the zone changes its TTL."""
    current = read_zone(CURRENT, ZoneFormat.BIND, ORIGIN, filename="current")
    desired = read_zone(CURRENT.replace(" 300 ", " 600 "), ZoneFormat.BIND, ORIGIN, filename="desired")
    return plan_changes(current, desired)


@pytest.mark.parametrize(
    ("pattern", "protected"),
    [
        ("www.example.test", ["www"]),
        ("www.example.test.", ["www"]),
        ("WWW.Example.Test.", ["www"]),
        ("www", ["www"]),
        ("@", ["@"]),
        ("example.test.", ["@"]),
        ("bücher", ["xn--bcher-kva"]),
        ("bücher.example.test.", ["xn--bcher-kva"]),
        ("xn--bcher-kva", ["xn--bcher-kva"]),
        ("*.prod", ["api.prod", "db.prod"]),
        ("*.prod.example.test.", ["api.prod", "db.prod"]),
        ("www.other.test.", []),
        ("nothing", []),
    ],
)
def test_a_protected_pattern_matches_the_names_it_means(pattern: str, protected: list[str]) -> None:
    assert Policy(protected_names=(pattern,)).protected_in(_plan()) == protected


def test_a_matched_protected_name_needs_an_admin() -> None:
    from dunops.storage.models import Role

    assert Policy(protected_names=("www.example.test.",)).approver_role(_plan()) is Role.ADMIN
    assert Policy(protected_names=("www.other.test.",)).approver_role(_plan()) is Role.EDITOR


@pytest.mark.parametrize("pattern", ["web.example.test.", "web.example.test", "WEB", "*.example.test"])
def test_a_protected_name_set_through_the_api_keeps_editors_from_approving(
    team: Team,  # noqa: F811
    pattern: str,
) -> None:
    patched = team.client.patch(
        f"/api/v1/workspaces/{SLUG}/policy", json={"protected_names": [pattern]}, headers=team.owner
    )
    assert patched.status_code == 200, patched.text
    created = team.create([{"action": "upsert", "name": "web", "type": "A", "values": ["192.0.2.80"]}])
    assert created["protected_names"] == ["web"]
    refused = team.approve(created)
    assert refused.status_code == 403
    assert "protected names: web" in refused.json()["detail"]
    assert team.approve(created, team.owner).json()["state"] == "approved"
