"""The bench's data: a course with one article-and-20-questions quiz in several copies, students,
and attempts laid out and answered exactly as ``app.services.attempts`` would, inserted in bulk.

The quizzes are built from the shipped ``question_banks/`` (the "kamikaze" article and 20 of its
questions, every question type represented), so the quiz page the benchmark loads is the page
a student sees. Flushes and commits through the app's own session; run inside an app context.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_migrate import stamp
from sqlalchemy import func, insert, select

from app.domain import question_types
from app.domain.attempt_view import clean_value, make_layout
from app.services import accounts

try:  # the page names matching choices and ordering items by per-attempt aliases
    from app.domain.attempt_view import page_value
except ImportError:  # an app without aliases sends spec ids
    page_value = None
from app.database import writing
from app.domain.passwords import hash_password
from app.extensions import db
from app.models import (
    Attempt,
    Enrolment,
    Question,
    QuestionVersion,
    Quiz,
    QuizSlot,
    QuizSource,
    Response,
    Role,
    Source,
    User,
)
from app.services.demo import load_banks

PASSWORD = "bench-password-1"  # noqa: S105 - synthetic accounts on a throwaway database
SOURCE_SLUG = "kamikaze"
# 20 questions of the kamikaze bank: every type the product has, singles the most common.
QUESTION_KEYS = (
    "km-result-facts", "km-wrong-candidate", "km-nominations", "km-who-is-who",
    "km-argument-order", "km-essay-argument", "km-ev-activists", "km-ev-source-sentence",
    "km-fo-liability-tf", "km-first-handicap", "km-purpose", "km-kamikaze", "km-clean-skin",
    "km-entrails", "km-unresign", "km-selectorate", "km-more-desperate", "km-imitation",
    "km-self-reinforcing", "km-learn-from-him",
)  # fmt: skip
CHUNK = 1_000


@dataclass
class QuizInfo:
    id: int
    slot_ids: list[int]
    version_ids: list[int]
    specs: list[dict[str, Any]]
    points: list[float]


@dataclass
class BenchCourse:
    course_id: int
    students: list[tuple[int, str]]  # (user id, email)
    quizzes: dict[str, list[QuizInfo]] = field(default_factory=dict)


def create_schema() -> None:
    """Tables from the models (as the test suite does), stamped so ``serve`` upgrades nothing."""
    db.create_all()
    stamp(directory=str(Path(current_app.root_path).parent / "migrations"))
    db.session.commit()


def answer_for(spec: dict[str, Any], variant: int, source_slug: str = SOURCE_SLUG) -> Any:
    """A valid answer of ``spec``'s type; ``variant`` changes it, so saves can be told apart."""
    try:
        kind = question_types.get(spec["type"])
    except ValueError:
        raise ValueError(f"no bench answer for type {spec['type']}") from None
    return kind.bench_answer(spec, variant, source_slug)


def _insert_ids(model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        result = db.session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True),
            list(rows[i : i + CHUNK]),
        )
        ids.extend(result.scalars())
    return ids


def _insert(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), list(rows[i : i + CHUNK]))


def load_shipped_banks() -> None:
    with writing():
        load_banks(Path(current_app.config["QUESTION_BANKS"]))
        db.session.commit()


def _questions() -> tuple[int, list[tuple[int, int, dict[str, Any]]]]:
    """The article's id and (question id, version id, spec) of the 20 bench questions."""
    source_id = db.session.scalar(select(Source.id).where(Source.slug == SOURCE_SLUG))
    rows = db.session.execute(
        select(Question.id, Question.key, QuestionVersion.id, QuestionVersion.spec)
        .join(
            QuestionVersion,
            (QuestionVersion.question_id == Question.id)
            & (QuestionVersion.version == Question.latest_version),
        )
        .where(Question.key.in_(QUESTION_KEYS))
    ).all()
    by_key = {r[1]: (r[0], r[2], r[3]) for r in rows}
    missing = [k for k in QUESTION_KEYS if k not in by_key]
    if missing or source_id is None:
        raise RuntimeError(f"the shipped banks lack {missing or SOURCE_SLUG!r}; load them first")
    return source_id, [by_key[k] for k in QUESTION_KEYS]


def build_course(students: int, copies: dict[str, int], label: str = "course") -> BenchCourse:
    """An instructor, ``students`` students and ``copies[name]`` copies of the bench quiz."""
    with writing():
        token = secrets.token_hex(3)
        instructor = accounts.create_user(
            email=f"bench.{label}.{token}@bench.hustings.test",
            name="Bench Instructor",
            password=PASSWORD,
            role=Role.INSTRUCTOR,
        )
        course = accounts.create_course(instructor, f"Bench {label} {token}", f"B-{token}")
        now = datetime.now(UTC)
        password_hash = hash_password(PASSWORD)  # one argon2 hash for all: it is per-row slow
        emails = [f"{label}{i:05d}.{token}@bench.hustings.test" for i in range(students)]
        ids = _insert_ids(
            User,
            [
                {
                    "email": email,
                    "name": f"Bench Student {i:05d}",
                    "role": Role.STUDENT,
                    "password_hash": password_hash,
                    "created_at": now,
                }
                for i, email in enumerate(emails)
            ],
        )
        _insert(
            Enrolment,
            [
                {"course_id": course.id, "user_id": uid, "role": Role.STUDENT, "created_at": now}
                for uid in ids
            ],
        )
        db.session.commit()
    out = BenchCourse(course_id=course.id, students=list(zip(ids, emails, strict=True)))
    for name, count in copies.items():
        out.quizzes[name] = add_quizzes(course.id, name, count)
    return out


