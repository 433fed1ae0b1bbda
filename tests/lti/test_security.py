"""Launches an attacker (or a broken LMS) sends are refused with a page that says why, and
leave nothing behind; a launched student never reaches another course."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Course, Enrolment, LtiLaunchState, LtiUser, User
from tests.support import specs
from tests.support.lti_platform import CLIENT_ID, INSTRUCTOR, LEARNER, new_key


def _counts() -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(m))
        for m in (User, Course, Enrolment, LtiUser)
    )


def _refused(response, status, words):
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[-800:]
    assert "could not open this from your LMS" in page
    assert words.lower() in page.lower(), page[-800:]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _payload(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_a_replayed_launch_is_refused(lms, placed_quiz):
    client = lms.client()
    _action, fields = lms.start(client, sub="student-1", roles=LEARNER)
    assert client.post("/lti/launch", data=fields).status_code == 302
    before = _counts()
    _refused(client.post("/lti/launch", data=fields), 403, "already used")
    assert _counts() == before


def test_a_launch_without_the_login_cookie_is_refused(lms, placed_quiz):
    _, fields = lms.start(lms.client(), sub="student-1", roles=LEARNER)
    other_browser = lms.client()
    before = _counts()
    _refused(other_browser.post("/lti/launch", data=fields), 400, "new window")
    assert _counts() == before


def test_a_nonce_hustings_did_not_issue_is_refused(lms, placed_quiz):
    def forge(message):
        message["nonce"] = "made-up"

    client = lms.client()
    _refused(lms.launch(client, sub="s", roles=LEARNER, tamper=forge), 403, "already used")


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        (lambda m: m.update(aud="another-tool"), "not registered"),
        (lambda m: m.update(aud=["another-tool", CLIENT_ID], azp="another-tool"), "azp"),
        (lambda m: m.update(aud=["another-tool", CLIENT_ID]) or m.pop("azp"), "azp"),
        (lambda m: m.update(iss="https://evil.example"), "not registered"),
        (
            lambda m: m.update(
                {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "rogue-deployment"}
            ),
            "rogue-deployment",
        ),
    ],
    ids=["wrong-aud", "wrong-azp", "missing-azp", "unregistered-issuer", "unknown-deployment"],
)  # fmt: skip
def test_claims_that_do_not_name_this_registration_are_refused(lms, placed_quiz, tamper, words):
    before = _counts()
    _refused(lms.launch(lms.client(), sub="s-x", roles=LEARNER, tamper=tamper), 403, words)
    assert _counts() == before


def _resigned(lms, fields, change):
    """The launch's token with ``change`` applied, signed again with the platform's own key."""
    claims = _payload(fields["id_token"])
    change(claims)
    kid = json.loads(base64.urlsafe_b64decode(fields["id_token"].split(".")[0] + "=="))["kid"]
    token = jwt.encode(claims, lms.state.private_pem, algorithm="RS256", headers={"kid": kid})
    return {**fields, "id_token": token}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c: c.update(iat=int(time.time()) + 3600), "future"),
        (lambda c: c.pop("exp"), "exp"),
        (lambda c: c.pop("iat"), "iat"),
    ],
    ids=["issued-in-the-future", "no-expiry", "no-issued-at"],
)
def test_tokens_without_sound_times_are_refused(lms, placed_quiz, change, words):
    client = lms.client()
    _, fields = lms.start(client, sub="s-t", roles=LEARNER)
    _refused(client.post("/lti/launch", data=_resigned(lms, fields, change)), 403, words)


def test_an_expired_token_is_refused(lms, placed_quiz):
    response = lms.launch(lms.client(), sub="s-x", roles=LEARNER, expires_in=-120)
    _refused(response, 403, "expired")


def test_a_student_forging_the_instructor_role_breaks_the_signature(lms, placed_quiz):
    client = lms.client()
    _, fields = lms.start(client, sub="student-1", roles=LEARNER)
    header, _body, signature = fields["id_token"].split(".")
    claims = _payload(fields["id_token"])
    claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = INSTRUCTOR
    fields["id_token"] = ".".join((header, _b64(claims), signature))
    before = _counts()
    _refused(client.post("/lti/launch", data=fields), 403, "signature")
    assert _counts() == before


def test_a_token_signed_by_another_key_is_refused(lms, placed_quiz):
    client = lms.client()
    _, fields = lms.start(client, sub="student-1", roles=LEARNER)
    claims = _payload(fields["id_token"])
    kid = json.loads(base64.urlsafe_b64decode(fields["id_token"].split(".")[0] + "=="))["kid"]
    fields["id_token"] = jwt.encode(claims, new_key()[0], algorithm="RS256", headers={"kid": kid})
    _refused(client.post("/lti/launch", data=fields), 403, "signature")


def test_an_alg_none_token_is_refused(lms, placed_quiz):
    client = lms.client()
    _, fields = lms.start(client, sub="student-1", roles=LEARNER)
    claims = _payload(fields["id_token"])
    fields["id_token"] = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    response = client.post("/lti/launch", data=fields)
    assert response.status_code in (400, 403)
    assert db.session.scalar(select(LtiUser).where(LtiUser.sub == "student-1")) is None


def test_platform_keys_are_cached_and_a_rotated_key_is_fetched_once(lms, placed_quiz):
    lms.launch(lms.client(), sub="a", roles=LEARNER)
    lms.launch(lms.client(), sub="b", roles=LEARNER)
    assert lms.state.jwks_requests == 1  # the second launch used the cached keys
    lms.state.rotate_key()
    response = lms.launch(lms.client(), sub="c", roles=LEARNER)
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    assert lms.state.jwks_requests == 2


def test_an_unknown_kid_is_refused_after_one_refetch(lms, placed_quiz):
    client = lms.client()
    _, fields = lms.start(client, sub="student-1", roles=LEARNER)
    header, body, signature = fields["id_token"].split(".")
    head = json.loads(base64.urlsafe_b64decode(header + "=="))
    head["kid"] = "no-such-key"
    fields["id_token"] = ".".join((_b64(head), body, signature))
    _refused(client.post("/lti/launch", data=fields), 403, "unable to find public key")


def test_a_login_from_an_unregistered_platform_is_refused(lms):
    response = lms.client().get(
        "/lti/login", query_string={"iss": "https://evil.example", "login_hint": "x"}
    )
    _refused(response, 400, "register")
    assert db.session.scalar(select(func.count()).select_from(LtiLaunchState)) == 0


def test_a_link_to_another_courses_quiz_is_refused_for_students(lms, make, placed_quiz):
    other = make.quiz(make.course(make.instructor()), [make.question(specs.single("q-o"))])
    make.commit()
    before = _counts()
    response = lms.launch(
        lms.client(),
        sub="student-1",
        roles=LEARNER,
        resource_link_id="copied",
        custom={"hustings_quiz": str(other.id)},
    )
    _refused(response, 403, "another Hustings course")
    assert _counts() == before


def test_an_instructor_whose_link_names_another_courses_quiz_chooses_one_of_this_course(
    lms, make, placed_quiz
):
    other = make.quiz(make.course(make.instructor()), [make.question(specs.single("q-o"))])
    make.commit()
    response = lms.launch(
        lms.client(),
        sub="teacher-1",
        roles=INSTRUCTOR,
        resource_link_id="copied",
        custom={"hustings_quiz": str(other.id)},
    )
    assert response.headers["Location"].endswith("/lti/link")


def test_a_launched_student_never_sees_another_course(lms, make, placed_quiz):
    other_course = make.course(make.instructor())
    other = make.quiz(other_course, [make.question(specs.single("q-o"))], published=True)
    make.commit()
    client = lms.client()
    lms.launch(client, sub="student-1", roles=LEARNER)
    assert client.get(f"/quizzes/{placed_quiz.id}").status_code == 200
    assert client.get(f"/quizzes/{other.id}").status_code == 404
    assert client.get(f"/courses/{other_course.id}").status_code == 404
    assert client.get(f"/teach/courses/{placed_quiz.course_id}/lti").status_code == 404
    assert client.get("/lti/platforms").status_code == 404


def test_roles_that_neither_teach_nor_learn_are_refused(lms, placed_quiz):
    mentor = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]
    _refused(lms.launch(lms.client(), sub="parent", roles=mentor), 403, "neither instructor")


def test_an_email_from_the_lms_never_takes_over_an_existing_account(lms, make, placed_quiz):
    victim = make.instructor(email="dean@example.edu")
    client = lms.client()
    lms.launch(client, sub="attacker", roles=LEARNER, email="dean@example.edu", name="Dean")
    linked = db.session.scalar(select(User).join(LtiUser).where(LtiUser.sub == "attacker"))
    assert linked.id != victim.id and linked.email.endswith("@lti.invalid")
    assert client.get("/teach/courses").status_code in (302, 404)
