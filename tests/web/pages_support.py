"""Browsers for the page tests: a TestClient signed in as one member, with their session's CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import sessions
from dunops.config import Settings
from dunops.storage.models import User
from dunops.web.deps import SESSION_COOKIE


@dataclass
class Browser:
    """One person's browser: GETs pages and posts forms with their CSRF token, as the pages' forms do."""

    client: TestClient
    csrf: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, headers={"Accept": "text/html"}, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


def browser_for(app: FastAPI, db: Session, settings: Settings, email: str) -> Browser:
    user = db.query(User).filter_by(email=email).one()
    issued = sessions.start(db, settings, user, user_agent="test browser")
    db.commit()
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, issued.cookie_value, domain="testserver.local", path="/")
    return Browser(client, issued.record.csrf_token)


def text_of(html: str) -> str:
    """The page's text without tags (roughly what a person reads), whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
