"""BIND zone files (RFC 1035 master files): reader and writer.

The reader understands ``$ORIGIN``, ``$TTL``, ``$GENERATE``, parentheses, comments, quoted strings,
escapes, relative names, ``@``, omitted owner/TTL/class and TTL units (``1h30m``). ``$INCLUDE`` is
refused unless an allowed directory is given, and then only files inside it are read. Every error
names ``file:line:column`` and what was expected; all errors are collected and raised at once.

A short file must not make the reader build more than a zone may hold: one ``$GENERATE`` line makes at
most :data:`MAX_GENERATE_RECORDS` records of at most :data:`MAX_GENERATED_CHARS` characters, and the
file at most ``max_rrsets`` RRsets and as many generated records; a line that would pass a bound is
refused before anything is generated, and reading stops at the first RRset past ``max_rrsets``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from dunops.dns.bulk import collector_paused
from dunops.dns.formats.limits import MAX_ZONE_RRSETS, too_many_rrsets
from dunops.dns.names import MAX_NAME_OCTETS, PLAIN_RELATIVE_NAME, InvalidName, absolute_name, relative_name
from dunops.dns.rdata import (
    CANONICAL_FAST_PATHS,
    MAX_STRING_OCTETS,
    SIGNER_TYPES,
    TEXT_TYPES,
    InvalidValue,
    canonical_value,
    character_strings,
    record_type,
    zone_file_type,
)
from dunops.dns.rrset import MAX_TTL, RRset, parse_ttl
from dunops.dns.validation import Level, validate
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import Problem, ZoneInvalid

_CLASSES = {"IN", "CH", "HS", "CS"}
_TTL_LIKE = re.compile(r"\d[\dsmhdwSMHDW]*\Z")
_SPECIAL = frozenset('"()\\')
_Token = tuple[str, int]

MAX_GENERATE_RECORDS = 65_536
"""Records one ``$GENERATE`` line may make: a whole /16 of reverse names, or 16 bits of anything else."""
MAX_GENERATED_CHARS = 2_048
"""The longest template of a ``$GENERATE`` line, and the longest record it makes (as BIND's buffer for
a generated owner name)."""
_MAX_GENERATE_NUMBER = 2**31 - 1  # as BIND: every number a $GENERATE line counts or writes fits an int
_MAX_GENERATE_WIDTH = 127  # as BIND, whose buffer for one substitution holds 127 characters

# One physical line holding one record in its usual shape, ``[owner] [ttl] [IN] TYPE rdata [; comment]``,
# with plain words and simple quoted strings and one space between rdata words (an owner never starts
# with ``$``, which marks a directive). For such a line the rdata group is exactly the words joined by
# spaces, as the general tokenizer would give them, so :meth:`_Reader.fast_record` can skip
# tokenizing; any other line (and any line the fast path cannot finish) takes the general path, which
# reports errors with their columns. An owner of plain labels comes in a group of its own: it is
# made absolute by adding the origin.
_WORD = r'[^\s;"()\\]+'
_FAST_RECORD = re.compile(
    rf"(?:({PLAIN_RELATIVE_NAME})(?=[ \t])|(?!\$)({_WORD})|)"
    rf"[ \t]+(?:(\d+)[ \t]+)?(?:IN[ \t]+)?([A-Z0-9]+)[ \t]+"
    rf'((?:"[^"\\\n]*"|{_WORD})(?: (?:"[^"\\\n]*"|{_WORD}))*)[ \t]*(?:;.*)?\Z'
)


_UNKNOWN_ORIGIN = "origin-unknown.invalid."
"""What relative names in record data are read against while the file has set no origin: a name that
ends so was relative, and is refused (the root is never guessed)."""
_NO_ORIGIN = "relative name {} with no origin: give --origin or add $ORIGIN"


class _ZoneTooLarge(Exception):
    """The file makes more than the caller allows: reading stops at ``where``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


