"""Banks as files again: "Download as YAML" (the CLI's `banks export-yaml` and the bank page).

A downloaded bank is the library's current questions written by app.domain.banks.writer, with
each question's version; before it is handed out it is checked here exactly as a load would
check it, and refused if any question would come back different (so a download always reloads
with no new version). Loading it back is guarded by ``bank_sync.stale_questions``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.domain.banks.articles import SourceDocument
from app.domain.banks.schema import BANK_LEVEL, content_hash, parse_bank
from app.domain.banks.writer import BankOut, QuestionOut, bank_out, bank_yaml
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Bank,
    LintIgnore,
    Question,
    QuestionExclusion,
    QuestionVersion,
)
from app.services.library import bank_sources, library_sources

CLI_HINT = "download the bank again, or load with --force to replace it"
WEB_HINT = "download the bank again, or tick “Replace the library's newer versions” to replace them"


class ExportError(ValueError):
    """A bank that cannot be written as a file that reloads unchanged (should not happen)."""


class LibrarySources(Mapping[str, SourceDocument]):
    """The library's sources, read on first use: a bank file that cites a source by id alone
    (as downloaded banks do) is checked against the database; one that never does needs none."""

    def __init__(self) -> None:
        self._sources: dict[str, SourceDocument] | None = None

    def _all(self) -> dict[str, SourceDocument]:
        if self._sources is None:
            try:
                self._sources = library_sources()
            except SQLAlchemyError:  # no database here: such a source is simply unknown
                db.session.rollback()
                self._sources = {}
        return self._sources

    def __getitem__(self, key: str) -> SourceDocument:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def bank_for_export(bank: Bank) -> BankOut:
    """The bank's current questions (retired ones stay out) with what the file keeps beside
    their specs: version, exclusions declared, lint ignores; four queries in all."""
    rows = db.session.execute(
        select(Question, QuestionVersion)
        .join(QuestionVersion, CURRENT_VERSION)
        .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        .order_by(Question.id)
    ).all()
    declared: dict[str, list[tuple[str, str]]] = {}
    for row in db.session.scalars(
        select(QuestionExclusion)
        .where(QuestionExclusion.bank_id == bank.id)
        .order_by(QuestionExclusion.id)
    ):
        other = row.second_key if row.declared_by == row.first_key else row.first_key
        declared.setdefault(row.declared_by, []).append((other, row.reason))
    ignored = {
        row.question_key: row
        for row in db.session.scalars(select(LintIgnore).where(LintIgnore.bank_id == bank.id))
    }
    cited = {str(s) for _q, v in rows for s in _sources_of(v.spec)}
    linked = [s.slug for s in bank_sources(bank)]
    # the bank's sources, and any source a question cites that the bank lost track of
    source_ids = linked + sorted(cited - set(linked))
    return BankOut(
        id=bank.slug,
        title=bank.title,
        description=bank.description,
        source_ids=tuple(source_ids),
        questions=tuple(
            QuestionOut(
                spec=version.spec,
                version=version.version,
                excludes=tuple(declared.get(question.key, ())),
                lint_ignore=_codes(ignored.get(question.key)),
                lint_reason=_reason(ignored.get(question.key)),
            )
            for question, version in rows
        ),
        lint_ignore=_codes(ignored.get(BANK_LEVEL)),
        lint_reason=_reason(ignored.get(BANK_LEVEL)),
        header=(
            f"Bank `{bank.slug}` as the Hustings library holds it (current questions only).",
            "`version:` on a question is the library version it was written from: keep it, so",
            "that loading this file cannot silently replace a newer version made since.",
            "Sources are cited by id: the library holds their text (hustings sources show ID).",
        ),
    )


def _codes(row: LintIgnore | None) -> tuple[str, ...]:
    return tuple(row.codes) if row is not None else ()


def _reason(row: LintIgnore | None) -> str:
    return row.reason if row is not None else ""


def _sources_of(spec: Mapping[str, Any]) -> Iterator[str]:
    if spec.get("source"):
        yield spec["source"]
    for ref in list(spec.get("evidence") or ()) + list(spec.get("key") or ()):
        if isinstance(ref, str) and ":" in ref:
            yield ref.partition(":")[0]


@dataclass(frozen=True)
class YamlExport:
    text: str
    questions: int  # current questions written
    name: str = "bank"

    @property
    def filename(self) -> str:
        return f"{self.name}.yaml"


def export_yaml(bank: Bank) -> YamlExport:
    """The bank as a bank file that `hustings banks check` accepts and that reloads unchanged.

    The text is checked before it is returned, against the library's sources; a question that
    would come back with another content hash raises ExportError instead of giving a file that
    would make new versions on its next load."""
    out = bank_for_export(bank)
    text = bank_yaml(out)
    back, problems = parse_bank(text, filename=f"{bank.slug}.yaml", known_sources=library_sources())
    errors = [str(p) for p in problems if p.severity == "error"]
    if back is None or errors:
        raise ExportError(f"bank `{bank.slug}` cannot be written as a valid file: {errors[:3]}")
    if bank_yaml(bank_out(back)) != bank_yaml(replace(out, header=())):
        raise ExportError(f"bank `{bank.slug}` does not read back as it was written")
    written = {q.id: q.content_hash for q in back.questions}
    for question in out.questions:
        spec = dict(question.spec)
        if written.get(spec["id"]) != content_hash(spec):
            raise ExportError(
                f"question `{spec['id']}` of bank `{bank.slug}` would not load back unchanged"
            )
    return YamlExport(text, len(out.questions), bank.slug)
