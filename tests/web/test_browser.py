"""A real browser walks the first-run path: `dunops serve` prints the first-owner link, a person opens it in
Chromium, names themselves and their workspace, and lands signed in on the page that lists it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.cli.test_serve import DUNOPS, _environment, _wait_ready
from tests.support import free_port, missing_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        missing_server("Chromium (Debian package chromium)")
    from playwright.sync_api import Route, sync_playwright

    def loopback_only(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.route("**/*", loopback_only)
        page = context.new_page()
        try:
            yield page
        finally:
            page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
            browser.close()


@pytest.fixture
def served_link(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    out_path = tmp_path / "stdout.txt"
    env = _environment(DUNOPS_DATA_DIR=str(tmp_path / ".dunops"))
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            [str(DUNOPS), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        deadline = time.monotonic() + 10
        while not (links := re.findall(r"http://\S+/auth/first-owner/\S+", out_path.read_text())):
            assert time.monotonic() < deadline, out_path.read_text()
            time.sleep(0.1)
        yield links[0]
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_first_owner_signs_in_through_the_printed_link_in_a_real_browser(
    browser_page: object, served_link: str, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    page.goto(served_link)
    expect(page.get_by_role("heading", name="Set up DunOps")).to_be_visible()

    # A bad address is refused on the form itself, naming the field, and loses what was typed.
    page.get_by_label("Your email address").fill("not-an-address")
    page.get_by_label("Your name").fill("Ada <b>Admin</b>")
    page.get_by_label("Workspace name").fill("Platform <script>alert(1)</script>")
    page.get_by_role("button", name="Create account and workspace").click()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.get_by_label("Workspace name")).to_have_value("Platform <script>alert(1)</script>")

    page.get_by_label("Your email address").fill("ada@example.com")
    page.get_by_role("button", name="Create account and workspace").click()

    # Signed in: the home page lists the new workspace, its name shown as text, never as markup.
    expect(page.get_by_text("Platform <script>alert(1)</script>")).to_be_visible()
    assert page.locator("script", has_text="alert(1)").count() == 0
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["dunops_session"]["httpOnly"] is True
    assert cookies["dunops_session"]["sameSite"] == "Lax"

    # The link was single use: opening it again does not offer the setup form.
    page.goto(served_link)
    expect(page.get_by_role("heading", name="Set up DunOps")).to_have_count(0)
    assert httpx.get(served_link, timeout=5).status_code in {401, 404, 410}
