"""``hustings banks …`` and ``hustings sources …``: bank files in, checked, synced, GIFT in/out."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.database import writing
from app.domain.banks import background, gift
from app.domain.banks.articles import (
    SourceDocument,
    SourceFileError,
    parse_source_file,
    render_source_file,
    split_sentences,
    valid_source_id,
)
from app.domain.banks.lint import lint_banks
from app.domain.banks.schema import Bank as BankFile
from app.domain.banks.schema import Problem, load_bank_paths, parse_bank
from app.extensions import db
from app.models import Bank, Source
from app.services.bank_files import ExportError, LibrarySources, export_yaml
from app.services.bank_sync import (
    SyncReport,
    ownership_problems,
    stale_questions,
    sync_banks,
    sync_notes,
)
from app.services.library import (
    MAX_GIFT_BYTES,
    LibraryError,
    article_format,
    build_document,
    current_specs,
    decode_text,
    decode_upload,
    extract_for_review,
    suggest_source_id,
)


def _print_problems(problems: list[Problem]) -> tuple[int, int]:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for problem in sorted(problems, key=lambda p: (p.file, p.line)):
        click.echo(str(problem), err=True)
    return len(errors), len(warnings)


def _source_ids(banks: list[BankFile]) -> set[str]:
    return {s.id for b in banks for s in b.sources}


def check_paths(paths: tuple[Path, ...]) -> tuple[list[BankFile], int, int]:
    # a source cited by id alone (as in a downloaded bank) is the library's
    banks, problems = load_bank_paths(paths, known_sources=LibrarySources())
    problems += background.notes_in(paths, _source_ids(banks))[1]
    if not any(p.severity == "error" for p in problems):
        problems += lint_banks(banks)
    errors, warnings = _print_problems(problems)
    return banks, errors, warnings


def load_paths(
    paths: tuple[Path, ...], *, quiet: bool = False, force: bool = False
) -> SyncReport | None:
    """Validate, then sync in one transaction; on any error nothing changes (returns None).

    A question written from an older version than the library's current one (and different
    from it) is refused unless ``force``: someone changed it in the library since."""
    banks, errors, _warnings = check_paths(paths)
    if errors:
        return None
    taken = ownership_problems(banks)
    if taken:
        _print_problems(taken)
        return None
    total = sum(len(b.questions) for b in banks)
    with writing():
        try:
            found = stale_questions(banks)
            stale = [p for p in found if p.severity == "error"]
            _print_problems([p for p in found if p.severity != "error"])
            if stale and not force:
                _print_problems(stale)
                db.session.rollback()
                return None
            for problem in stale:
                click.echo(
                    f"{problem.file}:{problem.line}: {problem.question_id}: replacing "
                    "the library's newer version (--force)",
                    err=True,
                )
            if quiet or total < 50:
                report = sync_banks(banks)
            else:
                with click.progressbar(
                    length=total, label="Loading questions", file=sys.stderr
                ) as bar:
                    report = sync_banks(banks, progress=bar.update)
            sync_notes(background.notes_in(paths, _source_ids(banks))[0], report)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return report


@click.group()
def banks() -> None:
    """Question bank files: check, load, GIFT import and export."""


@banks.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate and lint bank files; change nothing. Exit 1 on errors, 0 with warnings.

    Sources cited by id alone (as in a downloaded bank) are read from the library."""
    found, errors, warnings = check_paths(paths)
    n = sum(len(b.questions) for b in found)
    click.echo(f"{len(found)} bank(s), {n} question(s): {errors} error(s), {warnings} warning(s).")
    if errors:
        sys.exit(1)


@banks.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace questions the library changed since the file was downloaded (`version:`).",
)
@with_appcontext
def load_command(paths: tuple[Path, ...], force: bool) -> None:
    """Validate, then add or update questions by id (a file with any error changes nothing)."""
    report = load_paths(paths, force=force)
    if report is None:
        click.echo("Nothing was loaded: fix the errors above and load again.", err=True)
        sys.exit(1)
    click.echo(f"Loaded: {report.summary()}.")
    if report.behind_note():
        click.echo(report.behind_note(), err=True)


