"""The child's DNSSEC records at a zone's apex: CDS and CDNSKEY against the zone's DNSKEY set.

A CDS or CDNSKEY record asks the parent to publish a DS for one of the zone's keys (RFC 7344 section
3), so each must stand for a DNSKEY of the zone: a CDS is that key's DS (key tag, algorithm and the
digest of the key, RFC 4034 section 5.1.4), a CDNSKEY is the key itself. RFC 8078 section 4's delete
forms, ``CDS 0 0 0 00`` and ``CDNSKEY 0 3 0 AA==``, ask the parent to remove its DS set instead, and
are then the only record of their set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rdtypes.dsbase

DELETE_CDS = "0 0 0 00"
DELETE_CDNSKEY = "0 3 0 AA=="


def cds_mismatches(
    origin: str, dnskeys: Sequence[str], cds: Sequence[str], cdnskeys: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """(``CDS`` or ``CDNSKEY``, why) for each apex record that stands for no DNSKEY of the zone.

    The values are canonical presentation text. A CDS whose digest type DunOps cannot compute (GOST,
    a private type) is matched by its key tag and algorithm alone."""
    apex = dns.name.from_text(origin)
    keys = [_rdata("DNSKEY", value, apex) for value in dnskeys]
    yield from _deletes("CDS", cds, DELETE_CDS)
    yield from _deletes("CDNSKEY", cdnskeys, DELETE_CDNSKEY)
    wire_keys = {key.to_digestable() for key in keys}
    for value in cdnskeys:
        if value != DELETE_CDNSKEY and _rdata("CDNSKEY", value, apex).to_digestable() not in wire_keys:
            yield "CDNSKEY", f"CDNSKEY {_short(value)} is not a DNSKEY of the zone (RFC 7344 section 3)"
    for value in cds:
        if value == DELETE_CDS:
            continue
        record = _rdata("CDS", value, apex)
        assert isinstance(record, dns.rdtypes.dsbase.DSBase)
        if not any(_stands_for(record, key, apex) for key in keys):
            yield (
                "CDS",
                f"CDS {_short(value)} matches no DNSKEY of the zone by key tag {record.key_tag}, "
                f"algorithm {int(record.algorithm)} and digest (RFC 7344 section 3, RFC 4034 section 5.1.4)",
            )


def _deletes(rtype: str, values: Sequence[str], delete: str) -> Iterator[tuple[str, str]]:
    if delete in values and len(values) > 1:
        yield (
            rtype,
            f"the delete form {rtype} {delete} asks the parent to remove its DS set: it must be the only "
            f"{rtype} record (RFC 8078 section 4)",
        )


def _stands_for(record: dns.rdtypes.dsbase.DSBase, key: dns.rdata.Rdata, apex: dns.name.Name) -> bool:
    import dns.dnssec  # loads the cryptography package: only for zones that hold CDS or CDNSKEY

    assert isinstance(key, dns.rdtypes.ANY.DNSKEY.DNSKEY)
    if record.key_tag != dns.dnssec.key_id(key) or record.algorithm != key.algorithm:
        return False
    try:
        made = dns.dnssec.make_ds(apex, key, record.digest_type, policy=dns.dnssec.allow_all_policy)
    except dns.exception.UnsupportedAlgorithm:
        return True  # a digest DunOps cannot compute: the key tag and algorithm are all it can match
    return made.digest == record.digest


def _rdata(rtype: str, value: str, apex: dns.name.Name) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value, origin=apex)


def _short(value: str) -> str:
    return value if len(value) <= 60 else f"{value[:56]} ..."
