"""Write a bank back as a bank file ("Download as YAML"). Pure (stdlib, yaml).

The file is the inverse of ``schema.parse_bank``: checking it gives back the same canonical
specs, so the same content hashes, and loading it makes no new version. The common keys are
written here; each type writes its own (``QuestionType.bank_write``). Every question records the
library version it was written from (`version:`), so a load can tell an edit made in the library
since the download (app.services.bank_files) instead of silently replacing it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from app.domain import question_types
from app.domain.banks.schema import BANK_LEVEL, FORMAT_VERSION, NUMBER_LIKE, Bank

# The common keys of a question, in the order a file shows them (the type's keys follow).
_LEADING = ("id", "type", "version", "prompt", "points", "skill", "difficulty", "source")
_FEEDBACK = ("feedback_correct", "feedback_partial", "feedback_wrong")


@dataclass(frozen=True)
class QuestionOut:
    """One question to write: its canonical spec and what the file keeps beside it."""

    spec: Mapping[str, Any]
    version: int | None = None  # the library version it is written from
    excludes: Sequence[tuple[str, str]] = ()  # (other id, reason) declared by this question
    lint_ignore: Sequence[str] = ()
    lint_reason: str = ""


@dataclass(frozen=True)
class BankOut:
    """A bank to write. Sources are cited by id: the library holds their text."""

    id: str
    title: str
    description: str = ""
    source_ids: Sequence[str] = ()
    questions: Sequence[QuestionOut] = ()
    lint_ignore: Sequence[str] = ()
    lint_reason: str = ""
    header: Sequence[str] = field(default_factory=tuple)  # comment lines at the top


class _Flow(list):  # type: ignore[type-arg]
    """A short list written on one line: `[p1, p3]`."""


class _Dumper(yaml.SafeDumper):
    """YAML the bank checker reads back as the very same text.

    PyYAML already quotes what its own reader would take for a boolean, date or number (`No`,
    `yes`, `12:30`, `2024-01-01`); the checker also refuses numbers only YAML 1.2 knows (`1e3`,
    `1_000`), so those are quoted too. Text with line breaks is written as a literal block.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True  # the checker refuses anchors and aliases

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # `  - id: …` under `questions:`, as people write


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if "\n" in value:
        style = "|"
    elif NUMBER_LIKE.match(value):
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, _flow)


class QuestionWriter:
    """What a type's ``bank_write`` uses: references relative to the question's source."""

    def __init__(self, default_source: str | None) -> None:
        self.default_source = default_source

    def ref(self, ref: str) -> str:
        """`two-coups:p4.s2` as `p4.s2` where the file's default source is `two-coups`."""
        source, _, passage = ref.partition(":")
        return passage if passage and source == self.default_source else ref

    @staticmethod
    def number(value: float | int) -> float | int:
        """2.0 as 2, 0.5 as 0.5: the checker reads both back as the same float."""
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            return int(value)
        return value

    @staticmethod
    def flow(items: Iterable[Any]) -> list[Any]:
        return _Flow(items)


def question_entry(
    question: QuestionOut, sole_source: str | None, *, shorten: bool = True
) -> dict[str, Any]:
    """One question as a bank file's mapping, keys in the README's order. With `shorten`
    off, references keep their source (`two-coups:p4`), as the studio's article pickers name
    passages."""
    spec = question.spec
    entry: dict[str, Any] = {"id": spec["id"], "type": spec["type"]}
    if question.version is not None:
        entry["version"] = question.version
    entry["prompt"] = spec["prompt"]
    if spec["points"] != 1:
        entry["points"] = QuestionWriter.number(spec["points"])
    entry["skill"] = spec["skill"]
    entry["difficulty"] = spec["difficulty"]
    if spec.get("source") is not None:
        entry["source"] = spec["source"]
    writer = QuestionWriter((spec.get("source") or sole_source) if shorten else None)
    if spec.get("evidence"):
        entry["evidence"] = writer.flow(writer.ref(ref) for ref in spec["evidence"])
    entry["explanation"] = spec["explanation"]
    entry.update(question_types.get(spec["type"]).bank_write(writer, spec))
    for name in _FEEDBACK:
        if spec.get(name):
            entry[name] = spec[name]
    if question.excludes:
        entry["excludes"] = {other: reason for other, reason in question.excludes}
    if question.lint_ignore:
        entry["lint_ignore"] = writer.flow(question.lint_ignore)
        entry["lint_reason"] = question.lint_reason
    return entry


def bank_yaml(bank: BankOut, *, entries: Sequence[Mapping[str, Any]] | None = None) -> str:
    """The bank file's text (UTF-8, `version: 1` format). `entries` replaces the questions with
    bank-file entries as given (the studio's edited question among the bank's others)."""
    info: dict[str, Any] = {"id": bank.id, "title": bank.title}
    if bank.description:
        info["description"] = bank.description
    if bank.lint_ignore:
        info["lint_ignore"] = _Flow(bank.lint_ignore)
        info["lint_reason"] = bank.lint_reason
    sole = bank.source_ids[0] if len(bank.source_ids) == 1 else None
    document = {
        "version": FORMAT_VERSION,
        "bank": info,
        "sources": [{"id": source_id} for source_id in bank.source_ids],
        "questions": (
            [_flowing(dict(e)) for e in entries]
            if entries is not None
            else [question_entry(q, sole) for q in bank.questions]
        ),
    }
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )
    header = "".join(f"# {line}\n".replace("# \n", "#\n") for line in bank.header)
    return header + body


def _flowing(entry: dict[str, Any]) -> dict[str, Any]:
    """Reference lists on one line, as `question_entry` writes them."""
    for name in ("evidence", "key", "lint_ignore"):
        if isinstance(entry.get(name), list):
            entry[name] = _Flow(entry[name])
    return entry


def bank_out(bank: Bank, versions: Mapping[str, int] | None = None) -> BankOut:
    """A checked bank file as it would be written again (sources by id), e.g. to compare."""
    versions = versions or {}
    return BankOut(
        id=bank.id,
        title=bank.title,
        description=bank.description,
        source_ids=tuple(s.id for s in bank.sources),
        questions=tuple(
            QuestionOut(
                spec=q.spec,
                version=versions.get(q.id, q.based_on),
                excludes=q.excludes,
                lint_ignore=bank.lint_ignores.get(q.id, ()),
                lint_reason=bank.lint_reasons.get(q.id, ""),
            )
            for q in bank.questions
        ),
        lint_ignore=bank.lint_ignores.get(BANK_LEVEL, ()),
        lint_reason=bank.lint_reasons.get(BANK_LEVEL, ""),
    )