@banks.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_id", required=True, help="Id of the new bank (e.g. week3-gift).")
@click.option("--title", default=None, help="Bank title (default: the bank id).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the YAML bank (default: question_banks/<bank>.yaml).",
)
@click.option(
    "--source",
    "source_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The cleaned source file (sources/<id>.md) the questions are about.",
)
@click.option("--load", "load_now", is_flag=True, help="Also load the converted bank now.")
@with_appcontext
def import_gift_command(
    file: Path,
    bank_id: str,
    title: str | None,
    output: Path | None,
    source_file: Path,
    load_now: bool,
) -> None:
    """Convert a Moodle GIFT file to a YAML bank you can review (and optionally load)."""
    output = output or Path(current_app.config["QUESTION_BANKS"]) / f"{bank_id}.yaml"
    try:
        doc = parse_source_file(source_file.read_text(encoding="utf-8"), filename=str(source_file))
    except SourceFileError as exc:
        raise click.ClickException(f"{source_file}: {exc}") from exc
    relative = os.path.relpath(source_file.resolve(), output.resolve().parent)
    try:
        text = decode_text(file.read_bytes(), str(file), MAX_GIFT_BYTES)
    except LibraryError as exc:
        raise click.ClickException(str(exc)) from None
    result = gift.parse_gift(text, filename=str(file))
    for problem in result.problems:
        click.echo(f"{file}:{problem.line}: {problem.title or '-'}: {problem.message}", err=True)
    if not result.questions:
        click.echo("No question could be converted.", err=True)
        sys.exit(1)
    yaml_text = gift.gift_to_bank_yaml(
        result,
        bank_id=bank_id,
        title=title or bank_id,
        sources=[{"id": doc.id, "file": relative}],
    )
    if output.exists():
        raise click.ClickException(f"{output} exists; choose another --output or bank id")
    bank, problems = parse_bank(yaml_text, filename=str(output), base_dir=output.parent)
    errors, _ = _print_problems(problems)
    if bank is None or errors:
        raise click.ClickException("the converted bank does not validate; nothing was written")
    output.write_text(yaml_text, encoding="utf-8")
    click.echo(f"Wrote {output} with {len(bank.questions)} question(s).")
    if load_now:
        report = load_paths((output,), quiet=True)
        if report is None:
            sys.exit(1)
        click.echo(f"Loaded: {report.summary()}.")


@banks.command("export-gift")
@click.argument("bank_id")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
@with_appcontext
def export_gift_command(bank_id: str, output: click.utils.LazyFile) -> None:
    """Write a loaded bank's current questions as GIFT that Moodle imports."""
    bank = db.session.scalar(select(Bank).where(Bank.slug == bank_id))
    if bank is None:
        raise click.ClickException(f"no loaded bank has the id {bank_id!r}")
    specs = current_specs(bank)
    text, problems = gift.export_gift_with_report(specs, category=bank.title)
    output.write(text)
    # What GIFT cannot hold is said, never dropped without a word: on stderr, so the file stays
    # clean when written to stdout.
    name = output.name if output.name not in ("-", "<stdout>") else f"{bank.slug}.gift"
    for problem in problems:
        click.echo(str(dataclasses.replace(problem, filename=name)), err=True)
    skipped = sum(p.severity == "error" for p in problems)
    lossy = len({p.title for p in problems if p.severity != "error"})
    click.echo(
        f"Exported {len(specs) - skipped} of {len(specs)} question(s) from `{bank.slug}`"
        + (f"; {skipped} could not be written in GIFT" if skipped else "")
        + (f"; {lossy} lost fields GIFT cannot hold (listed above)" if lossy else "")
        + ".",
        err=True,
    )


