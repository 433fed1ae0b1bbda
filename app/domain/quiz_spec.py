"""Parse and validate a quiz spec file for ``hustings quizzes create FILE``. Pure (stdlib, yaml).

Scripted setup should fail like bank loading does: every problem at once, each as
``file:line: what is wrong``, and nothing created when anything is wrong. We walk YAML nodes so we
know each value's line, and read scalars as the text the instructor typed (YAML would otherwise
turn ``no`` into False or a date into a datetime behind our back).

The format::

    version: 1
    course: 12                 # a course id, or:  join_code: DEMOPOL1
    title: "Week 3: two coups"
    description: "Optional."
    settings:                  # all optional; defaults as in the builder
      mode: graded             # graded | practice
      published: false
      opens_at: 2026-11-01T09:00Z
      closes_at: 2026-11-08T17:00Z
      time_limit_minutes: 30
      attempts_allowed: 2      # 0 = unlimited
      grading_method: highest  # highest | last | average | first
      questions_per_page: 5    # 0 = all on one page
      shuffle_questions: true
      shuffle_options: true
      canvas_assignment_id: "12345"
      review_policy: {score: immediately, details: after_close, released: false,
                      show: [correctness, key, feedback, explanation, evidence]}
    sources: [two-coups]       # optional: articles shown, from the questions' sources
    slots:
      - question: tc-triumvirate
        points: 2              # optional: the question's own points
        page: 1                # optional
      - draw: {bank: two-coups-reading, skill: inference, difficulty: medium, type: single}
        count: 3
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.domain.points import parse_points

FORMAT_VERSION = 1
MAX_FILE_BYTES = 512 * 1024
GRADING_METHODS = ("highest", "last", "average", "first")
MODES = ("graded", "practice")
REVIEW_WHEN = ("immediately", "after_close", "released", "never")
REVIEW_DETAILS = ("correctness", "key", "feedback", "explanation", "evidence")
_DIGITS = re.compile(r"[0-9]{1,40}\Z")

_SETTING_KINDS: dict[str, str] = {
    "mode": "choice",
    "published": "bool",
    "opens_at": "datetime",
    "closes_at": "datetime",
    "time_limit_minutes": "int_or_null",
    "attempts_allowed": "int",
    "grading_method": "choice",
    "questions_per_page": "int",
    "shuffle_questions": "bool",
    "shuffle_options": "bool",
    "canvas_assignment_id": "str_or_null",
    "review_policy": "policy",
}
_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")


def parse_datetime(text: str) -> datetime:
    """ISO 8601 date-time; a time without a zone is taken as UTC."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    value = datetime.fromisoformat(raw.replace(" ", "T", 1) if "T" not in raw else raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class SpecProblem:
    line: int
    message: str

    def format(self, path: str) -> str:
        return f"{path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class SlotSpec:
    line: int
    question: str | None = None
    draw_bank: str | None = None
    draw_skill: str | None = None
    draw_difficulty: str | None = None
    draw_type: str | None = None
    count: int = 1
    points: float | None = None
    page: int | None = None


@dataclass
class QuizSpec:
    title: str
    course_id: int | None = None
    join_code: str | None = None
    description: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    slots: list[SlotSpec] = field(default_factory=list)
    line: int = 1
    setting_lines: dict[str, int] = field(default_factory=dict)
    sources_line: int = 1