class _Reader:
    def __init__(self, origin: str | None, include_dir: Path | None, max_rrsets: int) -> None:
        self.origin = origin
        self.zone_origin = origin
        self.include_dir = include_dir
        self.default_ttl: int | None = None
        self.last_ttl: int | None = None
        self.last_owner: str | None = None
        self.records: dict[RRsetKey, tuple[str, int, str, list[str]]] = {}
        """Each RRset's owner as written, TTL and place (``file:line:column``) from its first record,
        and its values in the order read."""
        self.types: dict[str, tuple[str, Callable[[str, str], str | None] | None]] = {}
        """Per type as written, its name and the fast path of its values (see fast_record)."""
        self.owner_memo: tuple[str | None, str | None, str, str] = (None, None, "", "")
        """The last owner text read by the fast path, the origin it was read against, the absolute
        name and its key: records of one RRset come one after another."""
        self.soas: list[tuple[RRset, str]] = []
        self.problems: list[Problem] = []
        self.including: list[Path] = []
        self.max_rrsets = max_rrsets
        self.generated = 0
        self.left_out: dict[str, int] = {}

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(message, where, "bind-syntax"))

    def read(self, text: str, filename: str) -> None:
        self.expect_generated(text, filename)
        for lineno, blank_owner, tokens in _logical_lines(text, filename, self.problems, self.fast_record):
            where = f"{filename}:{lineno}:{tokens[0][1] + 1}"
            try:
                if tokens[0][0].startswith("$") and not blank_owner:
                    self.directive(tokens, filename, lineno)
                else:
                    self.record(tokens, blank_owner, filename, lineno)
            except (InvalidName, InvalidValue, ValueError) as exc:
                self.fail(where, str(exc))

    def expect_generated(self, text: str, filename: str) -> None:
        """Refuse a text whose ``$GENERATE`` lines would make more than ``max_rrsets`` records in all
        before a line of it is read (:meth:`generate` counts again, exactly, line by line)."""
        total = self.generated
        for match in _GENERATE_RANGE.finditer(text):
            if match.start() and text[match.start() - 1] != "\n":
                continue
            try:
                total += len(_generate_range(match[1]))
            except ValueError:
                continue  # refused on its own when the line is read
            if total > self.max_rrsets:
                lineno = text.count("\n", 0, match.start()) + 1
                raise _ZoneTooLarge(f"{filename}:{lineno}", _too_many_generated(self.max_rrsets))

    def directive(self, tokens: list[_Token], filename: str, lineno: int) -> None:
        word = tokens[0][0].upper()
        args = [t for t, _ in tokens[1:]]
        where = f"{filename}:{lineno}:{tokens[0][1] + 1}"
        if word == "$ORIGIN":
            if len(args) != 1:
                raise ValueError("expected one name after $ORIGIN")
            self.origin = absolute_name(args[0], self.origin or ".")
            if self.zone_origin is None:
                self.zone_origin = self.origin
        elif word == "$TTL":
            if len(args) != 1:
                raise ValueError("expected one TTL after $TTL")
            self.default_ttl = parse_ttl(args[0])
        elif word == "$INCLUDE":
            self.include(args, where)
        elif word == "$GENERATE":
            self.generate(tokens[1:], filename, lineno)
        else:
            raise ValueError(
                f"unknown directive {tokens[0][0]}: expected $ORIGIN, $TTL, $INCLUDE or $GENERATE"
            )

    def include(self, args: list[str], where: str) -> None:
        if self.include_dir is None:
            raise ValueError("$INCLUDE is refused: no include directory was allowed (give --include-dir DIR)")
        if not args or len(args) > 2:
            raise ValueError("expected a file name and an optional origin after $INCLUDE")
        args = [_unquoted(arg) for arg in args]
        base = self.include_dir.resolve()
        path = (base / args[0]).resolve()
        if not path.is_relative_to(base):
            raise ValueError(f"$INCLUDE {args[0]} is outside the allowed directory {self.include_dir}")
        if path in self.including:
            raise ValueError(f"$INCLUDE {args[0]} includes itself")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ValueError(f"cannot read $INCLUDE file {args[0]}: {reason}") from exc
        saved = (self.origin, self.last_owner)
        if len(args) == 2:
            self.origin = absolute_name(args[1], self.origin or ".")
        self.including.append(path)
        try:
            self.read(text, str(self.include_dir / args[0]))
        finally:
            self.including.pop()
            self.origin, self.last_owner = saved

    def generate(self, tokens: list[_Token], filename: str, lineno: int) -> None:
        """``$GENERATE range lhs [ttl] [class] type rhs``, as BIND reads it: the rhs is one word (quote
        it when the data has spaces: the quotes go, and the words inside are the data)."""
        if len(tokens) < 4:
            raise ValueError("expected $GENERATE range lhs [ttl] [class] type rhs")
        numbers = _generate_range(tokens[0][0])
        template = tokens[1:]
        _check_generate_shape(template)
        rhs, rhs_column = template[-1]
        if len(rhs) >= 2 and rhs[0] == '"' and rhs[-1] == '"':
            # as BIND's lexer: the quotes go and an escaped quote loses its backslash; other escapes stay
            template[-1] = (
                re.sub(r'\\(["\\])', lambda m: m[0] if m[1] == "\\" else '"', rhs[1:-1]),
                rhs_column,
            )
        if len(" ".join(text for text, _ in template)) > MAX_GENERATED_CHARS:
            raise ValueError(f"a $GENERATE template may be at most {MAX_GENERATED_CHARS:,} characters")
        self.generated += len(numbers)
        if self.generated > self.max_rrsets:
            raise _ZoneTooLarge(f"{filename}:{lineno}", _too_many_generated(self.max_rrsets))
        shift = template[0][1]
        for number in numbers:
            line = " ".join(_expand(text, number) if "$" in text else text for text, _ in template)
            if len(line) > MAX_GENERATED_CHARS:
                raise ValueError(f"$GENERATE makes a record longer than {MAX_GENERATED_CHARS:,} characters")
            fast = _FAST_RECORD.match(line)
            if fast is None or not self.fast_record(fast, filename, lineno, shift + 1):
                expanded: list[_Token] = []
                try:
                    _scan(line, 0, expanded)
                except ValueError as exc:
                    raise ValueError(str(exc).split("\0", 1)[-1]) from None
                self.record([(text, column + shift) for text, column in expanded], False, filename, lineno)

    def fast_record(self, match: re.Match[str], filename: str, lineno: int, column: int = 0) -> bool:
        """Read a line matched by ``_FAST_RECORD``; False (with nothing changed) to use the general path."""
        plain_owner, owner_text, ttl_text, written_type, rdata = match.groups()
        known = self.types.get(written_type)
        if known is None:
            rtype = record_type(written_type)
            if rtype is None:
                return False
            known = self.types[written_type] = (rtype, CANONICAL_FAST_PATHS.get(rtype))
        rtype, fast = known
        origin = self.origin
        memo = self.owner_memo
        try:
            if plain_owner is not None:
                if plain_owner == memo[0] and origin == memo[1]:
                    owner, name = memo[2], memo[3]
                elif origin is None:
                    return False
                else:  # as absolute_name()
                    owner = f"{plain_owner}.{origin}" if origin != "." else f"{plain_owner}."
                    if len(owner) > MAX_NAME_OCTETS - 1:
                        return False
                    name = owner.lower()
                    if name == owner:
                        name = owner  # as _key_name()
                    self.owner_memo = (plain_owner, origin, owner, name)
            elif owner_text is None:
                last_owner = self.last_owner
                if last_owner is None:
                    return False
                owner = last_owner
                name = memo[3] if owner is memo[2] else _key_name(owner)
            elif owner_text == memo[0] and origin == memo[1]:
                owner, name = memo[2], memo[3]
            elif origin is None and not owner_text.endswith("."):
                return False
            else:
                owner = absolute_name(owner_text, origin or ".")
                name = owner.lower()
                if name == owner:
                    name = owner  # as _key_name()
                self.owner_memo = (owner_text, origin, owner, name)
            if ttl_text is None:
                ttl = self.default_ttl if self.default_ttl is not None else self.last_ttl
                if ttl is None:
                    return False
            else:
                ttl = int(ttl_text)
                if ttl > MAX_TTL:
                    return False
            # the rdata neither starts with a blank nor holds a backslash: no RFC 3597 generic data
            value = fast(rdata, origin or _UNKNOWN_ORIGIN) if fast is not None else None
            if value is None:
                if rtype in TEXT_TYPES:
                    _refuse_long_strings(rtype, rdata)  # the general path says where
                value = canonical_value(rtype, rdata, origin or _UNKNOWN_ORIGIN)
        except ValueError:
            return False
        if origin is None and _UNKNOWN_ORIGIN in value:
            return False
        key = (name, rtype)
        entry = self.records.get(key)
        if entry is None:
            if len(self.records) >= self.max_rrsets:
                return False
            if not column:  # an owner starts the line; else the line starts with blanks
                line = match.string
                blank = plain_owner is None and owner_text is None
                column = len(line) - len(line.lstrip(" \t")) + 1 if blank else 1
            self.records[key] = (owner, ttl, f"{filename}:{lineno}:{column}", [value])
        else:
            entry[3].append(value)
        self.last_owner = owner
        if ttl_text is not None:
            self.last_ttl = ttl
        return True

    def record(self, tokens: list[_Token], blank_owner: bool, filename: str, lineno: int) -> None:
        index = 0
        if blank_owner:
            if self.last_owner is None:
                raise ValueError("a record with no owner name before any owner was given")
            owner = self.last_owner
        else:
            if self.origin is None and not tokens[0][0].endswith("."):
                raise ValueError(_NO_ORIGIN.format(repr(tokens[0][0])))
            owner = absolute_name(tokens[0][0], self.origin or ".")
            self.last_owner = owner
            index = 1
        ttl: int | None = None
        size = len(tokens)
        for _ in range(2):
            if index >= size:
                break
            word = tokens[index][0]
            if word.upper() in _CLASSES:
                if word.upper() != "IN":
                    raise ValueError(f"class {word} is not supported: expected IN")
                index += 1
            elif _TTL_LIKE.match(word):
                ttl = parse_ttl(word)
                index += 1
        if index >= size:
            column = tokens[-1][1] + len(tokens[-1][0]) + 1
            raise _positioned(filename, lineno, column, "expected a record type")
        rtype = zone_file_type(tokens[index][0].upper())
        if rtype is None:
            raise _positioned(
                filename,
                lineno,
                tokens[index][1] + 1,
                f"expected a record type, found {tokens[index][0]!r} (a type's mnemonic such as A or "
                "HINFO, or TYPEnnn with data in RFC 3597 generic syntax)",
            )
        if index + 1 >= size:
            raise _positioned(filename, lineno, tokens[index][1] + len(rtype) + 1, f"expected {rtype} data")
        if ttl is None:
            ttl = self.default_ttl if self.default_ttl is not None else self.last_ttl
            if ttl is None and rtype != "SOA":
                raise _positioned(filename, lineno, tokens[0][1] + 1, "no TTL given and no $TTL before it")
        else:
            self.last_ttl = ttl
        rdata = " ".join(text for text, _ in tokens[index + 1 :])
        origin = self.origin or _UNKNOWN_ORIGIN
        try:
            if rtype in TEXT_TYPES and rdata[:2] != "\\#":
                _refuse_long_strings(rtype, rdata)
            value = canonical_value(rtype, rdata, origin)
        except InvalidValue as exc:
            raise _positioned(filename, lineno, tokens[index + 1][1] + 1, str(exc)) from exc
        if self.origin is None and _UNKNOWN_ORIGIN in value:
            raise _positioned(
                filename, lineno, tokens[index + 1][1] + 1, _NO_ORIGIN.format(f"in {rtype} data {rdata!r}")
            )
        if ttl is None:  # an SOA with no TTL known yet: its MINIMUM is the default TTL, as in BIND
            ttl = min(int(value.rsplit(None, 1)[-1]), MAX_TTL)
            self.default_ttl = ttl
        column = tokens[0][1] + 1
        if rtype == "SOA":
            self.soas.append((RRset(owner, "SOA", ttl, [value]), f"{filename}:{lineno}:{column}"))
            return
        if rtype in SIGNER_TYPES:
            self.left_out[rtype] = self.left_out.get(rtype, 0) + 1
            return
        key = (_key_name(owner), rtype)
        entry = self.records.get(key)
        if entry is None:
            if len(self.records) >= self.max_rrsets:
                raise _ZoneTooLarge(f"{filename}:{lineno}", too_many_rrsets(self.max_rrsets))
            self.records[key] = (owner, ttl, f"{filename}:{lineno}:{column}", [value])
        else:
            entry[3].append(value)


