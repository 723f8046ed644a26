"""Composing and reading RFC 5322 mail: plain-text messages with a time-ordered id."""

from __future__ import annotations

import email.policy
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parsedate_to_datetime

from dunops.errors import InvalidInput, Problem

MAIL_ID_PATTERN = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{12}$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


@dataclass(frozen=True, slots=True)
class Mail:
    """One composed or stored mail. ``id`` starts with its UTC creation time, so ids sort by time."""

    id: str
    created: datetime
    to: str
    subject: str
    body: str
    raw: bytes


def new_mail_id(created: datetime) -> str:
    return f"{created.astimezone(UTC):%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(6)}"


def compose(*, sender: str, to: str, subject: str, body: str, created: datetime | None = None) -> Mail:
    """Build one plain-text message; a bad recipient or a header with a line break is refused."""
    problems: list[Problem] = []
    if not _ADDRESS.match(to.strip()):
        problems.append(Problem("must be one email address", "to"))
    if "\r" in subject or "\n" in subject:
        problems.append(Problem("must be a single line", "subject"))
    if problems:
        raise InvalidInput.collect(problems)
    created = created or datetime.now(UTC)
    mail_id = new_mail_id(created)
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to.strip()
    message["Subject"] = subject
    message["Date"] = format_datetime(created.astimezone(UTC))
    message["Message-ID"] = f"<{mail_id}@{_domain_of(sender)}>"
    message.set_content(body)
    return Mail(mail_id, created, to.strip(), subject, body, message.as_bytes())


def parse(mail_id: str, raw: bytes) -> Mail:
    """Read a stored message back (for ``dunops outbox``)."""
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    date = message.get("Date")
    created = parsedate_to_datetime(str(date)) if date else datetime.fromtimestamp(0, UTC)
    content = message.get_body(("plain",))
    body = content.get_content().replace("\r\n", "\n") if isinstance(content, EmailMessage) else ""
    return Mail(mail_id, created, str(message.get("To", "")), str(message.get("Subject", "")), body, raw)


def _domain_of(sender: str) -> str:
    try:
        address = Address(addr_spec=sender.rsplit("<", 1)[-1].rstrip(">").strip())
    except (ValueError, IndexError):
        return "localhost"
    return address.domain or "localhost"
