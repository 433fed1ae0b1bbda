"""A synthetic course for benchmarks and dashboards: N students, Q quizzes, attempts, responses.

Rows go in with bulk ``INSERT … VALUES`` (executemany with RETURNING for the ids), never one ORM
object per row, so 2,000 students × 30 quizzes take seconds, not hours. Scores are plausible:
each student has an ability, each question a difficulty and a discrimination (a two-parameter
logistic model); a few questions have a wrong key (negative discrimination, so item analysis
has something to flag), one distractor per question is attractive, some essays await grading.
Responses are graded by ``app.domain.grading.grade`` like real ones, and each attempt's per-skill
totals
(``app.services.skill_totals``) are written beside them, and the tables written are analysed for the
planner. Flushes only; the caller commits.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from app.domain.banks.schema import SKILLS
from app.domain.grading import grade
from app.domain.passwords import hash_password
from app.extensions import db
from app.models import (
    Attempt,
    Bank,
    Enrolment,
    Question,
    QuestionVersion,
    Quiz,
    QuizSlot,
    Response,
    Role,
    User,
)
from app.services import accounts, planner, skill_totals
from app.services.demo import DEMO_PASSWORD

CHUNK = 2_000
START = datetime(2016, 9, 26, 9, 0, tzinfo=UTC)
OPTIONS = ("a", "b", "c", "d")


@dataclass(frozen=True)
class GeneratedCourse:
    course_id: int
    instructor_email: str
    password: str
    students: int
    quizzes: int
    attempts: int
    responses: int


@dataclass(frozen=True)
class _Item:
    question_id: int
    version_id: int
    spec: dict[str, Any]
    difficulty: float
    discrimination: float


def _chunks(
    rows: Sequence[dict[str, Any]], size: int = CHUNK
) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _insert_returning_ids(model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Bulk insert, returning the new ids in the order of ``rows``."""
    ids: list[int] = []
    for chunk in _chunks(rows):
        result = db.session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True), list(chunk)
        )
        ids.extend(result.scalars())
    return ids


