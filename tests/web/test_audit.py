"""``/api/v1/workspaces/{slug}/audit``: admins read the trail newest first, a page (``{items, next}``) at a
time."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import access, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.storage.models import Role


def _tokens(db: Session) -> dict[Role, dict[str, str]]:
    owner = Principal(user=users.create(db, "owner@example.com"))
    workspaces.create(db, owner, "Acme")
    grant = access.resolve(db, owner, "acme", Permission.TOKENS_MANAGE)
    made = {role: tokens.create(db, grant, role=role, name=str(role)).secret for role in Role}
    db.commit()
    return {role: {"Authorization": f"Bearer {secret}"} for role, secret in made.items()}


def test_admins_read_the_trail_newest_first_a_page_at_a_time(client: TestClient, db: Session) -> None:
    headers = _tokens(db)
    client.patch("/api/v1/workspaces/acme", json={"name": "Acme Two"}, headers=headers[Role.ADMIN])
    page = client.get("/api/v1/workspaces/acme/audit?limit=2", headers=headers[Role.ADMIN])
    assert page.status_code == 200
    events = page.json()["items"]
    assert [event["action"] for event in events] == ["workspace.rename", "token.create"]
    assert events[0]["actor"].startswith("owner@example.com (token dnp_")
    assert events[0]["actor_token_id"] is not None
    assert page.json()["next"] == "/api/v1/workspaces/acme/audit?limit=2&cursor=5"
    sequences = [event["sequence"] for event in events]
    link = page.json()["next"]
    while link is not None:
        following = client.get(link, headers=headers[Role.OWNER]).json()
        sequences += [event["sequence"] for event in following["items"]]
        link = following["next"]
    assert sequences == [6, 5, 4, 3, 2, 1]
    everything = client.get("/api/v1/workspaces/acme/audit?limit=1000", headers=headers[Role.OWNER]).json()
    assert everything["items"][-1]["action"] == "workspace.create"
    assert everything["next"] is None


def test_editors_may_not_read_it_and_bad_paging_is_422(client: TestClient, db: Session) -> None:
    headers = _tokens(db)
    assert client.get("/api/v1/workspaces/acme/audit", headers=headers[Role.EDITOR]).status_code == 403
    bad = client.get("/api/v1/workspaces/acme/audit?limit=1001&cursor=x", headers=headers[Role.ADMIN])
    assert bad.status_code == 422
    assert {error["field"] for error in bad.json()["errors"]} == {"query.limit", "query.cursor"}