def add_quizzes(course_id: int, name: str, count: int) -> list[QuizInfo]:
    """``count`` copies of the bench quiz (the article and its 20 questions) in the course."""
    out: list[QuizInfo] = []
    with writing():
        source_id, questions = _questions()
        specs = [q[2] for q in questions]
        for n in range(count):
            quiz = Quiz(
                course_id=course_id,
                title=f"Bench {name} {n + 1}: It was always a kamikaze mission",
                mode="graded",
                published=True,
                time_limit_minutes=180,
                attempts_allowed=1,
                grading_method="highest",
                review_policy={"score": "immediately", "details": "immediately"},
                shuffle_options=True,
                questions_per_page=0,
            )
            db.session.add(quiz)
            db.session.flush()
            db.session.add(QuizSource(quiz_id=quiz.id, source_id=source_id, position=0))
            slot_ids = _insert_ids(
                QuizSlot,
                [
                    {"quiz_id": quiz.id, "position": p + 1, "page": 1, "question_id": q[0],
                     "draw_count": 1}
                    for p, q in enumerate(questions)
                ],
            )  # fmt: skip
            out.append(
                QuizInfo(
                    id=quiz.id,
                    slot_ids=slot_ids,
                    version_ids=[q[1] for q in questions],
                    specs=specs,
                    points=[float(s["points"]) for s in specs],
                )
            )
        db.session.commit()
    return out


def open_attempts(
    quiz: QuizInfo, user_ids: Sequence[int], *, answered: bool, seed: int = 0
) -> dict[int, int]:
    """Open attempts at ``quiz`` for ``user_ids``, laid out as ``app.services.attempts.lay_out``
    does
    (seeded shuffles) and, when ``answered``, with every question answered once (seq 1).
    Returns user id → attempt id."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with writing():
        attempt_ids = _insert_ids(
            Attempt,
            [
                {
                    "quiz_id": quiz.id,
                    "user_id": uid,
                    "number": 1,
                    "state": "in_progress",
                    "is_preview": False,
                    "seed": rng.randrange(2**31 - 1),
                    "started_at": now,
                    "deadline_at": now + timedelta(minutes=180),
                    "max_score": round(sum(quiz.points), 2),
                }
                for uid in user_ids
            ],
        )
        responses = []
        for n, attempt_id in enumerate(attempt_ids):
            layout_rng = random.Random(attempt_id)
            for p, spec in enumerate(quiz.specs):
                value = None
                if answered:
                    raw = answer_for(spec, n + p)
                    refs = raw if question_types.get(spec["type"]).picks_passages else ()
                    value = clean_value(spec, raw, evidence_refs=refs)
                responses.append(
                    {
                        "attempt_id": attempt_id,
                        "position": p + 1,
                        "page": 1,
                        "slot_id": quiz.slot_ids[p],
                        "question_version_id": quiz.version_ids[p],
                        "max_points": quiz.points[p],
                        "layout": make_layout(spec, layout_rng, True),
                        "value": value,
                        "seq": 1 if answered else 0,
                        "saved_at": now if answered else None,
                        "state": "answered" if answered else "unanswered",
                        "feedback": [],
                        "comment": "",
                    }
                )
        _insert(Response, responses)
        db.session.commit()
    return dict(zip(user_ids, attempt_ids, strict=True))


def layouts_of(attempt_ids: Sequence[int]) -> dict[tuple[int, int], dict[str, Any]]:
    """(attempt id, position) → the response's layout (shuffled orders, page aliases)."""
    rows = db.session.execute(
        select(Response.attempt_id, Response.position, Response.layout).where(
            Response.attempt_id.in_(attempt_ids)
        )
    )
    return {(a, p): layout or {} for a, p, layout in rows}


def sent_value(spec: dict[str, Any], layout: dict[str, Any], value: Any) -> Any:
    """``value`` (spec ids) as the quiz page names things, which is what a browser sends:
    matching choices and ordering items go by per-attempt aliases where the app uses them."""
    return page_value(spec, layout, value) if page_value is not None else value


def max_seq(attempt_ids: Sequence[int]) -> int:
    return int(
        db.session.scalar(
            select(func.max(Response.seq)).where(Response.attempt_id.in_(attempt_ids))
        )
        or 0
    )
