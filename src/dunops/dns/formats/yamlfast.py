"""A fast loader for the block YAML that octoDNS zone files are written in, with PyYAML as the fallback.

octoDNS spends most of its time in pure-Python YAML loading. Zone files are a narrow part of YAML:
block mappings and sequences of plain or quoted scalars, a top-level key per name. :func:`iter_top_level`
reads one top-level entry (a name and its records) at a time: the layouts writers use (octoDNS's own,
DunOps's) take one regex each, other block YAML as people write it (sequences indented or not,
comments, quoted keys, one-line flow collections, ``---``) a line-based reader, and an entry outside
both PyYAML's C loader, alone, so that one unusual name does not slow down the whole file. A document
that is not one block mapping is read whole by PyYAML (:func:`load_yaml`). The result is always what
PyYAML's safe loader returns; tests hold the paths equal on every layout.

Anchors and aliases are refused (:class:`AnchorRefused`) before PyYAML builds anything: zone files
never need them, and a few hundred bytes of nested aliases expand to gigabytes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

import yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
        data = dict(iter_top_level(text))
    except OutsideFastSubset:
        data = {}
    if data:
        return data
    _refuse_anchors(text)  # an empty document is None, not {}: PyYAML says which
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader


def _refuse_anchors(text: str) -> None:
    if ("&" not in text and "*" not in text) or _MAYBE_ANCHOR.search(text) is None:
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


# A top-level entry starts on a line whose first character is neither a space nor a comment, nor the
# "- " of a sequence or the ": " of a complex key's value (both continue the entry above them).
_ENTRY = re.compile(r"^(?:[^-: \t\r\n#]|[-:][^ \t\r\n])", re.MULTILINE)
_PRELUDE = re.compile(r"(?:[ ]*(?:#[^\n]*)?\n)*(?:---[ ]*\n(?:[ ]*(?:#[^\n]*)?\n)*)?")
_DIRECTIVE_OR_END = re.compile(r"(?:---|\.\.\.)(?:[ \t\r\n]|\Z)|%")
# What the line-based reader knows how to split into lines: no tab, no carriage return, nothing PyYAML
# reads as a line break (NEL, LS, PS), no byte order mark, and nothing PyYAML refuses as unprintable.
_UNUSUAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


class _Shapes:
    """The regexes of one record layout. A record's first line starts with ``first`` ("  " under a
    name, "- " or "  - " as an item of a list of records), its other lines with ``rest``; a list of
    values is indented by ``item`` ("- " or "  - " after ``rest``). Compiled when first used, so that
    a command reading a small file does not compile layouts it never meets."""

    def __init__(self, first: str, rest: str, item: str) -> None:
        self.first, self.rest, self.item_prefix = first, rest, item
        self.width = len(rest + item)
        self.item = self.width - 2
        self.inside = len(rest) + 2

    @functools.cached_property
    def regexes(self) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
        """One value, a list of values, one mapping value, a list of mapping values."""
        first, rest = self.first, self.rest
        head = rf"{first}(?:ttl: ([^\n]+)\n{rest})?type: ([^\n]+)\n"
        end = r"\Z" if first.isspace() else rf"(?={first}|\Z)"  # the entry's end or the next record
        items, under, inside = rest + self.item_prefix, " " * self.width, " " * self.inside
        return (
            re.compile(head + rf"{rest}(values?): ([^\n]+)\n{end}"),
            re.compile(head + rf"{rest}values:\n((?:{items}[^\n]+\n)+){end}"),
            re.compile(head + rf"{rest}value:\n((?:{inside}[^ \n#-][^\n]*\n)+){end}"),
            re.compile(
                head + rf"{rest}values:\n((?:{items}[^ \n#-][^\n]*\n(?:{under}[^ \n#-][^\n]*\n)*)+){end}"
            ),
        )


# One entry that is one record in a layout writers use, read by one regex from its name to the next
# name: "key:", then ttl (optional), type and value or values, each line maybe with a comment after its
# content; a value on one line (a scalar or a one-line flow collection, without "#"), or a list of such
# values, or a mapping of them, or a list of mappings. What the regex takes is then read by the same
# scalar functions as every other path, which refuse (OutsideFastSubset) what they do not know.
_LINE_END = r"(?:[ ]+#[^\n]*|[ ]*)\n"  # trailing spaces, or a comment after at least one space
_ONE_LINE = r"[^\s#](?:[^\n#]*[^\s#])?"  # a value's text: no "#", no space at either end
_MAP_KEY = r"[A-Za-z_][A-Za-z0-9_]*"
_SAFE, _IPV4 = (
    r"[A-Za-z_][A-Za-z0-9_.@/+=-]*",
    r"\d{1,3}(?:\.\d{1,3}){3}",
)  # as _SAFE_STRING: a word, an IPv4 address


def _whole_entry_regex(first: str, rest: str) -> re.Pattern[str]:
    """The regex of a whole entry whose record starts with ``first`` and goes on with ``rest``; a list
    of values or of mappings is indented by "- " or by "  - " after ``rest``."""
    head = rf"{first}(?:ttl: ({_ONE_LINE}){_LINE_END}{rest})?type: ({_ONE_LINE}){_LINE_END}{rest}"
    pair = rf"{_MAP_KEY}: {_ONE_LINE}{_LINE_END}"
    lists, mappings = [], []
    for item in ("- ", "  - "):
        items, under = rest + item, " " * len(rest + item)
        lists.append(rf"(?:{items}{_ONE_LINE}{_LINE_END})+")
        mappings.append(rf"(?:{items}{pair}(?:{under}{pair})*)+")
    return re.compile(
        rf"(?:({_SAFE})|('[^'\n]*'|[A-Za-z0-9_][^\s:#'\"]*)):{_LINE_END}{head}(?:"
        rf"(values?): (?:({_SAFE}|{_IPV4})|({_ONE_LINE})){_LINE_END}"
        rf"|value:{_LINE_END}((?:{rest}  {pair})+)"
        rf"|values:{_LINE_END}(?:({'|'.join(mappings)})|({'|'.join(lists)}))"
        r")(?:[ ]*(?:#[^\n]*)?\n)*(?=[^-: \t\r\n#]|[-:][^ \t\r\n]|\Z)"  # then the next entry
    )


class _WholeEntries:
    """The whole-entry regexes, compiled when first used: a record under its name, a record as the
    only item of a list at the name's indent, or indented under it."""

    @functools.cached_property
    def under_name(self) -> re.Pattern[str]:
        return _whole_entry_regex("  ", "  ")

    @functools.cached_property
    def list_item(self) -> re.Pattern[str]:
        return _whole_entry_regex("- ", "  ")

    @functools.cached_property
    def list_item_indented(self) -> re.Pattern[str]:
        return _whole_entry_regex("  - ", "    ")

    @functools.cached_property
    def item_line(self) -> re.Pattern[str]:
        """One line of a list of values: its value."""
        return re.compile(rf"^ *- ({_ONE_LINE}){_LINE_END[:-2]}$", re.MULTILINE)

    @functools.cached_property
    def pair_line(self) -> re.Pattern[str]:
        """One line of a mapping or a list of mappings: "- " where an item starts, its key and value."""
        return re.compile(rf"^ *(- )?({_MAP_KEY}): ({_ONE_LINE}){_LINE_END[:-2]}$", re.MULTILINE)


