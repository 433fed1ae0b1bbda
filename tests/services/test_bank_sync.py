"""The bank sync on a real database (SQLite and PostgreSQL): ids, versions, retirement, safety."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.cli.banks import load_paths
from app.domain.banks.schema import load_bank_paths
from app.models import Attempt, Bank, LintIgnore, Question, QuestionVersion, Response
from app.services.bank_sync import SyncReport, sync_banks
from tests.support.library import snapshot
from tests.support.paths import BANKS

pytestmark = pytest.mark.both_dbs

OLD_PROMPT = "According to the author, what are the three elements of “Labour’s power triumvirate”?"
NEW_PROMPT = "According to the author, which three elements make up “Labour’s power triumvirate”?"


@pytest.fixture
def banks_dir(tmp_path: Path) -> Path:
    """A copy of question_banks/ that a test may edit."""
    target = tmp_path / "question_banks"
    shutil.copytree(BANKS, target)
    return target


def load(db: Any, folder: Path) -> SyncReport:
    banks, problems = load_bank_paths([folder])
    assert not [p for p in problems if p.severity == "error"], problems
    report = sync_banks(banks)
    db.session.commit()
    db.session.expire_all()
    return report


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def without_loaded_at(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Library rows minus the banks' `loaded_at`, the one thing a reload may touch."""
    at = 1 + [c.key for c in Bank.__table__.columns].index("loaded_at")
    return [row[:at] + row[at + 1 :] if row[0] == "bank" else row for row in rows]


def question(db: Any, key: str) -> Question:
    return db.session.scalar(select(Question).where(Question.key == key))


def test_load_then_reload_unchanged_changes_nothing(backend: str, db: Any, banks_dir: Path) -> None:
    first = load(db, banks_dir)
    assert len(first.added) > 50 and sorted(first.sources_added) == ["kamikaze", "two-coups"]
    assert not first.new_versions and not first.retired
    before = snapshot(db)
    second = load(db, banks_dir)
    assert not second.changed
    assert sorted(second.unchanged) == sorted(first.added)
    assert without_loaded_at(snapshot(db)) == without_loaded_at(before)


def test_changed_question_gets_a_new_version_and_attempts_keep_theirs(
    backend: str, db: Any, banks_dir: Path, make: Any
) -> None:
    load(db, banks_dir)
    q = question(db, "tc-triumvirate")
    v1 = q.versions[0]
    course = make.course()
    student = make.student()
    make.enrol(course, student)
    quiz = make.quiz(course, [q])
    attempt = Attempt(quiz_id=quiz.id, user_id=student.id, number=1, seed=7, state="submitted")
    db.session.add(attempt)
    db.session.flush()
    db.session.add(
        Response(
            attempt_id=attempt.id,
            position=1,
            question_version_id=v1.id,
            max_points=1.0,
            value="a",
            state="wrong",
            auto_score=0.0,
            score=0.0,
        )
    )
    db.session.commit()
    response_before = db.session.execute(select(Response.__table__)).all()

    edit(banks_dir, "two-coups.yaml", OLD_PROMPT, NEW_PROMPT)
    report = load(db, banks_dir)
    assert report.new_versions == ["tc-triumvirate"]
    assert not report.added and not report.retired

    q = question(db, "tc-triumvirate")
    assert q.latest_version == 2
    versions = db.session.scalars(
        select(QuestionVersion)
        .where(QuestionVersion.question_id == q.id)
        .order_by(QuestionVersion.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].id == v1.id and "three elements of" in versions[0].spec["prompt"]
    assert "make up" in versions[1].spec["prompt"]
    assert db.session.execute(select(Response.__table__)).all() == response_before

    again = load(db, banks_dir)  # idempotent after a change too
    assert not again.changed


def test_removed_question_is_retired_then_restored(backend: str, db: Any, banks_dir: Path) -> None:
    load(db, banks_dir)
    original = (banks_dir / "two-coups.yaml").read_text(encoding="utf-8")
    start = original.index("  - id: tc-triumvirate")
    end = original.index("  - id: ", start + 10)
    (banks_dir / "two-coups.yaml").write_text(original[:start] + original[end:], encoding="utf-8")
    retired = load(db, banks_dir)
    assert retired.retired == ["tc-triumvirate"]
    q = question(db, "tc-triumvirate")
    assert q.retired_at is not None
    assert len(q.versions) == 1  # kept, not deleted

    (banks_dir / "two-coups.yaml").write_text(original, encoding="utf-8")
    restored = load(db, banks_dir)
    assert restored.restored == ["tc-triumvirate"]
    assert not restored.new_versions
    q = question(db, "tc-triumvirate")
    assert q.retired_at is None and q.latest_version == 1


def test_a_file_with_errors_changes_nothing(backend: str, db: Any, banks_dir: Path) -> None:
    load(db, banks_dir)
    before = snapshot(db)
    edit(banks_dir, "two-coups.yaml", OLD_PROMPT, NEW_PROMPT)  # a valid change ...
    path = banks_dir / "kamikaze.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    difficulty: easy\n", "    difficulty: trivial\n", 1), encoding="utf-8"
    )  # ... beside an error in another file
    assert load_paths((banks_dir,), quiet=True) is None
    db.session.expire_all()
    assert snapshot(db) == before


def test_question_moved_to_another_bank_is_refused_across_files(
    backend: str, db: Any, banks_dir: Path
) -> None:
    load(db, banks_dir)
    before = snapshot(db)
    copy = (banks_dir / "two-coups.yaml").read_text(encoding="utf-8")
    (banks_dir / "copy.yaml").write_text(
        copy.replace("id: two-coups-reading", "id: two-coups-copy"), encoding="utf-8"
    )
    assert load_paths((banks_dir,), quiet=True) is None
    db.session.expire_all()
    assert snapshot(db) == before
    assert db.session.scalar(select(Bank).where(Bank.slug == "two-coups-copy")) is None


def lint_rows(db: Any) -> list[tuple[str, list[str], str]]:
    db.session.expire_all()
    return sorted(
        (row.question_key, row.codes, row.reason) for row in db.session.scalars(select(LintIgnore))
    )


def test_lint_ignores_are_kept_and_replaced_without_new_versions(
    backend: str, db: Any, banks_dir: Path
) -> None:
    """What "Download as YAML" writes back: the accepted warnings and why, per bank and question."""
    load(db, banks_dir)
    assert lint_rows(db) == [
        (
            "",
            ["L007"],
            "Every question here is a comparison question by design; the other eight skills are "
            "covered per article in two-coups.yaml and kamikaze.yaml.",
        )
    ]
    edit(
        banks_dir,
        "comparison.yaml",
        "  - id: cmp-framings\n    type: single\n",
        "  - id: cmp-framings\n    type: single\n    lint_ignore: [L002, L001]\n"
        '    lint_reason: "The key is long on purpose."\n',
    )
    edit(banks_dir, "comparison.yaml", "by design; the other", "on purpose; the other")
    report = load(db, banks_dir)
    assert not report.new_versions and not report.added
    assert [r[:2] for r in lint_rows(db)] == [("", ["L007"]), ("cmp-framings", ["L002", "L001"])]
    assert lint_rows(db)[0][2].startswith("Every question here is a comparison question on purpose")
    assert lint_rows(db)[1][2] == "The key is long on purpose."
    edit(banks_dir, "comparison.yaml", "    lint_ignore: [L002, L001]\n", "")
    edit(banks_dir, "comparison.yaml", '    lint_reason: "The key is long on purpose."\n', "")
    load(db, banks_dir)
    assert [r[0] for r in lint_rows(db)] == [""]
