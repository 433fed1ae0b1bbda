"""Building quizzes: settings, slots (chosen questions and random draws), sources, accommodations.

Services flush and never commit. Every check an instructor can trip raises ``QuizError`` with a
message per form field, so a view shows them beside the fields and nothing is half-saved.

The change guard: once a quiz has real (non-preview) attempts, its questions cannot change
silently. Settings that only affect when and how students see things (window, time limit,
attempts, grading method, review policy, shuffling for new attempts, pages, order) stay editable;
adding, removing or re-pointing slots would make old and new attempts incomparable, and changing a
slot's points would change existing scores, so these are refused with a message saying why (fix
keys through a regrade instead).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from app.domain import deadlines, grade_events, review
from app.domain.banks import exclusions
from app.domain.banks.schema import DIFFICULTIES, QUESTION_TYPES, SKILLS
from app.domain.points import MAX_POINTS
from app.domain.quiz_articles import articles_to_show, needed_sources
from app.domain.quiz_spec import (
    GRADING_METHODS,
    MODES,
    QuizSpec,
    SpecProblem,
    canvas_id_problem,
)
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Accommodation,
    Attempt,
    Bank,
    BankSource,
    Course,
    Enrolment,
    Question,
    QuestionExclusion,
    QuestionVersion,
    Quiz,
    QuizSlot,
    QuizSource,
    Role,
    Source,
    User,
)

MAX_TIME_LIMIT = 24 * 60
MAX_ATTEMPTS = 100
MAX_PER_PAGE = 200
MAX_MULTIPLIER = 10.0
MAX_EXTRA_MINUTES = 24 * 60
MAX_EXTRA_ATTEMPTS = 100

ALLOWED_WITH_ATTEMPTS = (
    "the open and close dates",
    "the time limit",
    "attempts allowed and the grading method",
    "the review policy (what students see, and when)",
    "shuffling and pages (for attempts started from now on)",
    "the order of slots (for attempts started from now on)",
    "publishing and accommodations",
)
NEEDS_REGRADE = (
    "adding or removing questions or draws",
    "changing a slot's points",
    "switching between graded and practice mode",
)
LOCKED_MESSAGE = (
    "This quiz already has {n} attempt(s), so its questions cannot change: old and new attempts "
    "would no longer be comparable. To fix a wrong answer key, load the corrected bank and use "
    "Regrade. To ask different questions, create a new quiz."
)


class QuizError(ValueError):
    """A change refused, with a message per field (``""`` for the form as a whole)."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(self.errors.values()))


@dataclass
class QuizSettings:
    """What the settings form (or a quiz spec) sets; validated by ``check_settings``."""

    title: str
    description: str = ""
    mode: str = "graded"
    published: bool = False
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    time_limit_minutes: int | None = None
    attempts_allowed: int = 1
    grading_method: str = "highest"
    review_policy: dict[str, Any] = field(default_factory=lambda: dict(review.DEFAULT_POLICY))
    shuffle_questions: bool = False
    shuffle_options: bool = True
    questions_per_page: int = 0
    canvas_assignment_id: str | None = None
    source_slugs: list[str] | None = None  # None: leave the quiz's sources as they are

    @classmethod
    def of(cls, quiz: Quiz) -> QuizSettings:
        return cls(
            title=quiz.title,
            description=quiz.description,
            mode=quiz.mode,
            published=quiz.published,
            opens_at=quiz.opens_at,
            closes_at=quiz.closes_at,
            time_limit_minutes=quiz.time_limit_minutes,
            attempts_allowed=quiz.attempts_allowed,
            grading_method=quiz.grading_method,
            review_policy=review.normalise_policy(quiz.review_policy),
            shuffle_questions=quiz.shuffle_questions,
            shuffle_options=quiz.shuffle_options,
            questions_per_page=quiz.questions_per_page,
            canvas_assignment_id=quiz.canvas_assignment_id,
            source_slugs=[qs.source.slug for qs in quiz.sources],
        )


@dataclass(frozen=True)
class ChangeGuard:
    attempts: int
    allowed: tuple[str, ...] = ALLOWED_WITH_ATTEMPTS
    needs_regrade: tuple[str, ...] = NEEDS_REGRADE

    @property
    def locked(self) -> bool:
        return self.attempts > 0

    @property
    def message(self) -> str:
        return LOCKED_MESSAGE.format(n=self.attempts) if self.locked else ""


