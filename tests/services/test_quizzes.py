"""Quiz services: settings, slots and draws, the change guard, sources, search, accommodations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Accommodation, Bank, Quiz, QuizSlot
from app.services import quizzes
from app.services.quizzes import DrawRule, QuestionFilter, QuizError, QuizSettings
from tests.support.attempt_data import add_version, build_world, essay_spec, make_attempt
from tests.support.factories import single_choice_spec

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def w(make):
    return build_world(make)


def _spec(key, skill="inference", difficulty="medium", qtype="single"):
    spec = single_choice_spec(key)
    spec.update(skill=skill, difficulty=difficulty)
    if qtype == "essay":
        spec = essay_spec(key)
        spec.update(skill=skill, difficulty=difficulty)
    return spec


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"mode": "exam"}, "mode"),
        ({"grading_method": "median"}, "grading_method"),
        ({"opens_at": T0, "closes_at": T0}, "closes_at"),
        ({"opens_at": T0, "closes_at": T0 - timedelta(hours=1)}, "closes_at"),
        ({"time_limit_minutes": 0}, "time_limit_minutes"),
        ({"time_limit_minutes": -5}, "time_limit_minutes"),
        ({"attempts_allowed": -1}, "attempts_allowed"),
        ({"questions_per_page": -1}, "questions_per_page"),
        ({"canvas_assignment_id": "12a"}, "canvas_assignment_id"),
        ({"canvas_assignment_id": "=cmd()"}, "canvas_assignment_id"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(w, change, field):
    before = quizzes.QuizSettings.of(w.quiz)
    settings = QuizSettings(**{**vars(before), **change})
    with pytest.raises(QuizError) as info:
        quizzes.update_quiz(w.quiz, settings)
    assert field in info.value.errors
    db.session.rollback()
    assert quizzes.QuizSettings.of(db.session.get(Quiz, w.quiz.id)) == before


def test_settings_saved_and_policy_normalised(w):
    settings = QuizSettings(
        title="Week 1 (revised)",
        mode="practice",
        opens_at=T0,
        closes_at=T0 + timedelta(days=7),
        time_limit_minutes=45,
        attempts_allowed=0,
        grading_method="average",
        review_policy={"score": "after_close", "show": ["key", "bogus"], "extra": 1},
        shuffle_questions=True,
        questions_per_page=3,
        canvas_assignment_id="98765",
        source_slugs=["src"],
    )
    quizzes.update_quiz(w.quiz, settings)
    db.session.commit()
    quiz = db.session.get(Quiz, w.quiz.id)
    assert quiz.mode == "practice" and quiz.grading_method == "average"
    assert quiz.review_policy == {
        "score": "after_close",
        "details": "immediately",
        "released": False,
        "show": ["key"],
    }
    assert quiz.canvas_assignment_id == "98765"
    assert [qs.source.slug for qs in quiz.sources] == ["src"]


def test_sources_must_come_from_the_questions(w, make):
    make.source("elsewhere")
    settings = QuizSettings.of(w.quiz)
    settings.source_slugs = ["elsewhere"]
    with pytest.raises(QuizError) as info:
        quizzes.update_quiz(w.quiz, settings)
    assert "sources" in info.value.errors


def test_publishing_needs_questions(w, make):
    empty = quizzes.create_quiz(w.course, QuizSettings(title="Empty"))
    with pytest.raises(QuizError, match="at least one question"):
        quizzes.set_published(empty, True)


# --- slots ------------------------------------------------------------------------------------


def test_add_questions_refuses_duplicates_and_unknown_ids(w):
    with pytest.raises(QuizError, match="Already in this quiz: q-single"):
        quizzes.add_questions(w.quiz, [w.single.id])
    with pytest.raises(QuizError, match="no longer exist"):
        quizzes.add_questions(w.quiz, [999_999])
    with pytest.raises(QuizError, match="Tick at least one"):
        quizzes.add_questions(w.quiz, [])
    slots = quizzes.add_questions(w.quiz, [w.short.id], points=3.5, page=2)
    assert (slots[0].position, slots[0].points, slots[0].page) == (3, 3.5, 2)


def test_retired_questions_cannot_be_added(w):
    w.short.retired_at = datetime.now(UTC)
    db.session.commit()
    with pytest.raises(QuizError, match="retired"):
        quizzes.add_questions(w.quiz, [w.short.id])


def test_draw_needs_enough_matching_questions(w, make):
    bank = Bank(slug="b2", title="B2")
    db.session.add(bank)
    db.session.flush()
    for i in range(3):
        make.question(_spec(f"inf-{i}"), bank=bank)
    make.question(_spec("lit-0", skill="literal"), bank=bank)
    quiz = make.quiz(w.course, [])
    with pytest.raises(QuizError) as info:
        quizzes.add_draw(quiz, DrawRule(bank.id, skill="inference", difficulty="medium", count=4))
    assert "Only 3 question(s) match" in info.value.errors["count"]
    quizzes.add_draw(quiz, DrawRule(bank.id, skill="inference", count=2))
    # The pool of a second, wider draw overlaps: 4 questions in all, 2 already promised.
    with pytest.raises(QuizError):
        quizzes.add_draw(quiz, DrawRule(bank.id, count=3))
    quizzes.add_draw(quiz, DrawRule(bank.id, count=2))
    # A fixed question taken from the pool would leave the draws short.
    inf_0 = next(q.id for q in bank.questions if q.key == "inf-0")
    with pytest.raises(QuizError, match="leave a draw short"):
        quizzes.add_questions(quiz, [inf_0])


def test_draw_validates_filters(w):
    with pytest.raises(QuizError) as info:
        quizzes.add_draw(
            w.quiz,
            DrawRule(w.bank.id, skill="infrence", difficulty="easyish", qtype="poem", count=0),
        )
    assert set(info.value.errors) >= {"skill", "difficulty", "qtype", "count"}
    with pytest.raises(QuizError) as info:
        quizzes.add_draw(w.quiz, DrawRule(424242))
    assert "bank" in info.value.errors


def test_draws_feasible_is_a_matching():
    assert quizzes.draws_feasible([(2, {1, 2}), (1, {2, 3})])
    assert not quizzes.draws_feasible([(2, {1, 2}), (1, {1, 2})])
    assert quizzes.draws_feasible([(1, {1}), (1, {1, 2})])  # needs re-assignment
    assert not quizzes.draws_feasible([(1, set())])


def test_move_and_remove_renumber(w):
    quizzes.add_questions(w.quiz, [w.short.id])
    slots = sorted(w.quiz.slots, key=lambda s: s.position)
    quizzes.move_slot(w.quiz, slots[2].id, -1)
    db.session.commit()
    keys = [v.key for v in quizzes.slot_views(db.session.get(Quiz, w.quiz.id))]
    assert keys == ["q-single", "q-short", "q-essay"]
    quizzes.move_slot(w.quiz, slots[0].id, -1)  # already first: nothing happens
    quizzes.remove_slot(w.quiz, slots[0].id)
    db.session.commit()
    quiz = db.session.get(Quiz, w.quiz.id)
    assert [(s.position, s.question_id) for s in quiz.slots] == [(1, w.short.id), (2, w.essay.id)]


def test_slot_points_validated(w):
    slot = w.quiz.slots[0]
    for bad in (0, -1, 1.234, 5000):
        with pytest.raises(QuizError):
            quizzes.update_slot(w.quiz, slot.id, points=bad, page=1)
    with pytest.raises(QuizError):
        quizzes.update_slot(w.quiz, slot.id, points=None, page=0)
    quizzes.update_slot(w.quiz, slot.id, points=2.25, page=2)
    assert (slot.points, slot.page) == (2.25, 2)


# --- the change guard -------------------------------------------------------------------------


def test_change_guard_once_there_are_attempts(w):
    make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "")], preview=True)
    assert not quizzes.change_guard(w.quiz).locked  # previews do not lock
    make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "")])
    guard = quizzes.change_guard(w.quiz)
    assert guard.locked and guard.attempts == 1 and "Regrade" in guard.message
    with pytest.raises(QuizError, match="cannot change"):
        quizzes.add_questions(w.quiz, [w.short.id])
    with pytest.raises(QuizError, match="cannot change"):
        quizzes.add_draw(w.quiz, DrawRule(w.bank.id))
    with pytest.raises(QuizError, match="cannot change"):
        quizzes.remove_slot(w.quiz, w.quiz.slots[0].id)
    with pytest.raises(QuizError, match="change their scores"):
        quizzes.update_slot(w.quiz, w.quiz.slots[0].id, points=5, page=1)
    settings = QuizSettings.of(w.quiz)
    settings.mode = "practice"
    with pytest.raises(QuizError) as info:
        quizzes.update_quiz(w.quiz, settings)
    assert "mode" in info.value.errors
    # What stays allowed: dates, time limit, review policy, pages, order.
    settings = QuizSettings.of(w.quiz)
    settings.closes_at = T0 + timedelta(days=30)
    settings.time_limit_minutes = 90
    settings.review_policy = {"score": "never"}
    quizzes.update_quiz(w.quiz, settings)
    quizzes.update_slot(w.quiz, w.quiz.slots[0].id, points=w.quiz.slots[0].points, page=3)
    quizzes.move_slot(w.quiz, w.quiz.slots[1].id, -1)
    db.session.commit()
    assert db.session.scalar(select(func.count(QuizSlot.id))) == 2


# --- search -----------------------------------------------------------------------------------


def test_search_uses_current_versions_and_one_query(w, make, app):
    changed = single_choice_spec("q-single", correct="c")
    changed["skill"] = "rhetoric"
    add_version(w.single, changed)
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = quizzes.search_questions(QuestionFilter(skill="rhetoric"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [(q.key, v.version) for q, v, _b in rows] == [("q-single", 2)]
    assert len(statements) == 1
    assert quizzes.search_questions(QuestionFilter(skill="literal", qtype="single")) == []
    keys = {q.key for q, _v, _b in quizzes.search_questions(QuestionFilter(bank_id=w.bank.id))}
    assert keys == {"q-single", "q-essay", "q-short"}
    assert [q.key for q, _v, _b in quizzes.search_questions(QuestionFilter(qtype="essay"))] == [
        "q-essay"
    ]
    assert [q.key for q, _v, _b in quizzes.search_questions(QuestionFilter(text="sho"))] == [
        "q-short"
    ]
    assert quizzes.search_questions(QuestionFilter(text="%")) == []
    assert quizzes.search_questions(QuestionFilter(source="nope")) == []
    assert len(quizzes.search_questions(QuestionFilter(source="src", difficulty="hard"))) == 1


# --- accommodations ---------------------------------------------------------------------------


def test_accommodation_validation(w):
    w.quiz.closes_at = T0
    w.quiz.opens_at = T0 - timedelta(days=1)
    cases = [
        (quizzes.AccommodationInput(time_multiplier=0.5), "time_multiplier"),
        (quizzes.AccommodationInput(time_multiplier=11), "time_multiplier"),
        (quizzes.AccommodationInput(time_multiplier=1.5, extra_minutes=10), "extra_minutes"),
        (quizzes.AccommodationInput(extra_minutes=-1), "extra_minutes"),
        (quizzes.AccommodationInput(extra_attempts=-1), "extra_attempts"),
        (quizzes.AccommodationInput(closes_at=T0 - timedelta(hours=1)), "closes_at"),
        (quizzes.AccommodationInput(note="x" * 501), "note"),
    ]
    for given, field in cases:
        with pytest.raises(QuizError) as info:
            quizzes.set_accommodation(w.quiz, w.student, given)
        assert field in info.value.errors, given
    with pytest.raises(QuizError, match="not a student of this course"):
        quizzes.set_accommodation(w.quiz, w.outsider_student, quizzes.AccommodationInput())
    assert db.session.scalar(select(func.count(Accommodation.id))) == 0


def test_deadline_with_accommodation_display(w):
    w.quiz.time_limit_minutes = 30
    w.quiz.attempts_allowed = 1
    w.quiz.closes_at = T0
    later = T0 + timedelta(days=2)
    acc = quizzes.set_accommodation(
        w.quiz,
        w.student,
        quizzes.AccommodationInput(
            time_multiplier=1.5, extra_attempts=1, closes_at=later, note="DSA letter"
        ),
    )
    db.session.commit()
    assert quizzes.effective_limits(w.quiz, acc) == {
        "time_limit_minutes": 45.0,
        "attempts_allowed": 2,
        "closes_at": later,
    }
    assert quizzes.effective_limits(w.quiz, None) == {
        "time_limit_minutes": 30,
        "attempts_allowed": 1,
        "closes_at": T0,
    }
    # Replaced, not duplicated; minutes instead of a multiplier.
    acc = quizzes.set_accommodation(w.quiz, w.student, quizzes.AccommodationInput(extra_minutes=20))
    assert quizzes.effective_limits(w.quiz, acc)["time_limit_minutes"] == 50
    assert quizzes.effective_limits(w.quiz, acc)["closes_at"] == T0
    # Unlimited attempts stay unlimited; a quiz that never closes never closes.
    w.quiz.attempts_allowed = 0
    w.quiz.closes_at = None
    acc.closes_at = None
    assert quizzes.effective_limits(w.quiz, acc)["attempts_allowed"] == 0
    assert quizzes.effective_limits(w.quiz, acc)["closes_at"] is None
    roster = quizzes.roster_with_accommodations(w.quiz)
    assert [(u.name, a is not None) for u, a in roster] == [
        ("Amira Student", True),
        ("Ben Student", False),
    ]
    assert quizzes.clear_accommodation(w.quiz, w.student)
    assert not quizzes.clear_accommodation(w.quiz, w.student)
