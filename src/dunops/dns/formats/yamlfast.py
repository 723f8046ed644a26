"""A fast loader for the block-YAML subset that octoDNS zone files use, with PyYAML as the fallback.

octoDNS spends most of its time in pure-Python YAML loading. Zone files are a narrow subset of YAML:
block mappings and sequences of plain or quoted scalars. :func:`load_yaml` parses that subset
directly and hands any document that steps outside it (flow collections, anchors, tags, block
scalars, comments after values, multi-line scalars...) to PyYAML's C loader, so the result is
always what PyYAML would return; a test holds the two paths equal on the whole corpus.
:func:`iter_top_level` gives the same data one top-level key at a time, so that a reader can build
its zone without holding the whole document as YAML data.

Anchors and aliases are refused (:class:`AnchorRefused`) before PyYAML builds anything: zone files
never need them, and a few hundred bytes of nested aliases expand to gigabytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_SAFE_STRING = re.compile(r"[A-Za-z_][A-Za-z0-9_.@/+=-]*\Z|\d{1,3}(?:\.\d{1,3}){3}\Z")
_RESERVED_WORDS: dict[str, bool | None] = {
    **{word: True for word in ["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]},
    **{word: False for word in ["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]},
    **{word: None for word in ["null", "Null", "NULL"]},
}
_HEXISH = re.compile(r"[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\Z")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_INDICATORS = frozenset("[]{}&*!|>%@`#,?\"'")


class OutsideFastSubset(Exception):
    """The document steps outside the subset :func:`iter_top_level` reads: use :func:`load_yaml`."""


class AnchorRefused(ValueError):
    """The document holds an anchor (``&name``) or an alias (``*name``) at ``line``:``column`` (from 1)."""

    def __init__(self, token: yaml.Token) -> None:
        what = "an anchor (&)" if isinstance(token, yaml.AnchorToken) else "an alias (*)"
        super().__init__(f"{what} is refused: zone files are plain YAML without anchors or aliases")
        self.line = token.start_mark.line + 1
        self.column = token.start_mark.column + 1


# An anchor or an alias starts with "&" or "*" at the start of a line or after a space or "[{,:"; a
# document with neither there holds none, and is not scanned token by token.
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,:])[&*]", re.MULTILINE)


def load_yaml(text: str) -> Any:
    """The data of one YAML document, exactly as PyYAML's safe loader would return it.

    Raises :class:`AnchorRefused` for a document with an anchor or an alias, before building anything.
    """
    try:
        return dict(iter_top_level(text))
    except OutsideFastSubset:
        _refuse_anchors(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader


def _refuse_anchors(text: str) -> None:
    if _MAYBE_ANCHOR.search(text) is None:
        return
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, yaml.AnchorToken | yaml.AliasToken):
            raise AnchorRefused(token)


def _scalar(text: str) -> Any:
    if _SAFE_STRING.match(text):
        if text in _RESERVED_WORDS:
            return _RESERVED_WORDS[text]
        return text
    if _INT.match(text):
        return int(text)
    first = text[0]
    if first == "'":
        if len(text) < 2 or text[-1] != "'" or "'" in text[1:-1].replace("''", ""):
            raise OutsideFastSubset
        return text[1:-1].replace("''", "'")
    if first == '"':
        if len(text) < 2 or text[-1] != '"' or "\\" in text or '"' in text[1:-1]:
            raise OutsideFastSubset
        return text[1:-1]
    if first in _INDICATORS or " #" in text or text[-1] in " :" or ": " in text or "\t" in text:
        raise OutsideFastSubset
    if first in "-:" and text[1:2] in ("", " "):
        raise OutsideFastSubset
    if _HEXISH.match(text):
        if _SEXAGESIMAL.match(text):
            raise OutsideFastSubset
        return text
    if first.isalpha() and text not in _RESERVED_WORDS and not _looks_typed(text):
        return text
    raise OutsideFastSubset


def _looks_typed(text: str) -> bool:
    lowered = text.lower()
    return lowered in (".inf", ".nan", "null", "~") or lowered.startswith(("0x", "0b", "0o"))


_BLOCK = re.compile(r"([^ \n#-][^\n]*):\n((?:[ -][^\n]*\n)*)")
_ONE = re.compile(r"  ttl: ([^\n]+)\n  type: ([^\n]+)\n  value: ([^\n]+)\n\Z")
_MANY = re.compile(r"  ttl: ([^\n]+)\n  type: ([^\n]+)\n  values:\n((?:  - [^\n]+\n)+)\Z")
_ONE_MAPPING = re.compile(r"  ttl: ([^\n]+)\n  type: ([^\n]+)\n  value:\n((?:    [^ \n#-][^\n]*\n)+)\Z")
_MANY_MAPPINGS = re.compile(
    r"  ttl: ([^\n]+)\n  type: ([^\n]+)\n  values:\n((?:  - [^ \n#-][^\n]*\n(?:    [^ \n#-][^\n]*\n)*)+)\Z"
)


def iter_top_level(text: str) -> Iterator[tuple[Any, Any]]:
    """The (key, value) pairs of a top-level block mapping, one block at a time, as PyYAML reads them.

    The usual record shapes take one regex each. Raises :class:`OutsideFastSubset`, possibly after
    some pairs, when the document is not in the subset. A key may come twice (PyYAML keeps the last).
    """
    if not text.endswith("\n"):
        text += "\n"
    position = 4 if text.startswith("---\n") else 0
    size = len(text)
    match_block = _BLOCK.match
    memo: dict[str, Any] = {}

    def scalar(text: str) -> Any:
        try:
            return memo[text]
        except KeyError:
            value = memo[text] = _scalar(text)
            return value

    while position < size:
        block = match_block(text, position)
        if block is None:
            raise OutsideFastSubset
        position = block.end()
        key_text, body = block[1], block[2]
        key_source = _split_key(key_text + ":")[0]
        key = _scalar(key_source) if key_source else None
        if key is None:
            raise OutsideFastSubset
        one = _ONE.match(body)
        if one is not None:
            yield key, {"ttl": scalar(one[1]), "type": scalar(one[2]), "value": _scalar(one[3])}
            continue
        many = _MANY.match(body)
        if many is not None:
            yield (
                key,
                {
                    "ttl": scalar(many[1]),
                    "type": scalar(many[2]),
                    "values": [_scalar(line[4:]) for line in many[3].split("\n")[:-1]],
                },
            )
            continue
        structured = _structured_record(body)
        if structured is not None:
            yield key, structured
            continue
        yield key, _FastParser("_:\n" + body).parse()["_"] if body else None


def _structured_record(body: str) -> dict[str, Any] | None:
    """A record whose value(s) are flat mappings (MX, SRV, CAA...), or None for the general parser."""
    one = _ONE_MAPPING.match(body)
    if one is not None:
        value = _flat_mapping(one[3].split("\n")[:-1])
        if value is None:
            return None
        return {"ttl": _scalar(one[1]), "type": _scalar(one[2]), "value": value}
    many = _MANY_MAPPINGS.match(body)
    if many is None:
        return None
    values = []
    item: list[str] = []
    for line in many[3].split("\n")[:-1]:
        if line[2] == "-" and item:
            values.append(_flat_mapping(item))
            item = []
        item.append(line)
    values.append(_flat_mapping(item))
    if None in values:
        return None
    return {"ttl": _scalar(many[1]), "type": _scalar(many[2]), "values": values}


def _flat_mapping(lines: list[str]) -> dict[Any, Any] | None:
    """``key: scalar`` lines indented by four (the first may start with ``  - ``) as one mapping."""
    result: dict[Any, Any] = {}
    for line in lines:
        content = line[4:].rstrip(" ")
        if "\t" in content or "\r" in content:
            raise OutsideFastSubset
        key_text, value_text = _split_key(content)
        if not value_text:
            return None
        key = _scalar(key_text) if key_text else None
        if key is None:
            raise OutsideFastSubset
        result[key] = _scalar(value_text)
    return result


class _FastParser:
    def __init__(self, text: str) -> None:
        self.lines: list[tuple[int, str]] = []
        if "\t" in text or "\r" in text:
            raise OutsideFastSubset
        for number, line in enumerate(text.split("\n")):
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            if (number == 0 or not self.lines) and line.rstrip() == "---":
                continue
            if line.startswith(("---", "...", "%")):
                raise OutsideFastSubset
            self.lines.append((len(line) - len(stripped), stripped.rstrip(" ")))
        self.index = 0

    def parse(self) -> Any:
        if not self.lines:
            return None
        indent, _ = self.lines[0]
        if indent != 0:
            raise OutsideFastSubset
        value = self.node(0)
        if self.index != len(self.lines):
            raise OutsideFastSubset
        return value

    def node(self, indent: int) -> Any:
        content = self.lines[self.index][1]
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        lines = self.lines
        while self.index < len(lines):
            line_indent, content = lines[self.index]
            if line_indent != indent or not (content == "-" or content.startswith("- ")):
                break
            rest = content[2:].lstrip(" ")
            if not rest:
                self.index += 1
                items.append(self.nested(indent, in_sequence=True))
            elif _is_mapping_line(rest):
                lines[self.index] = (indent + len(content) - len(rest), rest)
                items.append(self.mapping(lines[self.index][0]))
            else:
                items.append(_scalar(rest))
                self.index += 1
        return items

    def nested(self, indent: int, *, in_sequence: bool) -> Any:
        if self.index >= len(self.lines):
            return None
        next_indent, content = self.lines[self.index]
        if next_indent > indent:
            return self.node(next_indent)
        if not in_sequence and next_indent == indent and (content == "-" or content.startswith("- ")):
            return self.sequence(indent)
        return None

    def mapping(self, indent: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        lines = self.lines
        while self.index < len(lines):
            line_indent, content = lines[self.index]
            if line_indent != indent:
                if line_indent > indent:
                    raise OutsideFastSubset
                break
            if content == "-" or content.startswith("- "):
                break
            key_text, value_text = _split_key(content)
            key = _scalar(key_text) if key_text else None
            if key is None:
                raise OutsideFastSubset
            self.index += 1
            if value_text:
                result[key] = _scalar(value_text)
            else:
                result[key] = self.nested(indent, in_sequence=False)
        return result


def _is_mapping_line(content: str) -> bool:
    if content[0] in "'\"":
        return _split_key(content)[0] != content
    return ": " in content or content.endswith(":")


def _split_key(content: str) -> tuple[str, str]:
    if content[0] == "'":
        end = 1
        while True:
            end = content.find("'", end)
            if end == -1:
                raise OutsideFastSubset
            if content[end + 1 : end + 2] == "'":
                end += 2
                continue
            break
        key, rest = content[: end + 1], content[end + 1 :]
        if rest == ":":
            return key, ""
        if rest.startswith(": "):
            return key, rest[2:].lstrip(" ")
        raise OutsideFastSubset
    position = content.find(": ")
    if position == -1:
        if content.endswith(":"):
            return content[:-1], ""
        raise OutsideFastSubset
    return content[:position], content[position + 2 :].lstrip(" ")