def _insert(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(insert(model), list(chunk))


def _spec(key: str, n: int, rng: random.Random) -> dict[str, Any]:
    skill = list(SKILLS)[n % len(SKILLS)]
    kind = rng.choices(("single", "multiple", "essay"), weights=(7, 2, 1))[0]
    points = float(rng.choice((1, 1, 2))) if kind != "essay" else 4.0
    spec: dict[str, Any] = {
        "id": key,
        "type": kind,
        "prompt": f"<p>Generated question {n + 1} ({SKILLS[skill]}).</p>",
        "points": points,
        "skill": skill,
        "difficulty": rng.choice(("easy", "medium", "hard")),
        "evidence": [],
        "explanation": "Generated for benchmarks.",
        "source": None,
        "feedback_correct": "",
        "feedback_partial": "",
        "feedback_wrong": "",
    }
    if kind == "essay":
        spec.update(
            rubric=[{"criterion": "Argument", "points": points, "description": "A clear claim."}],
            model_answer="",
            min_words=None,
            max_words=None,
        )
    else:
        keys = {"b"} if kind == "single" else {"a", "c"}
        spec["options"] = [
            {"id": o, "text": f"Option {o.upper()}", "correct": o in keys, "feedback": ""}
            for o in OPTIONS
        ]
    return spec


def _answer(item: _Item, p_right: float, rng: random.Random) -> Any:
    spec = item.spec
    if spec["type"] == "single":
        if rng.random() < p_right:
            return "b"
        return rng.choices(("a", "c", "d"), weights=(5, 2, 1))[0]  # "a" is attractive
    if spec["type"] == "multiple":
        picked = [o for o in ("a", "c") if rng.random() < p_right]
        picked += [o for o in ("b", "d") if rng.random() < (1 - p_right) / 2]
        return sorted(picked) or None
    return "A generated essay answer." if rng.random() < 0.97 else None


def generate_course(
    *,
    students: int,
    quizzes: int,
    questions_per_quiz: int = 10,
    max_attempts: int = 2,
    seed: int = 0,
    password: str = DEMO_PASSWORD,
    title: str | None = None,
) -> GeneratedCourse:
    """Create the course and everything in it; returns what was made (flushed, not committed)."""
    if students < 0 or quizzes < 0 or questions_per_quiz < 1 or max_attempts < 1:
        raise ValueError("students and quizzes must be ≥ 0, questions and attempts ≥ 1")
    rng = random.Random(seed)
    token = secrets.token_hex(4)
    instructor = accounts.create_user(
        email=f"instructor.{token}@generated.hustings.test",
        name="Generated Instructor",
        password=password,
        role=Role.INSTRUCTOR,
    )
    course = accounts.create_course(
        instructor, title or f"Generated course {token} ({students} students)", f"GEN-{token}"
    )

    # Students: one password hash for all (argon2 per row would dominate the run time).
    student_hash = hash_password(password)
    now = datetime.now(UTC)
    user_ids = _insert_returning_ids(
        User,
        [
            {
                "email": f"s{i:05d}.{token}@generated.hustings.test",
                "name": f"Student {i:05d} {token}",
                "student_number": f"G{token}{i:05d}",
                "role": Role.STUDENT,
                "password_hash": student_hash,
                "created_at": now,
            }
            for i in range(students)
        ],
    )
    _insert(
        Enrolment,
        [
            {
                "course_id": course.id,
                "user_id": uid,
                "role": Role.STUDENT,
                "section": f"S{1 + i % 3}",
                "created_at": now,
            }
            for i, uid in enumerate(user_ids)
        ],
    )

    # A bank with one question per quiz slot.
    bank = Bank(slug=f"generated-{token}", title=f"Generated bank {token}")
    db.session.add(bank)
    db.session.flush()
    n_questions = quizzes * questions_per_quiz
    specs = [_spec(f"gen-{token}-q{n + 1}", n, rng) for n in range(n_questions)]
    question_ids = _insert_returning_ids(
        Question,
        [
            {"bank_id": bank.id, "key": s["id"], "latest_version": 1, "created_at": now}
            for s in specs
        ],
    )
    version_ids = _insert_returning_ids(
        QuestionVersion,
        [
            {
                "question_id": qid,
                "version": 1,
                "type": s["type"],
                "skill": s["skill"],
                "difficulty": s["difficulty"],
                "points": s["points"],
                "source_slug": None,
                "spec": s,
                "content_hash": f"{token}{n:056d}",
                "created_at": now,
            }
            for n, (qid, s) in enumerate(zip(question_ids, specs, strict=True))
        ],
    )
    items = [
        _Item(
            question_id=qid,
            version_id=vid,
            spec=s,
            difficulty=rng.gauss(-0.3, 0.9),
            # One question in fifteen has a wrong key: stronger students do worse on it.
            discrimination=-0.8 if rng.random() < 1 / 15 else rng.uniform(0.6, 2.0),
        )
        for qid, vid, s in zip(question_ids, version_ids, specs, strict=True)
    ]

    quiz_ids = _insert_returning_ids(
        Quiz,
        [
            {
                "course_id": course.id,
                "title": f"Reading {q + 1}: generated quiz",
                "description": "",
                "mode": "graded",
                "published": True,
                "opens_at": START + timedelta(weeks=q),
                "closes_at": START + timedelta(weeks=q + 1),
                "time_limit_minutes": 45,
                "attempts_allowed": max_attempts,
                "grading_method": ("highest", "last", "average", "first")[q % 4],
                "review_policy": {},
                "canvas_assignment_id": str(90000 + q),
                "created_at": now,
                "updated_at": now,
            }
            for q in range(quizzes)
        ],
    )
    slot_rows = [
        {
            "quiz_id": quiz_id,
            "position": p + 1,
            "page": 1,
            "points": None,
            "question_id": items[q * questions_per_quiz + p].question_id,
            "draw_count": 1,
        }
        for q, quiz_id in enumerate(quiz_ids)
        for p in range(questions_per_quiz)
    ]
    slot_ids = _insert_returning_ids(QuizSlot, slot_rows)

    ability = [rng.gauss(0, 1) for _ in user_ids]
    n_attempts = n_responses = 0
    for q, quiz_id in enumerate(quiz_ids):
        quiz_items = items[q * questions_per_quiz : (q + 1) * questions_per_quiz]
        quiz_slots = slot_ids[q * questions_per_quiz : (q + 1) * questions_per_quiz]
        opens = START + timedelta(weeks=q)
        attempt_rows: list[dict[str, Any]] = []
        answers: list[list[tuple[Any, float | None, str]]] = []
        for s, uid in enumerate(user_ids):
            if rng.random() < 0.08:  # some students never attempt this quiz
                continue
            started = opens + timedelta(minutes=rng.randint(0, 6 * 24 * 60))
            for number in range(1, rng.randint(1, max_attempts) + 1):
                theta = ability[s] + 0.35 * (number - 1)
                marks = []
                for item in quiz_items:
                    p_right = 1 / (1 + math.exp(-item.discrimination * (theta - item.difficulty)))
                    value = _answer(item, p_right, rng)
                    if item.spec["type"] == "essay":
                        if value is None:
                            marks.append((None, 0.0, "unanswered"))
                        elif rng.random() < 0.1:
                            marks.append((value, None, "needs_grading"))
                        else:
                            got = round(item.spec["points"] * min(1.0, max(0.0, p_right)) * 4) / 4
                            marks.append(
                                (
                                    value,
                                    got,
                                    "correct"
                                    if got == item.spec["points"]
                                    else ("wrong" if got == 0 else "partial"),
                                )
                            )
                    else:
                        result = grade(item.spec, value)
                        marks.append((value, result.points(item.spec["points"]), result.state))
                total = round(sum(m[1] or 0.0 for m in marks), 2)
                minutes = rng.randint(6, 44)
                attempt_rows.append(
                    {
                        "quiz_id": quiz_id,
                        "user_id": uid,
                        "number": number,
                        "state": "submitted",
                        "is_preview": False,
                        "seed": rng.randrange(2**31),
                        "started_at": started,
                        "deadline_at": started + timedelta(minutes=45),
                        "submitted_at": started + timedelta(minutes=minutes),
                        "submitted_by": "student",
                        "score": total,
                        "auto_score": total,
                        "max_score": sum(i.spec["points"] for i in quiz_items),
                        "needs_grading": any(m[2] == "needs_grading" for m in marks),
                    }
                )
                answers.append(marks)
                started += timedelta(hours=rng.randint(1, 48))
        attempt_ids = _insert_returning_ids(Attempt, attempt_rows)
        response_rows = [
            {
                "attempt_id": attempt_id,
                "position": p + 1,
                "page": 1,
                "slot_id": quiz_slots[p],
                "question_version_id": quiz_items[p].version_id,
                "max_points": quiz_items[p].spec["points"],
                "layout": {},
                "value": value,
                "seq": 1,
                "saved_at": row["submitted_at"],
                "state": state,
                "auto_score": None if state == "needs_grading" else score,
                "score": score,
                "feedback": [],
                "comment": "",
            }
            for attempt_id, row, marks in zip(attempt_ids, attempt_rows, answers, strict=True)
            for p, (value, score, state) in enumerate(marks)
        ]
        _insert(Response, response_rows)
        skills = {item.version_id: item.spec["skill"] for item in quiz_items}
        skill_totals.write_rows(
            row
            for attempt_id, a, marks in zip(attempt_ids, attempt_rows, answers, strict=True)
            if (
                row := skill_totals.row_for(
                    skill_totals.AttemptFacts(
                        attempt_id, quiz_id, a["user_id"], a["number"], a["score"]
                    ),
                    (
                        (item.version_id, score, item.spec["points"], state)
                        for item, (_value, score, state) in zip(quiz_items, marks, strict=True)
                    ),
                    skills,
                )
            )
            is not None
        )
        n_attempts += len(attempt_rows)
        n_responses += len(response_rows)
    db.session.flush()
    # Planner statistics for what was just written: without them PostgreSQL plans the first
    # exports and dashboards as if these tables were empty (app.services.planner).
    planner.analyze()
    return GeneratedCourse(
        course_id=course.id,
        instructor_email=instructor.email,
        password=password,
        students=len(user_ids),
        quizzes=len(quiz_ids),
        attempts=n_attempts,
        responses=n_responses,
    )
