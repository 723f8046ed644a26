"""List endpoints load their rows in a fixed number of queries, however long the list (as NetBox's
``assertNumQueries`` checks): a page of 2 items and a page of 12 cost the same statements."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from tests.workflow.support import Team, team  # noqa: F401
from tests.zones.helpers import api_token, member

_numbers = itertools.count()
LISTS = [
    "/changes",
    "/changes?state=verified",
    "/deployments",
    "/zones",
    "/zones/example.test/versions",
    "/zones/example.test/records",
    "/members",
    "/audit",
]


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _grow(team: Team, db: Any, number: int) -> None:  # noqa: F811
    """Add ``number`` applied change requests (each with a deployment and a version) and members."""
    for _ in range(number):
        index = next(_numbers)
        edit = {"action": "upsert", "name": f"n{index}", "type": "A", "values": ["192.0.2.1"]}
        created = team.create([edit])
        assert team.approve(created).status_code == 200
        assert team.post(team.owner, f"/changes/{created['id']}/apply").status_code == 202
        team.run_jobs()
        user, workspace = member(db, "acme", f"extra{index}@example.com")
        api_token(db, user, workspace)
        db.commit()


def _costs(team: Team, engine: Engine) -> dict[str, int]:  # noqa: F811
    costs = {}
    for path in LISTS:
        team.get(team.owner, path)  # the first use of a token stamps it; measure the steady state
        with counted(engine) as statements:
            response = team.get(team.owner, path)
        assert response.status_code == 200, (path, response.text)
        costs[path] = len(statements)
    return costs


def test_list_endpoints_cost_the_same_queries_for_any_length(
    team: Team,  # noqa: F811
    engine: Engine,
    db: Any,
) -> None:
    _grow(team, db, 2)
    few = _costs(team, engine)
    _grow(team, db, 10)
    many = _costs(team, engine)

    assert many == few
    assert all(cost <= 8 for cost in few.values()), few


def test_a_page_holds_what_was_asked_and_links_the_next(team: Team, db: Any) -> None:  # noqa: F811
    _grow(team, db, 5)
    seen: list[int] = []
    path: str | None = "/api/v1/workspaces/acme/changes?limit=2"
    while path is not None:
        page = team.client.get(path, headers=team.owner).json()
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        path = page["next"]
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 5
