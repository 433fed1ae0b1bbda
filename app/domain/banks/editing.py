"""The studio's question form, read as a bank-file entry. Pure (stdlib, yaml).

The browser editor is a second way of writing a bank file, not a second format: its fields are
named after the bank-file paths they fill (``prompt``, ``options-2-feedback``,
``rubric-0-levels-1-points``), a type reads its own fields into the entry its ``bank_write``
would give (``QuestionType.editor_read``), and the entry is checked by the bank checker itself.
Problems come back with file lines; ``field_problems`` places each one beside the field whose
line it names, so the studio shows `hustings banks check`'s own messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.domain import question_types
from app.domain.banks.schema import Problem

_ROW_RE = re.compile(r"(?P<index>[0-9]{1,3})-")
_NUMBER_RE = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
MAX_ROWS = 60  # more rows than any list of the format allows (options, pairs, items, levels)

# Common keys in the order a bank file writes them (app.domain.banks.writer); the type's own
# keys come after `explanation`.
_LEADING = ("id", "type", "version", "prompt", "points", "skill", "difficulty", "source")
_FEEDBACK = ("feedback_correct", "feedback_partial", "feedback_wrong")
# Mappings whose keys are data (passage references), edited as rows of the form.
_KEYED_ROWS = (("feedback_for",),)


class EditorForm:
    """Read access to the posted editor: one value per name, or several (ticked passages).

    Values are kept as typed, apart from line endings (browsers send CRLF) and surrounding
    blanks; an empty field is None, so the entry leaves the key out and the checker says what
    is missing, with its usual words.
    """

    def __init__(self, getlist: Callable[[str], list[str]], names: Iterable[str]) -> None:
        self._getlist = getlist
        self._names = tuple(names)

    @classmethod
    def of(cls, values: Mapping[str, str | Sequence[str]]) -> EditorForm:
        """A form from a plain mapping (tests, scripts): lists give several values."""

        def getlist(name: str) -> list[str]:
            value = values.get(name)
            if value is None:
                return []
            return [value] if isinstance(value, str) else list(value)

        return cls(getlist, values.keys())

    def text(self, name: str) -> str | None:
        values = self._getlist(name)
        value = values[0].replace("\r\n", "\n").replace("\r", "\n").strip() if values else ""
        return value or None

    def flag(self, name: str) -> bool:
        """A checkbox: ticked when sent with any value but an explicit off."""
        values = self._getlist(name)
        return bool(values) and values[-1].strip().lower() not in ("", "0", "false", "off", "no")

    def number(self, name: str) -> int | float | str | None:
        """A number as the file would hold it; text that is not a number is kept as text, so
        that the checker refuses it with its own message (`points` must be a number...)."""
        value = self.text(name)
        if value is None:
            return None
        if _NUMBER_RE.match(value) and math.isfinite(number := float(value)):
            integral = number.is_integer() and not any(c in value for c in ".eE")
            return int(value) if integral else number
        return value

    def refs(self, name: str) -> list[str]:
        """Passages ticked in an article (several values), in the order the page lists them."""
        seen: list[str] = []
        for value in self._getlist(name):
            for ref in value.replace(",", " ").split():
                if ref not in seen:
                    seen.append(ref)
        return seen

    def rows(self, prefix: str) -> list[str]:
        """The prefixes of a list's rows (``options-0``, ``options-3``) in index order, leaving
        out rows whose every field is empty: blank rows are offered for adding, not saved."""
        indexes: set[int] = set()
        start = prefix + "-"
        for name in self._names:
            if not name.startswith(start):
                continue
            match = _ROW_RE.match(name, len(start))
            if match is None and name[len(start) :].isdigit():
                index = int(name[len(start) :])
            elif match is not None:
                index = int(match.group("index"))
            else:
                continue
            if index < MAX_ROWS and self._row_has_value(f"{start}{index}"):
                indexes.add(index)
        return [f"{start}{i}" for i in sorted(indexes)]

    def _row_has_value(self, row: str) -> bool:
        for name in self._names:
            inside = name == row or name.startswith(row + "-")
            if inside and any(v.strip() for v in self._getlist(name)):
                return True
        return False


def compact(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry without the keys left empty (None, False, [] or {}), in the same order."""
    return {
        k: v for k, v in entry.items() if v is not None and v is not False and v != [] and v != {}
    }


