"""NRPS roster sync, platform registration (CLI and page), tool configuration and keys,
and the framed session a launch starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from app.extensions import db
from app.lti import keys
from app.models import Enrolment, LtiContext, LtiDeployment, LtiPlatform, LtiUser, Role, User
from tests.support.lti_platform import INSTRUCTOR, LEARNER, form_fields

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def _member(sub, name, roles, status="Active", email=None):
    member = {"user_id": sub, "name": name, "roles": roles, "status": status}
    if email:
        member["email"] = email
    return member


def test_roster_sync_enrols_students_before_their_first_launch(lms, placed_quiz):
    lms.state.members["course-1"] = [
        _member("teacher-1", "Ada Teacher", [ROLE + "Instructor"]),
        _member("s-1", "Sam One", [ROLE + "Learner"], email="sam@example.edu"),
        _member("s-2", "Kim Two", ["Learner"]),
        _member("s-3", "Gone Three", [ROLE + "Learner"], status="Inactive"),
        _member("p-1", "A Parent", [ROLE + "Mentor"]),
    ]
    teacher = lms.client()
    lms.launch(teacher, sub="teacher-1", roles=INSTRUCTOR)
    course_id = placed_quiz.course_id
    page = teacher.post(f"/teach/courses/{course_id}/lti/roster", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "2 student(s) and 1 instructor(s) enrolled" in text, text[-1500:]
    assert "Gone Three: inactive" in text and "A Parent: neither" in text
    students = db.session.scalars(
        select(User.name)
        .join(Enrolment)
        .where(Enrolment.course_id == course_id, Enrolment.role == Role.STUDENT)
        .order_by(User.name)
    ).all()
    assert students == ["Kim Two", "Sam One"]
    # The accommodation page lists them already; their first launch uses the same account.
    synced = db.session.scalar(select(LtiUser).where(LtiUser.sub == "s-1")).user_id
    lms.launch(
        lms.client(), sub="s-1", roles=LEARNER, custom={"hustings_quiz": str(placed_quiz.id)}
    )
    assert db.session.scalar(select(LtiUser).where(LtiUser.sub == "s-1")).user_id == synced
    assert db.session.scalar(select(LtiContext)).roster_synced_at is not None


def test_roster_sync_from_the_cli(lms, placed_quiz):
    lms.state.members["course-1"] = [_member("s-9", "Cli Student", ["Learner"])]
    result = lms.web_app.test_cli_runner().invoke(
        args=["lti", "roster", str(placed_quiz.course_id)]
    )
    assert result.exit_code == 0, result.output
    assert "1 student(s)" in result.output


def test_roster_sync_without_nrps_says_what_to_turn_on(lms, make):
    teacher = lms.client()
    lms.launch(teacher, sub="teacher-1", roles=INSTRUCTOR, nrps=False)
    course_id = db.session.scalar(select(LtiContext)).course_id
    page = teacher.post(f"/teach/courses/{course_id}/lti/roster", follow_redirects=True)
    assert "Names and Role Provisioning" in page.get_data(as_text=True)


def test_cli_registration_and_its_errors(app, lms):
    runner = lms.web_app.test_cli_runner()
    ok = runner.invoke(
        args=["lti", "register", "--name", "Moodle", "--issuer", "https://moodle.example.edu",
              "--client-id", "abc", "--deployment-id", "1", "--deployment-id", "2",
              "--login-url", "https://moodle.example.edu/mod/lti/auth.php",
              "--token-url", "https://moodle.example.edu/mod/lti/token.php",
              "--jwks-url", "https://moodle.example.edu/mod/lti/certs.php"]
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    platform = db.session.scalar(select(LtiPlatform).where(LtiPlatform.client_id == "abc"))
    assert [d.deployment_id for d in platform.deployments] == ["1", "2"]
    bad = runner.invoke(
        args=["lti", "register", "--issuer", "moodle", "--client-id", "x\u202e",
              "--deployment-id", " ", "--login-url", "ftp://x", "--token-url", "",
              "--jwks-url", "https://ok.example/jwks"]
    )  # fmt: skip
    assert bad.exit_code != 0
    for words in ("--issuer:", "--client-id:", "right-to-left override", "--deployment-id:",
                  "--login-url:", "--token-url:"):  # fmt: skip
        assert words in bad.output, bad.output
    assert db.session.scalar(select(LtiPlatform).where(LtiPlatform.issuer == "moodle")) is None


def test_platform_page_for_lti_admins_only(lms, make, login_as):
    admin = make.instructor(email="admin@example.edu")
    other = make.instructor()
    lms.web_app.config["LTI_ADMINS"] = ["admin@example.edu"]
    client = lms.client()
    login_as(other, c=client)
    assert client.get("/lti/platforms").status_code == 404
    client = lms.client()
    login_as(admin, c=client)
    page = client.get("/lti/platforms").get_data(as_text=True)
    assert "http://localhost/lti/login" in page and "http://localhost/lti/jwks" in page
    form = {
        "name": "Canvas", "issuer": "https://canvas.instructure.com", "client_id": "10000000001",
        "deployment_ids": "1:abc, 2:def", "login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "token_url": "https://sso.canvaslms.com/login/oauth2/token",
        "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks",
        "frame_origins": "https://school.instructure.com",
    }  # fmt: skip
    assert client.post("/lti/platforms", data=form).status_code == 302
    platform = db.session.scalar(select(LtiPlatform).where(LtiPlatform.client_id == "10000000001"))
    assert {d.deployment_id for d in platform.deployments} == {"1:abc", "2:def"}
    bad = client.post("/lti/platforms", data={**form, "jwks_url": "not a url", "client_id": "9"})
    assert bad.status_code == 400 and "is not an http(s) URL" in bad.get_data(as_text=True)
    assert db.session.scalar(select(LtiDeployment).join(LtiPlatform).where(
        LtiPlatform.client_id == "9")) is None  # fmt: skip


def test_key_rotation_keeps_the_old_key_published_until_retired(lms, make, login_as):
    old = keys.active_key()
    lms.launch(lms.client(), sub="teacher-1", roles=INSTRUCTOR)
    result = lms.web_app.test_cli_runner().invoke(args=["lti", "rotate-key"])
    assert result.exit_code == 0, result.output
    jwks = lms.client().get("/lti/jwks").get_json()
    kids = [k["kid"] for k in jwks["keys"]]
    new = keys.active_key()
    assert kids == [old.kid, new.kid] and new.kid != old.kid
    assert keys.retire_rotated(datetime.now(UTC)) == 0
    assert keys.retire_rotated(datetime.now(UTC) + timedelta(days=8)) == 1
    db.session.commit()
    assert [k["kid"] for k in lms.client().get("/lti/jwks").get_json()["keys"]] == [new.kid]


def test_canvas_json_configuration(lms):
    config = lms.client().get("/lti/config.json").get_json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["target_link_uri"] == "http://localhost/lti/launch"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]


def test_a_launched_session_may_be_framed_by_its_platform_only(lms, placed_quiz):
    client = lms.web_app.test_client()
    hint = lms.server.prepare(sub="s-f", roles=LEARNER)
    login = client.get(
        "/lti/login", query_string=lms.server.login_params(hint), base_url="https://localhost"
    )
    state_cookie = login.headers["Set-Cookie"]
    assert "SameSite=None" in state_cookie and "Secure" in state_cookie
    assert "Partitioned" in state_cookie
    _, fields = form_fields(requests.get(login.headers["Location"], timeout=10).text)
    launched = client.post("/lti/launch", data=fields, base_url="https://localhost")
    assert launched.status_code == 302, launched.get_data(as_text=True)[-500:]
    cookie = launched.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Partitioned" in cookie and "Secure" in cookie
    page = client.get(f"/quizzes/{placed_quiz.id}", base_url="https://localhost")
    csp = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {lms.server.base}" in csp
    assert "X-Frame-Options" not in page.headers
    # A normal login is not framable.
    other = lms.web_app.test_client().get("/login")
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
    assert other.headers["X-Frame-Options"] == "DENY"
