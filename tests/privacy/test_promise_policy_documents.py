"""Promise: "We update this when something meaningful changes — see the log below" — the privacy policy,
the security overview, the subprocessor list and the DPA process are served with their change history,
and a material change is shown to every member in the app until acknowledged, and mailed to them."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import sessions
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.storage.models import Role, User
from tests.cli.conftest import Invoke
from tests.notify.conftest import SmtpServer
from tests.zones.helpers import api_token, bearer, member


def test_promise_policy_documents_are_served_with_their_change_history(client: TestClient) -> None:
    privacy = client.get("/legal/privacy")
    assert privacy.status_code == 200
    assert privacy.headers["content-type"].startswith("text/html")
    page = privacy.text
    assert "We do not use your workspace data to train AI models" in page
    assert "backups age out within 90" in page
    assert "Who receives what" in page
    assert '<time datetime="2025-11-08">2025-11-08</time>' in page
    assert "Clarified that workspace data is not used for AI model training." in page
    assert 'href="/static/dunops.css"' in page  # the app's layout
    for slug, words in [
        ("security", "AES-256-GCM"),
        ("subprocessors", "DNS providers you connect"),
        ("dpa", "data processing agreement"),
    ]:
        shown = client.get(f"/legal/{slug}")
        assert shown.status_code == 200, slug
        assert words in shown.text
        assert "Changes log" in shown.text
    assert client.get("/legal/cookies").status_code == 404


def test_promise_a_material_change_is_noticed_in_the_app_until_acknowledged_and_mailed(
    client: TestClient,
    db: Session,
    settings: Settings,
    cli: Invoke,
    tmp_path: Path,
    smtp_server: SmtpServer,
) -> None:
    owner, workspace = member(db, "acme", "owner@example.com", Role.OWNER)
    viewer, _ = member(db, "acme", "viewer@example.com", Role.VIEWER)
    db.add(User(email="nobody@example.com", name="nobody"))
    owner_headers = bearer(api_token(db, owner, workspace))
    viewer_headers = bearer(api_token(db, viewer, workspace, Role.VIEWER))
    issued = sessions.start(db, settings, owner)
    db.commit()

    # A minor edit is logged but notifies nobody.
    minor = cli("legal", "publish", "security", "--summary", "Fixed a typo.")
    assert minor.exit_code == 0, minor.output
    assert minor.output == "security\tversion 1\t0 members notified\n"
    assert client.get("/api/v1/me/notices", headers=owner_headers).json() == []

    text = tmp_path / "privacy.txt"
    text.write_text("# New section\nWe now <script>alert(1)</script> say more.\n")
    published = cli(
        "legal", "publish", "privacy", "--material", "--summary", "Explained the new section.", "--file", text
    )
    assert published.exit_code == 0, published.output
    assert published.output == "privacy\tversion 1\t2 members notified\n"

    page = client.get("/legal/privacy").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Version 1, published" in page
    assert "(version 1, material) Explained the new section." in page
    assert "Initial publication." in page  # the shipped history stays below

    notices = client.get("/api/v1/me/notices", headers=viewer_headers)
    assert notices.status_code == 200
    [notice] = notices.json()
    assert (notice["document"], notice["version"], notice["summary"]) == (
        "privacy",
        1,
        "Explained the new section.",
    )
    assert notice["url"] == "http://testserver/legal/privacy"
    # Someone else's notice cannot be acknowledged; one's own can, and then it is gone.
    owner_notice = client.get("/api/v1/me/notices", headers=owner_headers).json()[0]["id"]
    assert (
        client.post(f"/api/v1/me/notices/{owner_notice}/acknowledge", headers=viewer_headers).status_code
        == 404
    )
    done = client.post(f"/api/v1/me/notices/{notice['id']}/acknowledge", headers=viewer_headers)
    assert done.status_code == 200
    assert done.json()["acknowledged_at"] is not None
    assert client.get("/api/v1/me/notices", headers=viewer_headers).json() == []

    # In the app: the home page shows the notice until the owner acknowledges it there.
    browser = TestClient(client.app)
    browser.cookies.set("dunops_session", issued.cookie_value)
    home = browser.get("/")
    assert "We changed our privacy policy" in home.text
    assert f'action="/legal/notices/{owner_notice}/acknowledge"' in home.text
    refused = browser.post(f"/legal/notices/{owner_notice}/acknowledge", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    acknowledged = browser.post(
        f"/legal/notices/{owner_notice}/acknowledge",
        data={"csrf_token": issued.record.csrf_token},
        follow_redirects=False,
    )
    assert acknowledged.status_code == 303
    assert "We changed our privacy policy" not in browser.get("/").text

    # Both members were mailed; the person without a workspace was not.
    queue_for(settings).run_pending(wait=5)
    mailed = sorted(
        {
            address
            for mail in smtp_server.handler.received
            if "changed its privacy policy" in mail.data.decode("utf-8", "replace")
            for address in mail.recipients
        }
    )
    assert mailed == ["owner@example.com", "viewer@example.com"]

    unknown = cli("legal", "publish", "cookies", "--summary", "x")
    assert unknown.exit_code == 1
    assert "no document 'cookies'" in unknown.output
    empty = cli("legal", "publish", "dpa", "--summary", " ")
    assert empty.exit_code == 1
    assert "summary" in empty.output
