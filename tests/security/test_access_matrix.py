"""Every route in ``app.url_map`` × every kind of visitor gets exactly what it should.

Visitors: anonymous, the course's instructor, another course's instructor, the student who owns
the attempt, a classmate, and a student of another course. A route missing from ``POLICY``
fails the suite, so a new route cannot ship without deciding who may use it. State-changing
routes are also called by every visitor who must be refused, and the database must not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import func, select

from app.domain.roster import parse_roster
from app.extensions import db
from app.models import (
    Accommodation,
    Attempt,
    Bank,
    Course,
    Enrolment,
    GradeChange,
    Highlight,
    Invitation,
    PasswordReset,
    Question,
    Quiz,
    QuizSlot,
    Response,
    Source,
    User,
)
from app.services import accounts, attempts
from tests.attempts import specs
from tests.factories import Factory

VISITORS = ("anonymous", "owner", "classmate", "other_student", "other_instructor", "instructor")

# Who may use a route. Everyone else logged in gets 404 (or 403); anonymous visitors go to login.
PUBLIC = "public"  # anyone, logged in or not
LOGGED_IN = "logged_in"  # any account
ANY_INSTRUCTOR = "any_instructor"  # every instructor: the shared library, own course list
COURSE_INSTRUCTOR = "course_instructor"  # only the instructor of the course the ids belong to
COURSE_MEMBER = "course_member"  # the course's students and instructor
QUIZ_TAKER = "quiz_taker"  # the course's students, and its instructor (preview)
ATTEMPT_OWNER = "attempt_owner"  # only the student whose attempt it is
LTI_ADMIN = "lti_admin"  # instructors named in LTI_ADMINS (the course's instructor, here)

ALLOWED = {
    PUBLIC: set(VISITORS),
    LOGGED_IN: set(VISITORS) - {"anonymous"},
    ANY_INSTRUCTOR: {"instructor", "other_instructor"},
    COURSE_INSTRUCTOR: {"instructor"},
    COURSE_MEMBER: {"instructor", "owner", "classmate"},
    QUIZ_TAKER: {"instructor", "owner", "classmate"},
    ATTEMPT_OWNER: {"owner"},
    LTI_ADMIN: {"instructor"},
}

POLICY: dict[str, str] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.signup": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.change_password": LOGGED_IN,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.invitation": PUBLIC,
    "courses.answer_invitation": LOGGED_IN,
    "courses.invitation_link": COURSE_INSTRUCTOR,
    "courses.reset_link": COURSE_INSTRUCTOR,
    "auth.end_all_sessions": LOGGED_IN,
    "auth.session_token": LOGGED_IN,
    "courses.end_student_sessions": COURSE_INSTRUCTOR,
    "courses.index": PUBLIC,
    "courses.student_index": LOGGED_IN,
    "courses.teach_index": ANY_INSTRUCTOR,
    "courses.roster": COURSE_INSTRUCTOR,
    "courses.student_course": COURSE_MEMBER,
    "student.quiz": QUIZ_TAKER,
    "student.start": QUIZ_TAKER,
    "student.attempt": ATTEMPT_OWNER,
    "student.save": ATTEMPT_OWNER,
    "student.confirm_submit": ATTEMPT_OWNER,
    "student.result": ATTEMPT_OWNER,
    "student.flag": ATTEMPT_OWNER,
    "student.add_highlight": ATTEMPT_OWNER,
    "student.remove_highlight": ATTEMPT_OWNER,
    # LTI: the protocol endpoints are public (the LMS's signed messages authenticate them);
    # the pickers need a launch in the session and check the course themselves.
    "lti.jwks": PUBLIC,
    "lti.canvas_config": PUBLIC,
    "lti.login": PUBLIC,
    "lti.launch": PUBLIC,
    "lti.deep_link": LOGGED_IN,
    "lti.choose_link": LOGGED_IN,
    "lti.course": COURSE_INSTRUCTOR,
    "lti.sync_roster": COURSE_INSTRUCTOR,
    "lti.retry": COURSE_INSTRUCTOR,
    "lti.platforms_page": LTI_ADMIN,
    "lti.rotate_key": LTI_ADMIN,
}
for _endpoint in [
    "accommodations",
    "add_draw",
    "add_questions",
    "clear_accommodation",
    "move_slot",
    "preview_question",
    "publish",
    "questions",
    "quiz_list",
    "remove_slot",
    "settings",
    "update_slot",
]:
    POLICY[f"builder.{_endpoint}"] = COURSE_INSTRUCTOR
for _endpoint in [
    "attempt_grades",
    "audit",
    "grade_response",
    "override_attempt",
    "override_response",
    "queue",
    "regrade",
]:
    POLICY[f"marking.{_endpoint}"] = COURSE_INSTRUCTOR
for _endpoint in ["attempt", "items", "overview", "results", "skills", "student"]:
    POLICY[f"dashboards.{_endpoint}"] = COURSE_INSTRUCTOR
for _endpoint in ["gradebook_csv", "index", "quiz_csv"]:
    POLICY[f"exports.{_endpoint}"] = COURSE_INSTRUCTOR
POLICY["misreadings.quiz"] = COURSE_INSTRUCTOR
for _endpoint in [
    "bank",
    "banks",
    "confirm_bank",
    "download_yaml",
    "export_bank",
    "import_gift",
    "import_source",
    "index",
    "question",
    "review_source",
    "source",
    "source_file",
    "sources",
    "upload_bank",
]:
    POLICY[f"library.{_endpoint}"] = ANY_INSTRUCTOR

# Allowed POSTs that need a real form to succeed answer 400 with an explanation; that is fine.
ALLOWED_STATUSES = {200, 302, 303, 400, 409}


@dataclass
class World:
    users: dict[str, User]
    course: Course
    quiz: Quiz
    open_attempt: Attempt
    done_attempt: Attempt
    essay_response: Response
    slot: QuizSlot
    question: Question
    bank: Bank
    source: Source
    reset_token: str = ""
    invitation_token: str = ""
    highlight: Highlight | None = None


def build_world(make: Factory) -> World:
    teacher, other_teacher = make.instructor(), make.instructor()
    course, other_course = make.course(teacher), make.course(other_teacher)
    owner, classmate, other_student = make.student(), make.student(), make.student()
    make.enrol(course, owner)
    make.enrol(course, classmate)
    make.enrol(other_course, other_student)
    source = make.source()
    questions = [make.question(specs.single()), make.question(specs.essay())]
    quiz = make.quiz(
        course,
        questions,
        source=source,
        published=True,
        attempts_allowed=3,
        closes_at=datetime.now(UTC) + timedelta(days=1),
    )
    now = datetime.now(UTC)
    done = attempts.start_or_resume(quiz, owner, now)
    attempts.answer(done, 2, "An essay that needs a person.", now)
    attempts.submit(done, now)
    db.session.commit()
    open_ = attempts.start_or_resume(quiz, owner, now)
    db.session.add(Accommodation(quiz_id=quiz.id, user_id=owner.id, extra_minutes=10))
    highlight = Highlight(
        attempt_id=open_.id, source_slug=source.slug, paragraph=1, start_offset=0, end_offset=9,
        quote="Paragraph",
    )  # fmt: skip
    db.session.add(highlight)
    db.session.commit()
    essay = db.session.scalar(
        select(Response).where(Response.attempt_id == done.id, Response.position == 2)
    )
    # A reset link for the owner, and a new student's invitation link (the link pages).
    reset_token = accounts.issue_password_reset(owner, "instructor", issued_by=teacher)
    roster = parse_roster(b"name,email\nNew Student,invited@example.test\n")[0]
    invitation = accounts.import_roster(course, roster, teacher).invited[0]
    invitation_token = accounts.new_invitation_link(invitation)
    db.session.commit()
    return World(
        reset_token=reset_token or "",
        invitation_token=invitation_token,
        users={
            "owner": owner,
            "classmate": classmate,
            "other_student": other_student,
            "instructor": teacher,
            "other_instructor": other_teacher,
        },
        course=course,
        quiz=quiz,
        open_attempt=open_,
        done_attempt=done,
        essay_response=essay,
        slot=quiz.slots[0],
        question=questions[0],
        bank=questions[0].bank,
        source=source,
        highlight=highlight,
    )


def url_args(endpoint: str, arguments: set[str], w: World) -> dict[str, Any]:
    attempt = (
        w.open_attempt
        if endpoint
        in (
            "student.attempt",
            "student.save",
            "student.confirm_submit",
            "student.flag",
            "student.add_highlight",
            "student.remove_highlight",
        )
        else w.done_attempt
    )
    values: dict[str, Any] = {
        "course_id": w.course.id,
        "quiz_id": w.quiz.id,
        "attempt_id": attempt.id,
        "user_id": w.users["owner"].id,
        "slot_id": w.slot.id,
        "question_id": w.question.id,
        "response_id": w.essay_response.id,
        "position": 1,
        "highlight_id": w.highlight.id if w.highlight else 1,
        "key": w.question.key,
        "filename": "css/hustings.css",
        "slug": w.source.slug if ".source" in endpoint else w.bank.slug,
        "token": w.reset_token if endpoint == "auth.reset_password" else w.invitation_token,
    }
    missing = arguments - values.keys()
    assert not missing, f"{endpoint}: the access matrix has no value for {missing}"
    return {name: values[name] for name in arguments}


@pytest.fixture
def world(make: Factory) -> World:
    return build_world(make)


@pytest.fixture
def visit(web_app: Flask, world: World, login_as: Callable[..., Any]) -> Callable[[str], Any]:
    clients: dict[str, Any] = {}
    web_app.config["LTI_ADMINS"] = [world.users["instructor"].email]

    def client_for(visitor: str) -> Any:
        if visitor not in clients:
            c = web_app.test_client()
            if visitor != "anonymous":
                login_as(world.users[visitor], c=c)
            clients[visitor] = c
        return clients[visitor]

    return client_for


def build_url(app: Flask, rule: Any, w: World) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **url_args(rule.endpoint, set(rule.arguments), w))


def rules(app: Flask) -> list[Any]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def test_every_route_has_a_policy(web_app: Flask) -> None:
    unknown = {r.endpoint for r in rules(web_app)} - POLICY.keys()
    assert not unknown, f"decide who may use these routes (add them to POLICY): {unknown}"
    stale = POLICY.keys() - {r.endpoint for r in rules(web_app)}
    assert not stale, f"POLICY names routes that no longer exist: {stale}"


def _expect(policy: str, visitor: str, response: Any, label: str) -> None:
    status = response.status_code
    location = response.headers.get("Location", "")
    if visitor in ALLOWED[policy]:
        assert status in ALLOWED_STATUSES, f"{label}: {visitor} should get in, got {status}"
        assert "/login" not in location or policy == PUBLIC, f"{label}: {visitor} sent to login"
    elif visitor == "anonymous":
        assert status in (302, 401), f"{label}: anonymous got {status}"
        if status == 302:
            assert location.startswith("/login"), f"{label}: anonymous sent to {location}"
    else:
        assert status in (403, 404), f"{label}: {visitor} must be refused, got {status}"


def _snapshot() -> tuple[int, ...]:
    db.session.expire_all()
    models = (
        User,
        Enrolment,
        Course,
        Quiz,
        QuizSlot,
        Attempt,
        Response,
        GradeChange,
        Accommodation,
        Question,
        Source,
        Invitation,
        PasswordReset,
        Highlight,
    )
    counts = tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)
    state = tuple(
        db.session.execute(
            select(Attempt.state, Attempt.score, Attempt.score_override).order_by(Attempt.id)
        ).all()
    )
    responses = tuple(
        db.session.execute(
            select(
                Response.value, Response.score, Response.manual_score, Response.flagged
            ).order_by(Response.id)
        ).all()
    )
    quizzes = tuple(db.session.execute(select(Quiz.title, Quiz.published)).all())
    links = tuple(
        db.session.execute(
            select(Invitation.token_hash, Invitation.accepted_at, Invitation.declined_at)
        ).all()
    ) + tuple(db.session.execute(select(PasswordReset.token_hash, PasswordReset.used_at)).all())
    return (*counts, hash(repr((state, responses, quizzes, links))))


@pytest.mark.parametrize("visitor", VISITORS)
def test_get_routes(
    web_app: Flask, world: World, visit: Callable[[str], Any], visitor: str
) -> None:
    client = visit(visitor)
    for rule in rules(web_app):
        if "GET" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        url = build_url(web_app, rule, world)
        response = client.get(url)
        _expect(POLICY[rule.endpoint], visitor, response, f"GET {url}")
        response.close()  # static files are streamed from an open file


@pytest.mark.parametrize("visitor", [v for v in VISITORS if v != "instructor"])
def test_refused_posts_change_nothing(
    web_app: Flask, world: World, visit: Callable[[str], Any], visitor: str
) -> None:
    client = visit(visitor)
    before = _snapshot()
    for rule in rules(web_app):
        policy = POLICY[rule.endpoint]
        writes = rule.methods & {"POST", "DELETE"}
        if not writes or visitor in ALLOWED[policy]:
            continue
        url = build_url(web_app, rule, world)
        # A plausible body for each kind of form, with the fields an attacker would try.
        form = {
            "title": "hijacked",
            "score": "99",
            "reason": "because",
            "value": "a",
            "seq": "1",
            "published": "y",
            "name": "x",
            "email": "x@example.test",
            "question_ids": "1",
            "action": "finish",
            "points": "5",
            "comment": "hi",
            "apply": "1",
        }
        if rule.endpoint == "student.save":
            response = client.post(url, json={"value": "a", "seq": 99})
        elif rule.endpoint == "student.flag":
            response = client.post(url, json={"flagged": True})
        elif rule.endpoint == "student.add_highlight":
            ranges = [{"source": world.source.slug, "paragraph": 2, "start": 0, "end": 9}]
            response = client.post(url, json={"ranges": ranges})
        elif "DELETE" in writes:
            response = client.delete(url)
        else:
            response = client.post(url, data=form)
        _expect(policy, visitor, response, f"POST {url}")
    assert _snapshot() == before, f"a refused POST by {visitor} changed the database"
