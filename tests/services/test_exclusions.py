"""Declared exclusions in the database: synced from the banks, refused in fixed quizzes, and
respected by random draws and by the demo course."""

from __future__ import annotations

import shutil
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.domain.banks.exclusions import declared_pairs
from app.domain.banks.schema import load_bank_paths
from app.models import Attempt, Bank, Question, QuestionExclusion, QuizSlot, Response
from app.services import attempts, quizzes
from app.services.bank_sync import sync_banks
from tests.support.library import load_real_banks
from tests.support.paths import BANKS


def ids(db: Any, *keys: str) -> list[int]:
    found = dict(db.session.execute(select(Question.key, Question.id)).all())
    return [found[k] for k in keys]


def pair_keys(db: Any) -> set[frozenset[str]]:
    return {
        frozenset((a, b))
        for a, b in db.session.execute(
            select(QuestionExclusion.first_key, QuestionExclusion.second_key)
        )
    }


def new_quiz(make: Any, **settings: Any) -> Any:
    course = make.course()
    return quizzes.create_quiz(course, quizzes.QuizSettings(title="Q", **settings))


def laid_out_keys(db: Any, make: Any, quiz: Any, seed: int) -> list[str]:
    """The questions of a new attempt (a new student each time) laid out with ``seed``."""
    attempt = Attempt(quiz_id=quiz.id, user_id=make.student().id, number=1, seed=seed)
    db.session.add(attempt)
    db.session.flush()
    attempts.lay_out(attempt, quiz)
    return [
        r.question_version.question.key
        for r in db.session.scalars(select(Response).where(Response.attempt_id == attempt.id))
    ]


def test_loading_stores_every_declared_pair_once_and_reloading_changes_nothing(db):
    load_real_banks(db)
    banks, _ = load_bank_paths([BANKS])
    declared = {frozenset((p.first, p.second)) for p in declared_pairs(banks)}
    assert len(declared) >= 41
    assert pair_keys(db) == declared
    assert db.session.scalar(select(func.count()).select_from(QuestionExclusion)) == len(declared)
    again = sync_banks(banks)
    assert again.exclusions_changed == [] and not again.changed


def test_a_pair_removed_from_its_bank_is_removed_from_the_database(db, tmp_path: Path):
    folder = tmp_path / "question_banks"
    shutil.copytree(BANKS, folder)
    banks, _ = load_bank_paths([folder])
    sync_banks(banks)
    db.session.commit()
    assert frozenset(("km-fo-select", "km-nominations")) in pair_keys(db)
    bank_file = folder / "kamikaze.yaml"
    text = bank_file.read_text(encoding="utf-8")
    line = '      km-nominations: "An option quotes the number km-nominations asks for."\n'
    assert line in text
    bank_file.write_text(text.replace(line, ""), encoding="utf-8")
    banks, problems = load_bank_paths([folder])
    assert not [p for p in problems if p.severity == "error"]
    report = sync_banks(banks)
    db.session.commit()
    assert report.exclusions_changed == ["kamikaze-reading"]
    assert report.new_versions == []  # exclusions are not part of a question's version
    assert frozenset(("km-fo-select", "km-nominations")) not in pair_keys(db)
    assert frozenset(("km-fo-select", "km-result-facts")) in pair_keys(db)


def test_a_fixed_quiz_refuses_a_pair_that_gives_itself_away(db, make):
    load_real_banks(db)
    quiz = new_quiz(make)
    quizzes.add_questions(quiz, ids(db, "km-nominations", "km-kamikaze"))
    db.session.commit()
    with pytest.raises(quizzes.QuizError) as refused:
        quizzes.add_questions(quiz, ids(db, "km-purpose", "km-fo-select"))
    message = refused.value.errors["question_ids"]
    assert "km-nominations and km-fo-select" in message and "Keep one of each pair" in message
    db.session.rollback()
    slots = db.session.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id)).all()
    assert len(slots) == 2  # nothing of the refused batch was added


def test_random_draws_never_put_an_excluded_pair_in_one_attempt(db, make):
    load_real_banks(db)
    bank = db.session.scalar(select(Bank).where(Bank.slug == "kamikaze-reading"))
    size = db.session.scalar(select(func.count()).where(Question.bank_id == bank.id))
    quiz = new_quiz(make)
    # The bank's questions carry different points; the draw scales each to one point.
    quizzes.add_draw(quiz, quizzes.DrawRule(bank.id, None, None, None, 30), points=1)
    excluded = pair_keys(db)
    assert size > 30
    for seed in range(25):
        keys = laid_out_keys(db, make, quiz, seed)
        assert len(keys) == 30 and len(set(keys)) == 30
        clashes = [pair for pair in map(frozenset, combinations(keys, 2)) if pair in excluded]
        assert clashes == []


def test_a_draw_skips_questions_a_fixed_question_gives_away(db, make):
    load_real_banks(db)
    bank = db.session.scalar(select(Bank).where(Bank.slug == "kamikaze-reading"))
    quiz = new_quiz(make)
    quizzes.add_questions(quiz, ids(db, "km-fo-select"))
    db.session.commit()
    # km-fo-select gives away km-nominations and km-result-facts, two of the literal items.
    pool = [
        "km-result-facts",
        "km-nominations",
        "km-first-handicap",
        "km-purpose",
        "km-who-is-who",
        "km-self-reinforcing",
        "km-two-mandates",
    ]
    with pytest.raises(quizzes.QuizError) as refused:
        quizzes.add_draw(
            quiz, quizzes.DrawRule(bank.id, "literal", None, None, len(pool) - 1), points=1
        )
    assert f"Only {len(pool) - 2} question(s) match this draw" in refused.value.errors["count"]
    db.session.rollback()
    quizzes.add_draw(
        quiz, quizzes.DrawRule(bank.id, "literal", None, None, len(pool) - 2), points=1
    )
    for seed in range(10):
        keys = laid_out_keys(db, make, quiz, seed)
        assert "km-fo-select" in keys
        assert "km-nominations" not in keys and "km-result-facts" not in keys
        assert len(keys) == 1 + len(pool) - 2


def test_the_demo_course_draws_no_excluded_pair(db):
    from app.services import demo

    demo.load_demo(BANKS)
    excluded = pair_keys(db)
    slots = db.session.execute(
        select(QuizSlot.quiz_id, Question.key).join(Question, Question.id == QuizSlot.question_id)
    ).all()
    by_quiz: dict[int, list[str]] = {}
    for quiz_id, key in slots:
        by_quiz.setdefault(quiz_id, []).append(key)
    assert len(by_quiz) == len(demo.QUIZZES)
    for keys in by_quiz.values():
        assert not [p for p in map(frozenset, combinations(keys, 2)) if p in excluded]