def check_settings(s: QuizSettings) -> dict[str, str]:
    """Field errors for ``s`` (empty when valid). Pure apart from the policy normaliser."""
    errors: dict[str, str] = {}
    title = s.title.strip()
    if not title:
        errors["title"] = "Give the quiz a title."
    elif len(title) > 200:
        errors["title"] = "Use at most 200 characters."
    if len(s.description) > 5000:
        errors["description"] = "Use at most 5000 characters."
    if s.mode not in MODES:
        errors["mode"] = "Choose graded or practice."
    if s.grading_method not in GRADING_METHODS:
        errors["grading_method"] = "Choose highest, last, average or first."
    if s.opens_at and s.closes_at and s.opens_at >= s.closes_at:
        errors["closes_at"] = "The close date must be after the open date."
    if s.time_limit_minutes is not None and not 0 < s.time_limit_minutes <= MAX_TIME_LIMIT:
        errors["time_limit_minutes"] = (
            f"Enter minutes from 1 to {MAX_TIME_LIMIT}, or leave empty for no limit."
        )
    if not 0 <= s.attempts_allowed <= MAX_ATTEMPTS:
        errors["attempts_allowed"] = f"Enter 0 (unlimited) to {MAX_ATTEMPTS}."
    if not 0 <= s.questions_per_page <= MAX_PER_PAGE:
        errors["questions_per_page"] = f"Enter 0 (all on one page) to {MAX_PER_PAGE}."
    problem = canvas_id_problem(s.canvas_assignment_id)
    if problem:
        errors["canvas_assignment_id"] = problem
    return errors


def _apply_settings(quiz: Quiz, s: QuizSettings) -> None:
    quiz.title = s.title.strip()
    quiz.description = s.description.strip()
    quiz.mode = s.mode
    quiz.published = s.published
    quiz.opens_at = s.opens_at
    quiz.closes_at = s.closes_at
    quiz.time_limit_minutes = s.time_limit_minutes
    quiz.attempts_allowed = s.attempts_allowed
    quiz.grading_method = s.grading_method
    quiz.review_policy = review.normalise_policy(s.review_policy)
    quiz.shuffle_questions = s.shuffle_questions
    quiz.shuffle_options = s.shuffle_options
    quiz.questions_per_page = s.questions_per_page
    quiz.canvas_assignment_id = s.canvas_assignment_id or None


def create_quiz(course: Course, settings: QuizSettings) -> Quiz:
    """A new quiz (unpublished unless asked) in ``course``."""
    errors = check_settings(settings)
    if errors:
        raise QuizError(errors)
    quiz = Quiz(course_id=course.id, title=settings.title.strip())
    _apply_settings(quiz, settings)
    db.session.add(quiz)
    db.session.flush()
    if settings.source_slugs:
        set_sources(quiz, settings.source_slugs)
    return quiz


def update_quiz(quiz: Quiz, settings: QuizSettings) -> Quiz:
    """Change settings; with attempts, only the mode is refused (see the change guard)."""
    errors = check_settings(settings)
    guard = change_guard(quiz)
    if guard.locked and settings.mode != quiz.mode:
        errors["mode"] = (
            f"This quiz has {guard.attempts} attempt(s); switching between graded and practice "
            "would change what those attempts count for. Create a new quiz instead."
        )
    if settings.source_slugs is not None:
        available = {s.slug for s in available_sources(quiz)}
        unknown = [slug for slug in settings.source_slugs if slug not in available]
        if unknown:
            errors["sources"] = f"Not a source of this quiz's questions: {', '.join(unknown)}."
    if errors:
        raise QuizError(errors)
    _apply_settings(quiz, settings)
    if settings.source_slugs is not None:
        # every cited article stays in view: the ticked ones lead, the rest follow
        set_sources(
            quiz, articles_to_show(settings.source_slugs, [s.slug for s in available_sources(quiz)])
        )
    db.session.flush()
    grade_events.quiz_changed(quiz)
    return quiz


