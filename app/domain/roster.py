"""Roster CSV parsing: pure, so every bad row can be reported before anything is written."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from app.domain.identities import (
    IdentityError,
    canonical_email,
    normalise_email,
    normalise_name,
    normalise_student_number,
)
from app.domain.text import TextProblem, accept

__all__ = ["RosterProblem", "RosterRow", "canonical_email", "parse_roster"]

MAX_ROSTER_BYTES = 2 * 1024 * 1024
_HEADER_ALIASES = {
    "name": "name",
    "full name": "name",
    "student name": "name",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "student id": "student_number",
    "student_id": "student_number",
    "student number": "student_number",
    "id number": "student_number",
    "id": "student_number",
    "section": "section",
}


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    email: str
    student_number: str | None
    section: str | None


@dataclass(frozen=True)
class RosterProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _section(value: str) -> str | None:
    try:
        section = " ".join(accept(value, multiline=False).split())
    except TextProblem as exc:
        raise IdentityError(exc.message("the section").rstrip(".")) from exc
    if len(section) > 64:
        raise IdentityError("the section is longer than 64 characters")
    return section or None


def _header(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")
    return " ".join(value.split()).casefold()


def parse_roster(data: bytes | str) -> tuple[list[RosterRow], list[RosterProblem]]:
    """Parse ``name, email, student id[, section]``; rows with problems are reported, not kept."""
    if isinstance(data, bytes):
        if len(data) > MAX_ROSTER_BYTES:
            return [], [RosterProblem(0, "the file is larger than 2 MB; split it")]
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [RosterProblem(0, "the file is not UTF-8 text; save it as CSV UTF-8")]
    rows: list[RosterRow] = []
    problems: list[RosterProblem] = []
    reader = csv.reader(io.StringIO(data, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [RosterProblem(1, f"cannot read the header row: {exc}")]
    if header is None:
        return [], [
            RosterProblem(1, "the file is empty; expected a header row name,email,student id")
        ]
    columns = [_HEADER_ALIASES.get(_header(h)) for h in header]
    missing = {"name", "email"} - set(columns)
    if missing:
        return [], [
            RosterProblem(
                1,
                f"missing column(s) {', '.join(sorted(missing))}; the header must name "
                "name, email and (optionally) student id and section",
            )
        ]
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(header):
                problems.append(RosterProblem(line, "more cells than header columns"))
                continue
            fields = {col: cell for col, cell in zip(columns, record, strict=False) if col}
            try:
                name = normalise_name(fields.get("name", ""))
                email = normalise_email(fields.get("email", ""))
                number = normalise_student_number(fields.get("student_number"))
                section = _section(fields.get("section", ""))
            except IdentityError as exc:
                problems.append(RosterProblem(line, str(exc)))
                continue
            if email in seen:
                problems.append(
                    RosterProblem(line, f"email {email} already appears on line {seen[email]}")
                )
                continue
            seen[email] = line
            rows.append(RosterRow(line, name, email, number, section))
    except csv.Error as exc:
        problems.append(RosterProblem(reader.line_num, f"malformed CSV: {exc}"))
    return rows, problems
