"""True/false: one statement, judged true or false."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.question_types.base import UNANSWERED, Grade, InvalidAnswer, QuestionType, outcome


class TrueFalse(QuestionType):
    name = "truefalse"
    label = "True/false"
    bank_keys = ("answer", "feedback_true", "feedback_false")
    gift_rank = 50

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        answer_node = checker.require(fields, "answer", node, "a `truefalse` question")
        spec["answer"] = answer_node and checker.boolean(answer_node, "answer")
        spec["feedback_true"] = checker.optional_html(fields, "feedback_true")
        spec["feedback_false"] = checker.optional_html(fields, "feedback_false")

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        if not isinstance(raw, bool):
            raise InvalidAnswer("Choose true or false.")
        return raw

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"answer": bool(spec.get("answer"))}

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """Accepts JSON booleans (and the strings "true"/"false" a plain HTML form sends)."""
        if isinstance(response, str) and response.strip().lower() in ("true", "false"):
            response = response.strip().lower() == "true"
        if not isinstance(response, bool):
            return UNANSWERED
        specific = spec.get("feedback_true" if response else "feedback_false", "")
        return outcome(spec, 1.0 if response == spec["answer"] else 0.0, [specific])

    def option_feedback(self, spec: Mapping[str, Any]) -> dict[str, str]:
        pairs = (("true", spec.get("feedback_true", "")), ("false", spec.get("feedback_false", "")))
        return {k: v for k, v in pairs if v}

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"answer": bool(spec["answer"])}
        for name in ("feedback_true", "feedback_false"):
            if spec.get(name):
                out[name] = spec[name]
        return out

    def editor_read(self, form: Any) -> dict[str, Any]:
        """`answer` from a True/False select: left unchosen it is written as null, so the
        checker says `answer` must be true or false beside the select."""
        answer = form.text("answer")
        out: dict[str, Any] = {"answer": {"true": True, "false": False}.get(answer or "", answer)}
        for name in ("feedback_true", "feedback_false"):
            if form.text(name):
                out[name] = form.text(name)
        return out

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        return {"kind": "text", "items": ["True" if value is True else "False"]}

    def gift_matches(self, answers: str) -> bool:
        return answers.split("#", 1)[0].strip(" \t\n\r\0\x0b") in ("T", "TRUE", "F", "FALSE")

    def gift_read(self, reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
        """Moodle: ``{TRUE#feedback if wrong#feedback if right}``."""
        bits = [*answers.split("#", 2), "", ""]
        answer = reader.with_format(reader.strip(bits[0]), fmt).text in ("T", "TRUE")
        wrong = reader.render(reader.with_format(reader.strip(bits[1]), fmt))
        right = reader.render(reader.with_format(reader.strip(bits[2]), fmt))
        question["type"] = "truefalse"
        question["answer"] = answer
        feedback_true, feedback_false = (right, wrong) if answer else (wrong, right)
        if feedback_true:
            question["feedback_true"] = feedback_true
        if feedback_false:
            question["feedback_false"] = feedback_false
        return True

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> str:
        answer = bool(spec.get("answer"))
        feedback_true = writer.text(str(spec.get("feedback_true") or ""))
        feedback_false = writer.text(str(spec.get("feedback_false") or ""))
        right, wrong = (
            (feedback_true, feedback_false) if answer else (feedback_false, feedback_true)
        )
        out = "TRUE" if answer else "FALSE"
        if wrong:
            out += "#" + wrong
        elif right:
            out += "#"
        if right:
            out += "#" + right
        return out

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        return bool(spec["answer"]) is right

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        return variant % 2 == 0


TYPE = TrueFalse()