def copy_quiz(quiz: Quiz) -> Quiz:
    """A draft copy of ``quiz`` in the same course: its settings, articles and slots (fixed
    questions and random draws), to run again or adapt. Not copied: attempts, per-student
    accommodations, the Canvas assignment id (a copy is another assignment) and LMS links."""
    settings = replace(
        QuizSettings.of(quiz),
        title=_copy_title(quiz.title),
        published=False,
        canvas_assignment_id=None,
        source_slugs=None,
    )
    copy = create_quiz(quiz.course, settings)
    for slot in sorted(quiz.slots, key=lambda s: s.position):
        copy.slots.append(
            QuizSlot(
                position=slot.position,
                page=slot.page,
                points=slot.points,
                question_id=slot.question_id,
                draw_bank_id=slot.draw_bank_id,
                draw_skill=slot.draw_skill,
                draw_difficulty=slot.draw_difficulty,
                draw_type=slot.draw_type,
                draw_count=slot.draw_count,
            )
        )
    db.session.flush()
    set_sources(copy, [qs.source.slug for qs in sorted(quiz.sources, key=lambda q: q.position)])
    return copy


def _copy_title(title: str) -> str:
    """ "Copy of …", kept within the title's 200 characters."""
    prefix = "Copy of "
    return prefix + (title if len(prefix + title) <= 200 else title[: 199 - len(prefix)] + "…")


def set_published(quiz: Quiz, published: bool) -> None:
    if published and not quiz.slots:
        raise QuizError("Add at least one question before publishing.")
    quiz.published = published
    db.session.flush()


# --- the change guard ---------------------------------------------------------------------------


def attempt_count(quiz: Quiz) -> int:
    """Real attempts (instructor previews do not lock a quiz)."""
    return (
        db.session.scalar(
            select(func.count(Attempt.id)).where(
                Attempt.quiz_id == quiz.id, Attempt.is_preview.is_(False)
            )
        )
        or 0
    )


def change_guard(quiz: Quiz) -> ChangeGuard:
    return ChangeGuard(attempts=attempt_count(quiz))


def _refuse_if_locked(quiz: Quiz) -> None:
    guard = change_guard(quiz)
    if guard.locked:
        raise QuizError(guard.message)


# --- sources ------------------------------------------------------------------------------------


def available_sources(quiz: Quiz) -> list[Source]:
    """Every article the quiz's questions cite: fixed ones (current versions, whatever their
    type, through their ``source`` and evidence references) and the sources of its draw banks."""
    specs = db.session.scalars(
        select(QuestionVersion.spec)
        .join(Question, CURRENT_VERSION)
        .join(QuizSlot, QuizSlot.question_id == Question.id)
        .where(QuizSlot.quiz_id == quiz.id)
        .order_by(QuizSlot.position)
    )
    drawn = db.session.scalars(
        select(Source.slug)
        .join(BankSource, BankSource.source_id == Source.id)
        .join(QuizSlot, QuizSlot.draw_bank_id == BankSource.bank_id)
        .where(QuizSlot.quiz_id == quiz.id)
        .order_by(QuizSlot.position, Source.title)
    )
    slugs = needed_sources(list(specs), list(drawn))
    by_slug = {s.slug: s for s in db.session.scalars(select(Source).where(Source.slug.in_(slugs)))}
    return [by_slug[slug] for slug in slugs if slug in by_slug]


def set_sources(quiz: Quiz, slugs: Sequence[str]) -> None:
    """Show these articles, in this order, in the reading pane."""
    seen: list[str] = []
    for slug in slugs:
        if slug not in seen:
            seen.append(slug)
    by_slug = {s.slug: s for s in db.session.scalars(select(Source).where(Source.slug.in_(seen)))}
    missing = [slug for slug in seen if slug not in by_slug]
    if missing:
        raise QuizError({"sources": f"No such source: {', '.join(missing)}."})
    quiz.sources.clear()
    db.session.flush()
    for position, slug in enumerate(seen):
        quiz.sources.append(QuizSource(source_id=by_slug[slug].id, position=position))
    db.session.flush()


def _add_missing_sources(quiz: Quiz) -> None:
    """New slots bring their articles into the reading pane (the instructor can drop them)."""
    present = {qs.source_id for qs in quiz.sources}
    position = len(quiz.sources)
    for source in available_sources(quiz):
        if source.id not in present:
            quiz.sources.append(QuizSource(source_id=source.id, position=position))
            position += 1
    db.session.flush()


# --- question search ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFilter:
    bank_id: int | None = None
    source: str | None = None
    skill: str | None = None
    qtype: str | None = None
    difficulty: str | None = None
    text: str | None = None


