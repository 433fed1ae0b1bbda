"""The authoring studio: questions written in the browser, saved as a bank file is loaded.

Nothing here is a second path into the library. An edited question is put back into its bank's
file as "Download as YAML" writes it, the whole file is checked as an upload is
(`library.check_upload`: format, sources, ownership, lint, staleness), and a save syncs it with
``bank_sync`` as `hustings banks load` does: a changed question gets a new version, attempts
keep theirs, an unchanged one stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.domain import question_types
from app.domain.banks.articles import SourceDocument
from app.domain.banks.editing import FieldProblems, field_problems
from app.domain.banks.lint import LINT_CODES
from app.domain.banks.schema import DIFFICULTIES, MISREADINGS, content_hash, parse_bank
from app.domain.banks.schema import Bank as BankFile
from app.domain.banks.schema import Question as QuestionFile
from app.domain.banks.writer import BankOut, QuestionOut, bank_yaml, question_entry
from app.domain.skills import SKILLS
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Attempt,
    Bank,
    Enrolment,
    Question,
    QuestionVersion,
    Quiz,
    Response,
    Role,
    User,
    utcnow,
)
from app.services import bank_files, library
from app.services.bank_sync import SyncReport, sync_banks

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
STUDIO_FILE = "studio"  # how problems name the file the editor stands for


class StudioError(ValueError):
    """An action the library refuses; the message says why and what to do."""


@dataclass(frozen=True)
class EditorContext:
    """What every type's editor macro may use besides the entry and the problems."""

    sources: tuple[SourceDocument, ...]
    skills: tuple[tuple[str, str], ...] = tuple((k, f"{k} — {v}") for k, v in SKILLS.items())
    difficulties: tuple[tuple[str, str], ...] = tuple((d, d) for d in DIFFICULTIES)
    misreadings: tuple[tuple[str, str], ...] = tuple(
        (k, f"{k} — {v}") for k, v in MISREADINGS.items()
    )
    lint_codes: tuple[str, ...] = tuple(LINT_CODES)


@dataclass(frozen=True)
class LintNote:
    """A lint warning on the edited question, or a code it already accepts (`accepted`)."""

    code: str
    message: str
    accepted: bool = False


@dataclass
class Draft:
    """An edited question checked as part of its bank's file."""

    entry: dict[str, Any]
    errors: FieldProblems = field(default_factory=FieldProblems)
    warnings: list[LintNote] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    question: QuestionFile | None = None
    bank_file: BankFile | None = None
    extra_files: list[BankFile] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.question is not None and self.bank_file is not None and not self.errors


@dataclass
class Saved:
    """What a save did, in bank-load words, and where a regrade may be wanted."""

    key: str
    report: SyncReport
    version: int
    regrade: list[Quiz] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.key in self.report.added or self.key in self.report.new_versions


# --------------------------------------------------------------------------- reading


def bank_documents(bank: Bank) -> tuple[SourceDocument, ...]:
    """The articles of a bank, in the order the bank lists them, for the passage pickers."""
    return tuple(library.document_from_row(s) for s in library.bank_sources(bank))


def context(bank: Bank) -> EditorContext:
    return EditorContext(sources=bank_documents(bank))


def current_version(question: Question) -> QuestionVersion:
    return db.session.scalars(
        select(QuestionVersion).where(
            QuestionVersion.question_id == question.id,
            QuestionVersion.version == question.latest_version,
        )
    ).one()


def editor_entry(bank: Bank, question: Question) -> dict[str, Any]:
    """The question as the editor shows it: its bank-file entry, with full passage references
    (the pickers name `source:p4.s2`) and the version it is based on."""
    out = bank_files.bank_for_export(bank)
    for item in out.questions:
        if item.spec["id"] == question.key:
            return question_entry(item, None, shorten=False)
    version = current_version(question)  # retired: not in the export
    return question_entry(
        QuestionOut(spec=version.spec, version=version.version), None, shorten=False
    )


