"""Migrations bring an empty SQLite or PostgreSQL database to exactly the models' schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from pytest import approx
from sqlalchemy import insert, select

from app import create_app
from app.extensions import db
from app.models import Attempt, QuestionVersion, Response
from app.services import skill_totals
from tests.support.config import TEST_CONFIG
from tests.support.factories import Factory, single_choice_spec
from tests.support.postgres import temporary_database


@contextmanager
def _empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    with temporary_database("hustings_mig") as database:
        yield database.sqlalchemy_url


@pytest.mark.both_dbs
def test_upgrade_empty_database_to_head_matches_models(backend, tmp_path):
    with _empty_database(backend, tmp_path) as url:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            upgrade()  # a second run is a no-op
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": False})
                diff = compare_metadata(context, db.metadata)
            db.engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"


@pytest.mark.both_dbs
def test_upgrade_backfills_skill_totals_from_attempts_already_there(backend, tmp_path):
    """A database with attempts from before attempt_skill_totals existed gets, on upgrade,
    the rows grading would have written: one per submitted, non-preview attempt."""
    with _empty_database(backend, tmp_path) as url:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="30dd6cbd6495")
            ids = _attempts_at_the_initial_schema()
            upgrade()
            table = skill_totals.TABLE
            rows = select(table).order_by(table.c.attempt_id)
            backfilled = db.session.execute(rows).all()
            assert [r.attempt_id for r in backfilled] == ids["counted"]
            skill_totals.refresh(select(Attempt.id))
            assert db.session.execute(rows).all() == [approx(tuple(r)) for r in backfilled]
            essay = backfilled[0]._mapping
            assert (essay["argument_answers"], essay["literal_answers"]) == (0, 1)
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()


def _attempts_at_the_initial_schema() -> dict[str, list[int]]:
    """Attempts and responses written with the models, touching only the initial tables: an
    essay waiting for a person, a preview, an open attempt, one without responses."""
    make = Factory(db)
    teacher = make.instructor()
    course = make.course(teacher)
    students = [make.student(), make.student()]
    for student in students:
        make.enrol(course, student)
    specs = [
        dict(single_choice_spec("bf-1"), skill="literal"),
        dict(single_choice_spec("bf-2", points=2.0), skill="inference"),
        dict(single_choice_spec("bf-3"), type="essay", skill="argument"),
    ]
    questions = [make.question(s) for s in specs]
    quiz = make.quiz(course, questions)
    versions = [
        db.session.scalar(select(QuestionVersion).where(QuestionVersion.question_id == q.id))
        for q in questions
    ]
    made: dict[str, list[int]] = {"counted": [], "other": []}
    waiting = (None, "needs_grading")
    plan = [
        (students[0], 1, "submitted", False, [(1.0, "correct"), (0.0, "wrong"), waiting]),
        (students[0], 2, "submitted", False, [(0.0, "wrong"), (2.0, "correct"), (1.5, "partial")]),
        (students[1], 1, "submitted", False, []),
        (students[1], 2, "in_progress", False, [(None, "answered")] * 3),
        (teacher, 1, "submitted", True, [(1.0, "correct"), (2.0, "correct"), (1.0, "correct")]),
    ]  # fmt: skip
    for user, number, state, preview, marks in plan:
        attempt = Attempt(
            quiz_id=quiz.id, user_id=user.id, number=number, state=state, is_preview=preview,
            seed=number, score=sum(m[0] or 0.0 for m in marks), max_score=4.0,
        )  # fmt: skip
        db.session.add(attempt)
        db.session.flush()
        answered = zip(versions, marks, strict=False)  # an attempt may have no responses
        for position, (version, (score, rstate)) in enumerate(answered, start=1):
            # A Core insert names only these columns (and the defaults), so columns added to
            # the model after the initial schema stay out of it.
            db.session.execute(
                insert(Response).values(
                    attempt_id=attempt.id, position=position, question_version_id=version.id,
                    max_points=version.points, state=rstate, score=score, auto_score=score,
                )
            )  # fmt: skip
        counted = state == "submitted" and not preview
        made["counted" if counted else "other"].append(attempt.id)
    db.session.commit()
    return made
