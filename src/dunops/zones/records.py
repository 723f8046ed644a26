"""A zone's current content as indexed RRset rows: point reads, nodes, subtrees, pages and writes.

Every read touches only the rows it returns (plus an index probe): an RRset by (name, type), all
RRsets at some names, the names beneath one name (a key range, see
:func:`dunops.dns.names.tree_key`), or a page in canonical order after a cursor. Writes replace
RRsets by key. Nothing here checks permissions: callers pass a zone they were allowed to see.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from dunops.dns.names import subtree_range, tree_key
from dunops.dns.rrset import RRset
from dunops.dns.zone import RRsetKey
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import InvalidInput
from dunops.storage.models import Zone, ZoneRRset
from dunops.storage.rrset_rows import row_of, rrset_of

CHUNK = 500
"""Keys per IN list (well inside every database's limit on bound parameters)."""
INSERT_BATCH = 5000

_COLUMNS = (ZoneRRset.name, ZoneRRset.rtype, ZoneRRset.ttl, ZoneRRset.rdata, ZoneRRset.meta)


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _rows(session: Session, query: Select[str, str, int, str, str]) -> list[RRset]:
    return [rrset_of(row) for row in session.execute(query)]


def get(session: Session, zone_id: int, keys: Iterable[RRsetKey]) -> dict[RRsetKey, RRset]:
    """The stored RRsets among ``keys`` (lower-case name, type); absent keys are left out."""
    found: dict[RRsetKey, RRset] = {}
    for chunk in _chunks({(tree_key(name), rtype) for name, rtype in keys}):
        query = select(*_COLUMNS).where(
            ZoneRRset.zone_id == zone_id, tuple_(ZoneRRset.tree_key, ZoneRRset.rtype).in_(chunk)
        )
        for rrset in _rows(session, query):
            found[(rrset.key, rrset.rtype)] = rrset
    return found


def at_names(session: Session, zone_id: int, names: Iterable[str]) -> list[RRset]:
    """Every stored RRset owned by one of ``names``."""
    found: list[RRset] = []
    for chunk in _chunks({tree_key(name) for name in names}):
        query = select(*_COLUMNS).where(ZoneRRset.zone_id == zone_id, ZoneRRset.tree_key.in_(chunk))
        found.extend(_rows(session, query))
    return found


def _beneath(name: str) -> ColumnElement[bool]:
    low, high = subtree_range(name)
    return and_(ZoneRRset.tree_key >= low, ZoneRRset.tree_key < high)


def beneath(session: Session, zone_id: int, name: str, *, limit: int | None = None) -> list[RRset]:
    """RRsets owned by names strictly beneath ``name``, in canonical order (at most ``limit``)."""
    query = (
        select(*_COLUMNS)
        .where(ZoneRRset.zone_id == zone_id, _beneath(name))
        .order_by(ZoneRRset.tree_key, ZoneRRset.rtype)
    )
    return _rows(session, query.limit(limit) if limit is not None else query)


def count(session: Session, zone_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(ZoneRRset).where(ZoneRRset.zone_id == zone_id)) or 0
    )


def load(session: Session, zone: Zone) -> ZoneContent:
    """The whole current content (for whole-zone work: sync, export, a desired-zone plan)."""
    content = ZoneContent(zone.fqdn + ".", soa=soa_of(zone))
    query = select(*_COLUMNS).where(ZoneRRset.zone_id == zone.id)
    rrsets = content.rrsets
    for row in session.execute(query):
        rrset = rrset_of(row)
        rrsets[(rrset.key, rrset.rtype)] = rrset
    return content


def soa_of(zone: Zone) -> RRset | None:
    if zone.soa_ttl is None or not zone.soa_value:
        return None
    return RRset(zone.fqdn + ".", "SOA", zone.soa_ttl, [zone.soa_value])


# -- pages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """What a records page holds: one owner name (or its whole subtree), one type, a text in the values."""

    name: str | None = None
    subtree: bool = False
    rtype: str | None = None
    contains: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rrsets: list[RRset]
    next_cursor: str | None


def encode_cursor(rrset: RRset) -> str:
    raw = json.dumps([tree_key(rrset.key), rrset.rtype], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, location: str = "cursor") -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key, rtype = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput.single("is not a cursor this API gave out", location) from None
    if not isinstance(key, str) or not isinstance(rtype, str):
        raise InvalidInput.single("is not a cursor this API gave out", location)
    return key, rtype


def page(session: Session, zone_id: int, wanted: RecordFilter, *, after: str | None, limit: int) -> Page:
    """Up to ``limit`` RRsets matching ``wanted`` in canonical order, after the ``after`` cursor."""
    query = select(*_COLUMNS).where(ZoneRRset.zone_id == zone_id)
    if wanted.name is not None:
        key = tree_key(wanted.name)
        own = ZoneRRset.tree_key == key
        query = query.where(or_(own, _beneath(wanted.name)) if wanted.subtree else own)
    if wanted.rtype is not None:
        query = query.where(ZoneRRset.rtype == wanted.rtype)
    if wanted.contains:
        escaped = wanted.contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(ZoneRRset.rdata).like(f"%{escaped.lower()}%", escape="\\"))
    if after is not None:
        last_key, last_type = decode_cursor(after)
        query = query.where(tuple_(ZoneRRset.tree_key, ZoneRRset.rtype) > tuple_(last_key, last_type))
    rows = _rows(session, query.order_by(ZoneRRset.tree_key, ZoneRRset.rtype).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1]) if more and rows else None)


# -- writes --------------------------------------------------------------------------------------------


def insert_all(session: Session, zone_id: int, rrsets: Iterable[RRset]) -> int:
    """Store ``rrsets`` as new rows of the zone (none of their keys may exist); returns how many."""
    written = 0
    for chunk in _chunks((row_of(rrset, zone_id=zone_id) for rrset in rrsets), INSERT_BATCH):
        session.execute(insert(ZoneRRset), chunk)
        written += len(chunk)
    return written


def replace(session: Session, zone_id: int, removed: Sequence[RRset], added: Sequence[RRset]) -> None:
    """Delete the rows of ``removed`` (by key) and store ``added``: an update is in both."""
    for chunk in _chunks({(tree_key(r.key), r.rtype) for r in removed}):
        session.execute(
            delete(ZoneRRset)
            .where(ZoneRRset.zone_id == zone_id, tuple_(ZoneRRset.tree_key, ZoneRRset.rtype).in_(chunk))
            .execution_options(synchronize_session=False)
        )
    insert_all(session, zone_id, added)
