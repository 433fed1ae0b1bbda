"""How Canvas and Moodle read a grade file: small, independent models of their importers,
written from their documented rules (not from app.domain.export), so the exports can be checked
against what the LMS will do with them.

Canvas, gradebook import (Canvas Guides, "How do I import grades in the Gradebook?"; the
importer is app/models/gradebook_importer.rb in instructure/canvas-lms):
  C1. The first row is the header. "Student", "ID", "SIS User ID", "SIS Login ID", "Section"
      (and "Integration ID") identify; the other columns are assignments, matched to an
      existing assignment by the id in parentheses at the end of the name ("Title (123)").
  C2. A column whose name contains one of Canvas's totals ("Current Score", "Final Score",
      "Current Grade", "Final Grade", their "Unposted" forms, "… Points") is read-only: the
      importer skips it, grades and all.
  C3. Any row whose first cell contains "Points Possible" is taken as the points-possible row
      (not a student): its cells replace the assignments' maxima.
  C4. A student is found by ID, else SIS User ID, else SIS Login ID, by exact text; a row that
      matches nobody is listed as unknown and skipped.
  C5. A blank cell clears the grade already in the gradebook; a number replaces it; a number
      above points possible is kept (extra credit).

Moodle, "Import grades from CSV" (MoodleDocs "Grade import"; grade/import/csv):
  M1. The user is identified by one chosen column mapped to a user field (email, ID number…),
      by exact text.
  M2. When that cell is empty, the importer keeps the user of the previous row (the mapping
      variable is not reset), so the grades go to the wrong student.
  M3. A blank grade cell is "no grade": nothing is imported for it.
  M4. A row whose identifier matches nobody is an error that aborts the import.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

CANVAS_IDENTITY = {"Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Integration ID"}
CANVAS_TOTALS = re.compile(r"(Unposted )?(Current|Final) (Score|Grade|Points)", re.IGNORECASE)  # C2
ASSIGNMENT = re.compile(r"^(?P<title>.*)\((?P<id>\d+)\)\s*$")  # C1


@dataclass
class CanvasResult:
    maxima: dict[str, float] = field(default_factory=dict)
    grades: dict[str, dict[str, float | None]] = field(default_factory=dict)  # user → a → g
    unknown_rows: list[list[str]] = field(default_factory=list)
    skipped_columns: list[str] = field(default_factory=list)


def canvas_import(
    text: str,
    users: dict[str, dict[str, str]],
    before: dict[str, dict[str, float | None]],
    maxima: dict[str, float],
) -> CanvasResult:
    """Apply a gradebook CSV to ``before`` (user → assignment → grade). ``users`` maps a
    Canvas user key to its "ID", "SIS User ID" and "SIS Login ID"."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    header = rows[0]
    result = CanvasResult(maxima=dict(maxima), grades={u: dict(g) for u, g in before.items()})
    columns: dict[int, str] = {}
    for i, name in enumerate(header):
        if name in CANVAS_IDENTITY:
            continue
        if CANVAS_TOTALS.search(name):  # C2
            result.skipped_columns.append(name)
            continue
        match = ASSIGNMENT.match(name)
        assert match, f"column {name!r} would create a new assignment"
        columns[i] = match["id"]
    for row in rows[1:]:
        if "points possible" in row[0].lower():  # C3
            for i, aid in columns.items():
                if row[i].strip():
                    result.maxima[aid] = float(row[i])
            continue
        cells = dict(zip(header, row, strict=True))
        who = None
        for field_name in ("ID", "SIS User ID", "SIS Login ID"):  # C4
            value = cells.get(field_name, "")
            if value:
                who = next((u for u, ids in users.items() if ids.get(field_name) == value), None)
                if who:
                    break
        if who is None:
            result.unknown_rows.append(row)
            continue
        for i, aid in columns.items():  # C5
            result.grades.setdefault(who, {})[aid] = float(row[i]) if row[i].strip() else None
    return result


@dataclass
class MoodleResult:
    grades: dict[str, dict[str, float]] = field(default_factory=dict)  # user → item → grade
    error: str | None = None


def moodle_import(
    text: str,
    users: dict[str, dict[str, str]],
    map_from: str,
    map_to: str,
    items: dict[str, str],
    before: dict[str, dict[str, float]] | None = None,
) -> MoodleResult:
    """Apply a grade CSV: ``map_from`` is the file's column, ``map_to`` the user field;
    ``items`` maps a column name to a grade item."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    header = rows[0]
    result = MoodleResult(grades={u: dict(g) for u, g in (before or {}).items()})
    user = None  # M2: kept from row to row
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        key = cells[map_from]
        if key:
            user = next((u for u, f in users.items() if f.get(map_to) == key), None)  # M1
            if user is None:  # M4
                result.error = f"no user with {map_to} {key!r}"
                return result
        if user is None:
            continue
        for column, item in items.items():
            if cells.get(column, "").strip():  # M3
                result.grades.setdefault(user, {})[item] = float(cells[column])
    return result
