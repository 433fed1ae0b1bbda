"""The library: sources and question banks shared by every instructor of the installation.

Services behind the instructor pages under /teach/sources and /teach/banks. Uploaded banks are
checked exactly like bank files on disk (app.domain.banks.schema + lint), plus what only the
database
knows: sources already in the library may be cited by id alone, a question id must not belong to
another bank, and an embedded source may not silently rewrite a library source other banks cite.
Services flush, never commit, and never touch the request.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.domain.banks.articles import (
    SourceDocument,
    SourceFileError,
    clean_article,
    parse_source_file,
    render_source_file,
    sniff_format,
)
from app.domain.banks.extraction import (
    MAX_PAGE_BYTES,
    Extraction,
    PageDecodeError,
    decode_page,
    extract_article,
)
from app.domain.banks.lint import lint_banks
from app.domain.banks.schema import Bank as BankFile
from app.domain.banks.schema import Problem, parse_bank
from app.domain.text import TextProblem, accept
from app.extensions import db
from app.models import (
    CURRENT_VERSION,
    Bank,
    BankSource,
    Paragraph,
    Question,
    QuestionVersion,
    Source,
)
from app.services.bank_sync import (
    WEB_HINT,
    SyncReport,
    ownership_problems,
    source_hash,
    stale_questions,
    sync_banks,
    sync_source,
)

# Ids that would be hidden behind the library's own pages (/teach/banks/upload ...).
RESERVED_BANK_IDS = frozenset({"upload", "import-gift", "confirm", "download"})
RESERVED_SOURCE_IDS = frozenset({"import", "review"})
MAX_SOURCE_BYTES = MAX_PAGE_BYTES  # a saved news page with its markup runs to 1.5 MB
MAX_GIFT_BYTES = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_REF = re.compile(r"(?P<source>[a-z0-9][a-z0-9_-]*):p(?P<p>\d+)(?:\.s(?P<s>\d+))?\Z")


class LibraryError(ValueError):
    """Input the library refuses, with a message meant for the instructor."""


class SourceConflict(LibraryError):
    """A source id already in the library with different content."""


# --------------------------------------------------------------------------- text input


def decode_text(data: bytes, what: str = "The file", limit: int = MAX_SOURCE_BYTES) -> str:
    """UTF-8 text of an upload, or a LibraryError saying precisely what is wrong with it."""
    if len(data) > limit:
        raise LibraryError(f"{what} is {_size(len(data))}; the limit is {_size(limit)}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LibraryError(
            f"{what} is not UTF-8 text (byte {exc.start + 1}, line {line} cannot be read). "
            "Save it as UTF-8 and try again."
        ) from None
    check_plain_text(text, what)
    return text


def _size(count: int) -> str:
    """A size in words, rounded up so that a file over a limit never reads as equal to it."""
    if count >= 1024 * 1024:
        tenths = -(-count * 10 // (1024 * 1024))
        return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"
    return f"{-(-count // 1024)} KB"


def decode_upload(data: bytes, filename: str | None, what: str = "The file") -> str:
    """Text of an uploaded article: a saved web page may declare another encoding than UTF-8."""
    if len(data) > MAX_SOURCE_BYTES:
        raise LibraryError(
            f"{what} is {_size(len(data))}; the limit is {_size(MAX_SOURCE_BYTES)}. Save the "
            "page as HTML only (without images), or copy the article's text and paste it."
        )
    name = (filename or "").lower()
    if not name.endswith((".html", ".htm", ".xhtml")):
        return decode_text(data, what)
    try:
        return decode_page(data, what)
    except PageDecodeError as exc:
        raise LibraryError(str(exc)) from None


def check_plain_text(text: str, what: str = "The text") -> None:
    """Refuse control characters (NUL and friends) that no article holds and databases reject."""
    match = _CONTROL.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise LibraryError(
            f"{what} contains a control character (U+{ord(match.group()):04X}) on line {line}; "
            "it is not plain text."
        )


def article_format(chosen: str | None, filename: str | None, raw: str) -> str:
    """The format to clean with: the instructor's choice, else the file extension, else sniffed."""
    if chosen in ("text", "markdown", "html"):
        return chosen
    name = (filename or "").lower()
    if name.endswith((".html", ".htm")):
        return "html"
    if name.endswith((".md", ".markdown")):
        return "markdown"
    return sniff_format(raw)


def clean_for_review(raw: str, fmt: str) -> list[str]:
    """Cleaned paragraphs of a pasted or uploaded article (nothing is saved)."""
    return list(extract_for_review(raw, fmt).paragraphs)