def _current_versions() -> Select[tuple[Question, QuestionVersion, Bank]]:
    return (
        select(Question, QuestionVersion, Bank)
        .join(
            QuestionVersion,
            CURRENT_VERSION,
        )
        .join(Bank, Bank.id == Question.bank_id)
        .where(Question.retired_at.is_(None))
    )


def search_questions(
    f: QuestionFilter, limit: int = 500
) -> list[tuple[Question, QuestionVersion, Bank]]:
    """Current, non-retired questions matching the builder's filters, in one query."""
    query = _current_versions()
    if f.bank_id is not None:
        query = query.where(Question.bank_id == f.bank_id)
    if f.source:
        # a question without its own ``source`` is about its bank's articles
        banks_citing = (
            select(BankSource.bank_id)
            .join(Source, Source.id == BankSource.source_id)
            .where(Source.slug == f.source)
        )
        query = query.where(
            or_(
                QuestionVersion.source_slug == f.source,
                and_(QuestionVersion.source_slug.is_(None), Question.bank_id.in_(banks_citing)),
            )
        )
    if f.skill:
        query = query.where(QuestionVersion.skill == f.skill)
    if f.qtype:
        query = query.where(QuestionVersion.type == f.qtype)
    if f.difficulty:
        query = query.where(QuestionVersion.difficulty == f.difficulty)
    if f.text:
        words = f.text.strip()
        query = query.where(
            or_(
                Question.key.icontains(words, autoescape=True),
                # The prompt is sanitised HTML: words between tags match as they read.
                QuestionVersion.spec["prompt"].as_string().icontains(words, autoescape=True),
            )
        )
    query = query.order_by(Bank.title, Question.id).limit(limit)
    return [(q, v, b) for q, v, b in db.session.execute(query).all()]


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Banks and sources that exist, for the picker's filter menus."""
    banks = db.session.execute(select(Bank.id, Bank.title).order_by(Bank.title)).all()
    sources = db.session.execute(select(Source.slug, Source.title).order_by(Source.title)).all()
    return {
        "banks": [(str(i), t) for i, t in banks],
        "sources": [(s, t) for s, t in sources],
    }


# --- slots --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawRule:
    bank_id: int
    skill: str | None = None
    difficulty: str | None = None
    qtype: str | None = None
    count: int = 1


def _draw_pool_query(rule: DrawRule) -> Select[tuple[int]]:
    query = (
        select(Question.id)
        .join(
            QuestionVersion,
            CURRENT_VERSION,
        )
        .where(Question.bank_id == rule.bank_id, Question.retired_at.is_(None))
    )
    if rule.skill:
        query = query.where(QuestionVersion.skill == rule.skill)
    if rule.difficulty:
        query = query.where(QuestionVersion.difficulty == rule.difficulty)
    if rule.qtype:
        query = query.where(QuestionVersion.type == rule.qtype)
    return query


def draws_feasible(demands: Sequence[tuple[int, set[int]]]) -> bool:
    """Can every draw take ``count`` distinct questions from its pool, no question used twice?

    Bipartite matching (augmenting paths); quizzes are small, so this is instant."""
    units: list[set[int]] = [pool for count, pool in demands for _ in range(count)]
    owner: dict[int, int] = {}

    def assign(unit: int, seen: set[int]) -> bool:
        for question in units[unit]:
            if question in seen:
                continue
            seen.add(question)
            if question not in owner or assign(owner[question], seen):
                owner[question] = unit
                return True
        return False

    return all(assign(unit, set()) for unit in range(len(units)))


def excluded_by_id() -> dict[int, set[int]]:
    """Question id → the ids it must not share an attempt with (declared pairs of loaded
    questions; a pair naming a question not loaded yet has no effect until it is)."""
    first = aliased(Question)
    second = aliased(Question)
    rows = db.session.execute(
        select(first.id, second.id)
        .select_from(QuestionExclusion)
        .join(first, first.key == QuestionExclusion.first_key)
        .join(second, second.key == QuestionExclusion.second_key)
    ).all()
    return exclusions.exclusion_map((a, b) for a, b in rows)


def _check_draws(quiz: Quiz, rules: Sequence[DrawRule], fixed_ids: Iterable[int]) -> str | None:
    fixed = set(fixed_ids)
    excluded = excluded_by_id()
    shut_out = set().union(*(excluded.get(i, set()) for i in fixed)) if fixed else set()
    demands = []
    for rule in rules:
        pool = set(db.session.scalars(_draw_pool_query(rule))) - fixed - shut_out
        demands.append((rule.count, pool))
    if draws_feasible(demands):
        return None
    return (
        "Not enough questions match: the draws in this quiz need "
        f"{sum(r.count for r in rules)} different questions in all, but the banks (leaving out "
        "the questions already chosen by hand and those that give them away) do not have that "
        "many that fit. Lower the count "
        "or widen the skill, difficulty or type."
    )


