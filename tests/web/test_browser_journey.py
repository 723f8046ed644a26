"""The whole journey in Chromium against `dunops serve` and a real PowerDNS: the first owner signs in
through the printed link, connects PowerDNS, imports a zone, browses and filters its records, edits the
MX; a second member (invited by mail) approves with the risk acknowledged; the owner applies, the page
follows the deployment to verified, `dig` agrees, and a rollback restores the old MX; the agent panel
(offline backend) streams a proposal whose link leads to its change request.

Screenshots of the main screens at 360 and 1280 px go to ``DUNOPS_SCREENSHOT_DIR`` when it is set
(``docs/screenshots`` holds the last ones taken), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from dunops.config import Settings
from dunops.notify import recent_mails
from tests.cli.test_serve import DUNOPS, _environment, _wait_ready
from tests.servers.powerdns import PowerDNSServer, powerdns_server  # noqa: F401
from tests.support import free_port, missing_server
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS

WIDTHS = (360, 1280)


@dataclass
class Served:
    url: str
    first_owner_link: str
    data_dir: Path

    def mail_link(self, to: str, path_prefix: str, timeout: float = 20) -> str:
        """The newest link under ``path_prefix`` in a mail to ``to`` (mail is written by a job)."""
        deadline = time.monotonic() + timeout
        settings = Settings(data_dir=self.data_dir)
        while time.monotonic() < deadline:
            for mail in recent_mails(settings, 50):
                found = re.findall(rf"{re.escape(self.url)}{path_prefix}\S+", mail.body)
                if mail.to == to and found:
                    return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no mail to {to} with a {path_prefix} link")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / ".dunops"
    out_path = tmp_path / "stdout.txt"
    env = _environment(DUNOPS_DATA_DIR=str(data_dir), DUNOPS_BASE_URL=url)
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            [str(DUNOPS), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, process)
        deadline = time.monotonic() + 10
        while not (links := re.findall(r"http://\S+/auth/first-owner/\S+", out_path.read_text())):
            assert time.monotonic() < deadline, out_path.read_text()
            time.sleep(0.1)
        yield Served(url, links[0], data_dir)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@pytest.fixture
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        missing_server("Chromium (Debian package chromium)")
    from playwright.sync_api import Route, sync_playwright

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        browser.route_loopback = loopback_only  # type: ignore[attr-defined]
        try:
            yield browser
        finally:
            browser.close()


def _dig(port: int, name: str, rtype: str) -> list[str]:
    dig = shutil.which("dig")
    if dig is None:
        missing_server("dig (Debian package bind9-dnsutils)")
    command = [dig, "@127.0.0.1", "-p", str(port), "+short", name, rtype]
    return sorted(subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines())


def test_the_whole_journey_in_a_real_browser(
    served: Served,
    chromium: object,
    powerdns_server: PowerDNSServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Browser, Page

    assert isinstance(chromium, Browser)
    shots = Path(os.environ.get("DUNOPS_SCREENSHOT_DIR") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    pages: list[Page] = []

    def new_page() -> Page:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", chromium.route_loopback)  # type: ignore[attr-defined]
        context.set_default_timeout(15_000)
        page = context.new_page()
        pages.append(page)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        return page

    def screenshot(page: Page, name: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    try:
        _journey(served, powerdns_server, new_page, screenshot, errors)
    finally:
        for number, page in enumerate(pages):
            page.screenshot(path=str(tmp_path / f"last-{number}.png"), full_page=True)


def _journey(
    served: Served,
    powerdns_server: PowerDNSServer,  # noqa: F811
    new_page: Callable[[], Any],
    screenshot: Callable[[Any, str], None],
    errors: list[str],
) -> None:
    from playwright.sync_api import expect

    zone = powerdns_server.new_zone_name("journey").rstrip(".")
    powerdns_server.create_zone(
        zone + ".",
        [
            {"name": f"www.{zone}.", "type": "A", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": "192.0.2.10", "disabled": False}]},
            {"name": f"{zone}.", "type": "MX", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": f"10 mail.{zone}.", "disabled": False}]},
            {"name": f"note.{zone}.", "type": "TXT", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": '"<script>alert(1)</script>"', "disabled": False}]},
        ],
    )  # fmt: skip

    # The first owner opens the printed link and sets up.
    owner = new_page()
    owner.goto(served.first_owner_link)
    owner.get_by_label("Your email address").fill("ada@example.com")
    owner.get_by_label("Your name").fill("Ada")
    owner.get_by_label("Workspace name").fill("Platform <b>team</b>")
    owner.get_by_role("button", name="Create account and workspace").click()
    owner.get_by_role("link", name="Platform <b>team</b>").click()
    expect(owner.get_by_role("heading", name="Start here")).to_be_visible()
    screenshot(owner, "empty-workspace")

    # Connect PowerDNS through the form its kind's fields build.
    owner.get_by_role("link", name="Connect a DNS provider").click()
    owner.get_by_label("Connection name").fill("pdns")
    owner.get_by_label("API URL").fill(powerdns_server.api_url)
    owner.get_by_label("DNS address (host:port), for verification").fill(
        f"127.0.0.1:{powerdns_server.dns_port}"
    )
    owner.get_by_label("API key").fill(powerdns_server.api_key)
    screenshot(owner, "connection-form")
    owner.get_by_role("button", name="Add the connection").click()
    expect(owner.get_by_role("heading", name="pdns PowerDNS")).to_be_visible()
    assert powerdns_server.api_key not in owner.content()
    owner.get_by_role("button", name="Test").click()
    expect(owner.locator("main")).to_contain_text("It works")

    # Discover and import the zone.
    owner.get_by_role("link", name="Discover zones").click()
    owner.get_by_role("button", name=f"Import {zone}").click()
    expect(owner.get_by_role("heading", name=zone)).to_be_visible()

    # Browse and filter: the TXT value is text, never markup.
    expect(owner.locator("table.records code", has_text="alert(1)")).to_have_text(
        '"<script>alert(1)</script>"'
    )
    assert owner.locator("script", has_text="alert(1)").count() == 0
    owner.get_by_label("Type").fill("MX")
    owner.get_by_role("button", name="Filter").click()
    expect(owner.locator("main")).to_contain_text(f"10 mail.{zone}.")
    expect(owner.locator("main")).not_to_contain_text("192.0.2.10")
    owner.get_by_role("link", name="Clear").click()
    screenshot(owner, "zone")
    zone_url = owner.url

    # Invite a second member, who signs in by mail and joins.
    owner.get_by_role("navigation", name="Workspace").get_by_role("link", name="Members").click()
    owner.get_by_label("Email address").fill("bob@example.com")
    owner.get_by_label("Role").select_option("editor")
    owner.get_by_role("button", name="Send the invitation").click()
    expect(owner.locator("main")).to_contain_text("Invitation sent to bob@example.com")
    reviewer = new_page()
    reviewer.goto(served.mail_link("bob@example.com", "/invitations/"))
    reviewer.get_by_role("link", name="Sign in to accept").click()
    reviewer.get_by_label("Email me a sign-in link").fill("bob@example.com")
    reviewer.get_by_role("button", name="Send link").click()
    reviewer.goto(served.mail_link("bob@example.com", "/auth/magic/"))
    reviewer.get_by_role("button", name="Sign in").click()
    reviewer.get_by_role("button", name="Accept and join as bob@example.com").click()
    expect(reviewer.locator("main")).to_contain_text("You joined")

    # The owner edits the MX: a change request, nothing written yet.
    owner.goto(zone_url)
    owner.get_by_role("link", name="Edit @ MX").click()
    owner.get_by_label("Values, one record per line").fill(f"20 mail.{zone}.")
    owner.get_by_role("button", name="Propose this change").click()
    expect(owner.locator("main")).to_contain_text("pending review")
    expect(owner.get_by_role("button", name="Approve this plan")).to_have_count(0)
    change_url = owner.url
    assert _dig(powerdns_server.dns_port, zone, "MX") == [f"10 mail.{zone}."]

    # The second member approves, acknowledging the risk.
    reviewer.goto(change_url)
    screenshot(reviewer, "change-review")
    reviewer.get_by_role("button", name="Approve this plan").click()
    expect(reviewer.locator("main")).to_contain_text("acknowledge risk")
    reviewer.go_back()
    reviewer.get_by_label(re.compile("MX at")).check()
    reviewer.get_by_role("button", name="Approve this plan").click()
    expect(reviewer.locator("main")).to_contain_text("approved")

    # The owner applies; the page follows the deployment until it is verified, and dig agrees.
    owner.goto(change_url)
    owner.get_by_role("button", name="Apply to the provider").click()
    expect(owner.locator("#deployments h3")).to_contain_text("verified", timeout=30_000)
    screenshot(owner, "change-verified")
    assert _dig(powerdns_server.dns_port, zone, "MX") == [f"20 mail.{zone}."]

    # Roll back: a new request restoring the old MX, reviewed and applied like any other.
    owner.get_by_role("button", name=re.compile("Roll back deployment")).click()
    expect(owner.locator("main")).to_contain_text("rolls back deployment")
    rollback_url = owner.url
    reviewer.goto(rollback_url)
    reviewer.get_by_label(re.compile("MX at")).check()
    reviewer.get_by_role("button", name="Approve this plan").click()
    owner.goto(rollback_url)
    owner.get_by_role("button", name="Apply to the provider").click()
    expect(owner.locator("#deployments h3")).to_contain_text("verified", timeout=30_000)
    assert _dig(powerdns_server.dns_port, zone, "MX") == [f"10 mail.{zone}."]

    # The agent panel beside the zone (offline backend): the streamed turn shows the proposal's link,
    # which leads to its change request; the page never reloads.
    owner.goto(zone_url)
    owner.evaluate("window.sameDocument = true")
    owner.get_by_label("Your question").fill(f"Point api.{zone} to 192.0.2.11")
    owner.get_by_role("button", name="Ask").click()
    proposal = owner.locator("#agent .proposal a")
    expect(proposal).to_contain_text(f"Point api.{zone}. to 192.0.2.11")
    expect(owner.locator("#agent .plan-text")).to_contain_text(f"+api.{zone}. 3600 IN A 192.0.2.11")
    expect(owner.locator("#agent details summary").first).to_contain_text("list_zones")
    assert owner.evaluate("window.sameDocument") is True
    assert "conversation=" in owner.url
    screenshot(owner, "agent-panel")
    call = owner.locator("#agent details").last
    expect(call.locator("pre")).not_to_be_visible()
    call.locator("summary").click()
    expect(call.locator("pre")).to_contain_text('"plan_hash"')
    proposal.click()
    expect(owner.get_by_role("heading", name=re.compile("Point api"))).to_be_visible()
    expect(owner.locator("main")).to_contain_text("pending review")
    expect(owner.locator("main")).to_contain_text("192.0.2.11")

    owner.goto(served.url + f"/w/{urlsplit(zone_url).path.split('/')[2]}")
    screenshot(owner, "workspace")
    assert owner.locator("b", has_text="team").count() == 0  # the workspace name is text
    assert not [error for error in errors if "Content Security Policy" in error], errors