def extract_for_review(raw: str, fmt: str) -> Extraction:
    """The article of a pasted or uploaded text or page, for review (nothing is saved).

    HTML goes through the article extractor (what is left out is listed, metadata found);
    plain text and Markdown through the cleaner. Each paragraph is held to the text policy.
    """
    if fmt == "html":
        extraction = extract_article(raw)
    else:
        extraction = Extraction(paragraphs=tuple(clean_article(raw, fmt)), method="cleaner")
    if not extraction.paragraphs:
        raise LibraryError("No text was left after cleaning. Check the format and the content.")
    paragraphs = []
    for number, paragraph in enumerate(extraction.paragraphs, start=1):
        try:
            paragraphs.append(accept(paragraph))
        except TextProblem as exc:
            raise LibraryError(exc.message(f"Paragraph {number}")) from None
    return replace(extraction, paragraphs=tuple(paragraphs))


def suggest_source_id(title: str) -> str:
    """An id made from a title ("Minister quits, again" → "minister-quits-again"), or ""."""
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", title).lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 60:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug if slug not in RESERVED_SOURCE_IDS else ""


def paragraphs_from_review(text: str) -> tuple[str, ...]:
    """Paragraphs of the reviewed text: blocks separated by blank lines, spaces normalised."""
    check_plain_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        text = accept(text)
    except TextProblem as exc:
        raise LibraryError(exc.message()) from None
    paragraphs = tuple(
        " ".join(block.split()) for block in _PARAGRAPH_BREAK.split(text) if block.strip()
    )
    if not paragraphs:
        raise LibraryError("The text has no paragraphs. Paste the article again.")
    return paragraphs


def build_document(
    *,
    id: str,
    title: str,
    publication: str,
    date: str | None,
    url: str | None,
    author: str | None,
    paragraphs: Sequence[str],
) -> SourceDocument:
    """A SourceDocument held to the same rules as a source file (it must survive the round trip)."""
    doc = SourceDocument(
        id=id,
        title=" ".join(title.split()),
        publication=" ".join(publication.split()),
        date=date or None,
        url=url or None,
        author=" ".join(author.split()) if author and author.strip() else None,
        paragraphs=tuple(paragraphs),
    )
    try:
        if parse_source_file(render_source_file(doc)) != doc:
            raise LibraryError("The source does not read back the same; check the metadata.")
    except SourceFileError as exc:
        raise LibraryError(exc.message.removeprefix("front matter: ")) from None
    except ValueError as exc:
        raise LibraryError(str(exc)) from None
    return doc


# --------------------------------------------------------------------------- sources


def document_from_row(source: Source) -> SourceDocument:
    """The SourceDocument a source row holds (what banks cite by id alone)."""
    return SourceDocument(
        id=source.slug,
        title=source.title,
        publication=source.publication,
        date=source.date,
        url=source.url,
        author=source.author,
        paragraphs=tuple(p.text for p in source.paragraphs),
    )


def library_sources() -> dict[str, SourceDocument]:
    """Every source in the database, by id, for banks that cite them by id alone."""
    rows = db.session.scalars(select(Source).options(selectinload(Source.paragraphs)))
    return {source.slug: document_from_row(source) for source in rows}


def source_by_slug(slug: str) -> Source | None:
    return db.session.scalar(
        select(Source).where(Source.slug == slug).options(selectinload(Source.paragraphs))
    )


@dataclass(frozen=True)
class SourceRow:
    source: Source
    paragraphs: int
    banks: tuple[str, ...]


def source_rows() -> list[SourceRow]:
    """The sources list: each with its paragraph count and the banks citing it (two queries)."""
    counts = (
        select(Paragraph.source_id, func.count().label("n"))
        .group_by(Paragraph.source_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_id == Source.id)
        .order_by(Source.title, Source.slug)
    ).all()
    banks: dict[int, list[str]] = defaultdict(list)
    for source_id, slug in db.session.execute(
        select(BankSource.source_id, Bank.slug)
        .join(Bank, Bank.id == BankSource.bank_id)
        .order_by(Bank.slug)
    ):
        banks[source_id].append(slug)
    return [SourceRow(s, n, tuple(banks[s.id])) for s, n in rows]


def banks_citing(source: Source) -> list[Bank]:
    return list(
        db.session.scalars(
            select(Bank)
            .join(BankSource, BankSource.bank_id == Bank.id)
            .where(BankSource.source_id == source.id)
            .order_by(Bank.slug)
        )
    )


