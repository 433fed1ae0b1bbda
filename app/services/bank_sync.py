"""Sync validated banks into the database by stable id.

New ids add questions; a changed question gets a new immutable version (attempts keep the one
they answered); a question gone from its file is retired, not deleted; loading the same files
twice changes nothing. Callers validate first and sync only when there was no error, inside one
transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from app.domain.banks.articles import SourceDocument
from app.domain.banks.background import Note
from app.domain.banks.exclusions import Exclusion
from app.domain.banks.schema import Bank as BankFile
from app.domain.banks.schema import Problem
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Bank,
    BankSource,
    LintIgnore,
    Paragraph,
    Question,
    QuestionExclusion,
    QuestionVersion,
    Source,
    SourceNote,
    utcnow,
)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)
    sources_updated: list[str] = field(default_factory=list)
    exclusions_changed: list[str] = field(default_factory=list)  # banks whose pairs changed
    notes_updated: list[str] = field(default_factory=list)  # sources whose background note changed
    # Questions whose file says `version:` and that got a new version: that file is now behind
    # the library, and a later load of it, edited again, would be refused as stale.
    files_behind: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.new_versions
            or self.retired
            or self.restored
            or self.sources_added
            or self.sources_updated
            or self.exclusions_changed
            or self.notes_updated
        )

    def behind_note(self) -> str:
        """What to do before editing a downloaded file again, once its edits are loaded."""
        if not self.files_behind:
            return ""
        return (
            f"{len(self.files_behind)} question(s) of the file now have a newer library version "
            "than its `version:` says: download the bank again before editing it further."
        )

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.new_versions)} new version(s), "
            f"{len(self.unchanged)} unchanged, {len(self.retired)} retired, "
            f"{len(self.restored)} restored; sources: {len(self.sources_added)} added, "
            f"{len(self.sources_updated)} updated"
        )


def source_hash(doc: SourceDocument) -> str:
    payload = [doc.title, doc.publication, doc.date, doc.url, doc.author, list(doc.paragraphs)]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def sync_source(doc: SourceDocument, report: SyncReport) -> Source:
    """Create or update one source; paragraphs keep their numbers, so evidence refs stay valid."""
    digest = source_hash(doc)
    source = db.session.scalar(select(Source).where(Source.slug == doc.id))
    if source is not None and source.content_hash == digest:
        return source
    if source is None:
        source = Source(slug=doc.id, content_hash=digest)
        db.session.add(source)
        report.sources_added.append(doc.id)
    else:
        report.sources_updated.append(doc.id)
    source.title, source.publication = doc.title, doc.publication
    source.date, source.url, source.author = doc.date, doc.url, doc.author
    source.content_hash = digest
    existing = {p.position: p for p in source.paragraphs}
    for number, text in enumerate(doc.paragraphs, start=1):
        sentences = list(doc.sentences(number))
        paragraph = existing.pop(number, None)
        if paragraph is None:
            source.paragraphs.append(Paragraph(position=number, text=text, sentences=sentences))
        else:
            paragraph.text, paragraph.sentences = text, sentences
    for paragraph in existing.values():
        source.paragraphs.remove(paragraph)
    db.session.flush()
    return source


def ownership_problems(banks: Sequence[BankFile]) -> list[Problem]:
    """Question ids that belong to a bank other than the file's: loading would move them silently.

    Ids are unique across all banks, and a question's new version goes live in every quiz that
    uses it, so a file may not take over another bank's question. The one allowed move is between
    banks loaded together, when the other bank's file no longer has the id."""
    keys = [q.id for b in banks for q in b.questions]
    if not keys:
        return []
    owners = dict(
        db.session.execute(
            select(Question.key, Bank.slug)
            .join(Bank, Bank.id == Question.bank_id)
            .where(Question.key.in_(keys))
        ).all()
    )
    loading = {b.id: {q.id for q in b.questions} for b in banks}
    problems = []
    for bank_file in banks:
        for question in bank_file.questions:
            owner = owners.get(question.id)
            if owner is None or owner == bank_file.id:
                continue
            if owner in loading and question.id not in loading[owner]:
                continue  # moved from one bank to another, both files loaded together
            problems.append(
                Problem(
                    bank_file.path,
                    question.line,
                    question.id,
                    f"question id is already used by bank `{owner}`; ids must be unique across "
                    "all banks: give this question another id, or remove it from that bank's "
                    "file and load both files together to move it",
                )
            )
    return problems