_WHOLE = _WholeEntries()


def _whole_entry(text: str, begin: int, scalar: Callable[[str], Any]) -> tuple[Any, Any, int] | None:
    """The entry at ``begin`` read by one whole-entry regex, and where the next entry starts; None when
    no regex takes it or a scalar is outside what the scalar readers know."""
    second = text.find("\n", begin) + 1
    if text.startswith("  - ", second):
        regex, listed = _WHOLE.list_item_indented, True
    elif text.startswith("- ", second):
        regex, listed = _WHOLE.list_item, True
    else:
        regex, listed = _WHOLE.under_name, False
    match = regex.match(text, begin)
    if match is None:
        return None
    safe_key, key_text, ttl, rtype, field, safe, one, mapping, mappings, values = match.groups()
    try:
        key = _scalar(key_text) if safe_key is None else _RESERVED_WORDS.get(safe_key, safe_key)
        if key is None:
            return None
        record = {"type": scalar(rtype)} if ttl is None else {"ttl": scalar(ttl), "type": scalar(rtype)}
        if safe is not None:
            record[field] = _RESERVED_WORDS.get(safe, safe)
        elif field is not None:
            record[field] = _value(one)
        elif mapping is not None:
            record["value"] = _pairs(_WHOLE.pair_line.findall(mapping), scalar)[0]
        elif mappings is not None:
            record["values"] = _pairs(_WHOLE.pair_line.findall(mappings), scalar)
        else:
            record["values"] = [_value(found) for found in _WHOLE.item_line.findall(values)]
    except OutsideFastSubset:
        return None
    return key, [record] if listed else record, match.end()


