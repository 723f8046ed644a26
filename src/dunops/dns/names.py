"""Domain names: absolute/relative conversion, case, IDNA 2008 and RFC 1035 escapes.

A name is kept as its absolute presentation text with a trailing dot, in the case it was written
(``Www.Example.com.``). Comparison and keys use :func:`name_key`, the lower-case form. Unicode input
is converted to punycode (IDNA 2008 through the ``idna`` package) and shown back by
:func:`display_name`. Escapes (``\\.``, ``\\DDD``) are kept in dnspython's presentation form.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LABEL_OCTETS = 63
MAX_NAME_OCTETS = 255  # wire form; 253 characters of presentation text without the final dot

_ZONE_LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

_PLAIN_ABSOLUTE = re.compile(r"(?:[A-Za-z0-9_*-]{1,63}\.)+\Z|\.\Z")
PLAIN_RELATIVE_NAME = r"[A-Za-z0-9_*-]{1,63}(?:\.[A-Za-z0-9_*-]{1,63})*"
"""The pattern of a relative name of plain labels: :func:`absolute_name` makes it absolute by adding a
dot and the origin, nothing else (and refuses it when that is longer than 253 characters)."""
_PLAIN_RELATIVE = re.compile(PLAIN_RELATIVE_NAME + r"\Z")


class InvalidName(ValueError):
    """A name that cannot be a domain name; the message says why."""


def _check_plain(name: str) -> None:
    if len(name) > MAX_NAME_OCTETS - 1:
        raise InvalidName(f"name is longer than 253 octets: {name[:40]}...")


def _from_dnspython(text: str, origin: str) -> str:
    import dns.exception
    import dns.name

    try:
        parsed = dns.name.from_text(text, dns.name.from_text(origin) if origin else None)
    except dns.name.LabelTooLong as exc:
        raise InvalidName(f"a label is longer than 63 octets in {text!r}") from exc
    except dns.name.NameTooLong as exc:
        raise InvalidName(f"name is longer than 253 octets: {text[:40]}...") from exc
    except dns.name.EmptyLabel as exc:
        raise InvalidName(f"empty label in {text!r}") from exc
    except dns.exception.DNSException as exc:
        raise InvalidName(f"invalid name {text!r}: {exc}") from exc
    if not parsed.is_absolute():
        raise InvalidName(f"relative name {text!r} with no origin")
    return parsed.to_text()


def _to_ascii(text: str) -> str:
    labels = []
    for label in text.split("."):
        if label.isascii():
            labels.append(label)
            continue
        import idna

        try:
            labels.append(idna.encode(label, uts46=True).decode("ascii"))
        except idna.IDNAError as exc:
            raise InvalidName(f"label {label!r} is not a valid IDNA 2008 label: {exc}") from exc
    return ".".join(labels)


def absolute_name(text: str, origin: str) -> str:
    """The absolute presentation form of ``text`` read relative to ``origin`` (case kept).

    ``@`` and the empty string stand for the origin; Unicode labels become punycode.
    Raises :class:`InvalidName` with the reason when the text is not a valid name.
    """
    if text in ("@", ""):
        return origin
    if not text.isascii():
        text = _to_ascii(text)
    if text[-1] == "." and (len(text) - 1 - len(text[:-1].rstrip("\\"))) % 2 == 0:  # not an escaped "\\."
        if _PLAIN_ABSOLUTE.match(text):
            _check_plain(text)
            return text
        return _from_dnspython(text, "")
    if _PLAIN_RELATIVE.match(text):
        full = f"{text}.{origin}" if origin != "." else f"{text}."
        if len(full) > MAX_NAME_OCTETS - 1:
            _check_plain(full)
        return full
    return _from_dnspython(text, origin)


def zone_origin(text: str) -> str:
    """A zone name as its absolute, lower-case punycode form, once it is checked to be a plain DNS name.

    A zone name becomes a file name and a part of provider URLs, so it holds only labels of letters,
    digits, hyphens and underscores (Unicode labels are converted to punycode first), none empty, none
    starting or ending with a hyphen, at most 63 octets each and 253 in all; one final dot is allowed.
    Raises :class:`InvalidName` naming what is wrong: a ``/``, ``\\``, ``*``, NUL, whitespace or any
    other control character, an empty label (``..``), a label or name that is too long.
    """
    for position, char in enumerate(text, start=1):
        control = unicodedata.category(char) == "Cc"
        if control or char.isspace():
            what = "a control character" if control else "whitespace"
            raise InvalidName(f"holds {what} (U+{ord(char):04X}) at position {position}")
    body = text[:-1] if text.endswith(".") else text
    if not body:
        raise InvalidName("must be a domain name such as example.com")
    if not body.isascii():
        body = _to_ascii(body)
    for label in body.split("."):
        _check_zone_label(label)
    if len(body) > MAX_NAME_OCTETS - 2:
        raise InvalidName(f"is {len(body)} octets long; a domain name holds at most 253")
    return body.lower() + "."


def _check_zone_label(label: str) -> None:
    if not label:
        raise InvalidName("has an empty label (a leading dot or two dots in a row)")
    for char in label:
        if char == "*":
            raise InvalidName(f"label {label!r} holds '*': a zone name cannot be a wildcard")
        if char not in _ZONE_LABEL_CHARACTERS:
            raise InvalidName(
                f"label {label!r} holds {char!r}; a label holds only letters, digits, hyphens and underscores"
            )
    if len(label) > MAX_LABEL_OCTETS:
        raise InvalidName(f"label {label[:20]}... is {len(label)} octets long; a label holds at most 63")
    if label.startswith("-") or label.endswith("-"):
        raise InvalidName(f"label {label!r} starts or ends with a hyphen")


def name_key(name: str) -> str:
    """The comparison key of an absolute name: names differing only in ASCII case are equal."""
    return name.lower()


def relative_name(name: str, origin: str) -> str:
    """``name`` relative to ``origin``: ``""`` for the origin itself, the name unchanged if outside."""
    key, okey = name.lower(), origin.lower()
    if key == okey:
        return ""
    if okey == ".":
        return name[:-1]
    if key.endswith("." + okey):
        head = name[: -len(origin) - 1]
        backslashes = len(head) - len(head.rstrip("\\"))
        if backslashes % 2 == 0:
            return head
    return name


def is_subdomain(name: str, origin: str) -> bool:
    """True when ``name`` (absolute) is ``origin`` or beneath it, ignoring case."""
    key, okey = name.lower(), origin.lower()
    if okey == "." or key == okey:
        return True
    return key.endswith("." + okey) and relative_name(name, origin) != name


def parent_name(name: str) -> str | None:
    """The name one label up, or None for the root; escaped dots are not label boundaries."""
    if name == ".":
        return None
    index = 0
    while True:
        dot = name.find(".", index)
        if dot == -1:
            return "."
        if dot > 0 and name[dot - 1] == "\\":
            backslashes = len(name[:dot]) - len(name[:dot].rstrip("\\"))
            if backslashes % 2 == 1:
                index = dot + 1
                continue
        rest = name[dot + 1 :]
        return rest or "."


def is_wildcard(name: str) -> bool:
    return name.startswith("*.")


def display_name(name: str) -> str:
    """``name`` with punycode labels shown in Unicode (labels that do not decode stay as they are)."""
    if "xn--" not in name.lower():
        return name
    import idna

    labels = []
    for label in name.split("."):
        if label.lower().startswith("xn--"):
            try:
                labels.append(idna.decode(label))
            except idna.IDNAError:
                labels.append(label)
        else:
            labels.append(label)
    return ".".join(labels)


def labels(name: str) -> list[str]:
    """The labels of an absolute name, leftmost first, escapes kept (``a\\.b.c.`` -> ``["a\\.b", "c"]``)."""
    if name == ".":
        return []
    body = name[:-1] if name.endswith(".") else name
    if "\\" not in body:
        return body.split(".")
    found, current, index = [], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            current.append(body[index : index + 2])
            index += 2
            continue
        if char == ".":
            found.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    found.append("".join(current))
    return found


def tree_key(name: str) -> str:
    """The index key of a name: lower-case labels from the root down, joined by spaces.

    ``www.Example.com.`` -> ``com example www``. Sorting keys as byte strings puts names in canonical
    order (a space sorts before every character a label can hold in presentation form), and every
    name beneath ``X`` has a key that starts with ``tree_key(X) + " "``: a subtree is one key range.
    """
    return " ".join(reversed(labels(name.lower())))


def subtree_range(name: str) -> tuple[str, str]:
    """Keys ``(low, high)`` such that ``low <= tree_key(n) < high`` exactly for names strictly beneath."""
    key = tree_key(name)
    if not key:  # the root: every other name (keys are printable ASCII, escapes included)
        return "!", "\x7f"
    return key + " ", key + "!"


def name_sort_key(name: str) -> tuple[str, ...]:
    """Sort key placing a zone's names in DNSSEC canonical order (by reversed labels, ignoring case)."""
    return tuple(reversed(labels(name.lower())))
