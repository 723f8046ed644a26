"""The change-request API: create from edits or a desired zone, review rules, apply as a job, history."""

from __future__ import annotations

from tests.workflow.support import ZONE, Team, team  # noqa: F401

WWW = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


def test_a_reviewed_change_is_applied_as_a_job_and_verified(team: Team) -> None:  # noqa: F811
    created = team.create([{**WWW, "name": "api"}])
    assert created["state"] == "pending_review"
    assert created["revision"] == 1
    assert created["current_revision"]["risk_reasons"] == []
    assert "api.example.test. 300 IN A 192.0.2.80" in created["current_revision"]["rendered"]
    approved = team.approve(created)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"

    applied = team.post(team.author, f"/changes/{created['id']}/apply")
    assert applied.status_code == 202, applied.text
    deployment = applied.json()["deployment"]
    assert team.show(created["id"])["state"] == "applying"
    assert "192.0.2.80" not in team.zone_file()

    again = team.post(team.author, f"/changes/{created['id']}/apply")
    assert again.status_code == 202
    assert again.json()["deployment"] == deployment

    team.run_jobs()
    shown = team.show(created["id"])
    assert shown["state"] == "verified"
    assert "192.0.2.80" in team.zone_file()
    got = team.get(team.author, f"/deployments/{deployment}").json()
    assert got["state"] == "verified"
    assert got["plan_hash"] == created["current_revision"]["plan_hash"]
    assert got["results"][0]["status"] == "written"
    assert got["verification"]["changes"][0]["status"] == "served"
    versions = team.get(team.author, f"/zones/{ZONE}/versions").json()["items"]
    assert versions[0]["source"] == "apply"
    assert versions[0]["cause"] == f"deployment {deployment}"

    # applying once more after it finished still answers with the same deployment and writes nothing
    assert team.post(team.author, f"/changes/{created['id']}/apply").json()["deployment"] == deployment
    assert team.run_jobs() == 0


