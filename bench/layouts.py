"""The same octoDNS zone data in the YAML layouts people and tools write.

- ``octodns``: what octoDNS 1.22 itself writes (``octodns-dump``: a ``YamlProvider`` applying a plan);
- ``dunops``: what ``dunops zone convert --to octodns`` writes;
- ``indented``: as formatters (prettier, yamllint's defaults) leave it: sequences indented under their
  key, every name a list of records;
- ``hand``: as people write it: ``---``, comments, quoted keys, every name a list of records indented
  under it, values as indented lists, one-line flow lists and mappings, trailing comments.

Every layout reads, with PyYAML's safe loader, to the same data.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

LAYOUTS = ("octodns", "dunops", "indented", "hand")


def octodns_dump(text: str, origin: str) -> str:
    """``text`` (an octoDNS zone file) read and written back by octoDNS's ``YamlProvider``, as
    ``octodns-dump`` does."""
    from octodns.provider.yaml import YamlProvider
    from octodns.zone import Zone

    with tempfile.TemporaryDirectory() as work:
        source_dir, target_dir = Path(work, "source"), Path(work, "target")
        source_dir.mkdir()
        (source_dir / f"{origin}yaml").write_text(text, encoding="utf-8")
        zone = Zone(origin, [])
        # escaped_semicolons=True is octoDNS 1.x's default, given so that it does not warn
        YamlProvider("source", str(source_dir), escaped_semicolons=True).populate(zone)
        target = YamlProvider("dump", str(target_dir), escaped_semicolons=True)
        plan = target.plan(zone)
        assert plan is not None
        target.apply(plan)
        return (target_dir / f"{origin}yaml").read_text(encoding="utf-8")


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@/+=:-]*\Z")


def _scalar(value: Any) -> str:
    """One scalar as a person would type it: plain where YAML reads it back unchanged, else quoted."""
    if isinstance(value, bool) or value is None:
        return yaml.safe_dump(value).split("\n", 1)[0]
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and yaml.safe_load(text) == text:
        return text
    if "\n" not in text and text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return yaml.safe_dump(text, default_style='"', width=2**30).strip()


def _flow_ok(value: Any) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and _PLAIN.match(value) is not None)


def _mapping(value: dict[str, Any], indent: str, lines: list[str], *, first: str) -> None:
    prefix = first
    for key, item in value.items():
        if isinstance(item, dict):
            if item and all(_flow_ok(v) for v in item.values()):
                pairs = ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in item.items())
                lines.append(f"{prefix}{_scalar(key)}: {{{pairs}}}")
            else:
                lines.append(f"{prefix}{_scalar(key)}:")
                _mapping(item, indent + "  ", lines, first=indent + "  ")
        elif isinstance(item, list):
            if item and all(_flow_ok(v) for v in item) and len(item) <= 4:
                lines.append(f"{prefix}{_scalar(key)}: [{', '.join(_scalar(v) for v in item)}]")
            else:
                lines.append(f"{prefix}{_scalar(key)}:")
                for entry in item:
                    if isinstance(entry, dict):
                        _mapping(entry, indent + "    ", lines, first=indent + "  - ")
                    else:
                        lines.append(f"{indent}  - {_scalar(entry)}")
        elif key == "ttl":
            lines.append(f"{prefix}ttl: {_scalar(item)}  # seconds")
        else:
            lines.append(f"{prefix}{_scalar(key)}: {_scalar(item)}")
        prefix = indent


def as_lists(data: dict[str, Any]) -> dict[str, list[Any]]:
    """Every name's records as a list: the same zone as ``data`` for octoDNS."""
    return {name: records if isinstance(records, list) else [records] for name, records in data.items()}


def hand_written(data: dict[str, Any]) -> str:
    """``data`` laid out as a person writes a zone file by hand (each name a list of records)."""
    lines = ["---", "# Zone file kept by hand", ""]
    for number, (name, records) in enumerate(data.items()):
        if number % 50 == 0:
            lines.append(f"# names from {name or '(apex)'}")
        lines.append(f"'{name}':" if number % 3 == 0 or not name else f"{_scalar(name)}:")
        for record in records if isinstance(records, list) else [records]:
            _mapping(record, "    ", lines, first="  - ")
    return "\n".join(lines) + "\n"


class _IndentedDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def indented(data: dict[str, Any]) -> str:
    """``data`` with every sequence indented under its key and every name a list of records."""
    dumped: str = yaml.dump(
        as_lists(data), Dumper=_IndentedDumper, default_flow_style=False, sort_keys=False, width=2**30
    )
    return dumped


def layout(name: str, text: str, origin: str) -> str:
    """``text`` (octoDNS YAML, as DunOps writes it) in the layout ``name``."""
    if name == "dunops":
        return text
    if name == "octodns":
        return octodns_dump(text, origin)
    if name == "indented":
        data = yaml.safe_load(text)
        written = indented(data)
        assert yaml.safe_load(written) == as_lists(data)
        return written
    if name == "hand":
        data = yaml.safe_load(text)
        written = hand_written(data)
        assert yaml.safe_load(written) == as_lists(data)
        return written
    raise ValueError(f"unknown layout {name}")