def _pairs(lines: list[tuple[str, str, str]], scalar: Callable[[str], Any]) -> list[dict[Any, Any]]:
    """Mappings from ``(dash, key, value)`` lines, a new one at each dash."""
    result: list[dict[Any, Any]] = []
    current: dict[Any, Any] = {}
    for dash, key_text, value_text in lines:
        if dash and current:
            result.append(current)
            current = {}
        key = scalar(key_text)
        if key is None:
            raise OutsideFastSubset
        current[key] = _value(value_text)
    result.append(current)
    return result


def _layouts(first: str, rest: str) -> tuple[_Shapes, _Shapes]:
    return _Shapes(first, rest, "- "), _Shapes(first, rest, "  - ")


_UNDER_NAME = _layouts("  ", "  ")
_UNDER_NAME_WIDE = _layouts("    ", "    ")
_LIST_ITEM = _layouts("- ", "  ")
_LIST_ITEM_INDENTED = _layouts("  - ", "    ")


def iter_top_level(text: str) -> Iterator[tuple[Any, Any]]:
    """The (key, value) pairs of a top-level block mapping, one entry at a time, as PyYAML reads them.

    Each top-level entry (a name and its records) is read on its own: the usual record shapes take one
    regex each, other block YAML (sequences at any indent, comments, quoted keys, simple flow
    collections, ``---``) the line-based reader, and an entry outside both PyYAML's C loader, alone.
    Raises :class:`AnchorRefused` before anything for an anchor or an alias, and
    :class:`OutsideFastSubset`, possibly after some pairs, when the document must be read whole (it is
    not one block mapping, or PyYAML refuses an entry). A key may come twice (PyYAML keeps the last).
    """
    for _, key, value in iter_entries(text):
        yield key, value


KNOWN: Any = object()
"""The key :func:`iter_entries` gives an entry it was told it need not read."""

# Octets that never stand for themselves in a plain document: ASCII controls but the line feed
_CONTROLS = bytes([*range(0x0A), *range(0x0B, 0x20), 0x7F])


def iter_entries(
    text: str, known: Mapping[str, Any] | None = None, *, texts: bool = False
) -> Iterator[tuple[str, Any, Any]]:
    """As :func:`iter_top_level`, each pair after the text of its entry (with ``texts``, else ""; ""
    also for entries PyYAML reads together). An entry whose text is a key of ``known`` is not read: it
    comes as ``(text, KNOWN, known[text])``, wherever it would have come."""
    try:
        _refuse_anchors(text)
    except yaml.YAMLError as exc:
        raise OutsideFastSubset from exc
    if not text.endswith("\n"):
        text += "\n"
    prelude = _PRELUDE.match(text)
    assert prelude is not None  # the pattern matches the empty string
    begin, size = prelude.end(), len(text)
    if begin < size and _ENTRY.match(text, begin) is None:
        raise OutsideFastSubset  # content before the first entry: not a block mapping
    plain = text.isascii() and len(text.encode("ascii").translate(None, _CONTROLS)) == size
    memo: dict[str, Any] = {}

    def scalar(source: str) -> Any:
        try:
            return memo[source]
        except KeyError:
            value = memo[source] = _scalar(source)
            return value

    pending: list[str] = []
    while begin < size:
        if known:
            following = _ENTRY.search(text, begin + 1)
            end = size if following is None else following.start()
            entry = text[begin:end]
            hit = known.get(entry)
            if hit is not None:
                if pending:
                    yield from _unnamed(_with_pyyaml(pending))
                    pending = []
                yield entry, KNOWN, hit
                begin = end
                continue
        found = _whole_entry(text, begin, scalar)
        if found is not None and (plain or not _UNUSUAL.search(text, begin, found[2])):
            key, value, end = found
            entry = text[begin:end] if texts else ""
        else:
            following = _ENTRY.search(text, begin + 1)
            end = size if following is None else following.start()
            entry = text[begin:end]
            if _DIRECTIVE_OR_END.match(entry):
                raise OutsideFastSubset  # a second document, a document end or a directive
            try:
                if not plain and _UNUSUAL.search(entry):
                    raise OutsideFastSubset
                key, value = _entry(entry, _without_comments(entry) if "#" in entry else entry, scalar)
            except OutsideFastSubset:
                pending.append(entry)
                begin = end
                continue
        begin = end
        if pending:
            yield from _unnamed(_with_pyyaml(pending))
            pending = []
        yield entry if texts else "", key, value
    if pending:
        yield from _unnamed(_with_pyyaml(pending))


