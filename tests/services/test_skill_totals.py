"""``attempt_skill_totals`` says what the responses say, through every path that grades an
attempt, and the course-wide mastery figures summed from it equal the figures computed
from every response in plain Python."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest import approx
from sqlalchemy import select

from app.domain.banks.schema import SKILLS
from app.extensions import db
from app.models import SKILL_COLUMNS, Attempt, Enrolment, Response, Role
from app.services import analytics, attempts, marking, regrade, skill_totals
from tests.support import specs
from tests.support.attempt_data import add_version, build_world, make_attempt
from tests.support.class_data import add_attempt, make_quiz, spec
from tests.support.factories import single_choice_spec
from tests.support.quiz_setup import build

pytestmark = pytest.mark.both_dbs
TABLE = skill_totals.TABLE


def _expected(attempt_id: int) -> dict[str, Any] | None:
    """The row, from the attempt and its responses (the rule written out again here)."""
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    if attempt.state != "submitted" or attempt.is_preview:
        return None
    row: dict[str, Any] = {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "user_id": attempt.user_id,
        "number": attempt.number,
        "score": attempt.score,
    }
    for earned, possible, answers in SKILL_COLUMNS.values():
        row[earned] = row[possible] = row[answers] = 0
    for r in attempt.responses:
        if r.state == "needs_grading" and r.score is None:
            continue  # waits for a person: in none of the figures
        earned, possible, answers = SKILL_COLUMNS[r.question_version.skill]
        row[earned] += r.score or 0.0
        row[possible] += r.max_points
        row[answers] += 1
    return row


def _stored(attempt_id: int) -> dict[str, Any] | None:
    found = db.session.execute(select(TABLE).where(TABLE.c.attempt_id == attempt_id)).first()
    return None if found is None else dict(found._mapping)


def _assert_in_step(*attempt_ids: int) -> None:
    for attempt_id in attempt_ids:
        expected, stored = _expected(attempt_id), _stored(attempt_id)
        assert (stored is None) == (expected is None), attempt_id
        if expected is not None:
            assert stored == {k: approx(v) for k, v in expected.items()}


def _answers(row: dict[str, Any] | None, skill: str) -> int:
    assert row is not None
    return row[SKILL_COLUMNS[skill][2]]


def test_every_bank_skill_has_its_columns() -> None:
    assert set(SKILL_COLUMNS) == set(SKILLS)
    assert all(name in TABLE.c for names in SKILL_COLUMNS.values() for name in names)


def test_row_for_sums_by_skill_and_leaves_out_what_waits(caplog) -> None:
    facts = skill_totals.AttemptFacts(id=7, quiz_id=2, user_id=3, number=1, score=3.5)
    marks = [
        (10, 1.0, 1.0, "correct"),
        (11, 0.5, 2.0, "partial"),
        (12, None, 4.0, "needs_grading"),  # waits for a person: in no figure
        (13, 2.0, 4.0, "needs_grading"),  # graded by hand, state not yet moved on: counts
        (14, None, 1.0, "unanswered"),  # counts, as 0 of 1
        (15, 1.0, 1.0, "correct"),  # not a bank skill: left out, and said so
    ]
    skills = {10: "literal", 11: "literal", 12: "argument", 13: "argument", 14: "rhetoric"}
    row = skill_totals.row_for(facts, marks, {**skills, 15: "astrology"})
    assert row is not None
    assert (row["attempt_id"], row["quiz_id"], row["user_id"], row["score"]) == (7, 2, 3, 3.5)
    assert (row["literal_earned"], row["literal_possible"], row["literal_answers"]) == (1.5, 3, 2)
    assert (row["argument_earned"], row["argument_possible"], row["argument_answers"]) == (2, 4, 1)
    assert (row["rhetoric_earned"], row["rhetoric_possible"], row["rhetoric_answers"]) == (0, 1, 1)
    assert row["inference_answers"] == 0 and "astrology" in caplog.text
    preview = skill_totals.AttemptFacts(7, 2, 3, 1, 3.5, is_preview=True)
    open_attempt = skill_totals.AttemptFacts(7, 2, 3, 1, None, state="in_progress")
    assert skill_totals.row_for(preview, marks, skills) is None
    assert skill_totals.row_for(open_attempt, marks, skills) is None


def test_submit_writes_the_row_and_leaves_out_answers_waiting(make) -> None:
    s = build(
        make,
        [
            dict(specs.single(), skill="inference"),
            dict(specs.multiple(), skill="inference"),
            specs.truefalse(),
            dict(specs.essay(), skill="argument"),
        ],
    )
    now = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
    attempt = attempts.start_or_resume(s.quiz, s.student, now)
    db.session.commit()
    assert _stored(attempt.id) is None  # in progress: nothing counts yet
    for r in attempts.responses_of(attempt):
        value = specs.RIGHT[r.question_version.spec["id"]]
        attempts.save_response(attempt, r.position, value, r.seq + 1, now, page_ids=False)
    attempts.submit(attempt, now + timedelta(minutes=5))
    db.session.commit()
    _assert_in_step(attempt.id)
    row = _stored(attempt.id)
    assert row is not None and row["inference_earned"] == 2.0 and row["literal_answers"] == 1
    assert _answers(row, "argument") == 0  # the essay waits for a person


def test_every_grading_path_rewrites_the_row(make) -> None:
    w = build_world(make)
    mine = make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "An essay.")])
    theirs = make_attempt(w.quiz, w.other_student, [(w.single, "c"), (w.essay, "Another.")])
    _assert_in_step(mine.id, theirs.id)
    assert _answers(_stored(mine.id), "argument") == 0

    essay = next(r for r in mine.responses if r.question_version.type == "essay")
    marking.record_manual_grade(
        essay, w.teacher, criterion_scores={"criterion_0": "1.5", "criterion_1": "2"}
    )
    db.session.commit()
    _assert_in_step(mine.id)
    assert _stored(mine.id)["argument_earned"] == 3.5

    single = next(r for r in mine.responses if r.question_version.type == "single")
    marking.override_response(single, w.teacher, "0.5", "half right")
    db.session.commit()
    _assert_in_step(mine.id)
    assert _stored(mine.id)["literal_earned"] == 0.5

    marking.override_attempt(mine, w.teacher, "5", "bonus")
    db.session.commit()
    _assert_in_step(mine.id)
    assert _stored(mine.id)["score"] == 5.0  # the total counts for "highest"; skills do not

    add_version(w.single, single_choice_spec("q-single", correct="c"))
    regrade.apply_regrade(w.quiz, ["q-single"], w.teacher)
    db.session.commit()
    _assert_in_step(mine.id, theirs.id)
    assert _stored(theirs.id)["literal_earned"] == 1.0  # "c" is now right


def test_previews_and_open_attempts_have_no_row(make) -> None:
    w = build_world(make)
    preview = make_attempt(w.quiz, w.teacher, [(w.single, "b")], preview=True)
    open_attempt = make_attempt(w.quiz, w.student, [(w.single, "b")], submitted=False)
    _assert_in_step(preview.id, open_attempt.id)
    assert _stored(preview.id) is None and _stored(open_attempt.id) is None


def test_refresh_writes_what_replace_writes(make) -> None:
    w = build_world(make)
    attempt = make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "An essay.")])
    written = _stored(attempt.id)
    db.session.execute(TABLE.delete())
    skill_totals.refresh([attempt.id])
    db.session.commit()
    assert _stored(attempt.id) == written


# --------------------------------------------------------------------------- course figures

METHODS = ("highest", "last", "first", "average")
SPECS = [
    dict(skill="literal", points=1.0),
    dict(skill="inference", points=2.0, qtype="multiple"),
    dict(skill="argument", points=2.0, qtype="essay"),
    dict(skill="rhetoric", points=1.0),
]


def _answer(qtype: str, points: float, rng: random.Random) -> tuple[Any, float | None]:
    if qtype == "essay":
        if rng.random() < 0.3:
            return "An essay waiting for a person.", None
        return "A graded essay.", rng.choice((0.0, 1.0, points))
    if qtype == "multiple":
        return rng.choice(((["a", "b"], points), (["a"], points / 2), (["c"], 0.0)))
    return rng.choice((("b", points), ("a", 0.0)))


def _course(make: Any) -> tuple[Any, list[Any]]:
    """A course with a quiz per grading method; students with 0 to 3 attempts (ties in
    score included), answers waiting for a person, a preview, an open attempt, a student
    who is not in the course, and one who also takes another course's quiz."""
    rng = random.Random(11)
    teacher = make.instructor()
    course = make.course(teacher)
    students = [make.student(name=f"Student {i}") for i in range(7)]
    for st in students[:6]:
        make.enrol(course, st)
    quizzes = []
    for q, method in enumerate(METHODS):
        specs_ = [spec(f"m{q}-{i}", **kw) for i, kw in enumerate(SPECS)]  # type: ignore[arg-type]
        quiz, versions, _ = make_quiz(
            make, course, specs_, grading_method=method, attempts_allowed=0
        )
        quizzes.append(quiz)
        for st in students:
            n_attempts = rng.choice((0, 1, 1, 2, 3))
            first = None
            for number in range(1, n_attempts + 1):
                answers = [_answer(v.type, v.points, rng) for v in versions]
                if number == 2 and rng.random() < 0.5 and first is not None:
                    # The same total with the two 1-point answers swapped: "highest" must
                    # take the earlier attempt, and which one it took shows in the skills.
                    answers = [first[3], first[1], first[2], first[0]]
                first = first or answers
                add_attempt(db, quiz, st, answers, number=number)
        add_attempt(db, quiz, students[0], [("b", 1.0)] + [("", None)] * 3, number=9,
                    state="in_progress")  # fmt: skip
        add_attempt(db, quiz, teacher, [("b", 1.0), (["a", "b"], 2.0), ("x", 2.0), ("b", 1.0)],
                    preview=True)  # fmt: skip
    other = make.course(make.instructor(), title="Other course")
    make.enrol(other, students[1])
    other_quiz, _, _ = make_quiz(make, other, [spec("other-1")])
    add_attempt(db, other_quiz, students[1], [("b", 1.0)])
    db.session.commit()
    return course, quizzes


