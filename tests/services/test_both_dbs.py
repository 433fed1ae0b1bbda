"""The builder's and grader's queries on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import marking, quizzes, regrade
from tests.support.attempt_data import add_version, build_world, make_attempt
from tests.support.factories import single_choice_spec

pytestmark = pytest.mark.both_dbs


def test_queries_on_each_backend(make, backend):
    w = build_world(make)
    assert {q.key for q, _v, _b in quizzes.search_questions(quizzes.QuestionFilter(text="q-"))} == {
        "q-single",
        "q-essay",
        "q-short",
    }
    assert [s.slug for s in quizzes.available_sources(w.quiz)] == ["src"]
    quizzes.add_draw(w.quiz, quizzes.DrawRule(w.bank.id, qtype="short"))
    quizzes.move_slot(w.quiz, w.quiz.slots[2].id, -1)
    db.session.commit()
    a1 = make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "Essay one")])
    make_attempt(w.quiz, w.other_student, [(w.single, "c"), (w.essay, "Essay two")])
    queue = marking.grading_queue(w.quiz, order="student")
    assert [i.student_name for i in queue] == ["Amira Student", "Ben Student"]
    essay = next(r for r in a1.responses if r.question_version.type == "essay")
    marking.record_manual_grade(
        essay, w.teacher, criterion_scores={"criterion_0": "2", "criterion_1": "0.5"}
    )
    marking.override_attempt(a1, w.teacher, "3", "rounding")
    db.session.commit()
    add_version(w.single, single_choice_spec("q-single", correct="c"))
    assert [q.key for q, _o, latest in regrade.regradable_questions(w.quiz) if latest == 2] == [
        "q-single"
    ]
    plan = regrade.apply_regrade(w.quiz, ["q-single"], w.teacher)
    db.session.commit()
    assert plan.changed_responses == 2
    trail = marking.audit_trail(quiz=w.quiz)
    assert sorted(e.kind for e in trail) == ["attempt_override", "manual", "regrade", "regrade"]
    assert db.session.get(type(a1), a1.id).score == 3.0
