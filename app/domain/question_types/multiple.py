"""Multiple response: select all that apply; false picks cost what hits earn."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.domain.question_types import _options
from app.domain.question_types.base import (
    UNANSWERED,
    Grade,
    QuestionType,
    outcome,
    subset,
)


class Multiple(QuestionType):
    name = "multiple"
    label = "Multiple response"
    bank_keys = ("options",)
    has_options = True
    # GIFT: Moodle's multichoice block is read by `single`, which makes it multiple when
    # several answers carry credit; no block is this type's alone.

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        options = checker.options(node, fields, "multiple")
        spec["options"] = options
        if options and not any(o["correct"] for o in options):
            checker.error(
                fields["options"][0],
                "a multiple-response question needs at least one option with `correct: true`",
            )

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return _options.student_options(spec)

    def make_layout(
        self, spec: Mapping[str, Any], rng: random.Random, shuffle_options: bool
    ) -> dict[str, Any]:
        return _options.layout(spec, rng, shuffle_options)

    def arrange(self, view: dict[str, Any], layout: Mapping[str, Any]) -> None:
        _options.arrange(view, layout)

    def form_value(
        self,
        spec: Mapping[str, Any],
        name: str,
        getlist: Callable[[str], list[str]],
        layout: Mapping[str, Any],
    ) -> Any:
        return getlist(name)

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        return subset(raw, [o["id"] for o in spec["options"]], "Choose among the options.")

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return _options.key(spec)

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """max(0, hits/correct − false picks/wrong options): ticking everything never beats
        the key."""
        if not isinstance(response, list) or not response:
            return UNANSWERED
        picked = {r for r in response if isinstance(r, str)}
        unknown_picks = len([r for r in response if not isinstance(r, str)])
        correct = {o["id"] for o in spec["options"] if o["correct"]}
        wrong = {o["id"] for o in spec["options"] if not o["correct"]}
        hits = len(picked & correct)
        false_picks = len(picked - correct) + unknown_picks
        fraction = hits / len(correct) if correct else 0.0
        if wrong:
            fraction -= false_picks / len(wrong)
        return outcome(spec, max(0.0, fraction), _options.picked_feedback(spec, picked))

    def option_feedback(self, spec: Mapping[str, Any]) -> dict[str, str]:
        return _options.option_feedback(spec)

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        return _options.bank_options(spec)

    def editor_read(self, form: Any) -> dict[str, Any]:
        return _options.editor_options(form, single=False)

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        return _options.display(spec, value)

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> list[str]:
        options = spec.get("options", [])
        right = sum(1 for o in options if o.get("correct"))
        wrong = len(options) - right
        # +1/right and -1/wrong: Moodle's sum, clamped to [0, 1], is then Hustings' rule.
        shares = {True: 1 / right if right else 0.0, False: -1 / wrong if wrong else 0.0}
        for share in shares.values():
            if share and not writer.grade_ok(share):
                writer.warn(
                    line, spec,
                    f"weight {writer.percent(share)}% is not one of Moodle's grades: "
                    "Moodle will refuse this question",
                )  # fmt: skip
        items = []
        for option in options:
            weight = writer.percent(shares[bool(option.get("correct"))])
            items.append(f"~%{weight}%" + writer.text(option["text"]) + writer.feedback(option))
        return items

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        correct = [o["id"] for o in spec["options"] if o["correct"]]
        wrong = [o["id"] for o in spec["options"] if not o["correct"]]
        return correct if right else correct[:1] + wrong[:1]

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        ids = [o["id"] for o in spec["options"]]
        return sorted({ids[variant % len(ids)], ids[(variant + 1) % len(ids)]})


TYPE = Multiple()
