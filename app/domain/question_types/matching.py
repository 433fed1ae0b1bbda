"""Matching: each left-hand item gets one right-hand choice (pairs plus distractors)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.domain.question_types.base import (
    UNANSWERED,
    Grade,
    InvalidAnswer,
    QuestionType,
    aliases,
    make_aliases,
    normal_text,
    ordered,
    outcome,
)


class Matching(QuestionType):
    name = "matching"
    label = "Matching"
    bank_keys = ("pairs", "distractors")
    gift_rank = 40  # `=left -> right`

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        pairs: list[dict] = []
        distractors: list[dict] = []
        spec["pairs"], spec["distractors"] = pairs, distractors
        pairs_node = checker.require(fields, "pairs", node, "a `matching` question")
        lefts: dict[str, int] = {}
        rights: set[str] = set()
        for item in (
            pairs_node and checker.sequence(pairs_node, "pairs", 2, fields["pairs"][0])
        ) or ():
            pair = checker.mapping(item, "a pair")
            if pair is None:
                continue
            checker.check_keys(pair, ("left", "right"), "a pair")
            left_node = checker.require(pair, "left", item, "the pair")
            right_node = checker.require(pair, "right", item, "the pair")
            left = left_node and checker.html(left_node, "left")
            right = right_node and checker.html(right_node, "right")
            if left is None or right is None or left_node is None:
                continue
            if normal_text(left) in lefts:
                checker.error(
                    left_node,
                    f"duplicate left-hand text (same as line {lefts[normal_text(left)]})",
                )
                continue
            lefts[normal_text(left)] = checker.line(left_node)
            rights.add(normal_text(right))
            pairs.append({"id": str(len(pairs) + 1), "left": left, "right": right})
        if "distractors" in fields:
            seen: set[str] = set()
            for item in (
                checker.sequence(
                    fields["distractors"][1], "distractors", key=fields["distractors"][0]
                )
                or ()
            ):
                text = checker.html(item, "distractors")
                if text is None:
                    continue
                if normal_text(text) in rights or normal_text(text) in seen:
                    checker.error(
                        item, "this distractor repeats a right-hand text or another distractor"
                    )
                    continue
                seen.add(normal_text(text))
                distractors.append({"id": f"d{len(distractors) + 1}", "text": text})

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Choices are sorted by text (their file order would pair them); the attempt shuffles."""
        choices: dict[str, dict[str, str]] = {}
        for choice_id, text in [(p["id"], p["right"]) for p in spec["pairs"]] + [
            (d["id"], d["text"]) for d in spec.get("distractors", ())
        ]:
            choices.setdefault(text, {"id": choice_id, "text": text})
        return {
            "pairs": [{"id": p["id"], "left": p["left"]} for p in spec["pairs"]],
            "choices": sorted(choices.values(), key=lambda c: (c["text"].casefold(), c["id"])),
        }

    def make_layout(
        self, spec: Mapping[str, Any], rng: random.Random, shuffle_options: bool
    ) -> dict[str, Any]:
        pairs = [p["id"] for p in spec["pairs"]]
        choices = [c["id"] for c in self.student_view(spec)["choices"]]
        if shuffle_options:
            rng.shuffle(pairs)
            rng.shuffle(choices)
        return {"pairs": pairs, "choices": choices, "alias": make_aliases(choices, rng)}

    def arrange(self, view: dict[str, Any], layout: Mapping[str, Any]) -> None:
        alias = aliases(layout)
        view["pairs"] = ordered(view["pairs"], layout.get("pairs"))
        view["choices"] = [
            {**c, "id": alias.get(c["id"], c["id"])}
            for c in ordered(view["choices"], layout.get("choices"))
        ]

    def page_value(self, layout: Mapping[str, Any], value: Any) -> Any:
        alias = aliases(layout)
        if alias and isinstance(value, dict):
            return {k: alias.get(v, v) for k, v in value.items()}
        return value

    def from_page(self, layout: Mapping[str, Any], raw: Any) -> Any:
        back = {token: real for real, token in aliases(layout).items()}
        if back and isinstance(raw, dict):
            return {
                k: back.get(v, "\x00not-offered") if isinstance(v, str) and v else v
                for k, v in raw.items()
            }
        return raw

    def form_value(
        self,
        spec: Mapping[str, Any],
        name: str,
        getlist: Callable[[str], list[str]],
        layout: Mapping[str, Any],
    ) -> Any:
        return {p["id"]: (getlist(f"{name}-match-{p['id']}") or [""])[0] for p in spec["pairs"]}

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        if not isinstance(raw, dict):
            raise InvalidAnswer("Match each item with one choice.")
        pairs = {p["id"] for p in spec["pairs"]}
        choices = pairs | {d["id"] for d in spec.get("distractors", ())}
        out: dict[str, str] = {}
        for key, choice in raw.items():
            if choice in (None, ""):
                continue
            if key not in pairs or not isinstance(choice, str) or choice not in choices:
                raise InvalidAnswer("Match each item with one of the choices offered.")
            out[key] = choice
        return out or None

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"right": {p["id"]: p["right"] for p in spec["pairs"]}}

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """Correct matches / pairs; a choice counts when its text is the pair's right-hand text."""
        if not isinstance(response, dict) or not response:
            return UNANSWERED
        choice_text = {p["id"]: p["right"] for p in spec["pairs"]}
        choice_text.update({d["id"]: d["text"] for d in spec.get("distractors", ())})
        pairs = spec["pairs"]
        matched = 0
        for pair in pairs:
            choice = response.get(pair["id"])
            if isinstance(choice, str) and choice_text.get(choice) == pair["right"]:
                matched += 1
        return outcome(spec, matched / len(pairs) if pairs else 0.0)

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        if not isinstance(value, Mapping):
            return {"kind": "text", "items": [str(value)]}
        texts = {p["id"]: p["right"] for p in spec.get("pairs", ())}
        texts.update({d["id"]: d["text"] for d in spec.get("distractors", ())})
        return {
            "kind": "pairs",
            "items": [(p["left"], texts.get(value.get(p["id"]))) for p in spec.get("pairs", ())],
        }

    def gift_matches(self, answers: str) -> bool:
        return "=" in answers and "->" in answers

    def gift_read(self, reader: Any, question: dict[str, Any], answers: str, fmt: str) -> bool:
        parts = answers.split("=")
        if parts and reader.strip(parts[0]) == "":
            parts.pop(0)
        if len(parts) < 2:
            reader.fail("a matching question needs at least 2 answers")
            return False
        pairs: list[dict[str, str]] = []
        distractors: list[str] = []
        for part in parts:
            answer = reader.strip(part)
            if "->" not in answer:
                reader.fail(f"matching answer {reader.escape_post(answer)!r} has no '->'")
                return False
            left_raw, right_raw = answer.split("->", 1)
            left = reader.with_format(left_raw, fmt)
            right = reader.strip(reader.escape_post(right_raw))
            if not right:
                reader.fail("a matching pair has nothing after '->'")
                return False
            if left.text:
                pairs.append({"left": reader.render(left), "right": right})
            else:
                distractors.append(right)
        if len(pairs) < 2:
            reader.fail("a matching question needs at least 2 pairs with a left-hand side")
            return False
        lefts = [reader.display_key(pair["left"]) for pair in pairs]
        if len(set(lefts)) < len(lefts):
            reader.fail("two pairs have the same left-hand side")
            return False
        seen = {reader.display_key(pair["right"]) for pair in pairs}
        kept = []
        for distractor in distractors:
            if reader.display_key(distractor) in seen:
                reader.warn(f"distractor {distractor!r} repeats a right-hand side: dropped")
                continue
            seen.add(reader.display_key(distractor))
            kept.append(distractor)
        question["type"] = "matching"
        question["pairs"] = pairs
        if kept:
            question["distractors"] = kept
        return True

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pairs": [{"left": p["left"], "right": p["right"]} for p in spec["pairs"]]
        }
        if spec.get("distractors"):
            out["distractors"] = [d["text"] for d in spec["distractors"]]
        return out

    def editor_read(self, form: Any) -> dict[str, Any]:
        """Rows ``pairs-<i>-left`` / ``-right`` and one field per distractor
        (``distractors-<i>``). A side left empty is written empty, so the checker names it."""
        out: dict[str, Any] = {
            "pairs": [
                {"left": form.text(f"{row}-left") or "", "right": form.text(f"{row}-right") or ""}
                for row in form.rows("pairs")
            ]
        }
        distractors = [form.text(row) or "" for row in form.rows("distractors")]
        if distractors:
            out["distractors"] = distractors
        return out

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> list[str]:
        items = [
            f"={writer.text(pair['left'], arrow=True)} -> {writer.repchar(pair['right'].strip())}"
            for pair in spec.get("pairs", [])
        ]
        for distractor in spec.get("distractors", []):
            text = distractor["text"] if isinstance(distractor, dict) else distractor
            items.append(f"= -> {writer.repchar(text.strip())}")
        return items

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        ids = [p["id"] for p in spec["pairs"]]
        return dict(zip(ids, ids if right else ids[1:] + ids[:1], strict=True))

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        pairs = [p["id"] for p in spec["pairs"]]
        shift = variant % len(pairs)
        return {p: pairs[(i + shift) % len(pairs)] for i, p in enumerate(pairs)}


TYPE = Matching()
