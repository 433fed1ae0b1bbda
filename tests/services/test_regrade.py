"""Regrade after an answer-key fix: dry run versus apply, kept manual grades and overrides."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attempt, GradeChange, Response
from app.services import marking, regrade
from tests.support.attempt_data import add_version, build_world, make_attempt, short_spec
from tests.support.factories import single_choice_spec


@pytest.fixture
def w(make):
    world = build_world(make)
    # Three students answered the single-choice question; the key said "b" but should be "c".
    world.a_b = make_attempt(world.quiz, world.student, [(world.single, "b"), (world.essay, "E")])
    world.a_c = make_attempt(
        world.quiz, world.other_student, [(world.single, "c"), (world.essay, "E2")]
    )
    return world


def _fix_key(w):
    add_version(w.single, single_choice_spec("q-single", correct="c"))


def _snapshot():
    return [
        (r.id, r.auto_score, r.score, r.state, r.question_version_id)
        for r in db.session.scalars(select(Response).order_by(Response.id))
    ], [(a.id, a.score) for a in db.session.scalars(select(Attempt).order_by(Attempt.id))]


def test_dry_run_lists_changes_and_writes_nothing(w):
    _fix_key(w)
    before = _snapshot()
    plan = regrade.plan_regrade(w.quiz, ["q-single"])
    assert plan.versions == {"q-single": 2}
    assert plan.examined == 2 and plan.changed_responses == 2
    by_student = {a.student: a for a in plan.attempts}
    assert by_student["Amira Student"].delta == -1.0
    assert by_student["Ben Student"].delta == 1.0
    rc = by_student["Ben Student"].responses[0]
    assert (rc.answered_version, rc.new_version, rc.old_auto, rc.new_auto) == (1, 2, 0.0, 1.0)
    db.session.commit()
    assert _snapshot() == before
    assert db.session.scalar(select(func.count(GradeChange.id))) == 0


def test_apply_matches_dry_run_keeps_versions_and_is_idempotent(w):
    _fix_key(w)
    plan = regrade.plan_regrade(w.quiz, ["q-single"])
    applied = regrade.apply_regrade(w.quiz, ["q-single"], w.teacher)
    db.session.commit()
    assert [(a.attempt_id, a.new_total) for a in applied.attempts] == [
        (a.attempt_id, a.new_total) for a in plan.attempts
    ]
    a_b, a_c = db.session.get(Attempt, w.a_b.id), db.session.get(Attempt, w.a_c.id)
    assert (a_b.score, a_c.score) == (0.0, 1.0)
    v1 = w.single.versions[0].id
    assert a_b.responses[0].question_version_id == v1  # still the version the student saw
    changes = db.session.scalars(select(GradeChange).order_by(GradeChange.id)).all()
    assert [(c.kind, c.old_score, c.new_score) for c in changes] == [
        ("regrade", 1.0, 0.0),
        ("regrade", 0.0, 1.0),
    ]
    assert "version 2" in changes[0].reason and changes[0].changed_by_id == w.teacher.id
    again = regrade.apply_regrade(w.quiz, ["q-single"], w.teacher)
    db.session.commit()
    assert again.attempts == []
    assert db.session.scalar(select(func.count(GradeChange.id))) == 2


def test_manual_grades_and_overrides_survive_regrade(w):
    marking.override_response(w.a_b.responses[0], w.teacher, "0.5", "partly right")
    marking.record_manual_grade(
        w.a_b.responses[1], w.teacher, criterion_scores={"criterion_0": "2", "criterion_1": "1"}
    )
    marking.override_attempt(w.a_c, w.teacher, "2", "bonus")
    db.session.commit()
    _fix_key(w)
    plan = regrade.apply_regrade(w.quiz, ["q-single"], None)
    db.session.commit()
    a_b, a_c = db.session.get(Attempt, w.a_b.id), db.session.get(Attempt, w.a_c.id)
    kept = {a.student: a.responses[0].kept for a in plan.attempts}
    assert kept == {"Amira Student": "override", "Ben Student": None}
    assert a_b.responses[0].auto_score == 0.0 and a_b.responses[0].score == 0.5
    assert a_b.responses[1].manual_score == 3.0
    assert a_b.score == 3.5
    assert a_c.responses[0].score == 1.0 and a_c.auto_score == 1.0
    assert a_c.score == 2.0  # the total override is kept too
    trail = marking.audit_trail(quiz=w.quiz)
    assert [e.kind for e in trail][:2] == ["regrade", "regrade"]
    assert trail[0].changed_by == "system"


def test_short_answer_fix_moves_answers_in_and_out_of_the_queue(w, make):
    short = make.question(short_spec("q-who", accepted="corbyn"), bank=w.bank)
    attempt = make_attempt(w.quiz, w.student, [(short, "Jeremy Corbyn")])
    assert attempt.responses[0].state == "needs_grading" and attempt.needs_grading
    add_version(short, short_spec("q-who", accepted="jeremy corbyn"))
    regrade.apply_regrade(w.quiz, ["q-who"], w.teacher)
    db.session.commit()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.responses[0].state == "correct" and attempt.score == 2.0
    assert not attempt.needs_grading


def test_in_progress_attempts_and_previews_are_left_alone(w):
    open_attempt = make_attempt(w.quiz, w.outsider_student, [(w.single, "c")], submitted=False)
    make_attempt(w.quiz, w.student, [(w.single, "c")], preview=True)
    _fix_key(w)
    plan = regrade.plan_regrade(w.quiz, ["q-single"])
    assert plan.in_progress == 1
    assert {a.attempt_id for a in plan.attempts} == {w.a_b.id, w.a_c.id}
    assert open_attempt.id not in {a.attempt_id for a in plan.attempts}


def test_bad_choices(w):
    with pytest.raises(regrade.RegradeError, match="at least one"):
        regrade.plan_regrade(w.quiz, ["  "])
    with pytest.raises(regrade.RegradeError, match="no-such"):
        regrade.plan_regrade(w.quiz, ["no-such"])
    assert regrade.plan_regrade(w.quiz, ["q-single"]).attempts == []  # nothing fixed yet
    candidates = [
        (q.key, oldest, latest) for q, oldest, latest in regrade.regradable_questions(w.quiz)
    ]
    assert candidates == [("q-essay", 1, 1), ("q-single", 1, 1)]
