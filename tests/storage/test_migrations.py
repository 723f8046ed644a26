"""The schema: migrations run up from empty and down one step on both databases, and match the models."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from dunops.storage import models  # noqa: F401
from dunops.storage.base import Base
from dunops.storage.database import alembic_config, downgrade, make_engine, upgrade
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('mig') / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_postgres_database(admin_url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_postgres_database(admin_url, url)


def _head(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def _current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_from_empty_creates_every_table(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert _current(empty_engine) == _head(empty_engine)
    assert set(Base.metadata.tables) <= set(inspect(empty_engine).get_table_names())


def test_downgrade_one_step_and_upgrade_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    head = _head(empty_engine)
    script = ScriptDirectory.from_config(alembic_config(empty_engine)).get_revision(head)
    downgrade(empty_engine, "-1")
    assert _current(empty_engine) == script.down_revision
    upgrade(empty_engine)
    assert _current(empty_engine) == head


def test_models_and_migrations_agree(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _zone_document(rrsets: list[dict[str, object]], serial: int) -> str:
    document = {
        "origin": "example.test.",
        "soa": {
            "ttl": 3600,
            "value": f"ns1.example.test. hostmaster.example.test. {serial} 10800 3600 604800 3600",
        },
        "rrsets": rrsets,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_zone_versions_move_into_rows_and_deltas_and_back(empty_engine: Engine) -> None:
    """0002 turns each version's JSON into current rows plus deltas; going down rebuilds the same JSON."""
    upgrade(empty_engine, "0001")
    www = {"name": "www.example.test.", "type": "A", "ttl": 300, "values": ["192.0.2.1"]}
    alias = {"name": "Alias.example.test.", "type": "ALIAS", "ttl": 60, "values": ["lb.example.net."],
             "meta": {"route53": {"hosted_zone_id": "Z1"}}}  # fmt: skip
    first = _zone_document([www], 1)
    second = _zone_document([alias, {**www, "values": ["192.0.2.1", "192.0.2.2"]}], 2)
    with empty_engine.begin() as connection:
        connection.execute(text("INSERT INTO workspaces (id, name, slug, status, plan, created_at) "
                                "VALUES (1, 'a', 'a', 'active', 'free', CURRENT_TIMESTAMP)"))  # fmt: skip
        connection.execute(text("INSERT INTO zones (id, workspace_id, fqdn, current_version_id, created_at) "
                                "VALUES (1, 1, 'example.test', 2, CURRENT_TIMESTAMP)"))  # fmt: skip
        for number, content in ((1, first), (2, second)):
            connection.execute(
                text(
                    "INSERT INTO zone_versions (id, zone_id, number, content_hash, source, content, "
                    "rrset_count, created_at, created_by) "
                    "VALUES (:n, 1, :n, 'old', 'import', :content, 0, CURRENT_TIMESTAMP, 'x')"
                ),
                {"n": number, "content": content},
            )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT tree_key, rtype, name, rdata, meta FROM zone_rrsets ORDER BY 1")
        ).all()
        deltas = connection.execute(
            text("SELECT version_id, side, rtype FROM zone_version_rrsets ORDER BY 1, 2, 3")
        ).all()
        soa = connection.execute(text("SELECT soa_value FROM zones")).scalar_one()
        hashes = connection.execute(
            text("SELECT content_hash, rrset_count FROM zone_versions ORDER BY number")
        ).all()
    assert [(r.tree_key, r.rtype, r.name) for r in rows] == [
        ("test example alias", "ALIAS", "Alias.example.test."),
        ("test example www", "A", "www.example.test."),
    ]
    assert json.loads(rows[0].rdata) == ["lb.example.net."]
    assert json.loads(rows[0].meta) == {"route53": {"hosted_zone_id": "Z1"}}
    assert [tuple(d) for d in deltas] == [(2, "+", "A"), (2, "+", "ALIAS"), (2, "-", "A")]
    assert soa.split()[2] == "2"
    assert [count for _, count in hashes] == [1, 2]
    assert hashes[0][0] != hashes[1][0] != "old"

    downgrade(empty_engine, "0001")
    with empty_engine.connect() as connection:
        restored = {n: c for n, c in connection.execute(text("SELECT number, content FROM zone_versions"))}
    assert json.loads(restored[1])["rrsets"] == json.loads(first)["rrsets"]
    assert json.loads(restored[2])["rrsets"] == json.loads(second)["rrsets"]
