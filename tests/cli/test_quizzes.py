"""``hustings quizzes create FILE`` and ``hustings quizzes regrade``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import GradeChange, Quiz, QuizSlot
from tests.support.attempt_data import add_version, build_world, make_attempt
from tests.support.factories import single_choice_spec


@pytest.fixture
def w(make):
    return build_world(make)


def _write(tmp_path, text):
    path = tmp_path / "quiz.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_create_from_spec(w, runner, tmp_path):
    path = _write(
        tmp_path,
        f"""\
join_code: {w.course.join_code.lower()}
title: Scripted quiz
settings:
  mode: practice
  attempts_allowed: 0
  closes_at: 2026-12-01T17:00Z
  published: true
sources: [src]
slots:
  - question: q-single
    points: 2
  - question: q-essay
    page: 2
  - draw: {{bank: bank-x, type: short}}
""",
    )
    result = runner.invoke(args=["quizzes", "create", str(path)])
    assert result.exit_code == 0, result.output
    assert "Created quiz" in result.output and "(published)" in result.output
    quiz = db.session.scalar(select(Quiz).where(Quiz.title == "Scripted quiz"))
    assert quiz.mode == "practice" and quiz.attempts_allowed == 0 and quiz.published
    assert [(s.question_id, s.points, s.page, s.draw_type) for s in quiz.slots] == [
        (w.single.id, 2.0, 1, None),
        (w.essay.id, None, 2, None),
        (None, None, 2, "short"),
    ]
    assert [qs.source.slug for qs in quiz.sources] == ["src"]


def test_create_reports_every_problem_with_file_and_line(w, runner, tmp_path):
    path = _write(
        tmp_path,
        f"""\
course: {w.course.id}
title: Broken
settings:
  opens_at: 2026-12-02T00:00Z
  closes_at: 2026-12-01T00:00Z
slots:
  - question: q-single
  - question: no-such-question
  - draw: {{bank: bank-x, skill: inference, count: 5}}
  - draw: {{bank: no-bank}}
""",
    )
    result = runner.invoke(args=["quizzes", "create", str(path)])
    assert result.exit_code != 0
    assert f"{path}:5: closes_at: The close date must be after the open date." in result.output
    assert "nothing was created" in result.output
    assert db.session.scalar(select(func.count(Quiz.id))) == 1  # only the world's quiz
    # With the dates fixed, the slot problems are reported by line too, and still nothing made.
    path.write_text(path.read_text().replace("2026-12-02", "2026-11-02"))
    result = runner.invoke(args=["quizzes", "create", str(path)])
    assert f"{path}:8: no current question has id no-such-question" in result.output
    assert f"{path}:9: " in result.output and "Only 0 question(s) match" in result.output
    assert f"{path}:10: no bank has id no-bank" in result.output
    assert db.session.scalar(select(func.count(Quiz.id))) == 1
    assert db.session.scalar(select(func.count(QuizSlot.id))) == 2


def test_create_parse_errors_and_unknown_course(w, runner, tmp_path):
    path = _write(tmp_path, "title: T\ncourse: 999\nslots:\n  - question: q-single\n")
    result = runner.invoke(args=["quizzes", "create", str(path)])
    assert result.exit_code != 0 and f"{path}:1: no course has id 999" in result.output
    path.write_text("title: [oops\n")
    result = runner.invoke(args=["quizzes", "create", str(path)])
    assert result.exit_code != 0 and f"{path}:2: not valid YAML" in result.output
    path.write_bytes(b"\xff\xfe title")
    result = runner.invoke(args=["quizzes", "create", str(path)])
    assert result.exit_code != 0 and "not UTF-8" in result.output


def test_regrade_dry_run_then_apply(w, runner):
    make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "E")])
    make_attempt(w.quiz, w.other_student, [(w.single, "c"), (w.essay, "E")])
    add_version(w.single, single_choice_spec("q-single", correct="c"))
    result = runner.invoke(args=["quizzes", "regrade", str(w.quiz.id), "--question", "q-single"])
    assert result.exit_code == 0, result.output
    assert "would change" in result.output and "Dry run" in result.output
    assert "(-1)" in result.output and "(+1)" in result.output
    assert db.session.scalar(select(func.count(GradeChange.id))) == 0
    result = runner.invoke(
        args=["quizzes", "regrade", str(w.quiz.id), "--question", "q-single", "--apply"]
    )
    assert result.exit_code == 0 and "2 answer(s) in 2 attempt(s) changed" in result.output
    assert db.session.scalar(select(func.count(GradeChange.id))) == 2
    result = runner.invoke(args=["quizzes", "regrade", "999", "--question", "q-single"])
    assert result.exit_code != 0 and "no quiz has id 999" in result.output
    result = runner.invoke(args=["quizzes", "regrade", str(w.quiz.id), "--question", "zzz"])
    assert result.exit_code != 0 and "zzz" in result.output