@banks.command("export-yaml")
@click.argument("bank_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: print it).",
)
@with_appcontext
def export_yaml_command(bank_id: str, output: Path | None) -> None:
    """Write a loaded bank's current questions as a bank file that loads back unchanged."""
    bank = db.session.scalar(select(Bank).where(Bank.slug == bank_id))
    if bank is None:
        raise click.ClickException(f"no loaded bank has the id {bank_id!r}")
    try:
        export = export_yaml(bank)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output is None:
        click.echo(export.text, nl=False)
    else:
        try:
            output.write_text(export.text, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {output} ({exc.strerror or exc})") from None
    where = f" to {output}" if output is not None else ""
    click.echo(f"Wrote {export.questions} question(s) of `{bank.slug}`{where}.", err=True)


@click.group()
def sources() -> None:
    """Articles: clean a pasted or downloaded article into a source file."""


def _import_one(
    file: Path,
    *,
    source_id: str | None,
    given: dict[str, str | None],
    fmt: str | None,
) -> tuple[SourceDocument, list[str]]:
    """The source document of one article file, and the warnings that need ``--force``."""
    try:
        raw = decode_upload(file.read_bytes(), file.name, what=str(file))
    except OSError as exc:
        raise LibraryError(f"{file}: cannot be read ({exc.strerror or exc}).") from None
    chosen = article_format(fmt, file.name, raw)
    extraction = extract_for_review(raw, chosen)
    found = extraction.metadata
    title = given["title"] or found.title
    if not title:
        raise LibraryError(f"{file}: the page names no title; give one with --title.")
    sid = source_id or suggest_source_id(file.stem) or suggest_source_id(title)
    if not valid_source_id(sid or ""):
        raise LibraryError(
            f"{file}: the id {sid!r} is not allowed: use lower-case letters, digits, - and _ "
            "(starting with a letter or digit), e.g. --id two-coups."
        )
    doc = build_document(
        id=sid,
        title=title,
        publication=given["publication"] or found.publication or "Publication not given",
        date=given["date"] or found.date,
        url=given["url"] or found.url,
        author=given["author"] or found.author,
        paragraphs=extraction.paragraphs,
    )
    return doc, list(extraction.warnings)


@sources.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--id",
    "source_id",
    default=None,
    help="Stable id, e.g. two-coups (one file only; default: made from the file name).",
)
@click.option("--title", default=None, help="Default: the page's own title (one file only).")
@click.option("--publication", default=None, help="Default: the page's site name.")
@click.option("--date", default=None, help="YYYY, YYYY-MM or YYYY-MM-DD (default: the page's).")
@click.option("--url", default=None, help="Default: the page's canonical address.")
@click.option("--author", default=None, help="Leave out when the text does not name one.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default=None)
@click.option(
    "--force", is_flag=True, help="Write the file even when the extraction looks incomplete."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write (one input), or a folder (several); default question_banks/sources/; "
    "'-' prints it.",
)
@with_appcontext
def import_source_command(
    files: tuple[Path, ...],
    source_id: str | None,
    title: str | None,
    publication: str | None,
    date: str | None,
    url: str | None,
    author: str | None,
    fmt: str | None,
    force: bool,
    output: Path | None,
) -> None:
    """Clean articles (text, Markdown or saved web pages) into reviewable source files.

    Several files are imported in one run; each gets the id made from its file name. A page
    whose extraction looks incomplete (very short next to the page, or like a caption or a
    menu) is not written unless --force is given; the exit status is 1 if any file was not.
    """
    several = len(files) > 1
    if several and (source_id or title):
        raise click.UsageError("--id and --title name one article: import one file with them.")
    to_stdout = output is not None and str(output) == "-"
    if several and to_stdout:
        raise click.UsageError("'-o -' prints one article: import one file with it.")
    sources_dir = Path(current_app.config["QUESTION_BANKS"]) / "sources"
    if output is not None and not to_stdout and (several or output.is_dir()):
        if output.exists() and not output.is_dir():
            raise click.UsageError(f"{output} is a file: give a folder for several articles.")
        sources_dir, output = output, None
    given = {
        "title": title,
        "publication": publication,
        "date": date,
        "url": url,
        "author": author,
    }
    failed = 0
    for file in files:
        try:
            doc, warnings = _import_one(file, source_id=source_id, given=given, fmt=fmt)
        except LibraryError as exc:
            message = str(exc)
            click.echo(message if message.startswith(str(file)) else f"{file}: {message}", err=True)
            failed += 1
            continue
        for warning in warnings:
            click.echo(f"{file}: warning: {warning}", err=True)
        if warnings and not force:
            click.echo(
                f"{file}: not written; check the page, or write it anyway with --force.", err=True
            )
            failed += 1
            continue
        text = render_source_file(doc)
        if to_stdout:
            click.echo(text, nl=False)
            continue
        target = output or sources_dir / f"{doc.id}.md"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"{file}: cannot write {target} ({exc.strerror or exc}).", err=True)
            failed += 1
            continue
        words = sum(len(p.split()) for p in doc.paragraphs)
        click.echo(
            f"Wrote {target}: {len(doc.paragraphs)} paragraphs, {words} words "
            f"(“{doc.title}”). Review it, then cite paragraphs as p1…pN in a bank."
        )
    if failed:
        click.echo(f"{failed} of {len(files)} file(s) not written.", err=True)
        sys.exit(1)


@sources.command("show")
@click.argument("source")
@click.option(
    "--sentences/--paragraphs",
    default=True,
    show_default=True,
    help="Number every sentence (p3.s2, as evidence cites it), or paragraphs only.",
)
@with_appcontext
def show_source(source: str, sentences: bool) -> None:
    """Print an article with the numbers questions cite: a source file, or a library source's id."""
    path = Path(source)
    if path.is_file():
        try:
            raw = path.read_text(encoding="utf-8")
            doc = parse_source_file(raw, filename=str(path))
        except (UnicodeDecodeError, SourceFileError) as exc:
            raise click.ClickException(f"{path}: {exc}") from None
        title, line = doc.title, doc.author_line
        paragraphs = [(text, split_sentences(text)) for text in doc.paragraphs]
    else:
        row = db.session.scalar(select(Source).where(Source.slug == source))
        if row is None:
            raise click.ClickException(
                f"no source file {source!r} and no library source with that id; list the library "
                "on the Sources page (/teach/sources), or give the path of a sources/<id>.md file"
            )
        title = row.title
        line = ", ".join(p for p in (row.publication, row.date, row.url) if p)
        # The sentences stored when the source was loaded: the numbering its questions cite.
        ordered = sorted(row.paragraphs, key=lambda p: p.position)
        paragraphs = [(p.text, p.sentences or split_sentences(p.text)) for p in ordered]
    click.echo(f"{title}\n{line}\n")
    for number, (text, split) in enumerate(paragraphs, start=1):
        if not sentences:
            click.echo(f"p{number}  {text}\n")
            continue
        click.echo(f"p{number}")
        for s_number, sentence in enumerate(split, start=1):
            click.echo(f"  p{number}.s{s_number}  {sentence}")
        click.echo("")
