"""Builder pages: happy paths, every form with bad input (clear errors, nothing saved), access."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app
from app.domain import review
from app.extensions import db
from app.models import Accommodation, Quiz, QuizSlot
from tests.support.attempt_data import build_world, make_attempt, short_spec
from tests.support.config import TEST_CONFIG


@pytest.fixture
def w(make):
    return build_world(make)


@pytest.fixture
def teacher(w, login_as, client):
    login_as(w.teacher)
    return client


def _slots(quiz_id):
    return db.session.scalar(select(func.count(QuizSlot.id)).where(QuizSlot.quiz_id == quiz_id))


def _settings_data(**change):
    data = {
        "title": "Week 1",
        "description": "",
        "mode": "graded",
        "opens_at": "",
        "closes_at": "",
        "time_limit_minutes": "",
        "attempts_allowed": "1",
        "grading_method": "highest",
        "questions_per_page": "0",
        "review_score": "immediately",
        "review_details": "after_close",
        "review_show": ["key", "feedback"],
        "canvas_assignment_id": "",
        "sources": ["src"],
    }
    data.update(change)
    return {k: v for k, v in data.items() if v is not None}


def test_create_quiz_then_settings(w, teacher):
    page = teacher.get(f"/teach/courses/{w.course.id}/quizzes")
    assert page.status_code == 200 and b"Week 1" in page.data and b"New quiz" in page.data
    r = teacher.post(f"/teach/courses/{w.course.id}/quizzes", data={"title": "Week 2"})
    assert r.status_code == 302
    quiz = db.session.scalar(select(Quiz).where(Quiz.title == "Week 2"))
    assert r.headers["Location"].endswith(f"/teach/quizzes/{quiz.id}/settings")
    assert not quiz.published
    r = teacher.post(f"/teach/courses/{w.course.id}/quizzes", data={"title": "  "})
    assert r.status_code == 400 and b"Give the quiz a title" in r.data


def test_settings_form_saves(w, teacher):
    r = teacher.get(f"/teach/quizzes/{w.quiz.id}/settings")
    assert r.status_code == 200 and b"Review: what students see" in r.data
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/settings",
        data=_settings_data(
            opens_at="2026-11-01T09:00",
            closes_at="2026-11-08T17:00",
            time_limit_minutes="40",
            shuffle_questions="y",
            canvas_assignment_id="4321",
            published="y",
        ),
    )
    assert r.status_code == 302, r.data
    quiz = db.session.get(Quiz, w.quiz.id)
    db.session.refresh(quiz)
    assert quiz.time_limit_minutes == 40 and quiz.shuffle_questions and quiz.published
    assert quiz.closes_at.isoformat() == "2026-11-08T17:00:00+00:00"
    assert quiz.review_policy["details"] == "after_close"
    assert quiz.review_policy["show"] == ["key", "feedback"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, b"Give the quiz a title"),
        ({"opens_at": "2026-11-08T17:00", "closes_at": "2026-11-01T09:00"}, b"after the open"),
        ({"closes_at": "next week"}, b"Not a valid datetime"),
        ({"time_limit_minutes": "0"}, b"Enter minutes from 1"),
        ({"time_limit_minutes": "ten"}, b"Not a valid integer"),
        ({"attempts_allowed": "-2"}, b"Enter 0 (unlimited)"),
        ({"attempts_allowed": None}, b"Enter a number (0 = unlimited)"),
        ({"grading_method": "median"}, b"Not a valid choice"),
        ({"mode": "exam"}, b"Not a valid choice"),
        ({"review_score": "sometimes"}, b"Not a valid choice"),
        ({"canvas_assignment_id": "abc"}, b"digits of the Canvas"),
        ({"sources": ["elsewhere"]}, b"not a valid choice"),
        ({"questions_per_page": "-1"}, b"Enter 0 (all on one page)"),
    ],
)
def test_settings_bad_input(w, teacher, change, message):
    before = db.session.get(Quiz, w.quiz.id).updated_at
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/settings", data=_settings_data(**change))
    assert r.status_code == 400
    assert message in r.data, r.data.decode()[:3000]
    db.session.expire_all()
    quiz = db.session.get(Quiz, w.quiz.id)
    assert quiz.updated_at == before and quiz.title == "Week 1"


def test_mode_change_refused_with_attempts(w, teacher):
    make_attempt(w.quiz, w.student, [(w.single, "b")])
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/settings", data=_settings_data(mode="practice"))
    assert r.status_code == 400 and b"switching between graded and practice" in r.data
    page = teacher.get(f"/teach/quizzes/{w.quiz.id}/questions")
    assert b"cannot change" in page.data and b"Still allowed" in page.data


def test_picker_filters_and_adds(w, teacher):
    page = teacher.get(f"/teach/quizzes/{w.quiz.id}/questions?qtype=short&skill=literal")
    assert page.status_code == 200
    assert b"q-short" in page.data and b"1 question(s) match" in page.data
    bogus = teacher.get(f"/teach/quizzes/{w.quiz.id}/questions?bank=zzz&skill=<x>&qtype=1")
    assert bogus.status_code == 200  # unknown filters are ignored, not errors
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/questions/add?quiz_id=7&qtype=short",
        data={"add-question_ids": [str(w.short.id)], "add-points": "2.5"},
    )
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/teach/quizzes/{w.quiz.id}/questions?qtype=short")
    slot = db.session.scalar(select(QuizSlot).where(QuizSlot.question_id == w.short.id))
    assert slot.points == 2.5 and slot.position == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, b"Tick at least one"),
        ({"add-question_ids": ["abc"]}, b"Tick questions from the list"),
        ({"add-question_ids": ["999999"]}, b"no longer exist"),
        ("dup", b"Already in this quiz"),
        ({"add-question_ids": ["short"], "add-points": "1.234"}, b"2 decimal places"),
        ({"add-question_ids": ["short"], "add-points": "-3"}, b"greater than 0"),
        ({"add-question_ids": ["short"], "add-page": "0"}, b"between 1 and 1000"),
    ],
)
def test_add_questions_bad_input(w, teacher, data, message):
    if data == "dup":
        data = {"add-question_ids": [str(w.short.id), str(w.single.id)]}
    elif data.get("add-question_ids") == ["short"]:
        data = {**data, "add-question_ids": [str(w.short.id)]}
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/questions/add", data=data)
    assert r.status_code == 400
    assert message in r.data, r.data.decode()[:2000]
    assert _slots(w.quiz.id) == 2


def test_draw_form(w, teacher):
    base = {
        "draw-bank": str(w.bank.id),
        "draw-skill": "",
        "draw-difficulty": "",
        "draw-qtype": "",
        "draw-count": "1",
    }
    # The bank's questions differ in points, so the builder asks for the draw's points.
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/draws/add", data=base)
    assert r.status_code == 400 and b"Give the draw its points per question" in r.data
    base["draw-points"] = "2"
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/draws/add", data=base)
    assert r.status_code == 302
    assert _slots(w.quiz.id) == 3
    for change, message in [
        ({"draw-count": "5"}, b"Only 1 question(s) match"),
        ({"draw-count": "0"}, b"between 1 and 200"),
        ({"draw-count": ""}, b"Enter how many"),
        ({"draw-bank": "999"}, b"Choose a bank"),
        ({"draw-skill": "astrology"}, b"Not a valid choice"),
        ({"draw-points": "x"}, b"not a number"),
    ]:
        r = teacher.post(f"/teach/quizzes/{w.quiz.id}/draws/add", data={**base, **change})
        assert r.status_code == 400, change
        assert message in r.data, (change, r.data.decode()[:2000])
    assert _slots(w.quiz.id) == 3
    page = teacher.get(f"/teach/quizzes/{w.quiz.id}/questions")
    assert b"Random draw: 1 from" in page.data


def test_slot_edit_move_remove(w, teacher):
    first, second = sorted(w.quiz.slots, key=lambda s: s.position)
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/slots/{first.id}",
        data={f"slot{first.id}-points": "1.239", f"slot{first.id}-page": "1"},
    )
    assert r.status_code == 400 and b"2 decimal places" in r.data
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/slots/{first.id}",
        data={f"slot{first.id}-points": "", f"slot{first.id}-page": "x"},
    )
    assert r.status_code == 400
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/slots/{first.id}",
        data={f"slot{first.id}-points": "3", f"slot{first.id}-page": "2"},
    )
    assert r.status_code == 302
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/slots/{second.id}/move", data={"direction": "up"})
    assert r.status_code == 302
    assert (
        teacher.post(
            f"/teach/quizzes/{w.quiz.id}/slots/{second.id}/move", data={"direction": "sideways"}
        ).status_code
        == 400
    )
    db.session.expire_all()
    quiz = db.session.get(Quiz, w.quiz.id)
    assert [s.question_id for s in quiz.slots] == [w.essay.id, w.single.id]
    assert quiz.slots[1].points == 3 and quiz.slots[1].page == 2
    assert teacher.post(f"/teach/quizzes/{w.quiz.id}/slots/{second.id}/remove").status_code == 302
    assert _slots(w.quiz.id) == 1


def test_locked_quiz_refuses_slot_changes_on_the_page(w, teacher):
    make_attempt(w.quiz, w.student, [(w.single, "b")])
    slot = w.quiz.slots[0]
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/slots/{slot.id}/remove", follow_redirects=True)
    assert b"cannot change" in r.data
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/questions/add", data={"add-question_ids": [str(w.short.id)]}
    )
    assert r.status_code == 400 and b"cannot change" in r.data
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/slots/{slot.id}",
        data={f"slot{slot.id}-points": "9", f"slot{slot.id}-page": "1"},
    )
    assert r.status_code == 400 and b"change their scores" in r.data
    assert _slots(w.quiz.id) == 2


def test_preview_hides_the_key(w, teacher):
    r = teacher.get(f"/teach/quizzes/{w.quiz.id}/questions/{w.single.id}/preview")
    assert r.status_code == 200
    assert b"Option a" in r.data and b"Feedback b" not in r.data
    assert b"Because paragraph 1" not in r.data
    essay = teacher.get(f"/teach/quizzes/{w.quiz.id}/questions/{w.essay.id}/preview")
    assert b"Claim (2)" in essay.data and b"The author" not in essay.data  # no model answer
    assert teacher.get(f"/teach/quizzes/{w.quiz.id}/questions/999/preview").status_code == 404


def test_accommodations_page(w, teacher):
    w.quiz.time_limit_minutes = 30
    db.session.commit()
    url = f"/teach/quizzes/{w.quiz.id}/accommodations"
    r = teacher.post(
        url,
        data={
            "acc-student": str(w.student.id),
            "acc-time_multiplier": "1.5",
            "acc-extra_attempts": "1",
            "acc-note": "Extra time <DSA>",
        },
    )
    assert r.status_code == 302
    page = teacher.get(url)
    assert b"45 min" in page.data and b"Extra time &lt;DSA&gt;" in page.data
    assert teacher.get(f"{url}?student={w.student.id}").data.count(b'value="1.5"') == 1
    for data, message in [
        ({"acc-time_multiplier": "0.5"}, b"from 1 to 10"),
        ({"acc-time_multiplier": "lots"}, b"not a number"),
        ({"acc-time_multiplier": "1.5", "acc-extra_minutes": "10"}, b"not both"),
        ({"acc-extra_minutes": "-5"}, b"Enter 0 to"),
        ({"acc-closes_at": "2020-01-01T00:00"}, None),
        ({"acc-closes_at": "soon"}, b"Not a valid datetime"),
    ]:
        if data.get("acc-closes_at") == "2020-01-01T00:00":
            w.quiz.closes_at = db.session.get(Quiz, w.quiz.id).created_at.replace(year=2030)
            db.session.commit()
            message = b"later than the quiz"
        r = teacher.post(url, data={"acc-student": str(w.other_student.id), **data})
        assert r.status_code == 400, data
        assert message in r.data, (data, r.data.decode()[:2000])
    # Someone not in this course (or a made-up id): 404, nothing saved.
    assert teacher.post(url, data={"acc-student": str(w.outsider_student.id)}).status_code == 404
    assert teacher.post(url, data={"acc-student": "abc"}).status_code in (400, 404)
    assert db.session.scalar(select(func.count(Accommodation.id))) == 1
    r = teacher.post(f"{url}/{w.student.id}/clear")
    assert r.status_code == 302
    assert db.session.scalar(select(func.count(Accommodation.id))) == 0


def test_publish_toggle(w, teacher):
    empty = Quiz(course_id=w.course.id, title="Empty", published=False)
    db.session.add(empty)
    db.session.commit()
    r = teacher.post(f"/teach/quizzes/{empty.id}/publish", follow_redirects=True)
    assert b"Add at least one question" in r.data
    assert not db.session.get(Quiz, empty.id).published
    published = w.quiz.published
    teacher.post(f"/teach/quizzes/{w.quiz.id}/publish")
    db.session.expire_all()
    assert db.session.get(Quiz, w.quiz.id).published is (not published)


def test_csrf_is_required(w, make, app):
    csrf_app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
        }
    )
    client = csrf_app.test_client()
    page = client.get("/login")
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0]
    client.post(
        "/login",
        data={
            "email": w.teacher.email,
            "password": "correct horse battery",
            "csrf_token": token.decode(),
        },
    )
    r = client.post(f"/teach/quizzes/{w.quiz.id}/publish")
    assert r.status_code == 400
    r = client.post(f"/teach/quizzes/{w.quiz.id}/copy")
    assert r.status_code == 400
    r = client.post(f"/teach/courses/{w.course.id}/quizzes", data={"title": "No token"})
    assert r.status_code in (400,)
    assert db.session.scalar(select(func.count(Quiz.id))) == 1


# --- authorization ----------------------------------------------------------------------------


def _routes(w):
    q, s = w.quiz.id, w.quiz.slots[0].id
    return [
        ("GET", f"/teach/courses/{w.course.id}/quizzes"),
        ("POST", f"/teach/courses/{w.course.id}/quizzes"),
        ("GET", f"/teach/quizzes/{q}/settings"),
        ("POST", f"/teach/quizzes/{q}/settings"),
        ("POST", f"/teach/quizzes/{q}/publish"),
        ("POST", f"/teach/quizzes/{q}/copy"),
        ("GET", f"/teach/quizzes/{q}/questions"),
        ("POST", f"/teach/quizzes/{q}/questions/add"),
        ("POST", f"/teach/quizzes/{q}/draws/add"),
        ("POST", f"/teach/quizzes/{q}/slots/{s}"),
        ("POST", f"/teach/quizzes/{q}/slots/{s}/remove"),
        ("POST", f"/teach/quizzes/{q}/slots/{s}/move"),
        ("GET", f"/teach/quizzes/{q}/questions/{w.single.id}/preview"),
        ("GET", f"/teach/quizzes/{q}/accommodations"),
        ("POST", f"/teach/quizzes/{q}/accommodations"),
        ("POST", f"/teach/quizzes/{q}/accommodations/{w.student.id}/clear"),
    ]


@pytest.mark.parametrize("who", ["outsider", "student", "outsider_student"])
def test_other_people_get_404_everywhere(w, login_as, client, who):
    login_as(getattr(w, who))
    for method, url in _routes(w):
        r = client.open(url, method=method, data={"title": "x", "direction": "up"})
        assert r.status_code == 404, (who, method, url, r.status_code)
    assert _slots(w.quiz.id) == 2


def test_anonymous_is_sent_to_login(w, client):
    for method, url in _routes(w):
        r = client.open(url, method=method)
        assert r.status_code == 302 and "/login" in r.headers["Location"], (method, url)


def test_ids_from_another_quiz_are_404(w, make, teacher):
    other = make.quiz(w.other_course, [w.short])
    foreign_slot = other.slots[0].id
    assert (
        teacher.post(f"/teach/quizzes/{w.quiz.id}/slots/{foreign_slot}/remove").status_code == 404
    )
    assert (
        teacher.post(
            f"/teach/quizzes/{w.quiz.id}/slots/{foreign_slot}/move", data={"direction": "up"}
        ).status_code
        == 404
    )
    assert (
        teacher.post(
            f"/teach/quizzes/{w.quiz.id}/accommodations/{w.outsider_student.id}/clear"
        ).status_code
        == 404
    )
    assert _slots(other.id) == 1


# --- finding questions, copying a quiz, publishing from the settings page ----------------------


@pytest.mark.both_dbs
def test_the_picker_shows_and_searches_the_prompt_text(backend, w, teacher, make):
    spec = dict(short_spec("q-seats"), prompt="<p>Which party won the <em>most</em> seats?</p>")
    make.question(spec, bank=w.bank)
    db.session.commit()
    url = f"/teach/quizzes/{w.quiz.id}/questions"
    html = teacher.get(url, query_string={"text": "WHICH party"}).get_data(as_text=True)
    assert "1 question(s) match" in html and "q-seats" in html
    assert '<span class="prompt-excerpt">Which party won the most seats?</span>' in html
    assert "Words in the question or its id" in html
    none = teacher.get(url, query_string={"text": "%_ no such words"}).get_data(as_text=True)
    assert "0 question(s) match" in none  # LIKE wildcards are taken literally
    by_id = teacher.get(url, query_string={"text": "q-sh"}).get_data(as_text=True)
    assert "1 question(s) match" in by_id and "q-short" in by_id


def test_the_random_draw_form_comes_before_the_long_picker(w, teacher):
    html = teacher.get(f"/teach/quizzes/{w.quiz.id}/questions").get_data(as_text=True)
    assert html.index('id="draw-heading"') < html.index('id="picker-heading"')
    assert 'href="#add-draw"' in html and 'href="#pick"' in html


def test_copy_a_quiz(w, teacher):
    w.quiz.canvas_assignment_id = "555"
    w.quiz.published = True
    db.session.commit()
    page = teacher.get(f"/teach/courses/{w.course.id}/quizzes")
    assert f"/teach/quizzes/{w.quiz.id}/copy" in page.get_data(as_text=True)
    r = teacher.post(f"/teach/quizzes/{w.quiz.id}/copy")
    assert r.status_code == 302
    copy = db.session.scalar(select(Quiz).where(Quiz.title == "Copy of Week 1"))
    assert r.headers["Location"].endswith(f"/teach/quizzes/{copy.id}/settings")
    original = db.session.get(Quiz, w.quiz.id)
    assert not copy.published and copy.canvas_assignment_id is None
    assert copy.course_id == original.course_id
    assert copy.time_limit_minutes == original.time_limit_minutes
    assert review.normalise_policy(copy.review_policy) == review.normalise_policy(
        original.review_policy
    )
    assert [(s.position, s.question_id, s.points, s.page) for s in copy.slots] == [
        (s.position, s.question_id, s.points, s.page) for s in original.slots
    ]
    assert [qs.source_id for qs in copy.sources] == [qs.source_id for qs in original.sources]
    assert original.published and original.canvas_assignment_id == "555"
    flashed = teacher.get(f"/teach/quizzes/{copy.id}/settings").get_data(as_text=True)
    assert "Copied as “Copy of Week 1”, a draft" in flashed


def test_a_long_title_is_cut_to_fit_when_copied(w, teacher):
    w.quiz.title = "T" * 200
    db.session.commit()
    assert teacher.post(f"/teach/quizzes/{w.quiz.id}/copy").status_code == 302
    copy = db.session.scalar(select(Quiz).where(Quiz.title.startswith("Copy of ")))
    assert len(copy.title) == 200 and copy.title.endswith("…")


def test_publishing_from_the_settings_page_keeps_what_was_typed(w, teacher):
    w.quiz.published = False
    db.session.commit()
    page = teacher.get(f"/teach/quizzes/{w.quiz.id}/settings").get_data(as_text=True)
    assert 'form="settings-form" name="toggle_publish"' in page
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/settings",
        data=_settings_data(title="Week 1, revised", time_limit_minutes="25", toggle_publish="1"),
    )
    assert r.status_code == 302, r.data
    db.session.expire_all()
    quiz = db.session.get(Quiz, w.quiz.id)
    assert quiz.published and quiz.title == "Week 1, revised" and quiz.time_limit_minutes == 25
    # a refused change publishes nothing and keeps the page with its errors
    r = teacher.post(
        f"/teach/quizzes/{w.quiz.id}/settings",
        data=_settings_data(title="", toggle_publish="1"),
    )
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(Quiz, w.quiz.id).published