class _Reader:
    """Collects problems while reading typed values off YAML nodes."""

    def __init__(self) -> None:
        self.problems: list[SpecProblem] = []

    def problem(self, node: Node | int, message: str) -> None:
        line = node if isinstance(node, int) else node.start_mark.line + 1
        self.problems.append(SpecProblem(line, message))

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]] | None:
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be a mapping of key: value")
            return None
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, f"{what}: keys must be plain words")
                continue
            if key in out:
                self.problem(key_node, f"{what}: “{key}” is given twice")
                continue
            out[key] = (key_node, value_node)
        return out

    def unknown(
        self, items: dict[str, tuple[Node, Node]], known: tuple[str, ...], what: str
    ) -> None:
        for key, (key_node, _) in items.items():
            if key not in known:
                self.problem(
                    key_node, f"{what}: unknown key “{key}” (expected one of: {', '.join(known)})"
                )

    def text(self, node: Node, what: str, *, max_length: int = 200) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem(node, f"{what} must be a single value")
            return None
        value = str(node.value)
        if len(value) > max_length:
            self.problem(node, f"{what} is longer than {max_length} characters")
            return None
        return value

    def integer(
        self, node: Node, what: str, *, minimum: int = 0, maximum: int = 100_000
    ) -> int | None:
        raw = self.text(node, what)
        if raw is None:
            return None
        if not re.fullmatch(r"[0-9]+", raw.strip()):
            self.problem(node, f"{what} must be a whole number, not “{raw}”")
            return None
        value = int(raw)
        if not minimum <= value <= maximum:
            self.problem(node, f"{what} must be from {minimum} to {maximum}")
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        raw = self.text(node, what)
        if raw is None:
            return None
        if raw.strip().lower() in _TRUE:
            return True
        if raw.strip().lower() in _FALSE:
            return False
        self.problem(node, f"{what} must be true or false, not “{raw}”")
        return None

    def choice(self, node: Node, what: str, choices: tuple[str, ...]) -> str | None:
        raw = self.text(node, what)
        if raw is None:
            return None
        if raw not in choices:
            self.problem(node, f"{what} must be one of {', '.join(choices)}, not “{raw}”")
            return None
        return raw

    def string_list(self, node: Node, what: str) -> list[str] | None:
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what} must be a list")
            return None
        out = []
        for item in node.value:
            value = self.text(item, f"{what} item")
            if value is not None:
                out.append(value)
        return out


