"""Short answer: typed text matched, after normalisation, against accepted answers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.question_types._text import clean_text
from app.domain.question_types.base import (
    NEEDS_GRADING,
    UNANSWERED,
    Grade,
    QuestionType,
    normalise_answer,
    outcome,
    plain,
)

MAX_SHORT_CHARS = 2_000


class Short(QuestionType):
    name = "short"
    label = "Short answer"
    bank_keys = ("accepted", "manual_review")
    gift_rank = 90  # whatever no other type claims

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        manual = False
        if "manual_review" in fields:
            manual = bool(checker.boolean(fields["manual_review"][1], "manual_review"))
        spec["manual_review"] = manual
        accepted: list[dict] = []
        spec["accepted"] = accepted
        accepted_node = checker.require(fields, "accepted", node, "a `short` question")
        if accepted_node is None:
            return
        seen: dict[str, int] = {}
        for item in checker.sequence(accepted_node, "accepted", 1, fields["accepted"][0]) or ():
            credit: float | None = 1.0
            feedback = ""
            text_node: Any = item
            if checker.is_mapping(item):
                entry = checker.mapping(item, "an accepted answer") or {}
                checker.check_keys(entry, ("text", "credit", "feedback"), "an accepted answer")
                found = checker.require(entry, "text", item, "the accepted answer")
                if found is None:
                    continue
                text_node = found
                if "credit" in entry:
                    credit = checker.credit(entry["credit"][1])
                feedback = checker.optional_html(entry, "feedback")
            text = checker.html(text_node, "accepted")
            if text is None or credit is None:
                continue
            normal = normalise_answer(re.sub(r"<[^>]*>", "", text))
            if not normal:
                checker.error(
                    text_node,
                    "this accepted answer is only punctuation, so nothing a "
                    "student types can match it",
                )
                continue
            if normal in seen:
                checker.error(
                    text_node,
                    f"accepted answer `{text}` matches the same answers as the "
                    f"one on line {seen[normal]}",
                )
                continue
            seen[normal] = checker.line(text_node)
            accepted.append({"text": text, "credit": float(credit), "feedback": feedback})
        if accepted and not manual and max(a["credit"] for a in accepted) < 1:
            checker.error(
                fields["accepted"][0],
                "no accepted answer gives full credit (credit: 1); add one "
                "or set `manual_review: true`",
            )

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        return clean_text(raw, MAX_SHORT_CHARS)

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        accepted = spec.get("accepted", ())
        full = [a["text"] for a in accepted if a.get("credit") == 1]
        return {"accepted": full or [a["text"] for a in accepted]}

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """The best-credit accepted answer that matches after normalisation counts."""
        if not isinstance(response, str):
            return UNANSWERED
        answer = normalise_answer(response)
        if not answer:
            return UNANSWERED
        best: Mapping[str, Any] | None = None
        for accepted in spec["accepted"]:
            if normalise_answer(plain(accepted["text"])) == answer and (
                best is None or accepted["credit"] > best["credit"]
            ):
                best = accepted
        if best is None:
            if spec.get("manual_review"):
                return NEEDS_GRADING
            return outcome(spec, 0.0)
        return outcome(spec, float(best["credit"]), [best.get("feedback", "")])

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        return {"kind": "text", "items": [str(value)]}

    def gift_matches(self, answers: str) -> bool:
        return True

    def gift_read(self, reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
        parts = answers.split("=")
        if parts and reader.strip(parts[0]) == "":
            parts.pop(0)
        accepted: list[dict[str, Any]] = []
        seen: set[str] = set()
        percent = reader.percent
        for part in parts:
            weight, answer = reader.answer_weight(reader.strip(part))
            if not reader.weight_in_range(weight, answer):
                return False
            credit = 1.0 if weight is None else weight
            text, feedback = reader.comment_split(answer, fmt)
            if text.text == "*":
                if credit <= 0 and feedback.text:
                    question["feedback_wrong"] = reader.render(feedback)
                elif credit > 0:
                    reader.warn("the '*' answer (anything gets credit) is not supported: dropped")
                continue
            if not text.text:
                reader.warn("an empty answer was skipped")
                continue
            if credit <= 0:
                reader.warn(
                    f"answer {text.text!r} with {percent(credit)}% credit dropped: Hustings "
                    "lists only answers that earn credit (its feedback is lost)"
                )
                continue
            if credit > 1:
                reader.warn(f"answer {text.text!r}: {percent(credit)}% credit capped at 100%")
                credit = 1.0
            if "*" in text.text:
                reader.warn(
                    f"answer {text.text!r}: '*' is a wildcard in Moodle but a literal "
                    "character in Hustings"
                )
            key = reader.answer_key(text.text)
            if not key:
                reader.warn(
                    f"answer {text.text!r} is only punctuation, nothing can match it: dropped"
                )
                continue
            if key in seen:
                # Moodle takes the first matching answer, so a later one never counts.
                reader.warn(f"answer {text.text!r} matches the same as an earlier one: dropped")
                continue
            seen.add(key)
            entry: dict[str, Any] = {"text": text.text, "credit": round(credit, 4)}
            if feedback.text:
                entry["feedback"] = reader.render(feedback)
            accepted.append(entry)
        if not accepted:
            reader.fail("no accepted answer that earns credit")
            return False
        question["type"] = "short"
        question["accepted"] = accepted
        if max(a["credit"] for a in accepted) < 1:
            question["manual_review"] = True
            reader.warn(
                "no answer gives full credit: manual_review is set, so answers that match "
                "nothing go to the grading queue"
            )
        if "feedback_wrong" in question:  # keep the file order readable: answers first
            question["feedback_wrong"] = question.pop("feedback_wrong")
        return True

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        accepted: list[Any] = []
        for answer in spec["accepted"]:
            if answer["credit"] == 1 and not answer.get("feedback"):
                accepted.append(answer["text"])
                continue
            entry: dict[str, Any] = {"text": answer["text"]}
            if answer["credit"] != 1:
                entry["credit"] = writer.number(answer["credit"])
            if answer.get("feedback"):
                entry["feedback"] = answer["feedback"]
            accepted.append(entry)
        out: dict[str, Any] = {"accepted": accepted}
        if spec.get("manual_review"):
            out["manual_review"] = True
        return out

    def editor_read(self, form: Any) -> dict[str, Any]:
        """Rows ``accepted-<i>-text``, ``-credit``, ``-feedback``: a bare text when the credit
        is full (left empty or 1) and there is no feedback, as ``bank_write`` writes it."""
        accepted: list[Any] = []
        for row in form.rows("accepted"):
            text = form.text(f"{row}-text") or ""
            credit = form.number(f"{row}-credit")
            feedback = form.text(f"{row}-feedback")
            full = credit is None or (not isinstance(credit, str) and credit == 1)
            if full and not feedback:
                accepted.append(text)
                continue
            entry: dict[str, Any] = {"text": text}
            if not full:
                entry["credit"] = credit
            if feedback:
                entry["feedback"] = feedback
            accepted.append(entry)
        out: dict[str, Any] = {"accepted": accepted}
        if form.flag("manual_review"):
            out["manual_review"] = True
        return out

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> list[str]:
        items = []
        for accepted in spec.get("accepted", []):
            credit = float(accepted.get("credit", 1))
            if not writer.grade_ok(credit):
                writer.warn(
                    line, spec,
                    f"credit {credit:g} for {accepted['text']!r} is not one of Moodle's grades: "
                    "Moodle will refuse this question",
                )  # fmt: skip
            text = accepted["text"].strip()
            if "->" in text:
                writer.warn(line, spec, f"answer {text!r} contains '->': written as '- >'")
                text = text.replace("->", "- >")
            prefix = "[html]" if text.startswith("[") else ""
            items.append(
                f"=%{writer.percent(credit)}%{prefix}{writer.repchar(text)}"
                + writer.feedback(accepted, True)
            )
        if spec.get("feedback_wrong"):
            items.append("=%0%*#" + writer.text(spec["feedback_wrong"], arrow=True))
        return items

    def gift_losses(self, spec: Mapping[str, Any]) -> list[str]:
        return ["manual_review"] if spec.get("manual_review") else []

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        return spec["accepted"][0]["text"] if right else "I am not sure"

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        return f"answer {variant}"


TYPE = Short()
