"""Where mail goes: files in the outbox directory (the default) or an SMTP server."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

import structlog

from dunops.config import Settings
from dunops.errors import DunopsError

log = structlog.get_logger(__name__)

SMTP_TIMEOUT_SECONDS = 30


class MailDeliveryFailed(DunopsError):
    """The mail server refused the message or could not be reached; the delivery job retries."""

    title = "Mail delivery failed"


class Transport(Protocol):
    def deliver(self, mail_id: str, to: str, raw: bytes) -> None: ...


class FileOutbox:
    """One ``<id>.eml`` file per mail, written atomically; ids start with the time, so names sort by time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, mail_id: str) -> Path:
        return self.directory / f"{mail_id}.eml"

    def deliver(self, mail_id: str, to: str, raw: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path_of(mail_id))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        log.info("mail written to outbox", mail_id=mail_id)

    def mail_ids(self) -> list[str]:
        """Every stored mail id, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(path.stem for path in self.directory.glob("*.eml") if not path.name.startswith("."))


class SmtpTransport:
    """Sends through an SMTP server: plain, STARTTLS or implicit TLS, with optional login."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.username = settings.smtp_username
        self._password = settings.smtp_password.get_secret_value()

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host}:{self.port}, security={self.security})"

    def deliver(self, mail_id: str, to: str, raw: bytes) -> None:
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self._password)
                refused = client.sendmail(_envelope_sender(raw), [to], raw)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailDeliveryFailed(
                f"SMTP server {self.host}:{self.port} did not accept mail {mail_id}: {_reason(exc)}"
            ) from exc
        if refused:
            raise MailDeliveryFailed(f"SMTP server {self.host}:{self.port} refused the recipient")
        log.info("mail sent", mail_id=mail_id, smtp_host=self.host, smtp_port=self.port)

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        if self.security == "starttls":
            try:
                client.starttls(context=ssl.create_default_context())
            except BaseException:
                client.close()
                raise
        return client


def transport_for(settings: Settings) -> Transport:
    """SMTP when ``smtp_host`` is set, the outbox directory otherwise."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FileOutbox(settings.outbox_dir)


def _envelope_sender(raw: bytes) -> str:
    headers = BytesHeaderParser().parsebytes(raw)
    return parseaddr(str(headers.get("From", "")))[1]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"{exc.smtp_code} {message}".strip()
    return str(exc) or type(exc).__name__
