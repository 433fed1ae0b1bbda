"""The class's misreadings and essay rubric levels for one quiz: SQL aggregation here, then the
pure counting of app.domain.banks.misreadings and app.domain.banks.rubrics.

Every submitted (non-preview) attempt counts, as in item analysis. Three queries per page at most:
the answers, the question versions they answered (specs fetched once per version), the names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from app.domain import question_types
from app.domain.banks import misreadings, rubrics
from app.extensions import db
from app.models import (
    Attempt,
    AttemptState,
    Bank,
    Question,
    QuestionVersion,
    Quiz,
    Response,
    User,
)


@dataclass(frozen=True)
class QuestionRef:
    key: str
    bank_slug: str


@dataclass
class ClassMisreadings:
    report: misreadings.MisreadingReport
    questions: dict[str, QuestionRef] = field(default_factory=dict)
    students: dict[int, str] = field(default_factory=dict)  # user id → name

    def examples(self, label: str, limit: int = 5) -> list[tuple[str, int]]:
        """The questions where this misreading was made most often: (key, count)."""
        ranked = sorted(
            ((key, tally.labels[label]) for key, tally in self.report.by_question.items()),
            key=lambda kv: (-kv[1], kv[0]),
        )
        return [(key, n) for key, n in ranked if n][:limit]


def _answered(quiz: Quiz, types: Sequence[str]) -> list[tuple[int, int, object, object, object]]:
    return list(
        db.session.execute(
            select(
                Attempt.user_id,
                Response.question_version_id,
                Response.value,
                Response.rubric_scores,
                Response.rubric_levels,
            )
            .join(Attempt, Attempt.id == Response.attempt_id)
            .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
            .where(
                Attempt.quiz_id == quiz.id,
                Attempt.state == AttemptState.SUBMITTED,
                Attempt.is_preview.is_(False),
                QuestionVersion.type.in_(types),
            )
            .order_by(Response.id)
        ).all()
    )


def _versions(version_ids: set[int]) -> dict[int, tuple[dict, str, str]]:
    """version id → (spec, question key, bank slug), one query for all."""
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(QuestionVersion.id, QuestionVersion.spec, Question.key, Bank.slug)
        .join(Question, Question.id == QuestionVersion.question_id)
        .join(Bank, Bank.id == Question.bank_id)
        .where(QuestionVersion.id.in_(version_ids))
    ).all()
    return {vid: (spec, key, slug) for vid, spec, key, slug in rows}


def class_misreadings(quiz: Quiz) -> ClassMisreadings:
    rows = _answered(quiz, question_types.choice_types())
    versions = _versions({version_id for _u, version_id, *_ in rows})
    answers = [
        misreadings.Answer(user_id, versions[vid][1], versions[vid][0], value)
        for user_id, vid, value, _scores, _levels in rows
    ]
    result = ClassMisreadings(misreadings.tally(answers))
    result.questions = {key: QuestionRef(key, slug) for _spec, key, slug in versions.values()}
    user_ids = set(result.report.by_student)
    if user_ids:
        result.students = dict(
            db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()
        )
    return result


@dataclass(frozen=True)
class EssayLevels:
    key: str
    bank_slug: str
    version: int
    rows: list[rubrics.LevelRow]


def essay_levels(quiz: Quiz) -> list[EssayLevels]:
    """Per essay question version with a levelled rubric: answers per level, per criterion."""
    rows = _answered(quiz, ("essay",))
    versions = _versions({vid for _u, vid, *_ in rows})
    numbers = (
        dict(
            db.session.execute(
                select(QuestionVersion.id, QuestionVersion.version).where(
                    QuestionVersion.id.in_(set(versions))
                )
            ).all()
        )
        if versions
        else {}
    )
    graded: dict[int, list[tuple[object, object]]] = {vid: [] for vid in versions}
    for _user, vid, _value, scores, levels in rows:
        graded[vid].append((scores, levels))  # type: ignore[arg-type]
    out = []
    for vid, (spec, key, slug) in sorted(versions.items(), key=lambda kv: (kv[1][1], kv[0])):
        rubric = spec.get("rubric") or []
        if not any(c.get("levels") for c in rubric):
            continue
        distribution = rubrics.level_distribution(rubric, graded[vid])  # type: ignore[arg-type]
        out.append(EssayLevels(key, slug, numbers.get(vid, 0), distribution))
    return out