def _current_specs_citing(source: Source) -> list[dict[str, Any]]:
    """Latest specs of the current questions in banks that cite ``source``."""
    return list(
        db.session.scalars(
            select(QuestionVersion.spec)
            .join(
                Question,
                CURRENT_VERSION,
            )
            .join(BankSource, BankSource.bank_id == Question.bank_id)
            .where(BankSource.source_id == source.id, Question.retired_at.is_(None))
        )
    )


def broken_references(source: Source, doc: SourceDocument) -> dict[str, list[str]]:
    """Evidence references of current questions that ``doc`` would leave pointing nowhere."""
    broken: dict[str, list[str]] = {}
    for spec in _current_specs_citing(source):
        refs = list(spec.get("evidence") or ()) + list(spec.get("key") or ())
        for ref in dict.fromkeys(refs):
            match = _REF.match(str(ref))
            if match is None or match["source"] != source.slug:
                continue
            paragraph = int(match["p"])
            ok = paragraph <= len(doc.paragraphs) and (
                match["s"] is None or int(match["s"]) <= len(doc.sentences(paragraph))
            )
            if not ok:
                broken.setdefault(str(spec.get("id")), []).append(str(ref))
    return broken


def save_source(doc: SourceDocument, *, replace: bool) -> tuple[Source, SyncReport]:
    """Add ``doc`` to the library, or replace the source with its id when ``replace`` is given.

    Replacing keeps paragraph numbers (paragraph n stays row n), and is refused when a current
    question's evidence would then name a paragraph or sentence that no longer exists.
    """
    if doc.id in RESERVED_SOURCE_IDS:
        raise LibraryError(f"The id “{doc.id}” names a library page; choose another id.")
    report = SyncReport()
    existing = source_by_slug(doc.id)
    if existing is not None and existing.content_hash != source_hash(doc):
        if not replace:
            citing = ", ".join(b.slug for b in banks_citing(existing)) or "no bank"
            raise SourceConflict(
                f"A source with the id “{doc.id}” is already in the library with different text "
                f"or details ({len(existing.paragraphs)} paragraphs; cited by {citing}). "
                "Choose another id, or tick “Replace the existing source” to update it: "
                "paragraph numbers are kept where possible."
            )
        broken = broken_references(existing, doc)
        if broken:
            listed = "; ".join(f"{qid}: {', '.join(refs)}" for qid, refs in sorted(broken.items()))
            raise SourceConflict(
                f"Replacing “{doc.id}” would leave evidence references pointing nowhere "
                f"({listed}). Update those banks first, or save this text under another id."
            )
    return sync_source(doc, report), report


# --------------------------------------------------------------------------- banks


@dataclass(frozen=True)
class BankRow:
    bank: Bank
    current: int
    retired: int
    sources: tuple[str, ...]


def bank_rows() -> list[BankRow]:
    """The banks list: current and retired question counts and cited sources (two queries)."""
    current = func.sum(case((Question.retired_at.is_(None), 1), else_=0))
    counts = (
        select(
            Question.bank_id,
            func.count().label("total"),
            current.label("current"),
        )
        .group_by(Question.bank_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Bank, func.coalesce(counts.c.total, 0), func.coalesce(counts.c.current, 0))
        .outerjoin(counts, counts.c.bank_id == Bank.id)
        .order_by(Bank.title, Bank.slug)
    ).all()
    sources: dict[int, list[str]] = defaultdict(list)
    for bank_id, slug in db.session.execute(
        select(BankSource.bank_id, Source.slug)
        .join(Source, Source.id == BankSource.source_id)
        .order_by(Source.slug)
    ):
        sources[bank_id].append(slug)
    return [
        BankRow(bank, int(cur), int(total) - int(cur), tuple(sources[bank.id]))
        for bank, total, cur in rows
    ]


def all_banks() -> list[Bank]:
    return list(db.session.scalars(select(Bank).order_by(Bank.title, Bank.slug)))


def bank_by_slug(slug: str) -> Bank | None:
    return db.session.scalar(select(Bank).where(Bank.slug == slug))


def bank_questions(bank: Bank) -> list[tuple[Question, QuestionVersion]]:
    """Every question of ``bank`` (retired ones last) with its latest version, in one query."""
    return [
        (q, v)
        for q, v in db.session.execute(
            select(Question, QuestionVersion)
            .join(
                QuestionVersion,
                CURRENT_VERSION,
            )
            .where(Question.bank_id == bank.id)
            .order_by(Question.retired_at.is_not(None), Question.id)
        ).all()
    ]


