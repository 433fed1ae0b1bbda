"""Mass assignment: fields a form does not have (``score``, ``state``, ``user_id``, ``role``,
``attempt_id``, ``max_points``, ...) are ignored wherever they are posted, as form fields or
as JSON keys. Each test posts a real, accepted request with the extras and checks that only
what the form is for changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, Course, Enrolment, GradeChange, Response, Role, User
from app.services import attempts
from tests.support import specs
from tests.support.factories import PASSWORD
from tests.support.quiz_setup import build


def extras(victim: Any = None, attempt: Any = None) -> dict[str, Any]:
    """What an attacker adds to any request."""
    return {
        "score": "100", "auto_score": "100", "manual_score": "100", "override_score": "100",
        "state": "submitted", "user_id": str(victim.id if victim else 1), "role": "instructor",
        "attempt_id": str(attempt.id if attempt else 1), "max_points": "1000",
        "max_score": "1000", "submitted_by": "timer", "is_preview": "y", "flagged": "",
        "needs_grading": "", "course_id": "1", "quiz_id": "1", "seq": "1",
    }  # fmt: skip


def _fresh(model: Any, ident: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, ident)


def test_signup_ignores_role_and_ids(make: Any, client: Any) -> None:
    course = make.course()
    form = {
        "join_code": course.join_code, "name": "New Student", "email": "new@example.test",
        "password": "a long password", "confirm": "a long password",
    }  # fmt: skip
    r = client.post("/signup", data={**extras(), **form})
    assert r.status_code == 302, r.get_data(as_text=True)[:1000]
    user = db.session.scalar(select(User).where(User.email == "new@example.test"))
    assert user.role == Role.STUDENT
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)).all()
    assert [(e.course_id, e.role) for e in enrolments] == [(course.id, "student")]


def test_joining_a_course_and_changing_a_password_ignore_role(
    make: Any, client: Any, login_as: Any
) -> None:
    course = make.course()
    student = make.student()
    login_as(student)
    r = client.post("/courses/", data={**extras(), "join_code": course.join_code})
    assert r.status_code in (200, 302)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == student.id))
    assert enrolment is not None and enrolment.role == "student"
    r = client.post(
        "/account/password",
        data={**extras(), "current": PASSWORD, "password": "another long pass",
              "confirm": "another long pass"},
    )  # fmt: skip
    assert r.status_code in (200, 302)
    assert _fresh(User, student.id).role == Role.STUDENT


def test_creating_a_course_ignores_whose_it_is(make: Any, client: Any, login_as: Any) -> None:
    teacher, other = make.instructor(), make.instructor()
    login_as(teacher)
    r = client.post("/teach/", data={**extras(other), "title": "Mine", "code": "MINE-1"})
    assert r.status_code in (200, 302), r.get_data(as_text=True)[:1000]
    course = db.session.scalar(select(Course).where(Course.title == "Mine"))
    members = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id)).all()
    assert [(e.user_id, e.role) for e in members] == [(teacher.id, "instructor")]


def test_start_autosave_page_save_and_submit_ignore_extra_fields(
    make: Any, client: Any, login_as: Any
) -> None:
    s = build(make, [specs.single("m-1"), specs.single("m-2")], published=True)
    victim = make.student()
    make.enrol(s.course, victim)
    theirs = attempts.start_or_resume(s.quiz, victim, datetime.now(UTC))
    db.session.commit()
    login_as(s.student)

    r = client.post(f"/quizzes/{s.quiz.id}/start", data=extras(victim, theirs))
    mine = int(r.headers["Location"].rsplit("/", 1)[1])
    assert mine != theirs.id and _fresh(Attempt, mine).user_id == s.student.id

    # Autosave JSON with every extra key.
    payload = {**extras(victim, theirs), "value": "a", "seq": 1, "score": 100, "max_points": 99}
    r = client.post(f"/attempts/{mine}/responses/1", json=payload)
    assert r.status_code == 200
    # The no-JavaScript page form with the same extras.
    form = {**extras(victim, theirs), "page": "1", "q2": "b", "seq-2": "0", "action": "save"}
    r = client.post(f"/attempts/{mine}", data=form)
    assert r.status_code == 302
    rows = {
        r.position: r
        for r in db.session.scalars(select(Response).where(Response.attempt_id == mine))
    }
    assert rows[1].value == "a" and rows[2].value == "b"
    assert all(r.score is None and r.max_points == 1.0 for r in rows.values())
    attempt = _fresh(Attempt, mine)
    assert attempt.state == "in_progress" and attempt.score is None and not attempt.is_preview

    r = client.post(f"/attempts/{mine}/submit", data=extras(victim, theirs))
    assert r.status_code == 302
    attempt = _fresh(Attempt, mine)
    assert attempt.state == "submitted" and attempt.submitted_by == "student"
    assert attempt.score == 1.0 and attempt.max_score == 2.0  # graded, not assigned
    other = _fresh(Attempt, theirs.id)
    assert other.state == "in_progress" and other.score is None  # the victim's is untouched


def test_grading_forms_ignore_extra_fields(make: Any, client: Any, login_as: Any) -> None:
    s = build(
        make, [specs.essay("e-1"), specs.single("e-2")], published=True,
        closes_at=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    now = datetime.now(UTC)
    attempt = attempts.start_or_resume(s.quiz, s.student, now)
    attempts.answer(attempt, 1, "An essay of enough words to be graded by a person.", now)
    attempts.submit(attempt, now)
    db.session.commit()
    essay = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt.id, Response.position == 1)
    )
    login_as(s.teacher)
    form = {**extras(s.student, attempt), "criterion_0": "1", "comment": "Good."}
    form["score"] = "0.5"  # a field the rubric form does not have when it has criteria
    r = client.post(f"/teach/quizzes/{s.quiz.id}/grading/{essay.id}", data=form)
    assert r.status_code in (200, 302)
    essay = _fresh(Response, essay.id)
    assert essay.manual_score == 1.0 and essay.max_points == 1.0
    r = client.post(
        f"/teach/attempts/{attempt.id}/responses/{essay.id}/override",
        data={**extras(s.student, attempt), f"r{essay.id}-score": "0.5",
              f"r{essay.id}-reason": "Fair.", f"r{essay.id}-max_points": "50"},
    )  # fmt: skip
    assert r.status_code == 302
    essay = _fresh(Response, essay.id)
    assert essay.override_score == 0.5 and essay.max_points == 1.0
    attempt = _fresh(Attempt, attempt.id)
    assert attempt.max_score == 2.0 and attempt.user_id == s.student.id
    changes = db.session.scalars(select(GradeChange)).all()
    assert changes and all(c.attempt_id == attempt.id for c in changes)


def test_quiz_settings_and_slot_forms_ignore_ids_and_scores(
    make: Any, client: Any, login_as: Any
) -> None:
    s = build(make, [specs.single("q-1")], published=False)
    other_course = make.course(make.instructor())
    login_as(s.teacher)
    settings = {
        "title": "Week 1", "description": "", "mode": "graded", "opens_at": "",
        "closes_at": "", "time_limit_minutes": "", "attempts_allowed": "1",
        "grading_method": "highest", "questions_per_page": "0", "review_score": "immediately",
        "review_details": "after_close", "review_show": ["key"], "canvas_assignment_id": "",
        "sources": ["src"],
    }  # fmt: skip
    attack = {**extras(), "course_id": str(other_course.id), "id": "999", "max_score": "7"}
    r = client.post(f"/teach/quizzes/{s.quiz.id}/settings", data={**attack, **settings})
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    quiz = _fresh(type(s.quiz), s.quiz.id)
    assert quiz.course_id == s.course.id and quiz.title == "Week 1"
    slot = quiz.slots[0]
    r = client.post(
        f"/teach/quizzes/{s.quiz.id}/slots/{slot.id}",
        data={**attack, f"slot{slot.id}-points": "2", f"slot{slot.id}-page": "1",
              "quiz_id": "999", "question_id": "999", "position": "9",
              f"slot{slot.id}-position": "9", f"slot{slot.id}-question_id": "999"},
    )  # fmt: skip
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    slot = _fresh(type(slot), slot.id)
    assert (slot.quiz_id, slot.position, slot.points) == (s.quiz.id, 1, 2.0)
    assert slot.question_id == s.quiz.slots[0].question_id
