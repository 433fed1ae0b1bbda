"""Background notes beside the articles: what a first-year student needs to read a piece.

Pure (stdlib, yaml). A note is a file `question_banks/notes/<name>.md`: YAML front matter naming
the `source` it goes with and a `title`, then plain text in blocks separated by blank lines. A
block starting `## ` is a heading; a block of lines starting `- ` is a list; anything else is a
paragraph. No HTML: the text is shown escaped, so a note cannot carry markup or script. Problems
are reported like bank problems, `file:line: what is wrong`, and a bad note loads nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.domain.banks.schema import Problem
from app.domain.text import accept, find_problem

MAX_NOTE_BYTES = 100_000
_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "paragraph" or "list"
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    source: str
    title: str
    text: str  # the body as written (blocks are parsed from it again for display)
    path: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()

    def blocks(self) -> list[Block]:
        return parse_blocks(self.text)


def parse_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", text.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("## "):
            blocks.append(Block("heading", lines[0][3:].strip()))
        elif all(line.startswith("- ") for line in lines):
            blocks.append(Block("list", items=tuple(line[2:].strip() for line in lines)))
        else:
            blocks.append(Block("paragraph", " ".join(lines)))
    return blocks


def parse_note(content: str, *, filename: str) -> tuple[Note | None, list[Problem]]:
    """Validate one note file's text. Never raises."""
    problem = find_problem(content)
    if problem is not None:
        return None, [Problem(filename, problem.line, None, problem.message("The note"))]
    content = accept(content.replace("\r\n", "\n"))
    match = _FRONT.match(content)
    if match is None:
        message = "a note starts with front matter between `---` lines (source:, title:)"
        return None, [Problem(filename, 1, None, message)]
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        return None, [Problem(filename, line, None, "the front matter is not valid YAML")]
    problems: list[Problem] = []
    if not isinstance(meta, dict):
        return None, [Problem(filename, 2, None, "the front matter must be `key: value` lines")]
    unknown = sorted(set(meta) - {"source", "title"})
    if unknown:
        problems.append(
            Problem(filename, 2, None, f"unknown key `{unknown[0]}` in the front matter")
        )
    source, title = meta.get("source"), meta.get("title")
    if not isinstance(source, str) or not _ID_RE.match(source):
        problems.append(
            Problem(filename, 2, None, "`source` must be the id of a source, like two-coups")
        )
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem(filename, 2, None, "`title` is missing or empty"))
    body = content[match.end() :]
    if not body.strip():
        line = content[: match.end()].count("\n") + 1
        problems.append(Problem(filename, line, None, "the note has no text"))
    if problems:
        return None, problems
    return Note(str(source), str(title).strip(), body.strip(), filename), []


def load_notes(folder: Path, source_ids: set[str]) -> tuple[list[Note], list[Problem]]:
    """Every `notes/*.md` under a bank folder; a note must name a source the banks hold, and a
    source gets at most one note."""
    notes: list[Note] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted((folder / "notes").glob("*.md")):
        name = str(path)
        try:
            if path.stat().st_size > MAX_NOTE_BYTES:
                problems.append(Problem(name, 1, None, "the note is larger than 100 KB"))
                continue
            content = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem(name, 1, None, "the note is not valid UTF-8 text"))
            continue
        except OSError as exc:
            problems.append(Problem(name, 1, None, f"cannot read the note: {exc.strerror}"))
            continue
        note, found = parse_note(content, filename=name)
        problems.extend(found)
        if note is None:
            continue
        if note.source not in source_ids:
            problems.append(
                Problem(name, 2, None, f"`source` `{note.source}` is not a source of these banks")
            )
        elif note.source in seen:
            problems.append(
                Problem(
                    name,
                    2,
                    None,
                    f"source `{note.source}` already has a note ({seen[note.source]})",
                )
            )
        else:
            seen[note.source] = name
            notes.append(note)
    return notes, problems


def notes_in(paths: Iterable[Path], source_ids: set[str]) -> tuple[list[Note], list[Problem]]:
    """The notes of every folder among ``paths`` (files name no notes folder)."""
    notes: list[Note] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir():
            found, trouble = load_notes(path, source_ids)
            notes += found
            problems += trouble
    return notes, problems
