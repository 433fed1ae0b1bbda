"""The suites that walk every route share this: who may use each route (POLICY), a world with
one of everything for the URLs to name, whole-database snapshots, CSRF logins, and a check for
markup a browser would run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from flask import Flask, url_for
from sqlalchemy import select

from app.domain.roster import parse_roster
from app.extensions import db
from app.models import (
    Accommodation,
    Attempt,
    Bank,
    Course,
    Highlight,
    Question,
    Quiz,
    QuizSlot,
    Response,
    Source,
    User,
)
from app.services import accounts, attempts
from tests.support import specs
from tests.support.factories import PASSWORD, Factory

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
    "courses.favicon": PUBLIC,
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
    "copy_quiz",
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
    "export_bank_yaml",
    "import_gift",
    "import_source",
    "index",
    "question",
    "review_source",
    "source",
    "source_file",
    "source_new_question",
    "sources",
    "upload_bank",
]:
    POLICY[f"library.{_endpoint}"] = ANY_INSTRUCTOR
for _endpoint in [
    "check",
    "duplicate",
    "edit_question",
    "move",
    "new_bank",
    "new_question",
    "questions",
    "retire",
]:
    POLICY[f"studio.{_endpoint}"] = ANY_INSTRUCTOR

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


def build_url(app: Flask, rule: Any, w: World) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **url_args(rule.endpoint, set(rule.arguments), w))


def rules(app: Flask) -> list[Any]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def database_snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered: any change anywhere shows up."""
    db.session.commit()
    db.session.expire_all()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(repr(v) for v in row) for row in rows]
    db.session.commit()
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def csrf_token(response: Any) -> str:
    match = TOKEN_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def login_with_csrf(client: Any, user: Any) -> str:
    """Log in through the real form with CSRF on; returns a token valid for the new session."""
    token = csrf_token(client.get("/login"))
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return csrf_token(client.get("/account/password"))


def allowed_visitor(endpoint: str) -> str:
    """The visitor for whom ``endpoint`` works (so a refusal is the protection, not authz)."""
    allowed = ALLOWED[POLICY[endpoint]]
    for visitor in ("owner", "instructor"):
        if visitor in allowed:
            return visitor
    raise AssertionError(endpoint)


def routes(app: Flask, method: str) -> Iterator[Any]:
    for rule in rules(app):
        if method in rule.methods and rule.endpoint != "static":
            yield rule


class LiveMarkup(HTMLParser):
    """Collects what a browser would run: script elements, on* handlers, javascript: URLs."""

    URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not (names.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> not from /static: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in self.URL_ATTRS and value and _is_script_url(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and (names.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    handle_startendtag = handle_starttag


def _is_script_url(value: str) -> bool:
    squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:text/html"))


def live_markup(html: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.problems