def _unnamed(pairs: Iterable[tuple[Any, Any]]) -> Iterator[tuple[str, Any, Any]]:
    for key, value in pairs:
        yield "", key, value


def _with_pyyaml(entries: list[str]) -> Iterator[tuple[Any, Any]]:
    """Consecutive entries the fast readers do not take, read by PyYAML's C loader in one go."""
    try:
        data = yaml.load("".join(entries), Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError as exc:
        raise OutsideFastSubset from exc
    if not isinstance(data, dict):
        raise OutsideFastSubset
    if len(data) != len(entries):  # a key twice among them: read one at a time, in order
        if len(entries) == 1:
            raise OutsideFastSubset
        for entry in entries:
            yield from _with_pyyaml([entry])
        return
    yield from data.items()


def _entry(entry: str, shaped_entry: str, scalar: Callable[[str], Any]) -> tuple[Any, Any]:
    """One top-level entry ``key:`` and its block: by the record layouts, reading ``shaped_entry``
    (the entry without its comments), or else by the line-based reader."""
    newline = shaped_entry.index("\n")
    first = shaped_entry[:newline]
    key_text = first[:-1]
    if first[-1:] == ":" and key_text and key_text[-1] != " " and first[0] not in '?"':
        if first[0] == "'" and _quote_end(key_text) != len(key_text) - 1:
            raise OutsideFastSubset
        key = _scalar(key_text)
        if key is None:
            raise OutsideFastSubset
        shaped = _shaped(shaped_entry[newline + 1 :], scalar)
        if shaped is not None:
            return key, shaped
    if entry[0] == "?":
        raise OutsideFastSubset  # a complex key, as PyYAML writes the empty name: "? ''"
    value = _LineReader(entry, scalar).parse()
    if not isinstance(value, dict) or len(value) != 1:
        raise OutsideFastSubset
    return next(iter(value.items()))


# Comment and blank lines, and a comment after the content of a line without quotes: removing them
# leaves the data as it was wherever the record shapes then match (they refuse block scalars, quoted
# scalars over several lines and flow collections over several lines, where "#" can be content).
_NOISE_LINE = re.compile(r"^ *(?:#[^\n]*)?\n", re.MULTILINE)
_TRAILING_COMMENT = re.compile(r"^([^'\"#\n]*[^ '\"#\n]) +#[^\n]*$", re.MULTILINE)


def _without_comments(body: str) -> str:
    return _NOISE_LINE.sub("", _TRAILING_COMMENT.sub(r"\1", body))


def _shaped(body: str, scalar: Callable[[str], Any]) -> dict[str, Any] | list[dict[str, Any]] | None:
    """A name's record, or list of records, in a layout writers use (octoDNS's, DunOps's, with lists
    indented or not), or None for the line-based reader."""
    if body.startswith("- "):
        layouts = _LIST_ITEM
    elif body.startswith("  - "):
        layouts = _LIST_ITEM_INDENTED
    elif body.startswith("    "):
        layouts = _UNDER_NAME_WIDE
    else:
        layouts = _UNDER_NAME
    listed = layouts is _LIST_ITEM or layouts is _LIST_ITEM_INDENTED
    records = []
    position = 0
    while position < len(body):
        try:
            found = _record_at(body, position, layouts, scalar)
        except OutsideFastSubset:
            return None
        if found is None:
            return None
        record, position = found
        if not listed:
            return record
        records.append(record)
    return records if listed else None


def _record_at(
    body: str, position: int, layouts: tuple[_Shapes, _Shapes], scalar: Callable[[str], Any]
) -> tuple[dict[str, Any], int] | None:
    for shapes in layouts:
        one_value, many_values, one_mapping, many_mappings = shapes.regexes
        one = one_value.match(body, position)
        if one is not None:
            record = _record(one[1], one[2], scalar)
            record[one[3]] = _value(one[4])
            return record, one.end()
        many = many_values.match(body, position)
        if many is not None:
            record = _record(many[1], many[2], scalar)
            width = shapes.width
            record["values"] = [_value(line[width:]) for line in many[3].split("\n")[:-1]]
            return record, many.end()
        one = one_mapping.match(body, position)
        if one is not None:
            value = _flat_mapping(one[3].split("\n")[:-1], shapes.inside)
            if value is None:
                return None
            record = _record(one[1], one[2], scalar)
            record["value"] = value
            return record, one.end()
        many = many_mappings.match(body, position)
        if many is not None:
            values = []
            item: list[str] = []
            for line in many[3].split("\n")[:-1]:
                if line[shapes.item] == "-" and item:
                    values.append(_flat_mapping(item, shapes.width))
                    item = []
                item.append(line)
            values.append(_flat_mapping(item, shapes.width))
            if None in values:
                return None
            record = _record(many[1], many[2], scalar)
            record["values"] = values
            return record, many.end()
    return None


def _record(ttl: str | None, rtype: str, scalar: Callable[[str], Any]) -> dict[str, Any]:
    if ttl is None:
        return {"type": scalar(rtype)}
    return {"ttl": scalar(ttl), "type": scalar(rtype)}


def _flat_mapping(lines: list[str], width: int) -> dict[Any, Any] | None:
    """``key: scalar`` lines after ``width`` characters of indent (the first may hold ``- ``)."""
    result: dict[Any, Any] = {}
    for line in lines:
        content = line[width:].rstrip(" ")
        key_text, value_text = _split_key(content)
        if not value_text:
            return None
        key = _scalar(key_text) if key_text else None
        if key is None:
            raise OutsideFastSubset
        result[key] = _value(value_text)
    return result


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


# A line with content: its indent and its content without trailing spaces (blank and comment lines
# do not match).
_CONTENT_LINE = re.compile(r"^( *)([^ \n#][^\n]*?) *$", re.MULTILINE)


class _LineReader:
    """Block mappings and sequences (indented or not) of scalars and simple flow collections, with
    comments: one top-level entry, line by line. Raises OutsideFastSubset for anything else."""

    def __init__(self, text: str, scalar: Callable[[str], Any]) -> None:
        self.lines = [(len(indent), content) for indent, content in _CONTENT_LINE.findall(text)]
        self.index = 0
        self.key = scalar

    def parse(self) -> Any:
        if not self.lines or self.lines[0][0] != 0:
            raise OutsideFastSubset
        value = self.mapping(0)
        if self.index != len(self.lines):
            raise OutsideFastSubset
        return value

    def node(self, indent: int) -> Any:
        if _is_item(self.lines[self.index][1]):
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        lines = self.lines
        count = len(lines)
        while self.index < count:
            line_indent, content = lines[self.index]
            if line_indent != indent or not (content == "-" or content[:2] == "- "):
                break
            rest = content[2:].lstrip(" ")
            if not rest or rest[0] == "#":
                self.index += 1
                items.append(self.nested(indent, in_sequence=True))
            elif _is_mapping_line(rest):
                lines[self.index] = (indent + len(content) - len(rest), rest)
                items.append(self.mapping(lines[self.index][0]))
            else:
                items.append(_value(rest))
                self.index += 1
        return items

    def nested(self, indent: int, *, in_sequence: bool) -> Any:
        if self.index >= len(self.lines):
            return None
        next_indent, content = self.lines[self.index]
        if next_indent > indent:
            return self.node(next_indent)
        if not in_sequence and next_indent == indent and _is_item(content):
            return self.sequence(indent)
        return None

    def mapping(self, indent: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        lines = self.lines
        count = len(lines)
        key_of = self.key
        while self.index < count:
            line_indent, content = lines[self.index]
            if line_indent != indent:
                if line_indent > indent:
                    raise OutsideFastSubset
                break
            colon = content.find(": ")
            if colon > 0 and content[0] not in "-'\"?":
                key_text, value_text = content[:colon], content[colon + 2 :].lstrip(" ")
            elif content == "-" or content[:2] == "- ":
                raise OutsideFastSubset  # a sequence entry where a key belongs
            else:
                key_text, value_text = _split_key(content)
            key = key_of(key_text) if key_text else None
            if key is None:
                raise OutsideFastSubset
            self.index += 1
            if value_text and value_text[0] != "#":
                result[key] = _value(value_text)
            else:
                result[key] = self.nested(indent, in_sequence=False)
        return result


def _value(text: str) -> Any:
    """A scalar or a one-line flow collection of plain scalars, with any comment after it removed."""
    first = text[0]
    if first not in _VALUE_MARKS and " #" not in text:
        return _scalar(text)
    if first == "'" or first == '"':
        end = _quote_end(text)
        rest = text[end + 1 :].lstrip(" ")
        if rest and rest[0] != "#":
            raise OutsideFastSubset
        return _scalar(text[: end + 1])
    comment = text.find(" #")
    if comment != -1:
        text = text[:comment].rstrip(" ")
    if first == "[" or first == "{":
        return _flow(text)
    return _scalar(text)


_VALUE_MARKS = frozenset("'\"[{")


def _quote_end(text: str) -> int:
    quote = text[0]
    end = 1
    while True:
        end = text.find(quote, end)
        if end == -1:
            raise OutsideFastSubset  # a quoted scalar over several lines
        if quote == "'" and text[end + 1 : end + 2] == "'":
            end += 2
            continue
        return end


def _flow(text: str) -> Any:
    """``[a, b]`` or ``{k: v, k2: v2}`` of plain scalars on one line."""
    closing = "]" if text[0] == "[" else "}"
    inner = text[1:-1]
    if text[-1] != closing or any(mark in inner for mark in "[]{}'\"#"):
        raise OutsideFastSubset
    if not inner.strip(" "):
        return [] if closing == "]" else {}
    parts = [part.strip(" ") for part in inner.split(",")]
    if "" in parts:
        raise OutsideFastSubset
    if closing == "]":
        return [_scalar(part) for part in parts]
    result: dict[Any, Any] = {}
    for part in parts:
        key_text, value_text = _split_key(part)
        key = _scalar(key_text) if key_text else None
        if key is None or not value_text:
            raise OutsideFastSubset
        result[key] = _scalar(value_text)
    return result


def _is_mapping_line(content: str) -> bool:
    if content[0] in "'\"":
        rest = content[_quote_end(content) + 1 :]
        return rest == ":" or rest.startswith(": ")
    return ": " in content or content.endswith(":")


def _split_key(content: str) -> tuple[str, str]:
    """A ``key: value`` line's key (quotes kept) and the value text after it ("" for none)."""
    first = content[0]
    if first == "'" or first == '"':
        end = _quote_end(content)
        key, rest = content[: end + 1], content[end + 1 :]
        if rest == ":":
            return key, ""
        if rest.startswith(": "):
            return key, rest[2:].lstrip(" ")
        raise OutsideFastSubset
    if first == "?" and content[1:2] in ("", " "):
        raise OutsideFastSubset  # a complex key
    position = content.find(": ")
    if position == -1:
        if content.endswith(":"):
            return content[:-1], ""
        raise OutsideFastSubset
    return content[:position], content[position + 2 :].lstrip(" ")
