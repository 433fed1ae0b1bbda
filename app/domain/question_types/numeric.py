"""Numeric answer: a number typed by the student, right within a tolerance or a range.

Each accepted answer is an exact value (± an optional tolerance) or a range `min`..`max`, with
a credit (partial credit for a near miss) and feedback; the best-credit answer that contains the
student's number counts. Unit-free: the student types a number only. What students type is read
generously ("1,822", " 1822 ", "1.5e3", "−3", "1 822") and anything else is refused with a message
that says what to type, never stored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.question_types.base import UNANSWERED, Grade, InvalidAnswer, QuestionType, outcome

MAX_NUMBER_CHARS = 100
_RELATIVE = 1e-9  # floats: 0.1 + 0.2 is 0.3 here
# A number as people type it: thousands separated by commas or spaces (groups of three), a
# point for decimals, an exponent. Spaces come from NFKC (no-break and thin spaces too).
_NUMBER = re.compile(
    r"(?P<sign>[-+]?)\s*"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d*)"
    r"(?P<frac>\.\d*)?"
    r"(?P<exp>[eE][-+]?\d{1,4})?"
)
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d{1,2}|[-+]?\d+,\d{4,}|[-+]?\d*,\d+\.\d*")
_GIFT_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_MINUSES = str.maketrans({"−": "-", "–": "-", "‒": "-", "﹣": "-", "－": "-"})


def parse_number(text: str) -> float | None:
    """The number in what a student typed; None when it is blank; InvalidAnswer otherwise."""
    if len(text) > MAX_NUMBER_CHARS:
        raise InvalidAnswer("That is too long for a number: type the number only.")
    typed = " ".join(unicodedata.normalize("NFKC", text).translate(_MINUSES).split())
    if not typed:
        return None
    match = _NUMBER.fullmatch(typed)
    if match is None or not (match["int"] or (match["frac"] or "")[1:]):
        if _DECIMAL_COMMA.fullmatch(typed):
            raise InvalidAnswer(
                "Use a point for decimals (1.5, not 1,5); a comma may only separate "
                "thousands (1,822)."
            )
        if any(ch.isalpha() and ch not in "eE" for ch in typed) or "%" in typed:
            raise InvalidAnswer(
                "Type the number only, without units or words (digits, a point for decimals)."
            )
        raise InvalidAnswer("Type a number, such as 2.5, -3 or 1.5e3.")
    digits = match["int"].replace(",", "").replace(" ", "")
    written = f"{match['sign']}{digits or '0'}{match['frac'] or ''}{match['exp'] or ''}"
    try:
        value = float(written)
    except (ValueError, OverflowError):
        value = math.inf
    if not math.isfinite(value):
        raise InvalidAnswer("That number is too large.")
    return value


def as_number(value: float) -> float | int:
    """Whole numbers are stored and shown without a decimal point."""
    if float(value).is_integer() and abs(value) < 1e15:
        return int(value)
    return float(value)


def format_number(value: Any) -> str:
    """A number as a person writes it: 1822, 0.5, 1.5e-07 (shortest exact form)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return str(as_number(value)) if math.isfinite(value) else str(value)


def answer_text(answer: Mapping[str, Any]) -> str:
    """An accepted answer as instructors and reviewing students read it."""
    if answer.get("value") is not None:
        text = format_number(answer["value"])
        if answer.get("tolerance"):
            text += f" ± {format_number(answer['tolerance'])}"
        return text
    return f"{format_number(answer['min'])} to {format_number(answer['max'])}"


def _contains(answer: Mapping[str, Any], number: float) -> bool:
    low, high = float(answer["min"]), float(answer["max"])
    slack = _RELATIVE * max(1.0, abs(low), abs(high))
    return low - slack <= number <= high + slack


def _response_number(response: Any) -> float | None:
    if isinstance(response, bool):
        return None
    if isinstance(response, int | float):
        return float(response) if math.isfinite(response) else None
    if isinstance(response, str):
        try:
            return parse_number(response)
        except InvalidAnswer:
            return None
    return None


