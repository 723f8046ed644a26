"""A real SMTP server on loopback (aiosmtpd, no AUTH, no STARTTLS) and settings for the mail tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from dunops.config import Settings
from tests.support import free_port, missing_server


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class RecordingHandler:
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    handler: RecordingHandler


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        missing_server("aiosmtpd (pip install aiosmtpd)")
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, handler)
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", mail_from="DunOps <dunops@example.test>")


@pytest.fixture
def session() -> Iterator[Session]:
    """A throwaway session: these tests need a transaction to commit or roll back, not any tables."""
    engine = create_engine("sqlite://")
    with Session(engine) as created:
        yield created
    engine.dispose()