def question_in_bank(bank: Bank, key: str) -> Question | None:
    return db.session.scalar(
        select(Question)
        .where(Question.bank_id == bank.id, Question.key == key)
        .options(selectinload(Question.versions))
    )


def bank_sources(bank: Bank) -> list[Source]:
    return list(
        db.session.scalars(
            select(Source)
            .join(BankSource, BankSource.source_id == Source.id)
            .where(BankSource.bank_id == bank.id)
            .order_by(Source.slug)
        )
    )


@dataclass
class UploadCheck:
    """An uploaded bank, checked: the bank (None on any error) and every problem found."""

    filename: str
    bank: BankFile | None
    problems: list[Problem] = field(default_factory=list)
    # Questions the file would replace although the library changed them since the file was
    # downloaded: loading needs the instructor to say so (`force`).
    stale: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def ok(self) -> bool:
        return self.bank is not None and not self.errors


# Lengths of the columns that keep bank and source texts (app.models.Bank / Source).
_LIMITS = {"title": 300, "publication": 200, "author": 200, "url": 2000, "date": 32}
_FILE_SOURCE_MESSAGE = "a `file:` source needs the bank to be loaded from a file on disk"


def check_upload(text: str | bytes, filename: str) -> UploadCheck:
    """Validate and lint an uploaded bank against the library, changing nothing.

    `file:` sources are refused (a browser names no server paths); sources already in the
    library may be cited by id alone.
    """
    known = library_sources()
    bank, problems = parse_bank(text, filename=filename, base_dir=None, known_sources=known)
    problems = [
        Problem(
            p.file,
            p.line,
            p.question_id,
            "`file:` sources cannot be used in an upload: cite a source already in the library "
            "by its id alone (`- id: two-coups`), or embed it with `title`, `publication` and "
            "`text`",
        )
        if p.message == _FILE_SOURCE_MESSAGE
        else p
        for p in problems
    ]
    if bank is None or any(p.severity == "error" for p in problems):
        return UploadCheck(filename, None, problems)
    cross = _library_conflicts(bank, known)
    if cross:
        return UploadCheck(filename, None, problems + cross)
    versions = stale_questions([bank], WEB_HINT)
    stale = [p for p in versions if p.severity == "error"]
    ahead = [p for p in versions if p.severity != "error"]
    return UploadCheck(filename, bank, problems + lint_banks([bank]) + ahead, stale)


def _library_conflicts(bank: BankFile, known: dict[str, SourceDocument]) -> list[Problem]:
    """What a valid bank file may not do to the library: take others' questions or sources,
    or hold texts longer than the database columns that keep them."""
    problems: list[Problem] = []
    if bank.id in RESERVED_BANK_IDS:
        problems.append(
            Problem(
                bank.path,
                bank.line,
                None,
                f"the bank id `{bank.id}` names a library page; choose another",
            )
        )
    if len(bank.title) > _LIMITS["title"]:
        problems.append(
            Problem(
                bank.path,
                bank.line,
                None,
                f"the bank title is longer than {_LIMITS['title']} characters",
            )
        )
    for doc in bank.sources:
        for name, limit in _LIMITS.items():
            value = getattr(doc, name) or ""
            if len(value) > limit:
                problems.append(
                    Problem(
                        bank.path,
                        bank.line,
                        None,
                        f"source `{doc.id}`: `{name}` is longer than {limit} characters",
                    )
                )
    for doc in bank.sources:
        if doc.id in known and known[doc.id] != doc:
            problems.append(
                Problem(
                    bank.path,
                    bank.line,
                    None,
                    f"source `{doc.id}` is already in the library with a different text; cite "
                    f"it by id alone (`- id: {doc.id}`), or give the embedded source another id "
                    "(replace library sources on the Sources page)",
                )
            )
    problems += ownership_problems([bank])
    return problems


def preview_sync(banks: Sequence[BankFile]) -> SyncReport:
    """What ``sync_banks`` would do, computed inside a savepoint that is rolled back."""
    savepoint = db.session.begin_nested()
    try:
        report = sync_banks(banks)
    finally:
        savepoint.rollback()
    db.session.expire_all()
    return report


def load_banks(banks: Sequence[BankFile]) -> SyncReport:
    """Sync checked banks into the database (the caller commits)."""
    return sync_banks(banks)


def current_specs(bank: Bank) -> list[dict[str, Any]]:
    """Latest specs of the bank's current questions, for GIFT export."""
    return list(
        db.session.scalars(
            select(QuestionVersion.spec)
            .join(
                Question,
                CURRENT_VERSION,
            )
            .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
            .order_by(Question.id)
        )
    )