class Numeric(QuestionType):
    name = "numeric"
    label = "Numeric"
    bank_keys = ("answers",)
    gift_rank = 20  # `{#...}`

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        answers: list[dict] = []
        spec["answers"] = answers
        answers_node = checker.require(fields, "answers", node, "a `numeric` question")
        if answers_node is None:
            return
        seen: dict[tuple[float, float], int] = {}
        for item in checker.sequence(answers_node, "answers", 1, fields["answers"][0]) or ():
            entry = checker.mapping(item, "an accepted answer")
            if entry is None:
                continue
            checker.check_keys(
                entry, ("value", "tolerance", "min", "max", "credit", "feedback"), "an answer"
            )
            number = {
                name: checker.number(entry[name][1], name)
                for name in ("value", "tolerance", "min", "max")
                if name in entry
            }
            if any(v is None for v in number.values()):
                continue
            if "value" in entry and ("min" in entry or "max" in entry):
                checker.error(
                    item, "give either `value` (with `tolerance`) or `min` and `max`, not both"
                )
                continue
            if "value" in entry:
                tolerance = number.get("tolerance", 0.0)
                if tolerance < 0:
                    checker.error(entry["tolerance"][1], "`tolerance` cannot be negative")
                    continue
                value = number["value"]
                low, high = value - tolerance, value + tolerance
            elif "min" in entry and "max" in entry:
                if "tolerance" in entry:
                    checker.error(
                        entry["tolerance"][0],
                        "`tolerance` goes with `value`; a range gives `min` and `max` only",
                    )
                    continue
                low, high = number["min"], number["max"]
                if low > high:
                    checker.error(
                        entry["max"][1],
                        f"`max` ({format_number(high)}) is less than `min` ({format_number(low)})",
                    )
                    continue
                value = tolerance = None
            else:
                checker.error(
                    item, "an answer needs `value` (and maybe `tolerance`), or `min` and `max`"
                )
                continue
            credit = checker.credit(entry["credit"][1]) if "credit" in entry else 1.0
            feedback = checker.optional_html(entry, "feedback")
            if credit is None:
                continue
            if (low, high) in seen:
                checker.error(
                    item,
                    f"this answer accepts the same numbers as the one on line {seen[low, high]}",
                )
                continue
            seen[low, high] = checker.line(item)
            answers.append(
                {
                    "value": None if value is None else as_number(value),
                    "tolerance": None if tolerance is None else as_number(tolerance),
                    "min": as_number(low),
                    "max": as_number(high),
                    "credit": float(credit),
                    "feedback": feedback,
                }
            )
        if answers and max(a["credit"] for a in answers) < 1:
            checker.error(fields["answers"][0], "no answer gives full credit (credit: 1); add one")

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def page_value(self, layout: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else format_number(value)

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        if isinstance(raw, bool):
            raise InvalidAnswer("Type a number, such as 2.5, -3 or 1.5e3.")
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise InvalidAnswer("That number is too large.")
            return as_number(raw)
        if not isinstance(raw, str):
            raise InvalidAnswer("Type a number, such as 2.5, -3 or 1.5e3.")
        number = parse_number(raw)
        return None if number is None else as_number(number)

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        answers = spec.get("answers", ())
        return {
            "answers": [
                {"text": answer_text(a), "credit": a["credit"]}
                for a in sorted(answers, key=lambda a: -a["credit"])
            ]
        }

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """The best credit among the answers whose interval holds the number."""
        number = _response_number(response)
        if number is None:
            return UNANSWERED
        best: Mapping[str, Any] | None = None
        for answer in spec["answers"]:
            if _contains(answer, number) and (best is None or answer["credit"] > best["credit"]):
                best = answer
        if best is None:
            return outcome(spec, 0.0)
        return outcome(spec, float(best["credit"]), [best.get("feedback", "")])

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        return {"kind": "text", "items": [format_number(value)]}

    # -- GIFT: {#3:2}, {#1..5}, {#=1822:0 =%50%1822:2}, feedback after '#', `~#...` when wrong

    def gift_matches(self, answers: str) -> bool:
        return answers.startswith("#")

    def gift_read(self, reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
        body = answers[1:]
        wrong_feedback = ""
        cut = body.find("~")
        if cut >= 0:
            wrong_feedback = reader.render(reader.comment_split(body[cut + 1 :], fmt)[1])
            body = body[:cut]
        parts = [reader.strip(p) for p in body.split("=")]
        if parts and parts[0] == "":
            parts.pop(0)
        if not parts:
            reader.fail("a numerical question needs an answer after '#'")
            return False
        accepted: list[dict[str, Any]] = []
        seen: set[tuple[float, float]] = set()
        for part in parts:
            weight, answer = reader.answer_weight(part)
            if not reader.weight_in_range(weight, answer):
                return False
            credit = 1.0 if weight is None else weight
            text, feedback = reader.comment_split(answer, fmt)
            written = reader.strip(text.text)
            if written == "*":
                if credit <= 0 and feedback.text:
                    wrong_feedback = wrong_feedback or reader.render(feedback)
                else:
                    reader.warn("the '*' answer (any number gets credit) is not supported: dropped")
                continue
            entry = self._gift_answer(reader, written)
            if entry is None:
                return False
            if credit <= 0:
                reader.warn(
                    f"answer {written!r} with {reader.percent(credit)}% credit dropped: Hustings "
                    "lists only answers that earn credit (its feedback is lost)"
                )
                continue
            if credit > 1:
                reader.warn(f"answer {written!r}: {reader.percent(credit)}% credit capped at 100%")
                credit = 1.0
            bounds = (entry.get("min", 0), entry.get("max", 0))
            if "value" in entry:
                tolerance = entry.get("tolerance", 0)
                bounds = (entry["value"] - tolerance, entry["value"] + tolerance)
            if bounds in seen:
                reader.warn(
                    f"answer {written!r} accepts the same numbers as an earlier one: dropped"
                )
                continue
            seen.add(bounds)
            if credit != 1:
                entry["credit"] = round(credit, 4)
            if feedback.text:
                entry["feedback"] = reader.render(feedback)
            accepted.append(entry)
        if not accepted:
            reader.fail("no numerical answer that earns credit")
            return False
        if max(a.get("credit", 1) for a in accepted) < 1:
            reader.fail("no numerical answer gives full credit: give one answer 100%")
            return False
        question["type"] = "numeric"
        question["answers"] = accepted
        if wrong_feedback:
            question["feedback_wrong"] = wrong_feedback
        return True

    @staticmethod
    def _gift_answer(reader: Any, written: str) -> dict[str, Any] | None:
        """`3`, `3:2` (value:tolerance) or `1..5` (min..max), numbers as Moodle writes them."""

        def number(text: str) -> float | int | None:
            text = reader.strip(text)
            if not _GIFT_NUMBER.fullmatch(text):
                reader.fail(f"numerical answer {written!r}: {text!r} is not a number")
                return None
            value = float(text)
            if not math.isfinite(value):
                reader.fail(f"numerical answer {written!r}: {text!r} is too large")
                return None
            return as_number(value)

        if ".." in written:
            low_text, high_text = written.split("..", 1)
            low, high = number(low_text), number(high_text)
            if low is None or high is None:
                return None
            if low > high:
                reader.fail(f"numerical range {written!r} runs backwards: write min..max")
                return None
            return {"min": low, "max": high}
        value_text, colon, tolerance_text = written.partition(":")
        value = number(value_text)
        if value is None:
            return None
        entry: dict[str, Any] = {"value": value}
        if colon:
            tolerance = number(tolerance_text)
            if tolerance is None:
                return None
            if tolerance < 0:
                reader.fail(f"numerical answer {written!r}: the tolerance cannot be negative")
                return None
            if tolerance:
                entry["tolerance"] = tolerance
        return entry

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        answers = []
        for answer in spec["answers"]:
            entry: dict[str, Any]
            if answer.get("value") is not None:
                entry = {"value": writer.number(answer["value"])}
                if answer.get("tolerance"):
                    entry["tolerance"] = writer.number(answer["tolerance"])
            else:
                entry = {"min": writer.number(answer["min"]), "max": writer.number(answer["max"])}
            if answer["credit"] != 1:
                entry["credit"] = writer.number(answer["credit"])
            if answer.get("feedback"):
                entry["feedback"] = answer["feedback"]
            answers.append(entry)
        return {"answers": answers}

    def editor_read(self, form: Any) -> dict[str, Any]:
        """Rows ``answers-<i>-value``, ``-tolerance``, ``-min``, ``-max``, ``-credit``,
        ``-feedback``; numbers left empty are left out (the file's defaults: no tolerance,
        full credit), and the checker says which combination is missing."""
        answers = []
        for row in form.rows("answers"):
            entry: dict[str, Any] = {}
            for name in ("value", "tolerance", "min", "max", "credit"):
                number = form.number(f"{row}-{name}")
                if number is not None:
                    entry[name] = number
            if form.text(f"{row}-feedback"):
                entry["feedback"] = form.text(f"{row}-feedback")
            answers.append(entry)
        return {"answers": answers}

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> list[str]:
        items = []
        for answer in spec.get("answers", []):
            credit = float(answer.get("credit", 1))
            if not writer.grade_ok(credit):
                writer.warn(
                    line, spec,
                    f"credit {credit:g} for {answer_text(answer)!r} is not one of Moodle's "
                    "grades: Moodle will refuse this question",
                )  # fmt: skip
            if answer.get("value") is not None:
                tolerance = format_number(answer.get("tolerance") or 0)
                written = f"{format_number(answer['value'])}:{tolerance}"
            else:
                written = f"{format_number(answer['min'])}..{format_number(answer['max'])}"
            items.append(f"=%{writer.percent(credit)}%{written}" + writer.feedback(answer))
        if spec.get("feedback_wrong"):
            items.append("~#" + writer.text(spec["feedback_wrong"]))
        return ["#", *items]

    def gift_losses(self, spec: Mapping[str, Any]) -> list[str]:
        return []

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        answers = spec["answers"]
        if right:
            best = max(answers, key=lambda a: a["credit"])
            middle = best["value"] if best.get("value") is not None else best["min"]
            return as_number(middle)
        highest = max(float(a["max"]) for a in answers)
        return as_number(highest + max(1.0, abs(highest)))

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        return variant


TYPE = Numeric()
