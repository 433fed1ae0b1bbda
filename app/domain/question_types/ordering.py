"""Ordering: put items in their order (the file order is the key; pages show it shuffled)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from string import ascii_lowercase
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


def ranks_to_order(ids: Sequence[str], ranks: Mapping[str, str]) -> list[str]:
    """Items the student ranked, in rank order; an invalid or duplicated rank is refused."""
    ranked: list[tuple[int, str]] = []
    for item_id in ids:
        rank = (ranks.get(item_id) or "").strip()
        if not rank:
            continue
        if not rank.isdigit() or not 1 <= int(rank) <= len(ids):
            raise InvalidAnswer(f"Use the places 1 to {len(ids)}.")
        ranked.append((int(rank), item_id))
    if len({r for r, _ in ranked}) != len(ranked):
        raise InvalidAnswer("Give each item a different place.")
    return [item_id for _, item_id in sorted(ranked)]


def order_ranks(value: Any) -> dict[str, int]:
    """Item id → place (1-based) for showing a saved ordering answer."""
    if not isinstance(value, list):
        return {}
    return {item_id: i for i, item_id in enumerate(value, start=1) if isinstance(item_id, str)}


class Ordering(QuestionType):
    name = "ordering"
    label = "Ordering"
    bank_keys = ("items",)

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        items: list[dict] = []
        spec["items"] = items
        items_node = checker.require(fields, "items", node, "an `ordering` question")
        entries = (
            items_node and checker.sequence(items_node, "items", 2, fields["items"][0])
        ) or []
        if len(entries) > len(ascii_lowercase):
            checker.error(fields["items"][0], f"at most {len(ascii_lowercase)} items are allowed")
            return
        seen: dict[str, int] = {}
        for letter, item in zip(ascii_lowercase, entries, strict=False):
            text = checker.html(item, "items")
            if text is None:
                continue
            if normal_text(text) in seen:
                checker.error(item, f"duplicate item (same as line {seen[normal_text(text)]})")
                continue
            seen[normal_text(text)] = checker.line(item)
            items.append({"id": letter, "text": text})

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Items sorted by text: the file order is the key."""
        return {
            "items": sorted(
                ({"id": i["id"], "text": i["text"]} for i in spec["items"]),
                key=lambda i: (i["text"].casefold(), i["id"]),
            )
        }

    def make_layout(
        self, spec: Mapping[str, Any], rng: random.Random, shuffle_options: bool
    ) -> dict[str, Any]:
        """Always shuffled, whatever the quiz says, and never in the key's order."""
        items = [i["id"] for i in spec["items"]]
        if len(items) > 1:
            original = list(items)
            for _ in range(10):
                rng.shuffle(items)
                if items != original:
                    break
        return {"items": items, "alias": make_aliases(items, rng)}

    def arrange(self, view: dict[str, Any], layout: Mapping[str, Any]) -> None:
        alias = aliases(layout)
        view["items"] = [
            {**i, "id": alias.get(i["id"], i["id"])}
            for i in ordered(view["items"], layout.get("items"))
        ]

    def page_value(self, layout: Mapping[str, Any], value: Any) -> Any:
        alias = aliases(layout)
        if alias and isinstance(value, list):
            return [alias.get(v, v) if isinstance(v, str) else v for v in value]
        return value

    def from_page(self, layout: Mapping[str, Any], raw: Any) -> Any:
        back = {token: real for real, token in aliases(layout).items()}
        if back and isinstance(raw, list):
            return [back.get(v, "\x00not-offered") if isinstance(v, str) and v else v for v in raw]
        return raw

    def page_extras(self, view: dict[str, Any], spec: Mapping[str, Any], sources: Any) -> None:
        view["ranks"] = order_ranks(view["value"])

    def form_value(
        self,
        spec: Mapping[str, Any],
        name: str,
        getlist: Callable[[str], list[str]],
        layout: Mapping[str, Any],
    ) -> Any:
        alias = aliases(layout)
        ids = [alias.get(i["id"], i["id"]) for i in spec["items"]]
        return ranks_to_order(ids, {i: (getlist(f"{name}-rank-{i}") or [""])[0] for i in ids})

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        ids = [i["id"] for i in spec["items"]]
        if not isinstance(raw, list) or len(set(map(str, raw))) != len(raw):
            raise InvalidAnswer("Give each item a different place.")
        if any(not isinstance(r, str) or r not in ids for r in raw):
            raise InvalidAnswer("Order only the items offered.")
        return list(raw)

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"order": [i["text"] for i in spec["items"]]}

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """For each pair of items adjacent in the correct order, credit if the student placed
        the first before the second; divided by items − 1. One moved item costs little,
        reversed is 0."""
        if not isinstance(response, list) or not response:
            return UNANSWERED
        position: dict[str, int] = {}
        for index, item_id in enumerate(response):
            if isinstance(item_id, str) and item_id not in position:
                position[item_id] = index
        ids = [item["id"] for item in spec["items"]]
        if len(ids) < 2:
            return outcome(spec, 0.0)
        in_order = sum(
            1
            for first, second in itertools.pairwise(ids)
            if first in position and second in position and position[first] < position[second]
        )
        return outcome(spec, in_order / (len(ids) - 1))

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        if not isinstance(value, list):
            return {"kind": "text", "items": [str(value)]}
        texts = {i["id"]: i["text"] for i in spec.get("items", ())}
        return {"kind": "order", "items": [texts.get(i, "?") for i in value]}

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"items": [item["text"] for item in spec["items"]]}

    def editor_read(self, form: Any) -> dict[str, Any]:
        """One field per item (``items-<i>``), in the correct order."""
        return {"items": [form.text(row) or "" for row in form.rows("items")]}

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> None:
        return None  # GIFT has no ordering question

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        ids = [i["id"] for i in spec["items"]]
        return ids if right else list(reversed(ids))

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        items = [i["id"] for i in spec["items"]]
        shift = variant % len(items)
        return items[shift:] + items[:shift]


TYPE = Ordering()