CLI_HINT = "download the bank again, or load with --force to replace it"
WEB_HINT = "download the bank again, or tick “Replace the library's newer versions” to replace it"


def stale_questions(banks: Sequence[BankFile], hint: str = CLI_HINT) -> list[Problem]:
    """Questions a file would replace although the library has a newer version than the one the
    file was written from, with different content (an edit made since the download): errors.
    A file that says it was written from a version the library does not have yet is a warning
    (a copy from another installation, or a library restored from an older backup)."""
    based = {q.id: (b, q) for b in banks for q in b.questions if q.based_on is not None}
    if not based:
        return []
    current = dict(
        db.session.execute(
            select(Question.key, QuestionVersion)
            .join(QuestionVersion, CURRENT_VERSION)
            .where(Question.key.in_(list(based)))
        ).all()
    )
    problems = []
    for key, (bank_file, question) in based.items():
        version = current.get(key)
        if version is None or question.based_on is None:
            continue
        if version.version > question.based_on and version.content_hash != question.content_hash:
            problems.append(
                Problem(
                    bank_file.path,
                    question.line,
                    key,
                    f"the library has version {version.version} of this question, this file was "
                    f"written from version {question.based_on}: {hint}",
                )
            )
        elif version.version < question.based_on:
            problems.append(
                Problem(
                    bank_file.path,
                    question.line,
                    key,
                    f"this file says it was written from version {question.based_on} of this "
                    f"question, but the library's latest is version {version.version}: was it "
                    "downloaded from another installation? Loading it makes the next version",
                    severity="warning",
                )
            )
    return sorted(problems, key=lambda p: (p.file, p.line))


def sync_banks(
    banks: Sequence[BankFile], *, progress: Callable[[int], None] | None = None
) -> SyncReport:
    """Bring the database in line with ``banks`` (already validated, without errors)."""
    report = SyncReport()
    sources: dict[str, Source] = {}
    for bank_file in banks:
        for doc in bank_file.sources:
            if doc.id not in sources:
                sources[doc.id] = sync_source(doc, report)

    keys = [q.id for b in banks for q in b.questions]
    current: dict[str, tuple[Question, QuestionVersion]] = {}
    if keys:
        rows = db.session.execute(
            select(Question, QuestionVersion)
            .join(
                QuestionVersion,
                CURRENT_VERSION,
            )
            .where(Question.key.in_(keys))
        ).all()
        current = {q.key: (q, v) for q, v in rows}

    now = utcnow()
    for bank_file in banks:
        bank = db.session.scalar(select(Bank).where(Bank.slug == bank_file.id))
        if bank is None:
            bank = Bank(slug=bank_file.id)
            db.session.add(bank)
        bank.title, bank.description, bank.path = (
            bank_file.title,
            bank_file.description,
            bank_file.path,
        )
        bank.content_hash = hashlib.sha256(
            "".join(q.content_hash for q in bank_file.questions).encode()
        ).hexdigest()
        bank.loaded_at = now
        db.session.flush()
        linked = set(
            db.session.scalars(select(BankSource.source_id).where(BankSource.bank_id == bank.id))
        )
        for doc in bank_file.sources:
            if sources[doc.id].id not in linked:
                db.session.add(BankSource(bank_id=bank.id, source_id=sources[doc.id].id))

        for question_file in bank_file.questions:
            spec = question_file.spec
            found = current.get(question_file.id)
            if found is None:
                question = Question(bank_id=bank.id, key=question_file.id, latest_version=1)
                db.session.add(question)
                db.session.flush()
                _add_version(question, 1, spec, question_file.content_hash)
                report.added.append(question_file.id)
            else:
                question, version = found
                question.bank_id = bank.id
                if question.retired_at is not None:
                    question.retired_at = None
                    report.restored.append(question_file.id)
                if version.content_hash == question_file.content_hash:
                    report.unchanged.append(question_file.id)
                else:
                    question.latest_version = version.version + 1
                    _add_version(
                        question, question.latest_version, spec, question_file.content_hash
                    )
                    report.new_versions.append(question_file.id)
                    if question_file.based_on is not None:
                        report.files_behind.append(question_file.id)
            if progress:
                progress(1)

        _sync_exclusions(bank, bank_file, report)
        _sync_lint_ignores(bank, bank_file)
        present = {q.id for q in bank_file.questions}
        for question in db.session.scalars(
            select(Question).where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        ):
            if question.key not in present:
                question.retired_at = now
                report.retired.append(question.key)
    db.session.flush()
    return report


