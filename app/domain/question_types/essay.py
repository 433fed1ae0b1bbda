"""Essay: a longer text, marked by a person against a rubric."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.question_types._text import clean_text
from app.domain.question_types.base import NEEDS_GRADING, UNANSWERED, Grade, QuestionType

MAX_ESSAY_CHARS = 100_000


def word_count(text: Any) -> int:
    return len(text.split()) if isinstance(text, str) else 0


class Essay(QuestionType):
    name = "essay"
    label = "Essay"
    bank_keys = ("rubric", "model_answer", "min_words", "max_words")
    gift_rank = 10  # an empty answer block `{}`

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        rubric: list[dict] = []
        spec["rubric"] = rubric
        spec["model_answer"] = checker.optional_html(fields, "model_answer")
        limits: dict[str, int | None] = {"min_words": None, "max_words": None}
        for name in limits:
            if name in fields:
                limits[name] = checker.integer(fields[name][1], name, 1)
        spec.update(limits)
        low, high = limits["min_words"], limits["max_words"]
        if low is not None and high is not None and low > high:
            checker.error(
                fields["max_words"][1], f"`max_words` ({high}) is less than `min_words` ({low})"
            )
        if "rubric" not in fields:
            return
        rubric_node = fields["rubric"][1]
        for item in checker.sequence(rubric_node, "rubric", 1, fields["rubric"][0]) or ():
            entry = checker.mapping(item, "a rubric criterion")
            if entry is None:
                continue
            checker.check_keys(
                entry, ("criterion", "points", "description", "levels"), "a rubric criterion"
            )
            criterion_node = checker.require(entry, "criterion", item, "the rubric criterion")
            points_node = checker.require(entry, "points", item, "the rubric criterion")
            criterion = criterion_node and checker.html(criterion_node, "criterion")
            points = points_node and checker.points(points_node, "points")
            description = checker.optional_html(entry, "description")
            levels = self.rubric_levels(checker, entry, points) if "levels" in entry else None
            if criterion is not None and points is not None:
                criterion_spec: dict[str, Any] = {
                    "criterion": criterion,
                    "points": points,
                    "description": description,
                }
                if levels:
                    criterion_spec["levels"] = levels
                rubric.append(criterion_spec)
        total = round(sum(c["points"] for c in rubric), 2)
        if rubric and spec["points"] is not None and total != spec["points"]:
            checker.error(
                fields["rubric"][0],
                f"the rubric's points add up to {total:g} but the question "
                f"is worth {spec['points']:g} points",
            )

    def rubric_levels(
        self, checker: Any, entry: dict, criterion_points: float | None
    ) -> list[dict] | None:
        """A criterion's levels: what earns each mark, from 0 up to the criterion's points."""
        key, node = entry["levels"]
        levels: list[dict] = []
        seen: dict[float, int] = {}
        for item in checker.sequence(node, "levels", 2, key) or ():
            fields = checker.mapping(item, "a rubric level")
            if fields is None:
                continue
            checker.check_keys(fields, ("points", "descriptor"), "a rubric level")
            points_node = checker.require(fields, "points", item, "the rubric level")
            descriptor_node = checker.require(fields, "descriptor", item, "the rubric level")
            points = None
            if points_node is not None:
                points = checker.number(points_node, "points")
                if points is not None and (points < 0 or round(points, 2) != points):
                    checker.error(
                        points_node,
                        f"a level's `points` must be 0 or more with at most 2 decimals "
                        f"(found {points:g})",
                    )
                    points = None
            descriptor = descriptor_node and checker.html(descriptor_node, "descriptor")
            if points is None or descriptor is None:
                continue
            if points in seen:
                checker.error(
                    points_node, f"two levels give {points:g} points (first on line {seen[points]})"
                )
                continue
            seen[points] = checker.line(item)
            levels.append({"points": float(points), "descriptor": descriptor})
        if len(levels) < 2 or criterion_points is None:
            return None
        levels.sort(key=lambda level: level["points"])
        if levels[0]["points"] != 0 or levels[-1]["points"] != criterion_points:
            checker.error(
                key,
                f"the levels must run from 0 to the criterion's {criterion_points:g} points "
                f"(found {levels[0]['points']:g} to {levels[-1]['points']:g})",
            )
            return None
        return levels

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "rubric": [
                {"criterion": c["criterion"], "points": c["points"]} for c in spec.get("rubric", ())
            ],
            "min_words": spec.get("min_words"),
            "max_words": spec.get("max_words"),
        }

    def page_extras(self, view: dict[str, Any], spec: Mapping[str, Any], sources: Any) -> None:
        view["words"] = word_count(view["value"])

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        return clean_text(raw, MAX_ESSAY_CHARS)

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "model_answer": spec.get("model_answer") or "",
            "rubric": [dict(c) for c in spec.get("rubric", ())],
        }

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """Essays always go to a human; we only decide whether there is anything to read."""
        if not isinstance(response, str) or not response.strip():
            return UNANSWERED
        return NEEDS_GRADING

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        return {"kind": "text", "items": [str(value)]}

    def gift_matches(self, answers: str) -> bool:
        return answers == ""

    def gift_read(self, reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
        question["type"] = "essay"
        extra = reader.extra
        rubric = extra.get("rubric")
        if isinstance(rubric, list) and rubric:
            # Checked like any bank text when the imported bank is loaded.
            question["rubric"] = rubric
            total = sum(c.get("points", 0) for c in rubric if isinstance(c, dict))
            if isinstance(total, int | float) and total > 0:
                question["points"] = total
            for key in ("model_answer", "min_words", "max_words"):
                if extra.get(key) is not None:
                    question[key] = extra[key]
            return True
        question["rubric"] = [
            {
                "criterion": "Overall answer",
                "points": question["points"],
                "description": "Placeholder from the GIFT import: write the real rubric.",
            }
        ]
        reader.warn("essay imported with a placeholder rubric: write a rubric")
        return True

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if spec.get("model_answer"):
            out["model_answer"] = spec["model_answer"]
        for name in ("min_words", "max_words"):
            if spec.get(name) is not None:
                out[name] = spec[name]
        rubric = []
        for criterion in spec.get("rubric") or ():
            entry: dict[str, Any] = {
                "criterion": criterion["criterion"],
                "points": writer.number(criterion["points"]),
            }
            if criterion.get("description"):
                entry["description"] = criterion["description"]
            if criterion.get("levels"):
                entry["levels"] = [
                    {"points": writer.number(level["points"]), "descriptor": level["descriptor"]}
                    for level in criterion["levels"]
                ]
            rubric.append(entry)
        if rubric:
            out["rubric"] = rubric
        return out

    def editor_read(self, form: Any) -> dict[str, Any]:
        """Rows ``rubric-<i>-criterion``, ``-points``, ``-description`` with nested levels
        ``rubric-<i>-levels-<j>-points`` / ``-descriptor``. Required parts left empty are
        written empty (null points), so the checker's message lands beside the field."""
        out: dict[str, Any] = {}
        if form.text("model_answer"):
            out["model_answer"] = form.text("model_answer")
        for name in ("min_words", "max_words"):
            if form.number(name) is not None:
                out[name] = form.number(name)
        rubric = []
        for row in form.rows("rubric"):
            entry: dict[str, Any] = {
                "criterion": form.text(f"{row}-criterion") or "",
                "points": form.number(f"{row}-points"),
            }
            if form.text(f"{row}-description"):
                entry["description"] = form.text(f"{row}-description")
            levels = [
                {
                    "points": form.number(f"{level}-points"),
                    "descriptor": form.text(f"{level}-descriptor") or "",
                }
                for level in form.rows(f"{row}-levels")
            ]
            if levels:
                entry["levels"] = levels
            rubric.append(entry)
        if rubric:
            out["rubric"] = rubric
        return out

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> str:
        return ""

    def gift_extra(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """What travels in the `// hustings:` comment (Moodle ignores it)."""
        data: dict[str, Any] = {}
        if spec.get("rubric"):
            data["rubric"] = spec["rubric"]
        for key in ("model_answer", "min_words", "max_words"):
            if spec.get(key):
                data[key] = spec[key]
        return data

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        return (
            "The author builds the case on the membership figures and the poll ratings, but "
            "leaves out why new members joined; a fuller answer would weigh both framings."
        )

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        return f"Essay draft {variant}: the author argues that the challenge was doomed."


TYPE = Essay()
