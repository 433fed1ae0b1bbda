"""Levelled rubrics: which level a grader awarded, and how a class's answers spread over levels.

Pure (stdlib only). A criterion with `levels` (question_banks/README.md) says what earns each mark;
the grader clicks a level and may adjust the points. We store the level clicked beside the points,
so the student's review and item analysis show the level even when the points were adjusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AwardedCriterion:
    """One criterion of one graded answer, as the student's review shows it."""

    criterion: str
    points: float | None  # awarded
    max_points: float
    level: float | None  # the level clicked, if the criterion has levels
    descriptor: str  # what that level means ("" without one)
    adjusted: bool  # points differ from the level clicked


def level_points(criterion: Mapping[str, Any]) -> list[float]:
    return [float(level["points"]) for level in criterion.get("levels") or ()]


def descriptor(criterion: Mapping[str, Any], points: float | None) -> str:
    for level in criterion.get("levels") or ():
        if points is not None and float(level["points"]) == points:
            return str(level["descriptor"])
    return ""


def parse_level(criterion: Mapping[str, Any], raw: Any) -> float | None:
    """The level a form sent for ``criterion`` (None when none was clicked).

    Raises ValueError with a message for the grader when the value is not one of its levels."""
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = None
    allowed = level_points(criterion)
    if value is None or value not in allowed:
        shown = ", ".join(f"{p:g}" for p in allowed)
        raise ValueError(f"Choose one of the levels ({shown}).")
    return value


def awarded(
    rubric: Sequence[Mapping[str, Any]],
    scores: Mapping[str, Any] | None,
    levels: Mapping[str, Any] | None,
) -> list[AwardedCriterion]:
    """Each criterion with the points and level a grader gave (empty before grading)."""
    if not scores:
        return []
    result = []
    for criterion in rubric:
        name = str(criterion["criterion"])
        points = scores.get(name)
        level = (levels or {}).get(name)
        level = float(level) if level is not None else None
        result.append(
            AwardedCriterion(
                criterion=name,
                points=float(points) if points is not None else None,
                max_points=float(criterion["points"]),
                level=level,
                descriptor=descriptor(criterion, level),
                adjusted=level is not None and points is not None and float(points) != level,
            )
        )
    return result


@dataclass
class LevelRow:
    """How many graded answers reached each level of one criterion."""

    criterion: str
    levels: list[tuple[float, str, int]] = field(default_factory=list)  # points, descriptor, n
    ungraded_level: int = 0  # graded with points only (no level clicked)
    graded: int = 0

    def share(self, count: int) -> float:
        return count / self.graded if self.graded else 0.0


def level_distribution(
    rubric: Sequence[Mapping[str, Any]],
    graded: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> list[LevelRow]:
    """Per criterion, the count of answers per level, from (rubric_scores, rubric_levels) pairs of
    graded responses. An answer graded by points alone counts under its matching level when the
    points equal one, otherwise as `ungraded_level`."""
    rows = [
        LevelRow(
            str(c["criterion"]),
            [(float(lv["points"]), str(lv["descriptor"]), 0) for lv in c.get("levels") or ()],
        )
        for c in rubric
    ]
    for scores, levels in graded:
        if not scores:
            continue
        for row in rows:
            if row.criterion not in scores:
                continue
            row.graded += 1
            chosen = (levels or {}).get(row.criterion)
            if chosen is None:
                chosen = scores[row.criterion]
            for i, (points, text, count) in enumerate(row.levels):
                if chosen is not None and float(chosen) == points:
                    row.levels[i] = (points, text, count + 1)
                    break
            else:
                row.ungraded_level += 1
    return rows