def sync_notes(notes: Sequence[Note], report: SyncReport) -> None:
    """Add or replace each source's background note (sources are synced first)."""
    if not notes:
        return
    sources = dict(
        db.session.execute(
            select(Source.slug, Source.id).where(Source.slug.in_([n.source for n in notes]))
        ).all()
    )
    existing = {
        row.source_id: row
        for row in db.session.scalars(
            select(SourceNote).where(SourceNote.source_id.in_(list(sources.values())))
        )
    }
    for note in notes:
        source_id = sources.get(note.source)
        if source_id is None:
            continue
        row = existing.get(source_id)
        if row is not None and row.content_hash == note.content_hash:
            continue
        if row is None:
            row = SourceNote(source_id=source_id)
            db.session.add(row)
        row.title, row.text, row.content_hash = note.title, note.text, note.content_hash
        row.updated_at = utcnow()
        report.notes_updated.append(note.source)
    db.session.flush()


def _sync_exclusions(bank: Bank, bank_file: BankFile, report: SyncReport) -> None:
    """Replace the pairs this bank declares (they are not versioned: no attempt depends on them)."""
    wanted = {
        (pair.first, pair.second): pair
        for pair in (
            Exclusion.of(q.id, other, reason)
            for q in bank_file.questions
            for other, reason in q.excludes
        )
    }
    rows = {
        (row.first_key, row.second_key): row
        for row in db.session.scalars(
            select(QuestionExclusion).where(QuestionExclusion.bank_id == bank.id)
        )
    }
    changed = False
    for key, row in rows.items():
        pair = wanted.get(key)
        if pair is None:
            db.session.delete(row)
            changed = True
        elif (row.reason, row.declared_by) != (pair.reason, pair.declared_by):
            row.reason, row.declared_by = pair.reason, pair.declared_by
            changed = True
    for key, pair in wanted.items():
        if key not in rows:
            db.session.add(
                QuestionExclusion(
                    bank_id=bank.id,
                    first_key=pair.first,
                    second_key=pair.second,
                    declared_by=pair.declared_by,
                    reason=pair.reason,
                )
            )
            changed = True
    if changed:
        report.exclusions_changed.append(bank_file.id)


def _sync_lint_ignores(bank: Bank, bank_file: BankFile) -> None:
    """Keep the warnings the file accepts, with their reasons (`""` is the bank's own)."""
    wanted = {
        key: (list(codes), bank_file.lint_reasons.get(key, ""))
        for key, codes in bank_file.lint_ignores.items()
        if codes
    }
    rows = {
        row.question_key: row
        for row in db.session.scalars(select(LintIgnore).where(LintIgnore.bank_id == bank.id))
    }
    for key, row in rows.items():
        if key not in wanted:
            db.session.delete(row)
        elif (row.codes, row.reason) != wanted[key]:
            row.codes, row.reason = wanted[key]
    for key, (codes, reason) in wanted.items():
        if key not in rows:
            db.session.add(
                LintIgnore(bank_id=bank.id, question_key=key, codes=codes, reason=reason)
            )


def _add_version(question: Question, number: int, spec: dict, digest: str) -> None:
    db.session.add(
        QuestionVersion(
            question_id=question.id,
            version=number,
            type=spec["type"],
            skill=spec["skill"],
            difficulty=spec["difficulty"],
            points=float(spec["points"]),
            source_slug=spec.get("source"),
            spec=spec,
            content_hash=digest,
        )
    )