def test_review_rules_self_viewer_and_old_revision_are_refused(team: Team) -> None:  # noqa: F811
    created = team.create([WWW])
    change_id = created["id"]
    own = team.approve(created, team.author)
    assert own.status_code == 403
    assert "author" in own.json()["detail"]
    viewer = team.approve(created, team.viewer)
    assert viewer.status_code == 403

    revised = team.post(
        team.author, f"/changes/{change_id}/revise", {"edits": [{**WWW, "values": ["192.0.2.81"]}]}
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["revision"] == 2
    old = team.approve(created)  # states the hash of revision 1
    assert old.status_code == 409
    assert "revision 2" in old.json()["detail"]

    current = revised.json()
    assert team.approve(current).json()["state"] == "approved"
    # a new revision voids the approval: the request is back under review and cannot be applied
    third = team.post(
        team.author, f"/changes/{change_id}/revise", {"edits": [{**WWW, "values": ["192.0.2.82"]}]}
    )
    assert third.json()["state"] == "pending_review"
    assert third.json()["valid_approvals"] == 0
    assert [a["counts"] for a in third.json()["approvals"]] == [False]
    refused = team.post(team.author, f"/changes/{change_id}/apply")
    assert refused.status_code == 409
    assert team.run_jobs() >= 0
    assert "192.0.2.8" not in team.zone_file()


def test_every_risk_reason_must_be_acknowledged_by_id(team: Team) -> None:  # noqa: F811
    created = team.create(
        [{"action": "upsert", "name": "@", "type": "MX", "ttl": 300, "values": ["20 mail"]}]
    )
    reasons = [r["id"] for r in created["current_revision"]["risk_reasons"]]
    assert reasons == ["mx:example.test."]
    missing = team.post(
        team.reviewer,
        f"/changes/{created['id']}/approve",
        {"plan_hash": created["current_revision"]["plan_hash"], "acknowledge": []},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["code"] == "mx:example.test."
    assert team.approve(created).json()["state"] == "approved"


def test_bad_edits_are_refused_naming_each_problem(team: Team) -> None:  # noqa: F811
    response = team.post(
        team.author,
        "/changes",
        {
            "zone": ZONE,
            "title": "Bad",
            "edits": [
                {"action": "delete", "name": "nothing", "type": "A"},
                {"action": "upsert", "name": "www2", "type": "A", "values": ["999.1.1.1"]},
                {"action": "upsert", "name": "@", "type": "SOA", "values": ["x"]},
            ],
        },
    )
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["edits[0]", "edits[1].values[0]", "edits[2].type"]
    unknown = team.post(team.author, "/changes", {"zone": "nope.test", "title": "x", "edits": [WWW]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "zone"
    assert team.get(team.author, "/changes").json()["items"] == []


def test_an_empty_plan_is_refused_at_submit(team: Team) -> None:  # noqa: F811
    same = {"action": "upsert", "name": "mail", "type": "A", "ttl": 300, "values": ["192.0.2.25"]}
    draft = team.create([same], submit=False)
    assert draft["state"] == "draft"
    refused = team.post(team.author, f"/changes/{draft['id']}/submit")
    assert refused.status_code == 422
    assert "no changes" in refused.json()["detail"]


def test_a_desired_zone_in_bind_format_plans_against_live(team: Team) -> None:  # noqa: F811
    content = team.zone_file().replace("mail 300 IN A 192.0.2.25", "mail 600 IN A 192.0.2.26")
    response = team.post(
        team.author,
        "/changes",
        {"zone": ZONE, "title": "Move mail", "desired": {"format": "bind", "content": content}},
    )
    assert response.status_code == 201, response.text
    changes = response.json()["current_revision"]["plan"]["changes"]
    assert [(c["kind"], c["name"]) for c in changes] == [("update", "mail.example.test.")]


def test_a_zone_changed_after_approval_makes_the_request_stale_and_keeps_the_server_value(
    team: Team,  # noqa: F811
) -> None:
    created = team.create([WWW])
    team.approve(created)
    path = team.directory / f"{ZONE}.zone"
    path.write_text(path.read_text() + "web 300 IN A 192.0.2.66\n")
    deployment = team.post(team.author, f"/changes/{created['id']}/apply").json()["deployment"]
    team.run_jobs()
    shown = team.show(created["id"])
    assert shown["state"] == "stale"
    got = team.get(team.author, f"/deployments/{deployment}").json()
    assert got["state"] == "stale"
    assert got["stale_rrsets"][0]["rrset"] == "web.example.test. A"
    assert "192.0.2.66" in team.zone_file()
    assert "192.0.2.80" not in team.zone_file()
    assert any("stale" in subject for subject in team.mails_to("author@example.com"))

    # re-planned into a new revision, which needs a fresh review
    replanned = team.post(team.author, f"/changes/{created['id']}/revise", {})
    assert replanned.json()["state"] == "pending_review"
    assert replanned.json()["revision"] == 2
    assert replanned.json()["current_revision"]["plan"]["changes"][0]["kind"] == "update"


def test_reject_cancel_comment_and_mail(team: Team) -> None:  # noqa: F811
    created = team.create([WWW])
    assert "reviewer@example.com" in [m for m in _recipients(team)]
    assert "author@example.com" not in _recipients(team)
    assert "viewer@example.com" not in _recipients(team)
    note = team.post(team.reviewer, f"/changes/{created['id']}/comments", {"body": "Why this address?"})
    assert note.status_code == 201
    rejected = team.post(team.reviewer, f"/changes/{created['id']}/reject", {"comment": "wrong host"})
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["comments"][0]["body"] == "Why this address?"
    assert any("rejected" in s for s in team.mails_to("author@example.com"))
    assert team.post(team.author, f"/changes/{created['id']}/cancel").status_code == 409

    other = team.create([WWW])
    assert team.post(team.reviewer, f"/changes/{other['id']}/cancel").status_code == 403
    assert team.post(team.author, f"/changes/{other['id']}/cancel").json()["state"] == "cancelled"


def _recipients(team: Team) -> list[str]:  # noqa: F811
    team.run_jobs()
    from dunops.notify import recent_mails

    return [mail.to for mail in recent_mails(team.settings, 200)]


def test_a_muted_member_gets_no_mail(team: Team) -> None:  # noqa: F811
    assert (
        team.client.put("/api/v1/workspaces/acme/notifications/mute", headers=team.reviewer).status_code
        == 204
    )
    team.create([WWW])
    assert "reviewer@example.com" not in _recipients(team)
    assert "owner@example.com" in _recipients(team)
    team.client.delete("/api/v1/workspaces/acme/notifications/mute", headers=team.reviewer)
    team.create([{**WWW, "name": "w2"}])
    assert "reviewer@example.com" in _recipients(team)


def test_policy_needs_more_approvals_and_admins_for_protected_names(team: Team) -> None:  # noqa: F811
    assert (
        team.client.patch(
            "/api/v1/workspaces/acme/policy", json={"approvals_required": 2}, headers=team.author
        ).status_code
        == 403
    )
    bad = team.client.patch(
        "/api/v1/workspaces/acme/policy",
        json={"approvals_required": -1, "min_role": "viewer", "protected_names": "x"},
        headers=team.owner,
    )
    assert [e["field"] for e in bad.json()["errors"]] == ["approvals_required", "min_role", "protected_names"]
    patched = team.client.patch(
        "/api/v1/workspaces/acme/policy",
        json={"approvals_required": 2, "protected_names": ["mail"]},
        headers=team.owner,
    )
    assert patched.json()["default"] == {
        "zone": None,
        "approvals_required": 2,
        "min_role": "editor",
        "protected_names": ["mail"],
        "independent_review": False,
    }
    created = team.create([WWW])
    assert team.approve(created).json()["state"] == "pending_review"
    assert team.approve(created, team.owner).json()["state"] == "approved"

    protected = team.create([{**WWW, "name": "mail"}])
    refused = team.approve(protected)
    assert refused.status_code == 403
    assert "protected names: mail" in refused.json()["detail"]
    assert team.approve(protected, team.owner).status_code == 200


def test_expired_requests_refuse_every_action(team: Team, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from datetime import timedelta

    from dunops.jobs import JobContext
    from dunops.storage.base import utcnow
    from dunops.storage.models import ChangeRequest
    from dunops.workflow.jobs import expire_requests_now

    created = team.create([WWW])
    other = team.create([{**WWW, "name": "w3"}])
    for change_id in (created["id"], other["id"]):
        row = db.get(ChangeRequest, change_id)
        row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    refused = team.approve(created)
    assert refused.status_code == 409
    assert "expired" in refused.json()["detail"]
    assert team.show(created["id"])["state"] == "expired"
    db.expire_all()
    assert db.get(ChangeRequest, created["id"]).state != "expired"  # a read shows the expiry, never writes it
    db.rollback()
    assert expire_requests_now(JobContext(team.settings)) == sorted([created["id"], other["id"]])
    assert team.show(other["id"])["state"] == "expired"
    assert any("expired" in s for s in team.mails_to("author@example.com"))


def test_another_workspace_sees_404(team: Team, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from tests.zones.helpers import api_token, bearer, member

    created = team.create([WWW])
    user, workspace = member(db, "other", "stranger@example.com")
    stranger = bearer(api_token(db, user, workspace))
    db.commit()
    assert (
        team.client.get(f"/api/v1/workspaces/acme/changes/{created['id']}", headers=stranger).status_code
        == 404
    )
    assert (
        team.client.get(f"/api/v1/workspaces/other/changes/{created['id']}", headers=stranger).status_code
        == 404
    )
    assert (
        team.client.post(
            f"/api/v1/workspaces/other/changes/{created['id']}/approve",
            json={"plan_hash": "x"},
            headers=stranger,
        ).status_code
        == 404
    )


def test_ids_beyond_the_database_range_are_refused_not_crashed(team: Team) -> None:  # noqa: F811
    for path in ("/changes/2147483648", "/changes/99999999999999999999", "/changes/0"):
        response = team.get(team.author, path)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] == "path.change_id"
    for action in ("approve", "apply", "cancel", "submit", "comments"):
        response = team.post(team.owner, f"/changes/9223372036854775808/{action}", {"body": "x"})
        assert response.status_code == 422, (action, response.text)
    assert team.get(team.author, "/changes/2147483647").status_code == 404


def test_control_characters_in_text_are_refused_naming_the_field(team: Team) -> None:  # noqa: F811
    for field, value in [("title", "Add\x00web"), ("title", "Add\x1bweb"), ("description", "why\x00")]:
        body = {"zone": ZONE, "title": "Add web", "edits": [WWW], field: value}
        response = team.post(team.author, "/changes", body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert team.get(team.author, "/changes").json()["items"] == []

    created = team.create([WWW], title="Add web")
    revised = team.post(team.author, f"/changes/{created['id']}/revise", {"title": "x\x00y"})
    assert revised.status_code == 422
    assert revised.json()["errors"][0]["field"] == "title"
    comment = team.post(team.reviewer, f"/changes/{created['id']}/comments", {"body": "looks\x00fine"})
    assert comment.status_code == 422
    assert comment.json()["errors"][0]["field"] == "body"
    fine = team.post(team.reviewer, f"/changes/{created['id']}/comments", {"body": "looks\tfine\nto me"})
    assert fine.status_code == 201, fine.text
    approval = team.post(
        team.reviewer,
        f"/changes/{created['id']}/approve",
        {"plan_hash": created["current_revision"]["plan_hash"], "comment": "ok\x00"},
    )
    assert approval.status_code == 422
    assert approval.json()["errors"][0]["field"] == "comment"
    assert team.show(created["id"])["title"] == "Add web"


def test_the_plan_shows_the_risks_a_change_request_would_carry(team: Team) -> None:  # noqa: F811
    edits = [
        {"action": "delete", "name": "@", "type": "NS"},
        {"action": "upsert", "name": "@", "type": "MX", "ttl": 300, "values": ["20 mail"]},
    ]
    planned = team.post(team.author, f"/zones/{ZONE}/plan", {"edits": edits})
    assert planned.status_code == 200, planned.text
    created = team.create(edits)
    assert planned.json()["risk_reasons"] == created["current_revision"]["risk_reasons"]
    assert sorted(r["id"] for r in planned.json()["risk_reasons"]) == ["apex-ns", "mx:example.test."]
    replaced = team.post(
        team.author,
        f"/zones/{ZONE}/plan",
        {"edits": [{"action": "upsert", "name": "@", "type": "NS", "values": ["ns9.example.net."]}]},
    )
    assert [r["code"] for r in replaced.json()["risk_reasons"]] == ["apex-ns"]


def test_a_txt_value_is_one_text_whatever_spaces_or_quotes_it_holds(team: Team) -> None:  # noqa: F811
    values = ["v=spf1 mx -all", 'say "hi" there', "semi\\;colon", "x" * 300, '"part one" "part two"']
    edits = [{"action": "upsert", "name": "t", "type": "TXT", "ttl": 300, "values": values}]
    planned = team.post(team.author, f"/zones/{ZONE}/plan", {"edits": edits})
    assert planned.status_code == 200, planned.text
    after = planned.json()["plan"]["changes"][0]["after"]["values"]
    assert sorted(after) == sorted(
        [
            '"v=spf1 mx -all"',
            '"say \\"hi\\" there"',
            '"semi;colon"',
            '"' + "x" * 255 + '" "' + "x" * 45 + '"',
            '"part one" "part two"',
        ]
    )
    created = team.create(edits)
    assert team.approve(created).json()["state"] == "approved"
    applied = team.post(team.author, f"/changes/{created['id']}/apply")
    assert applied.status_code in (200, 202), applied.text
    team.run_jobs()
    assert 't 300 IN TXT "v=spf1 mx -all"' in team.zone_file().replace("t.example.test.", "t")
