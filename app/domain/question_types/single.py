"""Single choice: one key among the options (radio buttons)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.question_types import _options
from app.domain.question_types.base import UNANSWERED, Grade, InvalidAnswer, QuestionType, outcome


class Single(QuestionType):
    name = "single"
    label = "Single choice"
    bank_keys = ("options",)
    has_options = True
    gift_rank = 30  # Moodle multichoice (`~`); several keys make it `multiple`

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        options = checker.options(node, fields, "single")
        spec["options"] = options
        correct = sum(o["correct"] for o in options)
        if options and correct != 1:
            checker.error(
                fields["options"][0],
                f"a single-choice question needs exactly one option with `correct: true` "
                f"(found {correct})",
            )

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return _options.student_options(spec)

    def make_layout(
        self, spec: Mapping[str, Any], rng: random.Random, shuffle_options: bool
    ) -> dict[str, Any]:
        return _options.layout(spec, rng, shuffle_options)

    def arrange(self, view: dict[str, Any], layout: Mapping[str, Any]) -> None:
        _options.arrange(view, layout)

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        ids = {o["id"] for o in spec["options"]}
        if not isinstance(raw, str) or raw not in ids:
            raise InvalidAnswer("Choose one of the options.")
        return raw

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return _options.key(spec)

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """Full credit for the key, nothing otherwise; an unknown id is a wrong pick."""
        if not isinstance(response, str) or not response.strip():
            return UNANSWERED
        key = {o["id"] for o in spec["options"] if o["correct"]}
        feedback = _options.picked_feedback(spec, {response})
        return outcome(spec, 1.0 if response in key else 0.0, feedback)

    def option_feedback(self, spec: Mapping[str, Any]) -> dict[str, str]:
        return _options.option_feedback(spec)

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        return _options.bank_options(spec)

    def editor_read(self, form: Any) -> dict[str, Any]:
        return _options.editor_options(form, single=True)

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        return _options.display(spec, value)

    def gift_matches(self, answers: str) -> bool:
        return "~" in answers

    def gift_read(self, reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
        return _options.read_choice(reader, question, answers, fmt)

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> list[str]:
        items = []
        for option in spec.get("options", []):
            mark = "=" if option.get("correct") else "~"
            items.append(mark + writer.text(option["text"], answer=True) + writer.feedback(option))
        return items

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        options = [o["id"] for o in spec["options"] if o["correct"] is right]
        return options[0] if options else None

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        options = spec["options"]
        return options[variant % len(options)]["id"]


TYPE = Single()