def new_entry(bank: Bank, qtype: str, refs: Sequence[str] = ()) -> dict[str, Any]:
    """A blank question of `qtype`, with a free id and the passages it starts from as its
    evidence (an evidence question also starts with them as its key)."""
    if qtype not in question_types.TYPES:
        qtype = "single"
    docs = {d.id: d for d in bank_documents(bank)}
    refs = [r for r in refs if _ref_in(r, docs)]
    entry: dict[str, Any] = {
        "id": free_key(bank),
        "type": qtype,
        "prompt": "",
        "points": 1,
        "skill": "",
        "difficulty": "",
        "evidence": list(refs),
        "explanation": "",
    }
    sources = {r.partition(":")[0] for r in refs}
    if len(sources) == 1 and len(docs) > 1:
        entry["source"] = next(iter(sources))
    entry.update(question_types.get(qtype).editor_start(refs))
    return entry


def _ref_in(ref: str, docs: dict[str, SourceDocument]) -> bool:
    match = re.fullmatch(r"([a-z0-9][a-z0-9_-]*):p([0-9]{1,4})(?:\.s([0-9]{1,4}))?", ref)
    if match is None or match.group(1) not in docs:
        return False
    doc, paragraph = docs[match.group(1)], int(match.group(2))
    if not 1 <= paragraph <= len(doc.paragraphs):
        return False
    sentence = match.group(3)
    return sentence is None or 1 <= int(sentence) <= len(doc.sentences(paragraph))


def free_key(bank: Bank, base: str | None = None) -> str:
    """An id no question of the library has: `<bank>-<n>`, or `<base>-copy[-n]`."""
    taken = set(db.session.scalars(select(Question.key)))
    if base is not None:
        candidates = (f"{base}-copy" if n == 1 else f"{base}-copy-{n}" for n in range(1, 10_000))
    else:
        count = len(taken)
        candidates = (f"{bank.slug}-{n}" for n in range(count + 1, count + 10_000))
    for key in candidates:
        if key not in taken and len(key) <= 100:
            return key
    raise StudioError("no free question id was found; type one")


# --------------------------------------------------------------------------- checking


def _entries(out: BankOut) -> list[dict[str, Any]]:
    sole = out.source_ids[0] if len(out.source_ids) == 1 else None
    return [question_entry(q, sole) for q in out.questions]


def check_draft(bank: Bank, entry: dict[str, Any], original_key: str | None = None) -> Draft:
    """Check an edited (or new) question as part of its bank's file, changing nothing."""
    out = bank_files.bank_for_export(bank)
    entries = _entries(out)
    draft = Draft(entry=entry)
    key = str(entry.get("id") or "")
    if original_key is not None and key != original_key:
        draft.errors.by_field["id"] = [
            "a saved question keeps its id (attempts and quizzes name it): duplicate the "
            "question to give the copy another id"
        ]
        return draft
    kept = next((e for e in entries if e["id"] == original_key), None) if original_key else None
    if kept is not None and "excludes" in kept:
        entry = {**entry, "excludes": kept["excludes"]}  # not edited here, but kept
    others = [e for e in entries if e["id"] != original_key]
    if original_key is None and key and any(e["id"] == key for e in others):
        draft.errors.by_field["id"] = [
            f"question id `{key}` is already used in this bank: choose another"
        ]
        return draft
    position = next((i for i, e in enumerate(entries) if e["id"] == original_key), None)
    index = len(others) if position is None else position
    all_entries = [*others[:index], entry, *others[index:]]
    text = bank_yaml(out, entries=all_entries)
    check = library.check_upload(text, f"{STUDIO_FILE}:{bank.slug}")
    own = [p for p in check.problems if p.question_id == key or p.severity == "error"]
    draft.errors = field_problems(text, index, own, key or None)
    draft.stale = [p.message for p in check.stale if p.question_id == key]
    accepted = list(entry.get("lint_ignore") or ())
    draft.warnings = [
        LintNote(p.code or "", p.message)
        for p in check.warnings
        if p.question_id == key and p.code and p.code != "L000"
    ] + [LintNote(code, "", accepted=True) for code in accepted]
    if check.bank is not None and not draft.errors:
        draft.bank_file = check.bank
        draft.question = next((q for q in check.bank.questions if q.id == key), None)
    return draft


