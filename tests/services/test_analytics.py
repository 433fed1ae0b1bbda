"""The SQL aggregation agrees with the pure row-based statistics and with the grading rule."""

from __future__ import annotations

from collections import defaultdict

import pytest
from pytest import approx
from sqlalchemy import select

from app.domain import statistics
from app.domain.grading import aggregate_attempt_scores
from app.models import Attempt, QuestionVersion, Response
from app.services import analytics
from tests.support.class_data import add_attempt, make_quiz, random_class, spec

pytestmark = pytest.mark.both_dbs


def _python_attempts(db, quiz, which: str) -> list[Attempt]:
    """The counted attempts, chosen in plain Python from every row (the reference)."""
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id).order_by(Attempt.user_id, Attempt.number)
    ).all()
    by_user: dict[int, list[Attempt]] = defaultdict(list)
    for a in attempts:
        if a.state == "submitted" and not a.is_preview and a.user.role == "student":
            by_user[a.user_id].append(a)
    chosen = []
    for mine in by_user.values():
        if which == "all" or (which == "graded" and quiz.grading_method == "average"):
            chosen += mine
        elif which == "first" or quiz.grading_method == "first":
            chosen.append(mine[0])
        elif quiz.grading_method == "last":
            chosen.append(mine[-1])
        else:
            best = max(a.score for a in mine)
            chosen.append(next(a for a in mine if a.score == best))
    return chosen