def entry_from_form(form: EditorForm) -> dict[str, Any]:
    """The bank-file entry the editor describes, keys in the file's order.

    Required texts are kept even when empty (`prompt: ""`), so that the checker names the
    field ("`prompt` is empty") rather than the whole question ("missing `prompt`").
    """
    qtype = form.text("type") or ""
    entry: dict[str, Any] = {
        "id": form.text("id") or "",
        "type": qtype,
        "version": form.number("version"),
        "prompt": form.text("prompt") or "",
        "points": form.number("points"),
        "skill": form.text("skill") or "",
        "difficulty": form.text("difficulty") or "",
        "source": form.text("source"),
        "evidence": form.refs("evidence"),
        "explanation": form.text("explanation") or "",
    }
    kept = compact(entry)
    for name in ("id", "type", "prompt", "skill", "difficulty", "explanation"):
        kept.setdefault(name, "")
    order = [*_LEADING, "evidence", "explanation"]
    head = {k: kept[k] for k in order if k in kept}
    # The type's keys as the type gives them: it leaves out what is optional and empty, and
    # keeps a required part empty (`key: []`) so that the checker names that part, not the
    # question ("missing `key`" would be placed at its first line, the id).
    own = question_types.get(qtype).editor_read(form) if qtype in question_types.TYPES else {}
    tail: dict[str, Any] = {name: form.text(name) for name in _FEEDBACK}
    ignored = form.refs("lint_ignore")
    if ignored:
        tail["lint_ignore"] = ignored
        tail["lint_reason"] = form.text("lint_reason") or ""
    return head | {k: v for k, v in own.items() if k not in head} | compact(tail)


# --------------------------------------------------------------------------- problems


@dataclass
class FieldProblems:
    """The bank checker's problems for one edited question, placed beside its fields.

    `by_field` is keyed by form name (``options-2-text``); `other` holds what no field of the
    question's own lines explains (shown above the form, never dropped).
    """

    by_field: dict[str, list[str]] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.other)

    def at(self, name: str) -> list[str]:
        return self.by_field.get(name, [])

    def under(self, prefix: str) -> list[str]:
        """Messages for a row and every field inside it (``options-2``, ``options-2-text``)."""
        return [
            message
            for name, messages in self.by_field.items()
            if name == prefix or name.startswith(prefix + "-")
            for message in messages
        ]

    def all(self) -> list[tuple[str | None, str]]:
        """(field name or None, message) for a summary at the top of the form."""
        return [(n, m) for n, ms in self.by_field.items() for m in ms] + [
            (None, m) for m in self.other
        ]


def _walk(node: Node, path: tuple[str | int, ...], lines: dict[int, tuple[str | int, ...]]) -> None:
    if isinstance(node, MappingNode):
        for index, (key, value) in enumerate(node.value):
            name = key.value if isinstance(key, ScalarNode) else "?"
            # A mapping keyed by passages is a list of rows in the form (`feedback_for-0`).
            place = (*path, index) if path in _KEYED_ROWS else (*path, name)
            lines[key.start_mark.line + 1] = place
            _walk(value, place, lines)
    elif isinstance(node, SequenceNode) and not node.flow_style:
        for index, item in enumerate(node.value):
            lines.setdefault(item.start_mark.line + 1, (*path, index))
            _walk(item, (*path, index), lines)
    elif isinstance(node, ScalarNode) and path:
        for line in range(node.start_mark.line + 1, node.end_mark.line + 2):
            lines.setdefault(line, path)
    elif path:
        lines.setdefault(node.start_mark.line + 1, path)


def question_lines(text: str, index: int) -> tuple[dict[int, str], range]:
    """Form names by file line for the `index`-th question of a bank text the writer made,
    and the lines that question spans."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    questions = None
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if isinstance(key, ScalarNode) and key.value == "questions":
                questions = value
    if not isinstance(questions, SequenceNode) or not -len(questions.value) <= index < len(
        questions.value
    ):
        return {}, range(0)
    node = questions.value[index]
    paths: dict[int, tuple[str | int, ...]] = {}
    _walk(node, (), paths)
    names = {line: "-".join(str(p) for p in path) for line, path in paths.items()}
    return names, range(node.start_mark.line + 1, node.end_mark.line + 2)


def field_problems(
    text: str, index: int, problems: Iterable[Problem], question_id: str | None
) -> FieldProblems:
    """Place the errors of the `index`-th question of `text` beside the fields they name."""
    names, span = question_lines(text, index)
    placed = FieldProblems()
    for problem in problems:
        if problem.severity != "error":
            continue
        ours = problem.line in span or (question_id and problem.question_id == question_id)
        name = names.get(problem.line) if problem.line in span else None
        if ours and name:
            placed.by_field.setdefault(name, []).append(problem.message)
        elif ours:
            placed.other.append(problem.message)
        elif problem.question_id:
            placed.other.append(
                f"question `{problem.question_id}` of this bank has a problem: "
                f"{problem.message}. A bank is checked and saved whole: fix that question first."
            )
        else:
            placed.other.append(str(problem))
    return placed
