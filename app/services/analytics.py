"""Instructors' dashboards: SQL aggregation first, then the pure statistics of
app.domain.statistics.

Every function here issues a fixed number of queries whatever the class size: per-response
work (sums, counts, ranks) happens in SQL with GROUP BY and window functions, and only
per-question, per-skill or per-student aggregates come back to Python. Preview attempts and
unsubmitted attempts never count; only students enrolled in the course do. Mastery for a whole
course sums ``attempt_skill_totals`` (one row per attempt, kept by ``app.services.skill_totals``)
rather than every response of the course.

"The attempt that counts" follows the quiz's grading method (as Moodle's report does):
highest → the best-scoring attempt (the earliest on a tie), first, last; with "average" every
submitted attempt counts and the grade is their mean (the same rule as
``app.domain.grading.aggregate_attempt_scores``; tests check the two agree).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from app.domain import question_types, statistics
from app.domain.banks.schema import SKILLS
from app.extensions import db
from app.models import (
    SKILL_COLUMNS,
    Attempt,
    AttemptSkillTotals,
    AttemptState,
    Bank,
    Enrolment,
    Question,
    QuestionVersion,
    Quiz,
    Response,
    Role,
    User,
    UTCDateTime,
)
from app.services import quiz_maximum, skill_totals

ATTEMPT_CHOICES: dict[str, str] = {
    "graded": "The attempt that counts (by the quiz's grading method)",
    "first": "First attempts only",
    "all": "All submitted attempts",
}
RESULT_SORTS = ("name", "score", "attempts", "time", "submitted", "state")
RESULT_STATES: dict[str, str] = {
    "all": "Everyone",
    "not_attempted": "Not attempted",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "needs_grading": "Needs grading",
}
CHOICE_TYPES = question_types.choice_types()
NOT_ATTEMPTED_LISTED = 10


class AnalyticsError(ValueError):
    """A request for figures that cannot be answered as asked (unknown choice)."""


def skill_label(skill: str) -> str:
    return SKILLS.get(skill, skill)


# --------------------------------------------------------------------------- building blocks


def _students_of(course_id: int) -> Select[Any]:
    return select(Enrolment.user_id).where(
        Enrolment.course_id == course_id, Enrolment.role == Role.STUDENT
    )


def _submitted(course_id: int) -> ColumnElement[bool]:
    """Attempts that count anywhere: submitted, not previews, by a student of the course."""
    return and_(
        Attempt.state == AttemptState.SUBMITTED,
        Attempt.is_preview.is_(false()),
        Attempt.user_id.in_(_students_of(course_id)),
    )


def _rank_order() -> tuple[ColumnElement[Any], ...]:
    """The order in which a student's attempts at a quiz rank: the first is the one that
    counts (highest → best score, earliest on a tie; last and average → latest; first)."""
    method = Quiz.grading_method
    return (
        case((method == "highest", -func.coalesce(Attempt.score, 0.0)), else_=literal(0.0)),
        case((method.in_(("last", "average")), -Attempt.number), else_=Attempt.number),
    )


def _ranked_where(
    course_id: int, quiz_ids: Sequence[int] | None, user_id: int | None
) -> list[ColumnElement[bool]]:
    where = [_submitted(course_id), Quiz.course_id == course_id]
    if quiz_ids is not None:
        where.append(Attempt.quiz_id.in_(quiz_ids))
    if user_id is not None:  # windows are per student, so filtering first changes nothing
        where.append(Attempt.user_id == user_id)
    return where


def ranked_attempts(
    course_id: int, quiz_ids: Sequence[int] | None, user_id: int | None = None
) -> Any:
    """Submitted attempts with their rank under their quiz's grading method (rk = 1 is the
    attempt that counts) and per student-and-quiz window aggregates."""
    method = Quiz.grading_method
    partition = (Attempt.quiz_id, Attempt.user_id)
    order = _rank_order()
    where = _ranked_where(course_id, quiz_ids, user_id)
    return (
        select(
            Attempt.id.label("attempt_id"),
            Attempt.quiz_id,
            Attempt.user_id,
            Attempt.number,
            Attempt.score,
            Attempt.max_score,
            Attempt.started_at,
            Attempt.submitted_at,
            method.label("method"),
            func.row_number().over(partition_by=partition, order_by=order).label("rk"),
            func.row_number().over(partition_by=partition, order_by=Attempt.number).label("nth"),
            func.count().over(partition_by=partition).label("n_attempts"),
            func.avg(Attempt.score).over(partition_by=partition).label("avg_score"),
            func.avg(Attempt.max_score).over(partition_by=partition).label("avg_max"),
            func.max(case((Attempt.needs_grading, 1), else_=0))
            .over(partition_by=partition)
            .label("any_needs_grading"),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(*where)
        .subquery("ranked")
    )


def graded_subquery(course_id: int, quiz_ids: Sequence[int] | None = None) -> Any:
    """One row per (quiz, student) with a submitted attempt: the grade by the quiz's grading
    method, its maximum, the attempt that counts and the number of attempts."""
    r = ranked_attempts(course_id, quiz_ids)
    is_average = r.c.method == "average"
    return (
        select(
            r.c.quiz_id,
            r.c.user_id,
            r.c.attempt_id,
            r.c.number,
            r.c.started_at,
            r.c.submitted_at,
            r.c.n_attempts,
            r.c.any_needs_grading,
            case((is_average, r.c.avg_score), else_=r.c.score).label("grade"),
            case((is_average, r.c.avg_max), else_=r.c.max_score).label("max_grade"),
        )
        .where(r.c.rk == 1)
        .subquery("graded")
    )


def counted_attempts(
    course_id: int,
    quiz_ids: Sequence[int] | None,
    which: str,
    user_id: int | None = None,
    *,
    graded_only: bool = False,
) -> Select[Any]:
    """Ids of the attempts a statistic counts: ``graded`` (the attempts that count by each
    quiz's grading method; all of them under "average"), ``first`` or ``all``. It ranks with
    the one window it needs (``ranked_attempts`` computes five more). ``graded_only`` leaves
    out attempts awaiting grading *before* choosing (Moodle's statistics rule), so the
    highest fully graded attempt is the one that counts."""
    if which not in ATTEMPT_CHOICES:
        raise AnalyticsError(f"unknown attempts choice {which!r}")
    where = _ranked_where(course_id, quiz_ids, user_id)
    if graded_only:
        where.append(Attempt.needs_grading.is_(false()))
    if which == "all":
        return select(Attempt.id).join(Quiz, Quiz.id == Attempt.quiz_id).where(*where)
    order = (Attempt.number,) if which == "first" else _rank_order()
    ranked = (
        select(
            Attempt.id.label("attempt_id"),
            Quiz.grading_method.label("method"),
            func.row_number()
            .over(partition_by=(Attempt.quiz_id, Attempt.user_id), order_by=order)
            .label("rk"),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(*where)
        .subquery("ranked")
    )
    keep = ranked.c.rk == 1
    if which == "graded":
        keep = or_(keep, ranked.c.method == "average")
    return select(ranked.c.attempt_id).where(keep)


def _pending_response() -> ColumnElement[bool]:
    """A response still waiting for a person (mirrors app.services.scores.needs_person)."""
    return and_(
        Response.state == "needs_grading",
        Response.manual_score.is_(None),
        Response.override_score.is_(None),
    )


def _has_attempt(quiz_id: Any, state: str) -> ColumnElement[bool]:
    """EXISTS a real (not preview) attempt of the student (User, from the outer query) on the
    quiz in ``state``; it probes the (quiz, user, number) unique index, so it stays fast."""
    return (
        select(Attempt.id)
        .where(
            Attempt.quiz_id == quiz_id,
            Attempt.user_id == User.id,
            Attempt.state == state,
            Attempt.is_preview.is_(false()),
        )
        .exists()
    )


def _pct(value: float | None, out_of: float | None) -> float | None:
    if value is None or not out_of:
        return None
    return 100 * value / out_of


def students_with(
    course_id: int, graded: Any, has_grade: Any, columns: list[Any], empty: list[Any]
) -> Any:
    """Rows of ``graded`` (a per-student derived table, driving the join into the indexed
    user and enrolment tables) plus one row for each enrolled student without any, ordered
    by name. Joining the other way round (students LEFT JOIN a derived table) makes SQLite
    scan the derived table once per student."""
    with_grades = (
        select(*_identity(), *columns)
        .select_from(graded)
        .join(User, User.id == graded.c.user_id)
        .join(
            Enrolment,
            and_(
                Enrolment.user_id == User.id,
                Enrolment.course_id == course_id,
                Enrolment.role == Role.STUDENT,
            ),
        )
    )
    without = (
        select(*_identity(), *empty)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(
            Enrolment.course_id == course_id,
            Enrolment.role == Role.STUDENT,
            ~has_grade,
        )
    )
    both = union_all(with_grades, without).subquery("rows")
    return select(both).order_by(both.c.name, both.c.user_id)


def _identity() -> list[Any]:
    return [
        User.id.label("user_id"),
        User.name,
        User.email,
        User.student_number,
        Enrolment.section,
    ]


# --------------------------------------------------------------------------- course overview


@dataclass(frozen=True)
class QuizSummary:
    quiz_id: int
    title: str
    mode: str
    published: bool
    grading_method: str
    students: int
    submitted_students: int
    submitted_attempts: int
    in_progress: int
    mean: float | None  # points
    median: float | None
    max_total: float | None
    mean_pct: float | None
    median_pct: float | None
    not_attempted: int
    not_attempted_names: tuple[tuple[int, str], ...]
    needs_grading_responses: int
    needs_grading_attempts: int


@dataclass(frozen=True)
class CourseOverview:
    students: int
    quizzes: tuple[QuizSummary, ...]

    @property
    def needs_grading(self) -> int:
        return sum(q.needs_grading_responses for q in self.quizzes)


def course_overview(course_id: int) -> CourseOverview:
    """Per quiz: submissions, mean and median grade, who has not attempted, what needs
    grading. Nine queries whatever the class size (three for the quiz maxima)."""
    quizzes = db.session.scalars(
        select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.id)
    ).all()
    n_students = (
        db.session.scalar(select(func.count()).select_from(_students_of(course_id).subquery())) or 0
    )
    g = graded_subquery(course_id)

    # Count, mean and median per quiz in one pass: number the grades within each quiz and
    # average the middle one or two.
    # Grades as shares of each attempt's own maximum, so an attempt laid out with other points
    # is scaled to the quiz maximum (app.services.quiz_maximum) as on every other page.
    share = func.coalesce(g.c.grade, 0.0) / case((g.c.max_grade > 0, g.c.max_grade), else_=null())
    numbered = select(
        g.c.quiz_id,
        share.label("share"),
        g.c.n_attempts,
        func.row_number().over(partition_by=g.c.quiz_id, order_by=share).label("rn"),
        func.count().over(partition_by=g.c.quiz_id).label("n"),
    ).subquery()
    middle = or_(numbered.c.rn == (numbered.c.n + 1) // 2, numbered.c.rn == numbered.c.n // 2 + 1)
    stats = {
        row.quiz_id: row
        for row in db.session.execute(
            select(
                numbered.c.quiz_id,
                func.count().label("n"),
                func.sum(numbered.c.n_attempts).label("attempts"),
                func.avg(numbered.c.share).label("mean"),
                func.avg(case((middle, func.coalesce(numbered.c.share, 0.0)))).label("median"),
            ).group_by(numbered.c.quiz_id)
        )
    }
    maxima = quiz_maximum.quiz_maxima([q.id for q in quizzes])

    # Who has not submitted anything: students × quizzes with no submitted attempt (NOT EXISTS
    # probes the (quiz, user, number) unique index, so this stays fast for big classes).
    submitted_any = _has_attempt(Quiz.id, AttemptState.SUBMITTED)
    missing = (
        select(
            Quiz.id.label("quiz_id"),
            User.id.label("user_id"),
            User.name,
            func.row_number().over(partition_by=Quiz.id, order_by=(User.name, User.id)).label("rn"),
            func.count().over(partition_by=Quiz.id).label("n"),
        )
        .select_from(Quiz)
        .join(
            Enrolment, and_(Enrolment.course_id == Quiz.course_id, Enrolment.role == Role.STUDENT)
        )
        .join(User, User.id == Enrolment.user_id)
        .where(Quiz.course_id == course_id, ~submitted_any)
        .subquery()
    )
    not_attempted: dict[int, int] = {}
    names: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for row in db.session.execute(
        select(missing).where(missing.c.rn <= NOT_ATTEMPTED_LISTED).order_by(missing.c.rn)
    ):
        not_attempted[row.quiz_id] = row.n
        names[row.quiz_id].append((row.user_id, row.name))

    open_attempts = dict(
        db.session.execute(
            select(Attempt.quiz_id, func.count())
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(
                Quiz.course_id == course_id,
                Attempt.state == AttemptState.IN_PROGRESS,
                Attempt.is_preview.is_(false()),
                Attempt.user_id.in_(_students_of(course_id)),
            )
            .group_by(Attempt.quiz_id)
        ).all()
    )
    pending = {
        row.quiz_id: row
        for row in db.session.execute(
            select(
                Attempt.quiz_id,
                func.count().label("responses"),
                func.count(func.distinct(Attempt.id)).label("attempts"),
            )
            .join(Response, Response.attempt_id == Attempt.id)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Quiz.course_id == course_id, _submitted(course_id), _pending_response())
            .group_by(Attempt.quiz_id)
        )
    }

    summaries = []
    for quiz in quizzes:
        s = stats.get(quiz.id)
        max_total = maxima.get(quiz.id) or None
        mean = med = None
        if s is not None and s.mean is not None and max_total:
            mean = float(s.mean) * max_total
            med = float(s.median or 0.0) * max_total
        p = pending.get(quiz.id)
        summaries.append(
            QuizSummary(
                quiz_id=quiz.id,
                title=quiz.title,
                mode=quiz.mode,
                published=quiz.published,
                grading_method=quiz.grading_method,
                students=n_students,
                submitted_students=s.n if s is not None else 0,
                submitted_attempts=int(s.attempts or 0) if s is not None else 0,
                in_progress=open_attempts.get(quiz.id, 0),
                mean=mean,
                median=med,
                max_total=max_total,
                mean_pct=_pct(mean, max_total),
                median_pct=_pct(med, max_total),
                not_attempted=not_attempted.get(quiz.id, 0),
                not_attempted_names=tuple(names.get(quiz.id, ())),
                needs_grading_responses=p.responses if p is not None else 0,
                needs_grading_attempts=p.attempts if p is not None else 0,
            )
        )
    return CourseOverview(students=n_students, quizzes=tuple(summaries))


# --------------------------------------------------------------------------- quiz results


@dataclass(frozen=True)
class AttemptLink:
    attempt_id: int
    number: int
    state: str
    score: float | None
    counts: bool


@dataclass(frozen=True)
class ResultRow:
    user_id: int
    name: str
    email: str
    student_number: str
    section: str
    attempts: int
    grade: float | None
    max_grade: float | None
    graded_attempt_id: int | None
    started_at: datetime | None
    submitted_at: datetime | None
    in_progress: bool
    needs_grading: bool
    links: tuple[AttemptLink, ...] = ()

    @property
    def percentage(self) -> float | None:
        return _pct(self.grade, self.max_grade)

    @property
    def time_taken(self) -> timedelta | None:
        if self.started_at is None or self.submitted_at is None:
            return None
        return self.submitted_at - self.started_at

    @property
    def state(self) -> str:
        if self.needs_grading:
            return "needs_grading"
        if self.attempts:
            return "submitted"
        if self.in_progress:
            return "in_progress"
        return "not_attempted"


@dataclass(frozen=True)
class QuizResults:
    rows: tuple[ResultRow, ...]
    total_students: int
    distribution: tuple[statistics.Bin, ...]
    mean_pct: float | None
    median_pct: float | None


def _out_of_quiz(
    grade: float | None, own_max: float | None, quiz_max: float
) -> tuple[float | None, float | None]:
    """A grade and its maximum as the quiz maximum reports them (app.services.quiz_maximum): an
    attempt laid out with other points is scaled; a quiz without slots keeps its own."""
    if grade is None:
        return None, float(own_max) if own_max is not None else None
    if not quiz_max:
        return float(grade), float(own_max) if own_max is not None else None
    return quiz_maximum.scale_to(float(grade), own_max, quiz_max), quiz_max


def _sort_key(sort: str) -> Any:
    state_order = {"not_attempted": 0, "in_progress": 1, "submitted": 2, "needs_grading": 3}
    keys = {
        "name": lambda r: (r.name.casefold(), r.user_id),
        "score": lambda r: r.percentage,
        "attempts": lambda r: r.attempts,
        "time": lambda r: r.time_taken,
        "submitted": lambda r: r.submitted_at,
        "state": lambda r: state_order[r.state],
    }
    return keys[sort]


def quiz_results(
    quiz: Quiz,
    *,
    sort: str = "name",
    descending: bool = False,
    state: str = "all",
    search: str = "",
) -> QuizResults:
    """Every enrolled student's result on ``quiz`` (three queries), sorted and filtered by
    allow-listed keys; students without a value for the sort key go last either way."""
    if sort not in RESULT_SORTS:
        raise AnalyticsError(f"unknown sort {sort!r}")
    if state not in RESULT_STATES:
        raise AnalyticsError(f"unknown state filter {state!r}")
    g = graded_subquery(quiz.course_id, [quiz.id])
    has_open = _has_attempt(quiz.id, AttemptState.IN_PROGRESS)
    has_submitted = _has_attempt(quiz.id, AttemptState.SUBMITTED)
    stmt = students_with(
        quiz.course_id,
        g,
        has_submitted,
        [
            g.c.n_attempts,
            g.c.grade,
            g.c.max_grade,
            g.c.attempt_id,
            g.c.started_at,
            g.c.submitted_at,
            g.c.any_needs_grading,
            has_open.label("n"),
        ],
        [
            type_coerce(null(), Integer()).label("n_attempts"),
            type_coerce(null(), Float()).label("grade"),
            type_coerce(null(), Float()).label("max_grade"),
            type_coerce(null(), Integer()).label("attempt_id"),
            type_coerce(null(), UTCDateTime()).label("started_at"),
            type_coerce(null(), UTCDateTime()).label("submitted_at"),
            type_coerce(null(), Integer()).label("any_needs_grading"),
            has_open.label("n"),
        ],
    )
    links: dict[int, list[AttemptLink]] = defaultdict(list)
    for a in db.session.execute(
        select(Attempt.id, Attempt.user_id, Attempt.number, Attempt.state, Attempt.score)
        .where(Attempt.quiz_id == quiz.id, Attempt.is_preview.is_(false()))
        .order_by(Attempt.user_id, Attempt.number)
    ):
        links[a.user_id].append(AttemptLink(a.id, a.number, a.state, a.score, False))

    out_of = quiz_maximum.quiz_maxima([quiz.id])[quiz.id]
    all_rows = []
    for row in db.session.execute(stmt):
        counted = row.attempt_id
        grade, max_grade = _out_of_quiz(row.grade, row.max_grade, out_of)
        all_rows.append(
            ResultRow(
                user_id=row.user_id,
                name=row.name,
                email=row.email,
                student_number=row.student_number or "",
                section=row.section or "",
                attempts=row.n_attempts or 0,
                grade=grade,
                max_grade=max_grade,
                graded_attempt_id=counted,
                started_at=row.started_at,
                submitted_at=row.submitted_at,
                in_progress=bool(row.n),
                needs_grading=bool(row.any_needs_grading),
                links=tuple(
                    AttemptLink(
                        link.attempt_id,
                        link.number,
                        link.state,
                        link.score,
                        link.attempt_id == counted
                        or (quiz.grading_method == "average" and link.state == "submitted"),
                    )
                    for link in links.get(row.user_id, ())
                ),
            )
        )
    percentages = [r.percentage for r in all_rows if r.percentage is not None]
    rows = [r for r in all_rows if state == "all" or r.state == state]
    needle = search.strip().casefold()
    if needle:
        rows = [
            r
            for r in rows
            if needle in r.name.casefold()
            or needle in r.email.casefold()
            or needle in r.student_number.casefold()
        ]
    key = _sort_key(sort)
    present = [r for r in rows if key(r) is not None]
    absent = [r for r in rows if key(r) is None]
    present.sort(key=_sort_key("name"))
    present.sort(key=key, reverse=descending)
    absent.sort(key=_sort_key("name"))
    return QuizResults(
        rows=tuple(present + absent),
        total_students=len(all_rows),
        distribution=tuple(statistics.score_distribution(percentages)),
        mean_pct=sum(percentages) / len(percentages) if percentages else None,
        median_pct=statistics.median(percentages),
    )


# --------------------------------------------------------------------------- item analysis

# What to do with an attempt that holds an answer still waiting for a person.
PENDING_CHOICES: dict[str, str] = {
    "leave_out": "Leave out attempts awaiting grading (as Moodle does)",
    "count_zero": "Count answers awaiting grading as 0",
}


@dataclass(frozen=True)
class OptionRow:
    option: str
    text: str
    count: int
    share: float | None
    is_key: bool
    chosen_more_than_key: bool


@dataclass(frozen=True)
class ItemRow:
    """A slot of the quiz (Moodle's row), or under a slot one question drawn there (a
    sub-row, ``is_sub``). ``question_version_id`` and the question fields are set when the
    row is about one question version: a sub-row, or a slot that only ever held one."""

    anchor: str
    label: str
    description: str
    question_version_id: int | None
    key: str
    version: int
    type: str
    skill: str
    prompt: str
    stats: statistics.ItemStats
    options: tuple[OptionRow, ...]
    pending: int
    is_draw: bool = False
    is_sub: bool = False
    questions: tuple[ItemRow, ...] = ()

    @property
    def reasons(self) -> list[str]:
        return [statistics.REASONS[r] for r in self.stats.reasons]


@dataclass(frozen=True)
class ItemAnalysis:
    which: str
    quiz: statistics.QuizStats
    items: tuple[ItemRow, ...]
    pending_rule: str = "leave_out"
    left_out_pending: int = 0  # attempts awaiting grading left out (leave_out)
    max_total: float = 0.0

    @property
    def flagged(self) -> tuple[ItemRow, ...]:
        rows = [r for item in self.items for r in (item, *item.questions)]
        return tuple(r for r in rows if r.stats.needs_checking)


@dataclass(frozen=True)
class _Slot:
    key: str
    label: str
    description: str
    each: float
    is_draw: bool


def _slot_layout(quiz: Quiz) -> tuple[dict[int, quiz_maximum.SlotMaximum], dict[int, str]]:
    """The quiz's slot maxima by slot id, and a description of each draw slot."""
    maxima = {m.slot_id: m for m in quiz_maximum.slot_maxima([quiz.id])[quiz.id]}
    banks = dict(db.session.execute(select(Bank.id, Bank.title)).all())
    described = {}
    for slot in quiz.slots:
        if slot.question_id is None:
            filters = [
                f
                for f in (
                    skill_label(slot.draw_skill) if slot.draw_skill else None,
                    slot.draw_difficulty,
                    slot.draw_type,
                )
                if f
            ]
            described[slot.id] = f"Random from {banks.get(slot.draw_bank_id or 0, '?')}" + (
                f" ({', '.join(filters)})" if filters else ""
            )
    return maxima, described


def _attempt_marks(
    quiz: Quiz, counted: Select[Any], maxima: dict[int, Any], described: dict[int, str]
) -> tuple[list[dict[str, tuple[str, float]]], dict[str, _Slot], dict[int, int]]:
    """Per counted attempt, slot → (question version, mark on the slot's scale); the slots
    (Moodle's: a draw of N questions is N slots) and each version's answers awaiting a person.
    One streamed query over the counted attempts' responses."""
    attempts: list[dict[str, tuple[str, float]]] = []
    slots: dict[str, _Slot] = {}
    pending: dict[int, int] = defaultdict(int)
    current: dict[str, tuple[str, float]] = {}
    current_id = None
    seen_in_slot: dict[int, int] = defaultdict(int)
    stmt = (
        select(
            Response.attempt_id,
            Response.slot_id,
            Response.question_version_id,
            QuestionVersion.question_id,
            Response.score,
            Response.max_points,
            case((_pending_response(), 1), else_=0).label("pending"),
        )
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .where(Response.attempt_id.in_(counted))
        .order_by(Response.attempt_id, Response.position)
    )
    for row in db.session.execute(stmt.execution_options(yield_per=2000)):
        if row.attempt_id != current_id:
            if current_id is not None:
                attempts.append(current)
            current, current_id = {}, row.attempt_id
            seen_in_slot.clear()
        m = maxima.get(row.slot_id) if row.slot_id is not None else None
        if m is not None:
            seen_in_slot[m.slot_id] += 1
            k = seen_in_slot[m.slot_id]
            key = f"{m.position:05d}.{k:03d}"
            each = m.each
            if key not in slots:
                many = m.count > 1 or k > 1
                slots[key] = _Slot(
                    key,
                    f"Q{m.position}.{k}" if many else f"Q{m.position}",
                    described.get(m.slot_id, "")
                    + (f" (question {k} of {m.count})" if m.count > 1 else ""),
                    each,
                    m.is_draw,
                )
        else:  # its slot was removed from the quiz: a slot of its own, per question
            key = f"99999.q{row.question_id}"
            each = float(row.max_points or 0.0)
            if key not in slots or slots[key].each < each:
                slots[key] = _Slot(key, "Removed slot", "No longer in the quiz", each, False)
        score = float(row.score or 0.0)
        if row.max_points and abs(row.max_points - each) > 1e-9:
            score = score * each / row.max_points  # scaled as the quiz maximum is
        current[key] = (str(row.question_version_id), score)
        if row.pending:
            pending[row.question_version_id] += 1
    if current_id is not None:
        attempts.append(current)
    return attempts, dict(sorted(slots.items())), pending


def option_counts_sql(counted: Select[Any]) -> dict[int, dict[Any, int]]:
    """How many responses hold each value, per single/multiple question version (one query;
    grouped by the stored value, so only distinct answers come back)."""
    result: dict[int, dict[Any, int]] = defaultdict(dict)
    for qv_id, value, count in db.session.execute(
        select(Response.question_version_id, Response.value, func.count())
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .where(Response.attempt_id.in_(counted), QuestionVersion.type.in_(CHOICE_TYPES))
        .group_by(Response.question_version_id, Response.value)
    ):
        result[qv_id][_hashable(value)] = result[qv_id].get(_hashable(value), 0) + count
    return result


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return None
    return value


def _choices(spec: dict[str, Any], values: dict[Any, int]) -> dict[str, int]:
    """Option → number of responses that chose it, in the spec's option order."""
    counts = {o["id"]: 0 for o in spec.get("options", [])}
    for value, n in values.items():
        picked = value if isinstance(value, tuple) else (value,)
        for option in {p for p in picked if isinstance(p, str) and p}:
            counts[option] = counts.get(option, 0) + n
    return counts


def awaiting_grading(course_id: int, quiz_id: int) -> int:
    """Submitted attempts (students', not previews) with an answer awaiting a person."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(
                Attempt.quiz_id == quiz_id,
                _submitted(course_id),
                Attempt.needs_grading.is_(true()),
            )
        )
        or 0
    )


def item_analysis(quiz: Quiz, which: str = "graded", pending: str = "leave_out") -> ItemAnalysis:
    """Moodle's item analysis of ``quiz`` over the chosen attempts: a row per slot, sub-rows
    per question drawn in a random slot, distractor counts and "needs checking" flags.

    ``pending``: ``leave_out`` (Moodle's rule) drops attempts awaiting grading before the
    attempt that counts is chosen; ``count_zero`` keeps them with those answers at 0.
    A fixed number of queries whatever the class size."""
    if pending not in PENDING_CHOICES:
        raise AnalyticsError(f"unknown rule for answers awaiting grading {pending!r}")
    counted = counted_attempts(quiz.course_id, [quiz.id], which, graded_only=pending == "leave_out")
    maxima, described = _slot_layout(quiz)
    attempts, slots, waiting = _attempt_marks(quiz, counted, maxima, described)
    version_ids = {int(q) for a in attempts for q, _ in a.values()}
    versions = {
        qv.id: (qv, key)
        for qv, key in db.session.execute(
            select(QuestionVersion, Question.key)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(QuestionVersion.id.in_(version_ids))
        )
    }
    values = option_counts_sql(counted)
    choices: dict[str, dict[str, int]] = {}
    keys: dict[str, set[str]] = {}
    for qv_id, (qv, _key) in versions.items():
        if qv.type in CHOICE_TYPES:
            choices[str(qv_id)] = _choices(qv.spec, values.get(qv_id, {}))
            keys[str(qv_id)] = {o["id"] for o in qv.spec.get("options", []) if o.get("correct")}
    distractors = statistics.distractor_analysis(choices, keys)
    slot_max = {key: slot.each for key, slot in slots.items()}
    # The whole-quiz maximum is the quiz's (app.services.quiz_maximum), plus any removed slot met.
    max_total = sum(m.total for m in maxima.values()) + sum(
        slot.each for key, slot in slots.items() if key.startswith("99999")
    )
    quiz_stats, slot_stats, sub_stats = statistics.slot_analysis(
        attempts, slot_max, distractors=distractors, max_total=max_total
    )
    seen_versions: dict[str, list[str]] = defaultdict(list)
    for a in attempts:
        for key, (question, _) in a.items():
            if question not in seen_versions[key]:
                seen_versions[key].append(question)

    def row(anchor, label, description, qv_id, stats, *, is_draw=False, is_sub=False, subs=()):
        qv, key = versions[qv_id] if qv_id is not None else (None, "")
        texts = {o["id"]: o.get("text", "") for o in (qv.spec.get("options", []) if qv else [])}
        return ItemRow(
            anchor=anchor,
            label=label,
            description=description,
            question_version_id=qv_id,
            key=key,
            version=qv.version if qv else 0,
            type=qv.type if qv else "",
            skill=qv.skill if qv else "",
            prompt=qv.spec.get("prompt", "") if qv else "",
            stats=stats,
            options=tuple(
                OptionRow(
                    o.option,
                    texts.get(o.option, ""),
                    o.count,
                    o.share,
                    o.is_key,
                    o.chosen_more_than_key,
                )
                for o in (distractors.get(str(qv_id), ()) if qv_id is not None else ())
            ),
            pending=(
                waiting.get(qv_id, 0)
                if qv_id is not None
                else sum(waiting.get(int(q), 0) for q in seen_versions[stats.slot])
            ),
            is_draw=is_draw,
            is_sub=is_sub,
            questions=tuple(subs),
        )

    items = []
    for stats in slot_stats:
        slot = slots[stats.slot]
        anchor = "slot-" + stats.slot.replace(".", "-")
        subs = [
            row(
                f"{anchor}-v{sub.slot}",
                versions[int(sub.slot)][1],
                "",
                int(sub.slot),
                sub,
                is_sub=True,
            )
            for sub in sub_stats.get(stats.slot, ())
        ]
        only = seen_versions[stats.slot]
        qv_id = int(only[0]) if len(only) == 1 else None
        items.append(
            row(anchor, slot.label, slot.description, qv_id, stats, is_draw=slot.is_draw, subs=subs)
        )
    return ItemAnalysis(
        which=which,
        quiz=quiz_stats,
        items=tuple(items),
        pending_rule=pending,
        left_out_pending=(
            awaiting_grading(quiz.course_id, quiz.id) if pending == "leave_out" else 0
        ),
        max_total=max_total,
    )


# --------------------------------------------------------------------------- skill mastery


class _Share:
    """The share of points earned, for figures that carry ``earned`` and ``possible``."""

    earned: float
    possible: float

    @property
    def percentage(self) -> float | None:
        return _pct(self.earned, self.possible)


@dataclass(frozen=True)
class SkillQuestion(_Share):
    """One question behind a skill figure."""

    question_version_id: int
    key: str
    quiz_id: int
    quiz_title: str
    prompt: str
    earned: float
    possible: float
    responses: int


@dataclass(frozen=True)
class SkillQuiz(_Share):
    """One quiz behind a course-wide skill figure (its questions are on that quiz's view)."""

    quiz_id: int
    quiz_title: str
    earned: float
    possible: float
    responses: int


@dataclass(frozen=True)
class SkillRow:
    skill: str
    label: str
    score: statistics.SkillScore
    questions: tuple[SkillQuestion, ...]
    weakest: bool
    quizzes: tuple[SkillQuiz, ...] = ()


@dataclass(frozen=True)
class Mastery:
    """Mastery per skill. ``by_quiz``: the figures are broken down by quiz (the course-wide
    class view); otherwise by question."""

    skills: tuple[SkillRow, ...]
    weakest: tuple[SkillRow, ...]
    course_id: int
    which: str
    by_quiz: bool


@dataclass(frozen=True, slots=True)
class StudentSkills:
    """One student's (earned, possible) per skill; ``scores`` gives them as SkillScore.
    Kept as plain pairs: a class of 2,000 students has 18,000 of them on one page."""

    user_id: int
    name: str
    sums: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def scores(self) -> dict[str, statistics.SkillScore]:
        return {
            skill: statistics.skill_score(skill, earned, possible)
            for skill, (earned, possible) in self.sums.items()
        }

    def percentage(self, skill: str) -> float | None:
        """The share earned in ``skill``, None without answers (as SkillScore has it)."""
        earned, possible = self.sums.get(skill, (0.0, 0.0))
        return _pct(earned, possible)


def _by_lowest(rows: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(sorted(rows, key=lambda q: (q.percentage is None, q.percentage or 0)))


def skill_mastery(
    course_id: int,
    *,
    quiz_id: int | None = None,
    user_id: int | None = None,
    which: str = "graded",
    weakest: int = 3,
) -> Mastery:
    """Share of points earned per reading skill (class, or one student), with what lies
    behind each figure: for the whole class on every quiz, the quizzes (summed from the
    per-attempt rows of ``attempt_skill_totals``, so the responses are never scanned);
    for one quiz or one student, the questions (a scan of that quiz's or student's
    responses, which is small)."""
    titles = dict(
        db.session.execute(select(Quiz.id, Quiz.title).where(Quiz.course_id == course_id)).all()
    )
    if quiz_id is None and user_id is None:
        return _mastery_by_quiz(course_id, which, weakest, titles)
    earned = func.sum(func.coalesce(Response.score, 0.0))
    # The scan joins only what it groups by; keys and prompts come afterwards for the few
    # question versions found.
    sums = db.session.execute(
        select(
            Response.question_version_id,
            Attempt.quiz_id,
            earned,
            func.sum(Response.max_points),
            func.count(),
        )
        .select_from(Response)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(
            Response.attempt_id.in_(
                counted_attempts(
                    course_id, [quiz_id] if quiz_id is not None else None, which, user_id
                )
            ),
            # Responses still waiting for a person are left out of earned and possible alike.
            skill_totals.COUNTED_RESPONSE,
        )
        .group_by(Response.question_version_id, Attempt.quiz_id)
    ).all()
    meta = {
        qv_id: (skill, key, spec)
        for qv_id, skill, key, spec in db.session.execute(
            select(QuestionVersion.id, QuestionVersion.skill, Question.key, QuestionVersion.spec)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(QuestionVersion.id.in_({r[0] for r in sums}))
        )
    }
    behind: dict[str, list[SkillQuestion]] = defaultdict(list)
    for qv, quiz, got, out_of, n in sums:
        skill, key, spec = meta[qv]
        behind[skill].append(
            SkillQuestion(
                question_version_id=qv,
                key=key,
                quiz_id=quiz,
                quiz_title=titles.get(quiz, ""),
                prompt=(spec or {}).get("prompt", ""),
                earned=float(got or 0.0),
                possible=float(out_of or 0.0),
                responses=n,
            )
        )
    return _mastery(behind, weakest, course_id, which, by_quiz=False)


def _mastery(
    behind: dict[str, list[Any]], weakest: int, course_id: int, which: str, *, by_quiz: bool
) -> Mastery:
    """The report from what lies behind each skill figure: questions, or (``by_quiz``) the
    quizzes of the course-wide view."""
    # Never call most of the skills "weakest": at most half of them (none if only one).
    report = statistics.skill_mastery(
        ((skill, r.earned, r.possible) for skill, rows in behind.items() for r in rows),
        weakest=min(weakest, len(behind) // 2),
    )
    weakest_names = {s.skill for s in report.weakest}
    skills = tuple(
        SkillRow(
            skill=s.skill,
            label=skill_label(s.skill),
            score=s,
            questions=() if by_quiz else _by_lowest(behind[s.skill]),
            weakest=s.skill in weakest_names,
            quizzes=_by_lowest(behind[s.skill]) if by_quiz else (),
        )
        for s in report.skills
    )
    by_name = {s.skill: s for s in skills}
    return Mastery(
        skills=skills,
        weakest=tuple(by_name[s.skill] for s in report.weakest),
        course_id=course_id,
        which=which,
        by_quiz=by_quiz,
    )


def _counts_by_totals(which: str) -> ColumnElement[bool]:
    """Whether a row of ``attempt_skill_totals`` (joined with its Quiz) is an attempt the
    statistic counts: the same choice as ``counted_attempts``, made among the student's own
    rows for the quiz (neighbours in the table's key), so nothing is ranked course-wide."""
    if which not in ATTEMPT_CHOICES:
        raise AnalyticsError(f"unknown attempts choice {which!r}")
    if which == "all":
        return true()
    t, b = AttemptSkillTotals, aliased(AttemptSkillTotals)
    if which == "first":
        before: ColumnElement[bool] = b.number < t.number
    else:  # graded: the attempt that counts by the quiz's grading method; average: all
        method = Quiz.grading_method
        mine, theirs = func.coalesce(t.score, 0.0), func.coalesce(b.score, 0.0)
        before = or_(
            and_(
                method == "highest",
                or_(theirs > mine, and_(theirs == mine, b.number < t.number)),
            ),
            and_(method == "first", b.number < t.number),
            and_(method == "last", b.number > t.number),
        )
    return ~(
        select(b.attempt_id)
        .where(
            b.user_id == t.user_id,
            b.quiz_id == t.quiz_id,
            b.attempt_id != t.attempt_id,
            before,
        )
        .exists()
    )


def _totals_by(
    key: Any, course_id: int, quiz_id: int | None, which: str, *, answers: bool = True
) -> list[tuple[int, dict[str, tuple[Any, ...]]]]:
    """Per ``key`` (the student or the quiz), per skill: (earned, possible, answers) summed
    over the counted attempts' rows of ``attempt_skill_totals``, or (earned, possible)
    without ``answers``; skills without answers are left out (every question is worth more
    than 0 points, so a skill has answers exactly when it has points possible). One query,
    a row per key."""
    t = AttemptSkillTotals
    width = 3 if answers else 2
    columns = [getattr(t, name) for names in SKILL_COLUMNS.values() for name in names[:width]]
    where = [
        Quiz.course_id == course_id,
        t.user_id.in_(_students_of(course_id)),
        _counts_by_totals(which),
    ]
    if quiz_id is not None:
        where.append(t.quiz_id == quiz_id)
    skills = [(skill, 1 + width * i) for i, skill in enumerate(SKILL_COLUMNS)]
    return [
        (
            row[0],
            {
                skill: tuple(row[i : i + width])
                for skill, i in skills
                if row[i + 1]  # points possible: the skill was answered
            },
        )
        for row in db.session.execute(
            select(key, *(func.sum(c) for c in columns))
            .select_from(t)
            .join(Quiz, Quiz.id == t.quiz_id)
            .where(*where)
            .group_by(key)
        )
    ]


def _mastery_by_quiz(course_id: int, which: str, weakest: int, titles: dict[int, str]) -> Mastery:
    """The class figures on every quiz, per skill and quiz, from ``attempt_skill_totals``
    (one query, a row per quiz, whatever the class size)."""
    behind: dict[str, list[SkillQuiz]] = defaultdict(list)
    for quiz, sums in sorted(_totals_by(AttemptSkillTotals.quiz_id, course_id, None, which)):
        for skill, (got, out_of, n) in sums.items():
            behind[skill].append(
                SkillQuiz(
                    quiz_id=quiz,
                    quiz_title=titles.get(quiz, ""),
                    earned=got,
                    possible=out_of,
                    responses=n,
                )
            )
    return _mastery(behind, weakest, course_id, which, by_quiz=True)


def student_skill_matrix(
    course_id: int, *, quiz_id: int | None = None, which: str = "graded"
) -> tuple[list[str], list[StudentSkills]]:
    """Per student, per skill: earned/possible over the counted attempts, summed from
    ``attempt_skill_totals`` (one query, a row per student)."""
    students = db.session.execute(
        select(User.id, User.name)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course_id, Enrolment.role == Role.STUDENT)
        .order_by(User.name, User.id)
    ).all()
    matrix = dict(_totals_by(AttemptSkillTotals.user_id, course_id, quiz_id, which, answers=False))
    skills = {skill for sums in matrix.values() for skill in sums}
    return sorted(skills), [StudentSkills(uid, name, matrix.get(uid, {})) for uid, name in students]


# --------------------------------------------------------------------------- one student


@dataclass(frozen=True)
class StudentAttempt:
    attempt_id: int
    quiz_id: int
    quiz_title: str
    number: int
    state: str
    score: float | None
    max_score: float
    started_at: datetime | None
    submitted_at: datetime | None
    needs_grading: bool
    counts: bool

    @property
    def time_taken(self) -> timedelta | None:
        if self.started_at is None or self.submitted_at is None:
            return None
        return self.submitted_at - self.started_at

    @property
    def percentage(self) -> float | None:
        return _pct(self.score, self.max_score)


@dataclass(frozen=True)
class StudentGrade:
    quiz_id: int
    title: str
    grading_method: str
    attempts: int
    grade: float | None
    max_grade: float | None

    @property
    def percentage(self) -> float | None:
        return _pct(self.grade, self.max_grade)


@dataclass(frozen=True)
class PendingResponse:
    response_id: int
    attempt_id: int
    quiz_title: str
    attempt_number: int
    position: int
    key: str
    type: str


@dataclass(frozen=True)
class StudentPage:
    attempts: tuple[StudentAttempt, ...]
    grades: tuple[StudentGrade, ...]
    mastery: Mastery
    pending: tuple[PendingResponse, ...]


def student_page(course_id: int, user_id: int) -> StudentPage:
    """One student's attempts, grades per quiz, skills and responses waiting for grading."""
    g = graded_subquery(course_id)
    counted_ids = {
        r.attempt_id
        for r in db.session.execute(select(g.c.attempt_id).where(g.c.user_id == user_id))
    }
    average_quizzes = set(
        db.session.scalars(
            select(Quiz.id).where(Quiz.course_id == course_id, Quiz.grading_method == "average")
        )
    )
    attempts = tuple(
        StudentAttempt(
            attempt_id=a.id,
            quiz_id=a.quiz_id,
            quiz_title=title,
            number=a.number,
            state=a.state,
            score=a.score,
            max_score=a.max_score,
            started_at=a.started_at,
            submitted_at=a.submitted_at,
            needs_grading=a.needs_grading,
            counts=a.id in counted_ids
            or (a.quiz_id in average_quizzes and a.state == AttemptState.SUBMITTED),
        )
        for a, title in db.session.execute(
            select(Attempt, Quiz.title)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(
                Quiz.course_id == course_id,
                Attempt.user_id == user_id,
                Attempt.is_preview.is_(false()),
            )
            .order_by(Quiz.id, Attempt.number)
        )
    )
    rows = db.session.execute(
        select(Quiz.id, Quiz.title, Quiz.grading_method, g.c.n_attempts, g.c.grade, g.c.max_grade)
        .outerjoin(g, and_(g.c.quiz_id == Quiz.id, g.c.user_id == user_id))
        .where(Quiz.course_id == course_id)
        .order_by(Quiz.id)
    ).all()
    maxima = quiz_maximum.quiz_maxima([row.id for row in rows])
    grades = tuple(
        StudentGrade(
            quiz_id=row.id,
            title=row.title,
            grading_method=row.grading_method,
            attempts=row.n_attempts or 0,
            grade=out[0],
            max_grade=out[1],
        )
        for row in rows
        for out in (_out_of_quiz(row.grade, row.max_grade, maxima[row.id]),)
    )
    pending = tuple(
        PendingResponse(r.id, r.attempt_id, title, number, r.position, key, qtype)
        for r, title, number, key, qtype in db.session.execute(
            select(Response, Quiz.title, Attempt.number, Question.key, QuestionVersion.type)
            .join(Attempt, Attempt.id == Response.attempt_id)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(
                Quiz.course_id == course_id,
                Attempt.user_id == user_id,
                _submitted(course_id),
                _pending_response(),
            )
            .order_by(Quiz.id, Attempt.number, Response.position)
        )
    )
    return StudentPage(
        attempts=attempts,
        grades=grades,
        mastery=skill_mastery(course_id, user_id=user_id),
        pending=pending,
    )


def attempt_detail(attempt: Attempt) -> list[tuple[Response, QuestionVersion]]:
    """An attempt's responses with the question versions they answered (one query)."""
    return [
        (r, qv)
        for r, qv in db.session.execute(
            select(Response, QuestionVersion)
            .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
            .where(Response.attempt_id == attempt.id)
            .order_by(Response.position)
        )
    ]


__all__ = [
    "ATTEMPT_CHOICES",
    "RESULT_SORTS",
    "RESULT_STATES",
    "AnalyticsError",
    "CourseOverview",
    "ItemAnalysis",
    "Mastery",
    "QuizResults",
    "StudentPage",
    "attempt_detail",
    "counted_attempts",
    "course_overview",
    "graded_subquery",
    "item_analysis",
    "quiz_results",
    "skill_mastery",
    "student_page",
    "student_skill_matrix",
]