def save_draft(
    bank: Bank,
    entry: dict[str, Any],
    original_key: str | None = None,
    *,
    force: bool = False,
    user: User | None = None,
) -> tuple[Draft, Saved | None]:
    """Check and, when the file is valid (and not stale, unless forced), sync it as a bank load
    does; `regrade` lists the quizzes `user` teaches (all, without one). The caller commits."""
    draft = check_draft(bank, entry, original_key)
    if not draft.ok or (draft.stale and not force):
        return draft, None
    assert draft.bank_file is not None and draft.question is not None
    old = None
    if original_key is not None:
        found = library.question_in_bank(bank, original_key)
        old = current_version(found) if found is not None else None
    report = sync_banks([draft.bank_file])
    question = library.question_in_bank(bank, draft.question.id)
    assert question is not None
    saved = Saved(draft.question.id, report, question.latest_version)
    changed = old is not None and draft.question.id in report.new_versions
    if changed and old is not None and _grading_changed(old.spec, draft.question.spec):
        saved.regrade = quizzes_answering(question, user)
    return draft, saved


def _grading_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether answers already given could now score differently (key, points, type)."""
    if old.get("type") != new.get("type") or old.get("points") != new.get("points"):
        return True
    kind = question_types.get(new["type"])
    keep = ("options", "accepted", "pairs", "items", "key", "answers", "rubric", "select")
    return kind.key(old) != kind.key(new) or any(old.get(k) != new.get(k) for k in keep)


def quizzes_answering(question: Question, user: User | None = None) -> list[Quiz]:
    """Quizzes with answers to an older version of `question` (the regrade dry run's list)."""
    statement = (
        select(Quiz)
        .join(Attempt, Attempt.quiz_id == Quiz.id)
        .join(Response, Response.attempt_id == Attempt.id)
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .where(
            QuestionVersion.question_id == question.id,
            QuestionVersion.version < question.latest_version,
        )
        .distinct()
        .order_by(Quiz.id)
    )
    if user is not None:
        statement = statement.join(
            Enrolment,
            (Enrolment.course_id == Quiz.course_id)
            & (Enrolment.user_id == user.id)
            & (Enrolment.role == Role.INSTRUCTOR.value),
        )
    return list(db.session.scalars(statement))


# --------------------------------------------------------------------------- actions


def _reload(bank: Bank, entries: list[dict[str, Any]], *, moving: str | None = None) -> BankFile:
    out = bank_files.bank_for_export(bank)
    text = bank_yaml(out, entries=entries)
    check = library.check_upload(text, f"{STUDIO_FILE}:{bank.slug}")
    errors = [p for p in check.errors if not (moving and p.question_id == moving)]
    if check.bank is None and not errors:
        # only the move's own ownership notice stood in the way: check the format alone
        parsed, problems = parse_bank(
            text, filename=STUDIO_FILE, known_sources=library.library_sources()
        )
        errors = [p for p in problems if p.severity == "error"]
        if parsed is not None and not errors:
            return parsed
    if check.bank is None or errors:
        raise StudioError(
            "the bank would not be valid: "
            + "; ".join(str(p) for p in errors[:3] or check.errors[:3])
        )
    return check.bank


def duplicate(bank: Bank, question: Question) -> str:
    """A copy of the question under a new id, in the same bank (version 1). Returns its id."""
    entry = editor_entry(bank, question)
    key = free_key(bank, question.key)
    copy = {**entry, "id": key}
    copy.pop("version", None)
    copy.pop("excludes", None)
    out = bank_files.bank_for_export(bank)
    sync_banks([_reload(bank, [*_entries(out), copy])])
    return key


def retire(question: Question) -> None:
    """Out of new quizzes and draws, as if deleted from its file; attempts keep it."""
    if question.retired_at is None:
        question.retired_at = utcnow()


def restore(question: Question) -> None:
    question.retired_at = None


def move(bank: Bank, question: Question, target: Bank) -> None:
    """Move a question to another bank, keeping its id and versions (quizzes keep using it).

    Both banks' files are checked as they will be: the question must read the same in the
    target bank (its sources must be the target's too, or be cited by full reference)."""
    if target.id == bank.id:
        raise StudioError("the question is already in this bank")
    if question.retired_at is not None:
        raise StudioError("restore the question before moving it")
    entry = editor_entry(bank, question)
    entry.pop("excludes", None)
    target_out = bank_files.bank_for_export(target)
    missing = {r.partition(":")[0] for r in _refs(entry)} - set(target_out.source_ids)
    if missing:
        raise StudioError(
            f"the question cites {', '.join(sorted(missing))}, which bank `{target.slug}` does "
            "not cite: add the source to that bank first"
        )
    target_file = _reload(target, [*_entries(target_out), entry], moving=question.key)
    moved = next(q for q in target_file.questions if q.id == question.key)
    if moved.content_hash != content_hash(current_version(question).spec):
        raise StudioError("the question would read differently in that bank; nothing was moved")
    origin_out = bank_files.bank_for_export(bank)
    origin_file = _reload(bank, [e for e in _entries(origin_out) if e["id"] != question.key])
    sync_banks([target_file, origin_file])  # the target first: it takes the question over


def _refs(entry: dict[str, Any]) -> list[str]:
    refs = list(entry.get("evidence") or []) + list(entry.get("key") or [])
    refs += list((entry.get("feedback_for") or {}).keys())
    source = entry.get("source")
    return [r for r in refs if ":" in r] + ([f"{source}:"] if source else [])


def create_bank(slug: str, title: str, description: str, source_slugs: Sequence[str]) -> Bank:
    """A new, empty bank citing these library sources, made as loading its file would."""
    slug = slug.strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug) or len(slug) > 100:
        raise StudioError(
            "the bank id must be lower-case letters, digits, - and _ (e.g. `week-3-coups`)"
        )
    if slug in library.RESERVED_BANK_IDS or library.bank_by_slug(slug) is not None:
        raise StudioError(
            f"a bank `{slug}` already exists (or the id names a page): choose another"
        )
    out = BankOut(
        id=slug,
        title=title.strip(),
        description=description.strip(),
        source_ids=tuple(source_slugs),
    )
    text = bank_yaml(out)
    check = library.check_upload(text, f"{STUDIO_FILE}:{slug}")
    if check.bank is None or check.errors:
        raise StudioError("; ".join(p.message for p in check.errors[:3]))
    sync_banks([check.bank])
    bank = library.bank_by_slug(slug)
    assert bank is not None
    bank.path = ""
    return bank