def _assert_same(left, right) -> None:
    (q1, items1), (q2, items2) = left, right
    for name in q1.__dataclass_fields__:
        a, b = getattr(q1, name), getattr(q2, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert a == approx(b, rel=1e-9, abs=1e-9), name
    assert len(items1) == len(items2)
    for i1, i2 in zip(items1, items2, strict=True):
        for name in i1.__dataclass_fields__:
            if name == "slot":  # rows are keyed by version here, by quiz slot in the product
                continue
            a, b = getattr(i1, name), getattr(i2, name)
            if isinstance(a, float) and isinstance(b, float):
                assert a == approx(b, rel=1e-9, abs=1e-9), name
            else:
                assert a == b, (name, a, b)


@pytest.mark.parametrize("method", ["highest", "last", "first", "average"])
@pytest.mark.parametrize("which", ["graded", "first", "all"])
def test_item_analysis_sql_agrees_with_rows(make, db, backend, method, which) -> None:
    setup = random_class(make, 25, seed=7, attempts=3)
    setup.quiz.grading_method = method
    db.session.commit()
    chosen = _python_attempts(db, setup.quiz, which)
    versions = setup.versions
    rows = []
    for a in chosen:
        marks = {str(r.question_version_id): r.score for r in a.responses}
        rows.append(marks)
    max_marks = {str(v.id): v.points for v in versions}
    choices = defaultdict(lambda: defaultdict(int))
    for a in chosen:
        for r in a.responses:
            picked = r.value if isinstance(r.value, list) else [r.value]
            for option in picked:
                if option:
                    choices[str(r.question_version_id)][option] += 1
    keys = {str(v.id): {o["id"] for o in v.spec["options"] if o["correct"]} for v in versions}
    ordered = {
        str(v.id): {o["id"]: choices[str(v.id)].get(o["id"], 0) for o in v.spec["options"]}
        for v in versions
    }
    distractors = statistics.distractor_analysis(ordered, keys)
    expected = statistics.item_analysis(rows, max_marks, distractors=distractors)

    result = analytics.item_analysis(setup.quiz, which)
    _assert_same(expected, (result.quiz, [i.stats for i in result.items]))
    for item in result.items:
        assert [(o.option, o.count) for o in item.options] == [
            (o.option, o.count) for o in distractors[str(item.question_version_id)]
        ]


@pytest.mark.parametrize("method", ["highest", "last", "first", "average"])
def test_grades_follow_the_grading_method(make, db, backend, method) -> None:
    setup = random_class(make, 15, seed=3, attempts=3)
    setup.quiz.grading_method = method
    db.session.commit()
    results = analytics.quiz_results(setup.quiz)
    scores: dict[int, list[float]] = defaultdict(list)
    for a in _python_attempts(db, setup.quiz, "all"):
        scores[a.user_id].append(a.score)
    assert len(results.rows) == 15
    for row in results.rows:
        expected = aggregate_attempt_scores(method, scores[row.user_id])
        assert row.grade == approx(expected, abs=1e-6)
        assert row.attempts == len(scores[row.user_id])  # preview and unsubmitted left out


def test_skill_mastery_sums_every_counted_response(make, db, backend) -> None:
    setup = random_class(make, 12, seed=5)
    chosen = _python_attempts(db, setup.quiz, "graded")
    earned: dict[str, float] = defaultdict(float)
    possible: dict[str, float] = defaultdict(float)
    skills = {v.id: v.skill for v in setup.versions}
    for a in chosen:
        for r in a.responses:
            earned[skills[r.question_version_id]] += r.score or 0.0
            possible[skills[r.question_version_id]] += r.max_points
    mastery = analytics.skill_mastery(setup.course.id)
    assert {s.skill: (s.score.earned, s.score.possible) for s in mastery.skills} == {
        k: (approx(earned[k]), approx(possible[k])) for k in earned
    }
    lowest = min(s.score.percentage for s in mastery.skills)
    assert mastery.weakest[0].score.percentage == lowest
    # The whole class on every quiz: the quizzes behind each figure; one quiz: its questions.
    one_quiz = analytics.skill_mastery(setup.course.id, quiz_id=setup.quiz.id)
    assert mastery.by_quiz and not one_quiz.by_quiz
    for s, q in zip(mastery.skills, one_quiz.skills, strict=True):
        assert sum(x.earned for x in s.quizzes) == approx(s.score.earned)
        assert sum(x.earned for x in q.questions) == approx(s.score.earned)
        assert sum(x.responses for x in q.questions) == s.quizzes[0].responses

    # Per student: one student's figures are the sums over their own counted attempt.
    student = setup.students[3]
    mine = [a for a in chosen if a.user_id == student.id]
    own = analytics.skill_mastery(setup.course.id, user_id=student.id)
    total = sum(r.score or 0.0 for a in mine for r in a.responses)
    assert sum(s.score.earned for s in own.skills) == approx(total)
    names, matrix = analytics.student_skill_matrix(setup.course.id)
    row = next(m for m in matrix if m.user_id == student.id)
    assert sum(sc.earned for sc in row.scores.values()) == approx(total)
    assert len(matrix) == 12 and set(names) == set(skills.values())


def test_hand_computed_overview(make, db, backend) -> None:
    """Three students, scores 2, 4 (best of 1 and 4), nothing; an essay waiting; a preview."""
    instructor = make.instructor()
    course = make.course(instructor)
    quiz, versions, _ = make_quiz(
        make, course, [spec("h1", points=2.0), spec("h2", qtype="essay", points=4.0)]
    )
    a, b, c = (make.student(name=n) for n in ("Ann", "Bob", "Cat"))
    for s in (a, b, c):
        make.enrol(course, s)
    add_attempt(db, quiz, a, [("b", 2.0), ("", None)])
    add_attempt(db, quiz, b, [("a", 0.0), ("Some essay", None)], number=1)
    add_attempt(db, quiz, b, [("b", 2.0), ("Better essay", 2.0)], number=2)
    add_attempt(db, quiz, instructor, [("b", 2.0), ("x", 4.0)], preview=True)
    add_attempt(db, quiz, c, [("b", 2.0), ("", None)], state="in_progress")

    overview = analytics.course_overview(course.id)
    q = overview.quizzes[0]
    assert (q.students, q.submitted_students, q.submitted_attempts) == (3, 2, 3)
    assert q.mean == approx(3.0) and q.median == approx(3.0) and q.max_total == 6.0
    assert q.mean_pct == approx(50.0)
    assert q.not_attempted == 1 and q.not_attempted_names == ((c.id, "Cat"),)
    assert (q.needs_grading_responses, q.needs_grading_attempts) == (1, 1)
    assert q.in_progress == 1

    results = analytics.quiz_results(quiz, sort="score", descending=True)
    assert [(r.name, r.grade, r.state) for r in results.rows] == [
        ("Bob", 4.0, "needs_grading"),
        ("Ann", 2.0, "submitted"),
        ("Cat", None, "in_progress"),
    ]
    bob = results.rows[0]
    assert [link.counts for link in bob.links] == [False, True]
    assert bob.time_taken.total_seconds() == 600
    assert [b.count for b in results.distribution] == [0, 0, 0, 1, 0, 0, 1, 0, 0, 0]

    only = analytics.quiz_results(quiz, state="not_attempted")
    assert (
        only.rows == () and analytics.quiz_results(quiz, state="in_progress").rows[0].name == "Cat"
    )
    assert [r.name for r in analytics.quiz_results(quiz, search="AN").rows] == ["Ann"]

    page = analytics.student_page(course.id, b.id)
    assert [x.number for x in page.attempts] == [1, 2]
    assert [p.key for p in page.pending] == ["h2"]
    assert page.grades[0].grade == 4.0

    # Moodle's rule: Bob's first attempt awaits grading, so it is left out and his second
    # (fully graded) attempt is his first graded one. Ann's essay is blank, so graded (0).
    first = analytics.item_analysis(quiz, "first")
    assert first.quiz.n == 2 and first.left_out_pending == 1
    assert first.items[0].stats.facility == approx(100.0)  # Ann 2/2, Bob 2/2
    assert first.quiz.mean == approx(100 * (2 + 4) / 2 / 6)
    # Counting answers awaiting grading as 0 is an explicit choice: Ann 2, Bob 0.
    zero = analytics.item_analysis(quiz, "first", pending="count_zero")
    assert zero.quiz.n == 2 and zero.left_out_pending == 0
    assert zero.items[0].stats.facility == approx(50.0)
    assert zero.items[1].pending == 1
    ids = {v.id for v in versions}
    assert {i.question_version_id for i in zero.items} == ids
    with pytest.raises(analytics.AnalyticsError):
        analytics.item_analysis(quiz, "first", pending="maybe")


def test_median_of_even_and_odd_counts(make, db, backend) -> None:
    course = make.course()
    quiz, _, _ = make_quiz(make, course, [spec("m1", points=10.0)])
    for _i, score in enumerate([1.0, 9.0, 3.0, 7.0]):
        s = make.student()
        make.enrol(course, s)
        add_attempt(db, quiz, s, [("b" if score else "a", score)])
    q = analytics.course_overview(course.id).quizzes[0]
    assert q.median == approx(5.0) and q.mean == approx(5.0)
    s = make.student()
    make.enrol(course, s)
    add_attempt(db, quiz, s, [("b", 10.0)])
    assert analytics.course_overview(course.id).quizzes[0].median == approx(7.0)


def test_unknown_choices_are_refused(make, db) -> None:
    setup = random_class(make, 2)
    with pytest.raises(analytics.AnalyticsError):
        analytics.item_analysis(setup.quiz, "best")
    with pytest.raises(analytics.AnalyticsError):
        analytics.quiz_results(setup.quiz, sort="password_hash")
    with pytest.raises(analytics.AnalyticsError):
        analytics.quiz_results(setup.quiz, state="everything")


def test_other_courses_never_leak(make, db) -> None:
    """A student enrolled elsewhere who somehow has an attempt here is not counted."""
    setup = random_class(make, 3)
    outsider = make.student()
    add_attempt(db, setup.quiz, outsider, [("b", v.points) for v in setup.versions])
    results = analytics.quiz_results(setup.quiz)
    assert outsider.id not in {r.user_id for r in results.rows}
    assert (
        analytics.item_analysis(setup.quiz, "all").quiz.n
        == len(_python_attempts(db, setup.quiz, "all")) - 1
    )
    assert db.session.scalar(select(Response.id).limit(1)) is not None
    assert db.session.scalar(select(QuestionVersion.id).limit(1)) is not None
