"""Deep linking: from the LMS's picker an instructor places quizzes, signed, with points."""

from __future__ import annotations

import jwt
import requests
from sqlalchemy import select

from app.extensions import db
from app.lti import keys
from app.models import LtiContext, LtiResourceLink
from tests.support import specs
from tests.support.lti_platform import INSTRUCTOR, LEARNER, form_fields


def _picker(lms, make, *, accept_multiple=True):
    client = lms.client()
    response = lms.launch(
        client,
        sub="teacher-1",
        roles=INSTRUCTOR,
        deep_linking=True,
        accept_multiple=accept_multiple,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    assert response.headers["Location"].endswith("/lti/deep-link")
    course = db.session.scalar(select(LtiContext)).course
    first = make.quiz(course, [make.question(specs.single("q-1"))], published=True)
    second = make.quiz(
        course, [make.question(specs.single("q-2")), make.question(specs.essay())], published=True
    )
    empty = make.quiz(course, [], published=False)
    make.commit()
    return client, first, second, empty


def test_an_instructor_places_two_quizzes_with_their_points(lms, make):
    client, first, second, _empty = _picker(lms, make)
    page = client.get("/lti/deep-link").get_data(as_text=True)
    assert first.title in page and "2 point(s)" in page and "no questions yet" in page
    answer = client.post("/lti/deep-link", data={"quiz_id": [str(first.id), str(second.id)]})
    assert answer.status_code == 200
    csp = answer.headers["Content-Security-Policy"]
    assert f"form-action 'self' {lms.server.base}" in csp
    action, fields = form_fields(answer.get_data(as_text=True), "lti-return-form")
    assert action == f"{lms.server.base}/deep_link_return"
    # The platform checks the signature against Hustings' JWKS.
    received = requests.post(action, data=fields, timeout=10)
    assert received.status_code == 200, received.text
    items = lms.state.deep_link_items
    assert [i["title"] for i in items] == [first.title, second.title]
    assert items[0]["custom"] == {"hustings_quiz": str(first.id)}
    assert items[0]["lineItem"]["scoreMaximum"] == 1
    assert items[1]["lineItem"]["scoreMaximum"] == 2
    assert items[0]["url"] == "http://localhost/lti/launch"
    claims = jwt.decode(fields["JWT"], options={"verify_signature": False})
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == {"opaque": "kept"}
    assert jwt.get_unverified_header(fields["JWT"])["kid"] == keys.active_key().kid
    # The request is used up: a second answer is refused.
    assert client.post("/lti/deep-link", data={"quiz_id": str(first.id)}).status_code == 400


def test_a_placed_quiz_opens_for_students_of_that_course(lms, make):
    client, first, _, _ = _picker(lms, make)
    answer = client.post("/lti/deep-link", data={"quiz_id": str(first.id)})
    _, fields = form_fields(answer.get_data(as_text=True), "lti-return-form")
    requests.post(f"{lms.server.base}/deep_link_return", data=fields, timeout=10)
    (item,) = lms.state.deep_link_items
    student = lms.client()
    response = lms.launch(
        student, sub="s-1", roles=LEARNER, resource_link_id="placed-1", custom=item["custom"]
    )
    assert response.headers["Location"].endswith(f"/quizzes/{first.id}")
    assert db.session.scalar(select(LtiResourceLink)).quiz_id == first.id


def test_choices_outside_the_course_or_without_questions_are_refused(lms, make):
    client, first, second, empty = _picker(lms, make, accept_multiple=False)
    foreign = make.quiz(make.course(make.instructor()), [make.question(specs.single("q-f"))])
    make.commit()
    cases = [
        ({}, "Choose a quiz."),
        ({"quiz_id": [str(first.id), str(second.id)]}, "accepts one quiz"),
        ({"quiz_id": str(foreign.id)}, "among this course"),
        ({"quiz_id": "1 OR 1=1"}, "among this course"),
        ({"quiz_id": str(empty.id)}, "no questions yet"),
    ]
    for data, words in cases:
        response = client.post("/lti/deep-link", data=data)
        assert response.status_code == 400, data
        assert words in response.get_data(as_text=True), data
    assert lms.state.deep_link_items == []


def test_students_cannot_deep_link(lms, make):
    response = lms.launch(lms.client(), sub="s-1", roles=LEARNER, deep_linking=True)
    assert response.status_code == 403
    assert "Only the course" in response.get_data(as_text=True)


def test_the_picker_without_a_request_from_the_lms_explains_itself(lms, make):
    client = lms.client()
    lms.launch(client, sub="teacher-1", roles=INSTRUCTOR, resource_link_id="x")
    response = client.get("/lti/deep-link")
    assert response.status_code == 400
    assert "add external tool" in response.get_data(as_text=True)