def _key_name(owner: str) -> str:
    """The name part of an RRset's key: ``owner`` itself when it is lower-case already, as
    :class:`RRset` keeps it, so that the zone and the positions share one key."""
    lowered = owner.lower()
    return owner if lowered == owner else lowered


def _check_generate_shape(template: list[_Token]) -> None:
    """``lhs [ttl] [class] type rhs``: after the type, exactly one word, as BIND reads ``$GENERATE``."""
    index = 1
    for _ in range(2):
        if index < len(template) and (
            template[index][0].upper() in _CLASSES or _TTL_LIKE.match(template[index][0])
        ):
            index += 1
    if len(template) != index + 2:
        raise ValueError(
            "expected $GENERATE range lhs [ttl] [class] type rhs with the rhs one word: "
            'quote data that has spaces, as in "10 mail$"'
        )


def _refuse_long_strings(rtype: str, rdata: str) -> None:
    """In a zone file a character-string holds at most 255 octets: a longer one is refused, as BIND
    does (only values given outside zone files are split)."""
    for string in character_strings(rdata):
        if len(string) > MAX_STRING_OCTETS:
            raise InvalidValue(
                f"a {rtype} character-string of {len(string)} octets is over the limit of "
                f"{MAX_STRING_OCTETS} (RFC 1035 3.3): split it into several quoted strings"
            )


