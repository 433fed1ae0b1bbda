"""Evidence selection: pick the paragraphs or sentences of the article that support a claim."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from app.domain.question_types.base import (
    UNANSWERED,
    Grade,
    InvalidAnswer,
    QuestionType,
    outcome,
    subset,
)

GRANULARITIES = ("paragraph", "sentence")


def evidence_source(spec: Mapping[str, Any], sources: Sequence[Any]) -> Any:
    """The article an evidence question picks from: its own source, else the quiz's first."""
    slug = spec.get("source")
    for source in sources:
        if source.slug == slug:
            return source
    return sources[0] if sources else None


class Evidence(QuestionType):
    name = "evidence"
    label = "Evidence selection"
    bank_keys = ("select", "key", "max_selections", "feedback_for")
    picks_passages = True  # answers are passage refs of the quiz's articles

    def check(self, checker: Any, node: Any, fields: dict, spec: dict, source: str | None) -> None:
        default_source = source
        select_node = checker.require(fields, "select", node, "an `evidence` question")
        select = select_node and checker.choice(select_node, "select", GRANULARITIES)
        spec["select"] = select
        source = spec["source"]
        if source is None and len(checker.sources) > 1:
            checker.error(
                node,
                "an `evidence` question needs `source:` (the bank has several "
                "sources): the article the student picks passages from",
            )
        spec["key"], spec["feedback_for"], spec["max_selections"] = [], {}, None

        def fits(item: Any, ref: str, what: str) -> bool:
            ref_source, _, passage = ref.partition(":")
            if source is not None and ref_source != source:
                checker.error(item, f"{what} `{ref}` is not in the question's source `{source}`")
                return False
            is_sentence = ".s" in passage
            if select is not None and is_sentence != (select == "sentence"):
                want = "a sentence (p4.s2)" if select == "sentence" else "a paragraph (p4)"
                checker.error(item, f"{what} `{ref}` must be {want} because `select` is {select}")
                return False
            return True

        key_node = checker.require(fields, "key", node, "an `evidence` question")
        if key_node is not None:
            spec["key"] = [
                ref
                for item, ref in checker.references(
                    key_node, "key", default_source, 1, fields["key"][0]
                )
                if fits(item, ref, "key reference")
            ]
        if "max_selections" in fields:
            maximum = checker.integer(fields["max_selections"][1], "max_selections", 1)
            if maximum is not None and maximum < len(spec["key"]):
                checker.error(
                    fields["max_selections"][1],
                    f"`max_selections` ({maximum}) is smaller than the key "
                    f"({len(spec['key'])} passages), so full credit is impossible",
                )
            spec["max_selections"] = maximum
        if "feedback_for" in fields:
            entries = checker.mapping(fields["feedback_for"][1], "`feedback_for`") or {}
            for _name, (key, value) in entries.items():
                ref = checker.reference(key, "feedback_for", default_source)
                text = checker.html(value, "feedback_for")
                if ref is not None and text is not None and fits(key, ref, "feedback_for"):
                    spec["feedback_for"][ref] = text

    def student_view(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"select": spec.get("select"), "max_selections": spec.get("max_selections")}

    def page_extras(self, view: dict[str, Any], spec: Mapping[str, Any], sources: Any) -> None:
        source = evidence_source(spec, sources)
        view["source_view"] = source
        view["anchor_of"] = {p.number: p.anchor for p in source.paragraphs} if source else {}

    def form_value(
        self,
        spec: Mapping[str, Any],
        name: str,
        getlist: Callable[[str], list[str]],
        layout: Mapping[str, Any],
    ) -> Any:
        return getlist(name)

    def clean(self, spec: Mapping[str, Any], raw: Any, *, evidence_refs: Iterable[str]) -> Any:
        value = subset(raw, list(evidence_refs), "Select paragraphs or sentences of the article.")
        limit = spec.get("max_selections")
        if value and limit and len(value) > limit:
            raise InvalidAnswer(f"Select at most {limit}.")
        return value

    def key(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"refs": list(spec.get("key") or [])}

    def grade(self, spec: Mapping[str, Any], response: Any) -> Grade:
        """F1 overlap with the key: missing a key passage and picking extras both cost credit."""
        if not isinstance(response, list) or not response:
            return UNANSWERED
        source = spec.get("source")
        picked: list[str] = []
        for ref in response:
            if not isinstance(ref, str):
                ref = repr(ref)  # an unknown pick: counts against precision
            elif ":" not in ref and source:
                ref = f"{source}:{ref}"
            if ref not in picked:
                picked.append(ref)
        key = set(spec["key"])
        overlap = len(key.intersection(picked))
        fraction = 2 * overlap / (len(picked) + len(key)) if key else 0.0
        feedback_for = spec.get("feedback_for") or {}
        return outcome(spec, fraction, [feedback_for.get(ref, "") for ref in picked])

    def option_feedback(self, spec: Mapping[str, Any]) -> dict[str, str]:
        return {k: v for k, v in (spec.get("feedback_for") or {}).items() if v}

    def answer_display(self, spec: Mapping[str, Any], value: Any, passage: Any) -> dict:
        if not isinstance(value, list):
            return {"kind": "text", "items": [str(value)]}
        return {"kind": "passages", "items": [(ref, passage(ref)) for ref in value]}

    def bank_write(self, writer: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "select": spec["select"],
            "key": writer.flow([writer.ref(ref) for ref in spec["key"]]),
        }
        if spec.get("max_selections") is not None:
            out["max_selections"] = spec["max_selections"]
        if spec.get("feedback_for"):
            out["feedback_for"] = {
                writer.ref(ref): text for ref, text in spec["feedback_for"].items()
            }
        return out

    def editor_read(self, form: Any) -> dict[str, Any]:
        """`key` is the passages ticked in the article (full references); `feedback_for` comes
        from rows ``feedback_for-<i>-ref`` (a passage chosen in a list) and ``-text``. A passage
        chosen in two rows keeps the first row's feedback (a mapping holds one per passage)."""
        out: dict[str, Any] = {"select": form.text("select") or "", "key": form.refs("key")}
        maximum = form.number("max_selections")
        if maximum is not None:
            out["max_selections"] = maximum
        feedback: dict[str, str] = {}
        for row in form.rows("feedback_for"):
            feedback.setdefault(form.text(f"{row}-ref") or "", form.text(f"{row}-text") or "")
        if feedback:
            out["feedback_for"] = feedback
        return out

    def editor_start(self, refs: Sequence[str]) -> dict[str, Any]:
        """The selected passages are the key to start from, at their granularity."""
        if not refs:
            return {}
        sentence = any(".s" in ref.partition(":")[2] for ref in refs)
        return {
            "select": "sentence" if sentence else "paragraph",
            "key": [r for r in refs if (".s" in r.partition(":")[2]) == sentence],
        }

    def gift_write(self, writer: Any, spec: Mapping[str, Any], line: int) -> None:
        return None  # GIFT has no passages to pick

    def demo_answer(self, spec: Mapping[str, Any], *, right: bool) -> Any:
        return list(spec["key"]) if right else None

    def bench_answer(self, spec: Mapping[str, Any], variant: int, source_slug: str) -> Any:
        slug = spec.get("source") or source_slug
        ref = f"{slug}:p{1 + variant % 3}"
        return [ref + ".s1" if spec.get("select") == "sentence" else ref]


TYPE = Evidence()