def parse_quiz_spec(text: str) -> tuple[QuizSpec | None, list[SpecProblem]]:
    """Parse a quiz spec; returns (spec, []) or (None, problems sorted by line)."""
    reader = _Reader()
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        return None, [SpecProblem(1, f"file is larger than {MAX_FILE_BYTES // 1024} KB")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, [SpecProblem(line, f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, [SpecProblem(1, f"not valid YAML: {exc}")]
    if root is None:
        return None, [SpecProblem(1, "the file is empty")]
    top = reader.mapping(root, "the file")
    if top is None:
        return None, reader.problems
    known = (
        "version",
        "course",
        "join_code",
        "title",
        "description",
        "settings",
        "sources",
        "slots",
    )
    reader.unknown(top, known, "the file")
    spec = QuizSpec(title="", line=root.start_mark.line + 1)

    if "version" in top:
        version = reader.integer(top["version"][1], "version", minimum=1, maximum=99)
        if version is not None and version != FORMAT_VERSION:
            reader.problem(top["version"][1], f"version must be {FORMAT_VERSION}")
    if "course" in top and "join_code" in top:
        reader.problem(top["join_code"][0], "give either course or join_code, not both")
    elif "course" in top:
        spec.course_id = reader.integer(top["course"][1], "course", minimum=1, maximum=2**31 - 1)
    elif "join_code" in top:
        spec.join_code = reader.text(top["join_code"][1], "join_code", max_length=32)
    else:
        reader.problem(root, "say which course: course: <id> or join_code: <code>")
    if "title" in top:
        title = reader.text(top["title"][1], "title")
        if title is not None and not title.strip():
            reader.problem(top["title"][1], "title must not be empty")
        spec.title = (title or "").strip()
    else:
        reader.problem(root, "title is missing")
    if "description" in top:
        spec.description = reader.text(top["description"][1], "description", max_length=5000) or ""
    if "settings" in top:
        _read_settings(reader, top["settings"][1], spec)
    if "sources" in top:
        spec.sources_line = top["sources"][1].start_mark.line + 1
        spec.sources = reader.string_list(top["sources"][1], "sources") or []
    if "slots" not in top:
        reader.problem(root, "slots is missing: list at least one question or draw")
    else:
        _read_slots(reader, top["slots"][1], spec)
    if reader.problems:
        return None, sorted(reader.problems, key=lambda p: p.line)
    return spec, []


def _read_settings(reader: _Reader, node: Node, spec: QuizSpec) -> None:
    items = reader.mapping(node, "settings")
    if items is None:
        return
    reader.unknown(items, tuple(_SETTING_KINDS), "settings")
    for name, (_key, value) in items.items():
        kind = _SETTING_KINDS.get(name)
        if kind is None:
            continue
        spec.setting_lines[name] = value.start_mark.line + 1
        what = f"settings.{name}"
        parsed: Any = None
        null = isinstance(value, ScalarNode) and value.value in ("", "null", "~")
        if kind == "choice":
            choices = MODES if name == "mode" else GRADING_METHODS
            parsed = reader.choice(value, what, choices)
        elif kind == "bool":
            parsed = reader.boolean(value, what)
        elif kind == "datetime":
            if null:
                spec.settings[name] = None
                continue
            raw = reader.text(value, what)
            if raw is None:
                continue
            try:
                parsed = parse_datetime(raw)
            except ValueError:
                reader.problem(
                    value, f"{what} must be a date and time like 2026-11-08T17:00Z, not “{raw}”"
                )
                continue
        elif kind in ("int", "int_or_null"):
            if null and kind == "int_or_null":
                spec.settings[name] = None
                continue
            parsed = reader.integer(value, what, minimum=0, maximum=100_000)
        elif kind == "str_or_null":
            if null:
                spec.settings[name] = None
                continue
            parsed = reader.text(value, what, max_length=40)
        elif kind == "policy":
            parsed = _read_policy(reader, value)
        if parsed is not None:
            spec.settings[name] = parsed


def _read_policy(reader: _Reader, node: Node) -> dict[str, Any] | None:
    items = reader.mapping(node, "settings.review_policy")
    if items is None:
        return None
    reader.unknown(items, ("score", "details", "released", "show"), "settings.review_policy")
    policy: dict[str, Any] = {}
    for key in ("score", "details"):
        if key in items:
            policy[key] = reader.choice(items[key][1], f"review_policy.{key}", REVIEW_WHEN)
    if "released" in items:
        policy["released"] = reader.boolean(items["released"][1], "review_policy.released")
    if "show" in items:
        shown = reader.string_list(items["show"][1], "review_policy.show")
        for item in shown or []:
            if item not in REVIEW_DETAILS:
                reader.problem(
                    items["show"][1],
                    f"review_policy.show: unknown detail “{item}” "
                    f"(expected: {', '.join(REVIEW_DETAILS)})",
                )
        policy["show"] = shown or []
    return policy


def _read_slots(reader: _Reader, node: Node, spec: QuizSpec) -> None:
    if not isinstance(node, SequenceNode) or not node.value:
        reader.problem(node, "slots must be a list of at least one question or draw")
        return
    for item in node.value:
        line = item.start_mark.line + 1
        fields = reader.mapping(item, "slot")
        if fields is None:
            continue
        reader.unknown(fields, ("question", "draw", "count", "points", "page"), "slot")
        if ("question" in fields) == ("draw" in fields):
            reader.problem(item, "a slot needs either question: <id> or draw: {bank: ...}")
            continue
        points = page = None
        if "points" in fields:
            try:
                points = parse_points(reader.text(fields["points"][1], "points"))
            except ValueError as exc:
                reader.problem(fields["points"][1], f"points: {exc}")
        if "page" in fields:
            page = reader.integer(fields["page"][1], "page", minimum=1, maximum=1000)
        count = 1
        if "count" in fields:
            count = reader.integer(fields["count"][1], "count", minimum=1, maximum=200) or 1
        if "question" in fields:
            if "count" in fields:
                reader.problem(fields["count"][0], "count only applies to a draw")
            key = reader.text(fields["question"][1], "question", max_length=120)
            if key is not None:
                spec.slots.append(SlotSpec(line, question=key.strip(), points=points, page=page))
            continue
        draw = reader.mapping(fields["draw"][1], "draw")
        if draw is None:
            continue
        reader.unknown(draw, ("bank", "skill", "difficulty", "type", "count"), "draw")
        if "bank" not in draw:
            reader.problem(fields["draw"][1], "draw: bank is missing")
            continue
        values = {
            name: reader.text(draw[name][1], f"draw.{name}", max_length=120)
            for name in ("bank", "skill", "difficulty", "type")
            if name in draw
        }
        if "count" in draw:
            count = reader.integer(draw["count"][1], "draw.count", minimum=1, maximum=200) or 1
        spec.slots.append(
            SlotSpec(
                line,
                draw_bank=values.get("bank"),
                draw_skill=values.get("skill"),
                draw_difficulty=values.get("difficulty"),
                draw_type=values.get("type"),
                count=count,
                points=points,
                page=page,
            )
        )


def canvas_id_problem(value: str | None) -> str | None:
    """Canvas assignment ids are digits only; None or "" means not linked."""
    if value is None or value == "":
        return None
    if not _DIGITS.fullmatch(value):
        return "Use the digits of the Canvas assignment id (from its address), up to 40."
    return None