def _unquoted(text: str) -> str:
    """A directive argument without its quotes, escapes read (``"my zone.db"`` -> ``my zone.db``)."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    return re.sub(r"\\(.)", r"\1", text)


class _PositionedError(ValueError):
    pass


def _positioned(filename: str, lineno: int, column: int, message: str) -> _PositionedError:
    return _PositionedError(f"\0{filename}:{lineno}:{column}\0{message}")


# A $GENERATE directive and its range; only one at the start of a line is one (the pattern starts with
# "$" rather than a line start so that the search is fast).
_GENERATE_RANGE = re.compile(r"\$(?i:GENERATE)[ \t]+(\S+)")


def _too_many_generated(limit: int) -> str:
    return f"$GENERATE lines would make more than {limit:,} records; a zone may hold at most {limit:,} RRsets"


def _generate_range(text: str) -> range:
    """The numbers of a ``$GENERATE`` range, ``start-stop`` or ``start-stop/step``."""
    match = re.fullmatch(r"(\d{1,10})-(\d{1,10})(?:/(\d{1,10}))?", text)
    if match is None:
        raise ValueError(f"expected a range like 1-100 or 1-100/2, found {text!r}")
    start, stop, step = int(match[1]), int(match[2]), int(match[3] or 1)
    if stop < start or step < 1 or stop > _MAX_GENERATE_NUMBER:
        raise ValueError(
            f"invalid $GENERATE range {text}: expected start-stop or start-stop/step "
            f"with 0 <= start <= stop <= {_MAX_GENERATE_NUMBER} and a step of 1 or more"
        )
    numbers = range(start, stop + 1, step)
    if len(numbers) > MAX_GENERATE_RECORDS:
        raise ValueError(
            f"$GENERATE {text} would make {len(numbers):,} records; "
            f"one line may make at most {MAX_GENERATE_RECORDS:,}"
        )
    return numbers


_MODIFIER = re.compile(r"\{[ \t]*([-+]?\d+)(?:(,)(\d+)(?:(,)([doxXnN]))?)?\}")


def _expand(text: str, number: int) -> str:
    """One ``$GENERATE`` template with ``number`` put in, as BIND's ``genname()``: ``$`` is the number,
    ``${offset[,width[,base]]}`` the number plus offset, zero-padded to width, in base d, o, x, X or
    nibbles (n, N); ``$$`` is a literal ``$`` and a backslash keeps the character after it (``\\$`` stays
    an escaped ``$`` for the name or text that reads it)."""
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == "\\":
            out.append(text[i : i + 2])
            i += 2
            continue
        if char != "$":
            out.append(char)
            i += 1
            continue
        i += 1
        if text[i : i + 1] == "$":
            out.append("$")
            i += 1
            continue
        offset, width, base = 0, 0, "d"
        if text[i : i + 1] == "{":
            match = _MODIFIER.match(text, i)
            if match is None or (match[2] and not match[3]):
                raise ValueError(
                    f"invalid $GENERATE modifier in {text!r}: expected ${{offset}}, ${{offset,width}} "
                    "or ${offset,width,base} with base d, o, x, X, n or N"
                )
            offset = int(match[1])
            width = int(match[3] or 0)
            base = match[5] or "d"
            i = match.end()
        if width > _MAX_GENERATE_WIDTH:
            raise ValueError(f"$GENERATE width {width} is over {_MAX_GENERATE_WIDTH}")
        value = number + offset
        if value > _MAX_GENERATE_NUMBER:
            raise ValueError(f"$GENERATE value {value} is over {_MAX_GENERATE_NUMBER}")
        if base != "d":
            value &= 0xFFFFFFFF  # as BIND, which writes a negative value unsigned in bases o, x and n
        if base in ("n", "N"):
            out.append(_nibbles(value, width, base == "N"))
        else:
            out.append(format(value, f"0{width}{base}"))
    return "".join(out)


def _nibbles(value: int, width: int, upper: bool) -> str:
    """BIND's nibble form (lib/dns/master.c ``nibbles()``): the width counts output characters, dots
    included, so ``${0,3,n}`` of 1 is ``1.0``."""
    digits = "0123456789ABCDEF" if upper else "0123456789abcdef"
    out: list[str] = []
    while True:
        out.append(digits[value & 0x0F])
        value >>= 4
        width = max(width - 1, 0)
        if width > 0 or value != 0:
            out.append(".")
            width = max(width - 1, 0)
        if value == 0 and width == 0:
            return "".join(out)


def _logical_lines(
    text: str,
    filename: str,
    problems: list[Problem],
    fast_record: Callable[[re.Match[str], str, int], bool],
) -> Iterator[tuple[int, bool, list[_Token]]]:
    """Per record: (line number, owner omitted, tokens with 0-based columns), parentheses joined. A
    line in the usual record shape is first given to ``fast_record`` as its ``_FAST_RECORD`` match,
    and comes out only when that returns False."""
    depth = 0
    pending: list[_Token] = []
    start_line, start_blank = 0, False
    match_fast = _FAST_RECORD.match
    returns = "\r" in text
    # Only "\n" ends a line (with an optional "\r" before it): str.splitlines() would also break at
    # form feeds, U+0085, U+2028 and others, which may sit inside comments and quoted strings.
    for lineno, raw_line in enumerate(text.split("\n"), 1):
        line = raw_line[:-1] if returns and raw_line.endswith("\r") else raw_line
        if depth == 0:
            fast = match_fast(line)
            if fast is not None:
                if not fast_record(fast, filename, lineno):
                    tokens: list[_Token] = []
                    _scan(line, 0, tokens)
                    yield lineno, line[0] in " \t", tokens
                continue
            if not _SPECIAL.intersection(line):
                body = line.split(";", 1)[0] if ";" in line else line
                words = body.split()
                if words:
                    yield lineno, body[0] in " \t", _columns(body, words)
                continue
        if depth == 0:
            start_line, start_blank, pending = lineno, line[:1] in (" ", "\t"), []
        try:
            depth = _scan(line, depth, pending)
        except ValueError as exc:
            column, message = str(exc).split("\0", 1)
            problems.append(Problem(message, f"{filename}:{lineno}:{column}", "bind-syntax"))
            depth, pending = 0, []
            continue
        if depth == 0 and pending:
            yield start_line, start_blank, pending
    if depth:
        problems.append(
            Problem("expected ')' before the end of the file", f"{filename}:{start_line}:1", "bind-syntax")
        )


def _columns(body: str, words: list[str]) -> list[_Token]:
    tokens = []
    position = 0
    for word in words:
        position = body.index(word, position)
        tokens.append((word, position))
        position += len(word)
    return tokens


def _scan(line: str, depth: int, tokens: list[_Token]) -> int:
    """Append the tokens of one physical line; returns the parenthesis depth after it."""
    i, size = 0, len(line)
    while i < size:
        char = line[i]
        if char in " \t":
            i += 1
        elif char == ";":
            break
        elif char == "(":
            depth += 1
            i += 1
        elif char == ")":
            if depth == 0:
                raise ValueError(f"{i + 1}\0unexpected ')' with no '(' open")
            depth -= 1
            i += 1
        elif char == '"':
            end = i + 1
            while end < size and line[end] != '"':
                end += 2 if line[end] == "\\" else 1
            if end >= size:
                raise ValueError(f"{i + 1}\0expected a closing '\"' on the same line")
            tokens.append((line[i : end + 1], i))
            i = end + 1
        else:
            end = i
            while end < size and line[end] not in " \t;()":
                if line[end] == '"':  # key="value" as in SVCB parameters
                    close = end + 1
                    while close < size and line[close] != '"':
                        close += 2 if line[close] == "\\" else 1
                    end = close + 1
                    continue
                end += 2 if line[end] == "\\" else 1
            tokens.append((line[i:end], i))
            i = end
    return depth


@collector_paused()
def read_bind(
    text: str,
    origin: str | None = None,
    *,
    filename: str = "<zone>",
    include_dir: str | Path | None = None,
    positions: dict[RRsetKey, str] | None = None,
    max_rrsets: int = MAX_ZONE_RRSETS,
    notes: list[str] | None = None,
) -> Zone:
    """Read a zone file; raises ZoneInvalid with every problem as ``file:line:column``.

    Reading stops at the line that would make the zone hold more than ``max_rrsets`` RRsets. The
    records a DNSSEC signer makes (:data:`SIGNER_TYPES`) are checked, then left out; ``notes`` gets
    one line saying how many of each were."""
    start = absolute_name(origin, ".") if origin else None
    reader = _Reader(start, Path(include_dir) if include_dir is not None else None, max_rrsets)
    try:
        reader.read(text, filename)
    except _ZoneTooLarge as exc:
        reader.problems.append(Problem(str(exc), exc.where, "zone-too-large"))
    problems = [_unpack(problem) for problem in reader.problems]
    zone_origin, soa = _apex(reader, start is not None, filename, problems)
    if zone_origin is None:
        raise ZoneInvalid.collect(problems, f"{filename}: {len(problems)} problem(s) reading the zone file")
    if reader.left_out and notes is not None:
        counts = ", ".join(f"{count} {rtype}" for rtype, count in sorted(reader.left_out.items()))
        notes.append(
            f"{filename}: left out {counts} record(s): a DNSSEC signer makes them from the rest of the zone"
        )
    zone = Zone(zone_origin, soa=soa)
    rrsets = zone.rrsets
    records = reader.records
    where: dict[RRsetKey, str] = positions if positions is not None else {}
    keep_positions = positions is not None or bool(problems)
    for key in list(records):
        owner, ttl, place, values = records.pop(key)  # each record is freed as its RRset is made
        rtype = key[1]
        rrset = RRset(owner, rtype, ttl, values)
        # the RRset's own key string, not a lower-cased copy
        rrsets[key if key[0] is rrset.key else (rrset.key, rtype)] = rrset
        if keep_positions:
            where[key] = place
    if problems:
        # every problem at once: what the zone's rules say of the records that were read, too
        problems.extend(
            finding.to_problem()
            for finding in validate(zone, positions=where)
            if finding.level is Level.ERROR
        )
        raise ZoneInvalid.collect(problems, f"{filename}: {len(problems)} problem(s) reading the zone file")
    return zone


def _apex(
    reader: _Reader, origin_given: bool, filename: str, problems: list[Problem]
) -> tuple[str | None, RRset | None]:
    """The zone's name and its SOA: the name given, else where the SOA is, else the first ``$ORIGIN``
    other than the root. An SOA anywhere but at the apex, and a second SOA, are problems naming both
    places; with no way to tell the name, a ``no-origin`` problem (never the root by default)."""
    soas = reader.soas
    origin = reader.zone_origin if origin_given else None
    if origin is None and soas:
        origin = soas[0][0].key
    if origin is None and not origin_given and reader.zone_origin not in (None, "."):
        origin = reader.zone_origin
    if origin is None:
        if not problems:
            problems.append(
                Problem(
                    "cannot tell which zone this is: it has no SOA and no $ORIGIN naming the zone; "
                    "give --origin",
                    filename,
                    "no-origin",
                )
            )
        return None, None
    origin = origin.lower()
    apex = [(rrset, where) for rrset, where in soas if rrset.key == origin]
    for rrset, where in soas:
        if rrset.key != origin:
            first = f"; the apex SOA is at {apex[0][1]}" if apex else ""
            problems.append(
                Problem(
                    f"an SOA at {rrset.name}, which is not the zone apex {origin}: a zone has one SOA, "
                    f"at its apex{first}",
                    f"{where}: {rrset.name} SOA",
                    "soa-not-at-apex",
                )
            )
    for rrset, where in apex[1:]:
        problems.append(
            Problem(
                f"a second SOA at {rrset.name}: a zone has exactly one (the first is at {apex[0][1]})",
                f"{where}: {rrset.name} SOA",
                "soa-twice",
            )
        )
    return origin, apex[0][0] if apex else None


def _unpack(problem: Problem) -> Problem:
    if problem.message.startswith("\0"):
        _, where, message = problem.message.split("\0", 2)
        return Problem(message, where, problem.code)
    return problem


def write_bind(zone: Zone) -> str:
    """The zone as a zone file: ``$ORIGIN``, the SOA first, then every RRset in canonical order."""
    lines = [f"$ORIGIN {zone.origin}"]
    if zone.soa is not None:
        lines.append(f"@ {zone.soa.ttl} IN SOA {zone.soa.values[0]}")
    origin = zone.origin
    for rrset in zone.sorted():
        owner = relative_name(rrset.name, origin) or "@"
        prefix = f"{owner} {rrset.ttl} IN {rrset.rtype} "
        lines.extend(prefix + value for value in rrset.values)
    return "\n".join(lines) + "\n"
