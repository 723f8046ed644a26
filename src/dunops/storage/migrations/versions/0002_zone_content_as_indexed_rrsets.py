"""zone content as indexed rrsets

Each zone's current content moves from one JSON document per version into one row per RRset
(``zone_rrsets``); each version after the first keeps only what it removed and added
(``zone_version_rrsets``). Content hashes are recomputed in the incremental form. The downgrade
rebuilds every version's JSON document from the rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:56:38.740212
"""

import json
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any

import sqlalchemy as sa
from alembic import op

from dunops.dns.formats.json import zone_to_data
from dunops.dns.rrset import RRset, content_hash, meta_text
from dunops.dns.zone import Zone
from dunops.storage.rrset_rows import row_of

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TREE_KEY = sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql")
BATCH = 5000

zones = sa.table(
    "zones",
    sa.column("id", sa.Integer),
    sa.column("current_version_id", sa.Integer),
    sa.column("soa_ttl", sa.Integer),
    sa.column("soa_value", sa.Text),
)
versions = sa.table(
    "zone_versions",
    sa.column("id", sa.Integer),
    sa.column("zone_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("content", sa.Text),
    sa.column("content_hash", sa.String),
    sa.column("rrset_count", sa.Integer),
    sa.column("changed", sa.Integer),
)
current_rows = sa.table(
    "zone_rrsets",
    *(sa.column(name) for name in ("zone_id", "tree_key", "rtype", "name", "ttl", "rdata", "meta")),
)
delta_rows = sa.table(
    "zone_version_rrsets",
    *(
        sa.column(name)
        for name in ("version_id", "tree_key", "rtype", "side", "name", "ttl", "rdata", "meta")
    ),
)


def _columns(name: str) -> list[sa.Column[Any]]:
    return [
        sa.Column(name, sa.Integer(), nullable=False),
        sa.Column("tree_key", TREE_KEY, nullable=False),
        sa.Column("rtype", sa.String(length=16), nullable=False),
    ]


def _data_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("rdata", sa.Text(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "zone_rrsets",
        *_columns("zone_id"),
        *_data_columns(),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_zone_rrsets_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("zone_id", "tree_key", "rtype", name=op.f("pk_zone_rrsets")),
    )
    op.create_table(
        "zone_version_rrsets",
        *_columns("version_id"),
        sa.Column("side", sa.String(length=1), nullable=False),
        *_data_columns(),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["zone_versions.id"],
            name=op.f("fk_zone_version_rrsets_version_id_zone_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "tree_key", "rtype", "side", name=op.f("pk_zone_version_rrsets")
        ),
    )
    with op.batch_alter_table("zone_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("soa_ttl", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("soa_value", sa.Text(), nullable=False, server_default=""))

    _move_content(op.get_bind())

    with op.batch_alter_table("zone_versions", schema=None) as batch_op:
        batch_op.alter_column("changed", server_default=None)
        batch_op.drop_column("content")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.alter_column("soa_value", server_default=None)


def _rrsets(document: dict[str, Any]) -> dict[tuple[str, str], RRset]:
    found = {}
    for item in document.get("rrsets", []):
        rrset = RRset(item["name"], item["type"], item["ttl"], item["values"], meta_text(item.get("meta")))
        found[(rrset.key, rrset.rtype)] = rrset
    return found


def _insert(connection: sa.Connection, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            connection.execute(table.insert(), batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)


def _move_content(connection: sa.Connection) -> None:
    for zone_id, current_id in connection.execute(sa.select(zones.c.id, zones.c.current_version_id)).all():
        stored = connection.execute(
            sa.select(versions.c.id, versions.c.content)
            .where(versions.c.zone_id == zone_id)
            .order_by(versions.c.number)
        ).all()
        previous: dict[tuple[str, str], RRset] = {}
        latest: dict[str, Any] = {}
        for position, (version_id, content) in enumerate(stored):
            document = json.loads(content)
            present = _rrsets(document)
            removed = [rrset for key, rrset in previous.items() if present.get(key) != rrset]
            added = [rrset for key, rrset in present.items() if previous.get(key) != rrset]
            if position > 0:
                _insert(
                    connection,
                    delta_rows,
                    chain(
                        (row_of(r, version_id=version_id, side="-") for r in removed),
                        (row_of(r, version_id=version_id, side="+") for r in added),
                    ),
                )
            changed = len({(r.key, r.rtype) for r in (*removed, *added)})
            connection.execute(
                versions.update()
                .where(versions.c.id == version_id)
                .values(
                    content_hash=content_hash(document["origin"], present.values()),
                    rrset_count=len(present),
                    changed=changed,
                )
            )
            previous = present
            if version_id == current_id:
                latest = document
        if latest:
            _insert(connection, current_rows, (row_of(r, zone_id=zone_id) for r in _rrsets(latest).values()))
            soa = latest.get("soa")
            if soa:
                connection.execute(
                    zones.update()
                    .where(zones.c.id == zone_id)
                    .values(soa_ttl=soa["ttl"], soa_value=soa["value"])
                )


def downgrade() -> None:
    with op.batch_alter_table("zone_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.Text(), nullable=False, server_default="{}"))
    _restore_content(op.get_bind())
    with op.batch_alter_table("zone_versions", schema=None) as batch_op:
        batch_op.alter_column("content", server_default=None)
        batch_op.drop_column("changed")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_column("soa_value")
        batch_op.drop_column("soa_ttl")
    op.drop_table("zone_version_rrsets")
    op.drop_table("zone_rrsets")


def _from_row(row: Any) -> RRset:
    return RRset(row.name, row.rtype, row.ttl, json.loads(row.rdata), row.meta)


def _document(origin: str, soa: dict[str, Any] | None, content: dict[tuple[str, str], RRset]) -> str:
    document = zone_to_data(Zone(origin, content.values()))
    document["soa"] = soa
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _restore_content(connection: sa.Connection) -> None:
    fqdns = sa.table(
        "zones", sa.column("id"), sa.column("fqdn"), sa.column("soa_ttl"), sa.column("soa_value")
    )
    for zone_id, fqdn, soa_ttl, soa_value in connection.execute(sa.select(fqdns)).all():
        content = {
            (row.name.lower(), row.rtype): _from_row(row)
            for row in connection.execute(sa.select(current_rows).where(current_rows.c.zone_id == zone_id))
        }
        soa = {"ttl": soa_ttl, "value": soa_value} if soa_ttl is not None else None
        stored = connection.execute(
            sa.select(versions.c.id).where(versions.c.zone_id == zone_id).order_by(versions.c.number.desc())
        ).all()
        for (version_id,) in stored:
            connection.execute(
                versions.update()
                .where(versions.c.id == version_id)
                .values(content=_document(fqdn + ".", soa, content))
            )
            for row in connection.execute(sa.select(delta_rows).where(delta_rows.c.version_id == version_id)):
                key = (row.name.lower(), row.rtype)
                if row.side == "+":
                    content.pop(key, None)
            for row in connection.execute(sa.select(delta_rows).where(delta_rows.c.version_id == version_id)):
                if row.side == "-":
                    content[(row.name.lower(), row.rtype)] = _from_row(row)