# --------------------------------------------------------------------------- finding


@dataclass(frozen=True)
class Found:
    bank: Bank
    question: Question
    version: QuestionVersion


def search(
    text: str = "", skill: str = "", qtype: str = "", *, retired: bool = False, limit: int = 200
) -> list[Found]:
    """Current questions whose prompt or id contains `text` (any case), of a skill and type."""
    statement = (
        select(Bank, Question, QuestionVersion)
        .join(Question, Question.bank_id == Bank.id)
        .join(QuestionVersion, CURRENT_VERSION)
        .order_by(Bank.slug, Question.key)
        .limit(limit)
    )
    if not retired:
        statement = statement.where(Question.retired_at.is_(None))
    if skill:
        statement = statement.where(QuestionVersion.skill == skill)
    if qtype:
        statement = statement.where(QuestionVersion.type == qtype)
    words = text.split()
    if words:
        rows = db.session.execute(statement.limit(None)).all()
        needles = [w.casefold() for w in words]

        def matches(key: str, prompt: str) -> bool:
            haystack = f"{key} {re.sub(r'<[^>]*>', ' ', prompt)}".casefold()
            return all(n in haystack for n in needles)

        return [Found(b, q, v) for b, q, v in rows if matches(q.key, v.spec.get("prompt", ""))][
            :limit
        ]
    return [Found(b, q, v) for b, q, v in db.session.execute(statement).all()]


__all__ = [
    "Draft",
    "EditorContext",
    "Found",
    "LintNote",
    "Saved",
    "StudioError",
    "check_draft",
    "context",
    "create_bank",
    "duplicate",
    "editor_entry",
    "move",
    "new_entry",
    "quizzes_answering",
    "restore",
    "retire",
    "save_draft",
    "search",
]
