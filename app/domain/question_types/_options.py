"""What single-choice and multiple-response questions share: options, their order, their
feedback and Moodle's multichoice GIFT form (which becomes one or the other). Pure."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from app.domain.question_types.base import ordered


def student_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"options": [{"id": o["id"], "text": o["text"]} for o in spec["options"]]}


def layout(spec: Mapping[str, Any], rng: random.Random, shuffle_options: bool) -> dict[str, Any]:
    ids = [o["id"] for o in spec["options"]]
    if shuffle_options:
        rng.shuffle(ids)
    return {"options": ids}


def arrange(view: dict[str, Any], layout: Mapping[str, Any]) -> None:
    view["options"] = ordered(view["options"], layout.get("options"))


def picked_feedback(spec: Mapping[str, Any], picked: set[str]) -> list[str]:
    return [o.get("feedback", "") for o in spec["options"] if o["id"] in picked]


def option_feedback(spec: Mapping[str, Any]) -> dict[str, str]:
    return {o["id"]: o.get("feedback", "") for o in spec["options"] if o.get("feedback")}


def key(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"correct": [o["id"] for o in spec["options"] if o.get("correct")]}


def bank_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`options:` as a bank file writes them: `correct`, `feedback`, `misreading` when set."""
    options = []
    for option in spec["options"]:
        entry: dict[str, Any] = {"text": option["text"]}
        if option.get("correct"):
            entry["correct"] = True
        if option.get("feedback"):
            entry["feedback"] = option["feedback"]
        if option.get("misreading"):
            entry["misreading"] = option["misreading"]
        options.append(entry)
    return {"options": options}


def display(spec: Mapping[str, Any], value: Any) -> dict[str, Any]:
    picked = [value] if isinstance(value, str) else list(value or ())
    options = {o["id"]: o for o in spec.get("options", ())}
    return {
        "kind": "choices",
        "items": [
            (options[i]["text"], bool(options[i].get("correct"))) for i in picked if i in options
        ],
    }


def read_choice(reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
    """Moodle multichoice: single answer when some answer starts with '=', else multiple."""
    single = "=" in answers
    parts = answers.replace("=", "~=").split("~")
    if parts and reader.strip(parts[0]) == "":
        parts.pop(0)
    if len(parts) < 2:
        reader.fail("a multiple choice question needs at least 2 answers")
        return False
    options: list[dict[str, Any]] = []
    weights: list[float] = []
    for part in parts:
        answer = reader.strip(part)
        weight: float | None
        if answer.startswith("="):
            weight, answer = 1.0, answer[1:]
        else:
            weight, answer = reader.answer_weight(answer)
            if not reader.weight_in_range(weight, answer):
                return False
        text, feedback = reader.comment_split(answer, fmt)
        if not text.text:
            reader.warn("an empty answer was skipped")
            continue
        option: dict[str, Any] = {"text": reader.render(text), "correct": False}
        if feedback.text:
            option["feedback"] = reader.render(feedback)
        options.append(option)
        weights.append(weight or 0.0)
    if len(options) < 2:
        reader.fail("a multiple choice question needs at least 2 answers")
        return False
    if len(options) > reader.MAX_OPTIONS:
        reader.fail(f"{len(options)} answers: Hustings allows at most {reader.MAX_OPTIONS}")
        return False
    seen: set[str] = set()
    for option in options:
        if reader.display_key(option["text"]) in seen:
            reader.fail(f"two answers read {option['text']!r}: make them differ")
            return False
        seen.add(reader.display_key(option["text"]))

    percent = reader.percent
    if single:
        keys = [i for i, w in enumerate(weights) if w >= 1]
        for option, weight in zip(options, weights, strict=True):
            if 0 < weight < 1:
                reader.warn(
                    f"partial credit ({percent(weight)}%) for {option['text']!r} is lost: "
                    "a Hustings single choice question has one key"
                )
            elif weight < 0:
                reader.warn(f"penalty ({percent(weight)}%) for {option['text']!r} is lost")
        if not keys:
            reader.fail("no correct answer")
            return False
        if len(keys) > 1:
            reader.warn(
                f"{len(keys)} answers give full credit: Moodle accepts any one of them; "
                "imported as multiple response (select all that apply)"
            )
        for i in keys:
            options[i]["correct"] = True
        question["type"] = "multiple" if len(keys) > 1 else "single"
    else:
        positive = [w for w in weights if w > 0]
        if not positive:
            reader.fail("no answer has a positive weight, so none is correct")
            return False
        for option, weight in zip(options, weights, strict=True):
            option["correct"] = weight > 0
        share = 1 / len(positive)
        if any(abs(w - share) > 1e-3 for w in positive):
            shown = ", ".join(f"{percent(w)}%" for w in positive)
            reader.warn(
                f"weights {shown} are not equal shares: Hustings scores multiple response "
                "as hits/correct - false picks/wrong options"
            )
        question["type"] = "multiple"
    question["options"] = options
    return True


def editor_options(form: Any, *, single: bool) -> dict[str, Any]:
    """`options:` from the studio's rows (``options-<i>-text``, ``-feedback``, ``-misreading``);
    the key is one radio button (``options-correct`` = row index) for single choice, a
    checkbox per row (``options-<i>-correct``) for multiple response."""
    key = form.text("options-correct")
    options = []
    for row in form.rows("options"):
        correct = row == f"options-{key}" if single else form.flag(f"{row}-correct")
        entry: dict[str, Any] = {"text": form.text(f"{row}-text") or ""}
        if correct:
            entry["correct"] = True
        for name in ("feedback", "misreading"):
            value = form.text(f"{row}-{name}")
            if value:
                entry[name] = value
        options.append(entry)
    return {"options": options}