def _slot_rules(quiz: Quiz) -> list[DrawRule]:
    return [
        DrawRule(s.draw_bank_id, s.draw_skill, s.draw_difficulty, s.draw_type, s.draw_count)
        for s in quiz.slots
        if s.draw_bank_id is not None
    ]


def _next_position(quiz: Quiz) -> int:
    return max((s.position for s in quiz.slots), default=0) + 1


def _check_slot_values(points: float | None, page: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if points is not None and not 0 < points <= MAX_POINTS:
        errors["points"] = f"Enter points greater than 0 and at most {MAX_POINTS:g}."
    elif points is not None and round(points, 2) != points:
        errors["points"] = "Use at most 2 decimal places."
    if page is not None and not 1 <= page <= 1000:
        errors["page"] = "Enter a page from 1 to 1000."
    return errors


def add_questions(
    quiz: Quiz, question_ids: Sequence[int], *, points: float | None = None, page: int | None = None
) -> list[QuizSlot]:
    """Add fixed questions at the end, in the order given."""
    _refuse_if_locked(quiz)
    errors = _check_slot_values(points, page)
    if errors:
        raise QuizError(errors)
    if not question_ids:
        raise QuizError({"question_ids": "Tick at least one question to add."})
    wanted = list(dict.fromkeys(question_ids))
    found = {
        q.id for q, _v, _b in db.session.execute(_current_versions().where(Question.id.in_(wanted)))
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise QuizError(
            {
                "question_ids": "Some questions no longer exist or are retired; "
                "reload the list and try again."
            }
        )
    already = {s.question_id for s in quiz.slots if s.question_id is not None}
    duplicates = [i for i in wanted if i in already]
    if duplicates:
        keys = db.session.scalars(select(Question.key).where(Question.id.in_(duplicates)))
        raise QuizError({"question_ids": f"Already in this quiz: {', '.join(keys)}."})
    clashes = exclusions.conflicts([*already, *wanted], excluded_by_id())
    if clashes:
        keys = dict(
            db.session.execute(
                select(Question.id, Question.key).where(
                    Question.id.in_({i for pair in clashes for i in pair})
                )
            ).all()
        )
        listed = "; ".join(f"{keys[a]} and {keys[b]}" for a, b in clashes)
        raise QuizError(
            {
                "question_ids": "These questions give each other away (their banks declare "
                f"that they must not appear in one attempt): {listed}. Keep one of each pair."
            }
        )
    problem = _check_draws(quiz, _slot_rules(quiz), already | set(wanted))
    if problem:
        raise QuizError({"question_ids": "Adding these would leave a draw short. " + problem})
    position = _next_position(quiz)
    default_page = max((s.page for s in quiz.slots), default=1)
    slots = []
    for offset, question_id in enumerate(wanted):
        slot = QuizSlot(
            quiz_id=quiz.id,
            position=position + offset,
            question_id=question_id,
            points=points,
            page=page or default_page,
            draw_count=1,
        )
        quiz.slots.append(slot)
        slots.append(slot)
    db.session.flush()
    _add_missing_sources(quiz)
    grade_events.quiz_changed(quiz)
    return slots


def add_draw(
    quiz: Quiz, rule: DrawRule, *, points: float | None = None, page: int | None = None
) -> QuizSlot:
    """Add a random draw: ``count`` questions picked per attempt from a bank by filters."""
    _refuse_if_locked(quiz)
    errors = _check_slot_values(points, page)
    if not 1 <= rule.count <= 200:
        errors["count"] = "Draw from 1 to 200 questions."
    if db.session.get(Bank, rule.bank_id) is None:
        errors["bank"] = "Choose a bank."
    if rule.skill and rule.skill not in SKILLS:
        errors["skill"] = f"Unknown skill “{rule.skill}”; use one of {', '.join(SKILLS)}."
    if rule.difficulty and rule.difficulty not in DIFFICULTIES:
        errors["difficulty"] = f"Unknown difficulty; use one of {', '.join(DIFFICULTIES)}."
    if rule.qtype and rule.qtype not in QUESTION_TYPES:
        errors["qtype"] = f"Unknown question type; use one of {', '.join(QUESTION_TYPES)}."
    if errors:
        raise QuizError(errors)
    fixed = {s.question_id for s in quiz.slots if s.question_id is not None}
    problem = _check_draws(quiz, [*_slot_rules(quiz), rule], fixed)
    if problem:
        excluded = excluded_by_id()
        shut_out = set().union(*(excluded.get(i, set()) for i in fixed)) if fixed else set()
        pool = set(db.session.scalars(_draw_pool_query(rule)))
        available = len(pool - fixed - shut_out)
        raise QuizError({"count": f"Only {available} question(s) match this draw. {problem}"})
    if points is None:
        worth = sorted(
            set(
                db.session.scalars(
                    _draw_pool_query(rule).with_only_columns(QuestionVersion.points).distinct()
                )
            )
        )
        if len(worth) > 1:
            listed = ", ".join(f"{p:g}" for p in worth)
            raise QuizError(
                {
                    "points": f"The questions this draw can pick are worth {listed} points, so "
                    "students would get different maxima. Give the draw its points per question "
                    "(each drawn question is scaled to them)."
                }
            )
    slot = QuizSlot(
        quiz_id=quiz.id,
        position=_next_position(quiz),
        draw_bank_id=rule.bank_id,
        draw_skill=rule.skill or None,
        draw_difficulty=rule.difficulty or None,
        draw_type=rule.qtype or None,
        draw_count=rule.count,
        points=points,
        page=page or max((s.page for s in quiz.slots), default=1),
    )
    quiz.slots.append(slot)
    db.session.flush()
    _add_missing_sources(quiz)
    grade_events.quiz_changed(quiz)
    return slot


def _slot(quiz: Quiz, slot_id: int) -> QuizSlot:
    for slot in quiz.slots:
        if slot.id == slot_id:
            return slot
    raise LookupError(slot_id)


def update_slot(quiz: Quiz, slot_id: int, *, points: float | None, page: int) -> QuizSlot:
    """Change a slot's points (refused once there are attempts) and page (allowed)."""
    slot = _slot(quiz, slot_id)
    errors = _check_slot_values(points, page)
    if errors:
        raise QuizError(errors)
    if points != slot.points:
        guard = change_guard(quiz)
        if guard.locked:
            raise QuizError(
                {
                    "points": (
                        f"This quiz has {guard.attempts} attempt(s); changing a slot's points "
                        "would change their scores. Use an override with a reason for "
                        "individual scores instead."
                    )
                }
            )
    slot.points = points
    slot.page = page
    db.session.flush()
    grade_events.quiz_changed(quiz)
    return slot


def remove_slot(quiz: Quiz, slot_id: int) -> None:
    _refuse_if_locked(quiz)
    slot = _slot(quiz, slot_id)
    quiz.slots.remove(slot)
    db.session.flush()
    _renumber(quiz)
    grade_events.quiz_changed(quiz)


def move_slot(quiz: Quiz, slot_id: int, direction: int) -> None:
    """Move a slot one place up (-1) or down (+1); existing attempts keep their own order."""
    slots = sorted(quiz.slots, key=lambda s: s.position)
    index = next(i for i, s in enumerate(slots) if s.id == slot_id)
    target = index + direction
    if direction not in (-1, 1) or not 0 <= target < len(slots):
        return
    slots[index], slots[target] = slots[target], slots[index]
    _renumber(quiz, slots)


def _renumber(quiz: Quiz, ordered: list[QuizSlot] | None = None) -> None:
    """Positions are unique per quiz, so move everything out of the way first."""
    ordered = ordered or sorted(quiz.slots, key=lambda s: s.position)
    for offset, slot in enumerate(ordered, start=1):
        slot.position = -offset
    db.session.flush()
    for position, slot in enumerate(ordered, start=1):
        slot.position = position
    db.session.flush()


@dataclass(frozen=True)
class SlotView:
    slot: QuizSlot
    key: str | None
    version: QuestionVersion | None
    bank_title: str
    points: float | None  # per question


def slot_views(quiz: Quiz) -> list[SlotView]:
    """Slots with their question's current version and bank, in one query."""
    fixed_ids = [s.question_id for s in quiz.slots if s.question_id is not None]
    rows = {
        q.id: (q, v, b)
        for q, v, b in db.session.execute(
            select(Question, QuestionVersion, Bank)
            .join(
                QuestionVersion,
                CURRENT_VERSION,
            )
            .join(Bank, Bank.id == Question.bank_id)
            .where(Question.id.in_(fixed_ids))
        ).all()
    }
    bank_titles = dict(db.session.execute(select(Bank.id, Bank.title)).all())
    out = []
    for slot in quiz.slots:
        if slot.question_id is not None and slot.question_id in rows:
            q, v, b = rows[slot.question_id]
            out.append(
                SlotView(
                    slot, q.key, v, b.title, slot.points if slot.points is not None else v.points
                )
            )
        else:
            out.append(
                SlotView(
                    slot, None, None, bank_titles.get(slot.draw_bank_id or 0, "?"), slot.points
                )
            )
    return out


# --- accommodations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccommodationInput:
    time_multiplier: float | None = None
    extra_minutes: int | None = None
    extra_attempts: int = 0
    closes_at: datetime | None = None
    note: str = ""


def set_accommodation(quiz: Quiz, student: User, given: AccommodationInput) -> Accommodation:
    """Create or replace ``student``'s accommodation for ``quiz``."""
    errors: dict[str, str] = {}
    multiplier = given.time_multiplier
    minutes = given.extra_minutes or 0
    if multiplier is not None and not 1 <= multiplier <= MAX_MULTIPLIER:
        errors["time_multiplier"] = f"Enter a multiplier from 1 to {MAX_MULTIPLIER:g} (e.g. 1.5)."
    elif multiplier is not None and round(multiplier, 2) != multiplier:
        errors["time_multiplier"] = "Use at most 2 decimal places."
    if not 0 <= minutes <= MAX_EXTRA_MINUTES:
        errors["extra_minutes"] = f"Enter 0 to {MAX_EXTRA_MINUTES} minutes."
    if multiplier not in (None, 1) and minutes:
        errors["extra_minutes"] = "Give extra time either as a multiplier or as minutes, not both."
    if not 0 <= given.extra_attempts <= MAX_EXTRA_ATTEMPTS:
        errors["extra_attempts"] = f"Enter 0 to {MAX_EXTRA_ATTEMPTS}."
    if given.closes_at is not None:
        if quiz.closes_at is not None and given.closes_at <= quiz.closes_at:
            errors["closes_at"] = "A personal close date must be later than the quiz's close date."
        elif quiz.opens_at is not None and given.closes_at <= quiz.opens_at:
            errors["closes_at"] = "A personal close date must be after the quiz opens."
    if len(given.note) > 500:
        errors["note"] = "Use at most 500 characters."
    if course_role_of(student, quiz.course_id) != Role.STUDENT:
        errors[""] = "That person is not a student of this course."
    if errors:
        raise QuizError(errors)
    accommodation = db.session.scalar(
        select(Accommodation).where(
            Accommodation.quiz_id == quiz.id, Accommodation.user_id == student.id
        )
    )
    if accommodation is None:
        accommodation = Accommodation(quiz_id=quiz.id, user_id=student.id)
        db.session.add(accommodation)
    accommodation.time_multiplier = multiplier or 1.0
    accommodation.extra_minutes = minutes
    accommodation.extra_attempts = given.extra_attempts
    accommodation.closes_at = given.closes_at
    accommodation.note = given.note.strip()
    db.session.flush()
    return accommodation


def clear_accommodation(quiz: Quiz, student: User) -> bool:
    accommodation = db.session.scalar(
        select(Accommodation).where(
            Accommodation.quiz_id == quiz.id, Accommodation.user_id == student.id
        )
    )
    if accommodation is None:
        return False
    db.session.delete(accommodation)
    db.session.flush()
    return True


def course_role_of(user: User, course_id: int) -> str | None:
    return db.session.scalar(
        select(Enrolment.role).where(Enrolment.course_id == course_id, Enrolment.user_id == user.id)
    )


def roster_with_accommodations(quiz: Quiz) -> list[tuple[User, Accommodation | None]]:
    """The course's students with their accommodation for ``quiz`` (if any), in one query."""
    rows = db.session.execute(
        select(User, Accommodation)
        .join(
            Enrolment,
            and_(
                Enrolment.user_id == User.id,
                Enrolment.course_id == quiz.course_id,
                Enrolment.role == Role.STUDENT,
            ),
        )
        .outerjoin(
            Accommodation, and_(Accommodation.user_id == User.id, Accommodation.quiz_id == quiz.id)
        )
        .order_by(User.name, User.id)
    ).all()
    return [(u, a) for u, a in rows]


def effective_limits(quiz: Quiz, accommodation: Accommodation | None) -> dict[str, Any]:
    """What a student with ``accommodation`` gets, for display: minutes, attempts, close date.

    The rule is ``app.domain.deadlines``': time = limit × multiplier + extra minutes; a later
    personal
    close date wins over the quiz's (and a quiz that never closes stays open). An attempt's
    deadline is start + time, capped by that close."""
    minutes: float | None = quiz.time_limit_minutes
    attempts = quiz.attempts_allowed
    closes = deadlines.effective_close(quiz.closes_at, None)
    if accommodation is not None:
        if minutes is not None:
            minutes = minutes * max(accommodation.time_multiplier, 1.0) + max(
                accommodation.extra_minutes, 0
            )
        if attempts:
            attempts += accommodation.extra_attempts
        closes = deadlines.effective_close(quiz.closes_at, accommodation.closes_at)
    return {
        "time_limit_minutes": None if minutes is None else round(minutes, 1),
        "attempts_allowed": attempts,
        "closes_at": closes,
    }


# --- from a quiz spec (hustings quizzes create FILE) --------------------------------------------


def create_quiz_from_spec(spec: QuizSpec) -> tuple[Quiz | None, list[SpecProblem]]:
    """Resolve a parsed quiz spec against the database and build the quiz.

    Problems carry the spec's line numbers. The caller rolls back when any are returned."""
    problems: list[SpecProblem] = []
    course = None
    if spec.course_id is not None:
        course = db.session.get(Course, spec.course_id)
        if course is None:
            problems.append(SpecProblem(spec.line, f"no course has id {spec.course_id}"))
    elif spec.join_code:
        code = "".join(spec.join_code.split()).upper()
        course = db.session.scalar(select(Course).where(Course.join_code == code))
        if course is None:
            problems.append(SpecProblem(spec.line, f"no course has join code {spec.join_code}"))
    settings = QuizSettings(title=spec.title, description=spec.description)
    for name, value in spec.settings.items():
        if name == "review_policy":
            value = review.normalise_policy({k: v for k, v in value.items() if v is not None})
        setattr(settings, name, value)
    for name, message in check_settings(settings).items():
        line = spec.setting_lines.get(name, spec.line)
        problems.append(SpecProblem(line, f"{name}: {message}"))
    if course is None or problems:
        return None, problems

    quiz = create_quiz(course, settings)
    keys = [s.question for s in spec.slots if s.question]
    by_key = {
        q.key: q.id
        for q, _v, _b in db.session.execute(_current_versions().where(Question.key.in_(keys)))
    }
    bank_slugs = [s.draw_bank for s in spec.slots if s.draw_bank]
    banks = dict(
        db.session.execute(select(Bank.slug, Bank.id).where(Bank.slug.in_(bank_slugs))).all()
    )
    for slot in spec.slots:
        try:
            if slot.question:
                if slot.question not in by_key:
                    problems.append(
                        SpecProblem(slot.line, f"no current question has id {slot.question}")
                    )
                    continue
                add_questions(quiz, [by_key[slot.question]], points=slot.points, page=slot.page)
            else:
                if slot.draw_bank not in banks:
                    problems.append(SpecProblem(slot.line, f"no bank has id {slot.draw_bank}"))
                    continue
                add_draw(
                    quiz,
                    DrawRule(
                        banks[slot.draw_bank],
                        slot.draw_skill,
                        slot.draw_difficulty,
                        slot.draw_type,
                        slot.count,
                    ),
                    points=slot.points,
                    page=slot.page,
                )
        except QuizError as exc:
            problems.append(SpecProblem(slot.line, " ".join(exc.errors.values())))
    if spec.sources and not problems:
        try:
            update_quiz(quiz, replace(QuizSettings.of(quiz), source_slugs=list(spec.sources)))
        except QuizError as exc:
            problems.append(SpecProblem(spec.sources_line, " ".join(exc.errors.values())))
    if settings.published and not problems:
        try:
            set_published(quiz, True)
        except QuizError as exc:
            problems.append(SpecProblem(spec.setting_lines.get("published", spec.line), str(exc)))
    return (None if problems else quiz), problems
