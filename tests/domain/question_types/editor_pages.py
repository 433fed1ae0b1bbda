"""The studio editor of one bank question, as the tests build and post it: the type's
`editor` macro after the common fields (hidden inputs here: the studio page renders those),
read back as a browser would send it and checked as its bank's file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from markupsafe import Markup

from app.domain.banks.editing import EditorForm, FieldProblems, entry_from_form, field_problems
from app.domain.banks.schema import Bank, Problem, Question, load_bank_file, parse_bank
from app.domain.banks.writer import BankOut, QuestionOut, bank_yaml, question_entry
from app.services.studio import EditorContext
from tests.support.form_html import submitted_values

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "all_types.yaml"
BANK_FILES = (FIXTURE, *sorted((ROOT / "question_banks").glob("*.yaml")))
# The common fields, which the studio page renders itself (here as hidden inputs).
_SINGLE = ("id", "type", "version", "prompt", "points", "skill", "difficulty", "source")
_MORE = ("explanation", "feedback_correct", "feedback_partial", "feedback_wrong", "lint_reason")


@cache
def bank_of(path: Path) -> Bank:
    bank, problems = load_bank_file(path)
    assert bank is not None, [str(p) for p in problems]
    return bank


def question_of(path: Path, question_id: str) -> Question:
    return next(q for q in bank_of(path).questions if q.id == question_id)


def _common_fields(entry: Mapping[str, Any]) -> str:
    pairs = [(n, entry[n]) for n in (*_SINGLE, *_MORE) if entry.get(n) is not None]
    pairs += [(n, ref) for n in ("evidence", "lint_ignore") for ref in entry.get(n) or ()]
    hidden = Markup('<input type="hidden" name="{}" value="{}">')
    return "".join(str(hidden.format(name, value)) for name, value in pairs)


def editor_html(
    app: Flask, entry: Mapping[str, Any], bank: Bank, errors: FieldProblems | None = None
) -> str:
    """The question's form: common fields as hidden inputs, then the type's editor fields."""
    template = app.jinja_env.from_string(
        '{% import "question_types/' + entry["type"] + '.html" as m %}'
        "{{ m.editor(e, errors, ctx) }}"
    )
    fields = template.render(
        e=entry, errors=errors or FieldProblems(), ctx=EditorContext(sources=bank.sources)
    )
    return _common_fields(entry) + fields


def entry_of(question: Question) -> dict[str, Any]:
    return question_entry(QuestionOut(spec=question.spec), None, shorten=False)


def check_edited(
    bank: Bank, entry: Mapping[str, Any]
) -> tuple[str, Bank | None, list[Problem], FieldProblems]:
    """The edited entry written as its bank's file (one question) and checked."""
    text = bank_yaml(
        BankOut(id=bank.id, title=bank.title, source_ids=tuple(s.id for s in bank.sources)),
        entries=[entry],
    )
    parsed, problems = parse_bank(
        text, filename="edited.yaml", known_sources={s.id: s for s in bank.sources}
    )
    return text, parsed, problems, field_problems(text, 0, problems, entry.get("id"))


def posted(app: Flask, path: Path, question_id: str) -> dict[str, list[str]]:
    """What the browser posts for the unchanged editor of a question."""
    bank = bank_of(path)
    return submitted_values(editor_html(app, entry_of(question_of(path, question_id)), bank))


def edit(
    app: Flask, path: Path, question_id: str, changes: Mapping[str, str | Sequence[str]]
) -> tuple[list[Problem], FieldProblems]:
    """Post the editor with some fields changed; the checker's errors and where they go."""
    values: dict[str, str | Sequence[str]] = dict(posted(app, path, question_id))
    values.update(changes)
    entry = entry_from_form(EditorForm.of(values))
    _text, _parsed, problems, placed = check_edited(bank_of(path), entry)
    return [p for p in problems if p.severity == "error"], placed