def _counted(quiz: Any, which: str, enrolled: set[int]) -> list[Attempt]:
    by_user: dict[int, list[Attempt]] = defaultdict(list)
    for a in db.session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id).order_by(Attempt.number)
    ):
        if a.state == "submitted" and not a.is_preview and a.user_id in enrolled:
            by_user[a.user_id].append(a)
    out = []
    for mine in by_user.values():
        method = {"first": "first", "all": "average"}.get(which, quiz.grading_method)
        if method == "average":
            out += mine
        elif method == "first":
            out.append(mine[0])
        elif method == "last":
            out.append(mine[-1])
        else:
            best = max(a.score or 0.0 for a in mine)
            out.append(next(a for a in mine if (a.score or 0.0) == best))
    return out


@pytest.mark.parametrize("which", ["graded", "first", "all"])
def test_course_figures_equal_the_response_figures(make, backend, which) -> None:
    course, quizzes = _course(make)
    enrolled = set(
        db.session.scalars(
            select(Enrolment.user_id).where(
                Enrolment.course_id == course.id, Enrolment.role == Role.STUDENT
            )
        )
    )
    per_quiz: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    per_user: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for quiz in quizzes:
        for a in _counted(quiz, which, enrolled):
            for r in db.session.scalars(select(Response).where(Response.attempt_id == a.id)):
                if r.state == "needs_grading" and r.score is None:
                    continue
                skill = r.question_version.skill
                for totals in (per_quiz[quiz.id, skill], per_user[a.user_id, skill]):
                    totals[0] += r.score or 0.0
                    totals[1] += r.max_points
                    totals[2] += 1

    mastery = analytics.skill_mastery(course.id, which=which)
    assert mastery.by_quiz and all(s.questions == () for s in mastery.skills)
    skills = {skill for _quiz, skill in per_quiz}
    assert {s.skill for s in mastery.skills} == skills
    for s in mastery.skills:
        earned = sum(v[0] for (_q, sk), v in per_quiz.items() if sk == s.skill)
        possible = sum(v[1] for (_q, sk), v in per_quiz.items() if sk == s.skill)
        assert (s.score.earned, s.score.possible) == (approx(earned), approx(possible))
        assert {q.quiz_id: (q.earned, q.possible, q.responses) for q in s.quizzes} == {
            quiz_id: (approx(v[0]), approx(v[1]), v[2])
            for (quiz_id, sk), v in per_quiz.items()
            if sk == s.skill
        }
        # The quiz's own view (a scan of its responses) agrees with the summed totals.
        for q in s.quizzes:
            one = analytics.skill_mastery(course.id, quiz_id=q.quiz_id, which=which)
            row = next(r for r in one.skills if r.skill == s.skill)
            assert (row.score.earned, row.score.possible) == (approx(q.earned), approx(q.possible))
            assert sum(x.responses for x in row.questions) == q.responses

    names, matrix = analytics.student_skill_matrix(course.id, which=which)
    assert set(names) == {skill for _user, skill in per_user}
    assert {m.user_id for m in matrix} == enrolled
    for m in matrix:
        expected = {sk: v for (uid, sk), v in per_user.items() if uid == m.user_id}
        assert {sk: (sc.earned, sc.possible) for sk, sc in m.scores.items()} == {
            sk: (approx(v[0]), approx(v[1])) for sk, v in expected.items()
        }

    quiz = quizzes[0]
    _names, one_quiz = analytics.student_skill_matrix(course.id, quiz_id=quiz.id, which=which)
    for m in one_quiz:
        mine = [a for a in _counted(quiz, which, enrolled) if a.user_id == m.user_id]
        total = sum(
            r.score or 0.0
            for a in mine
            for r in a.responses
            if not (r.state == "needs_grading" and r.score is None)
        )
        assert sum(sc.earned for sc in m.scores.values()) == approx(total)
