"""The shipped question banks, and snapshots of the library tables ("nothing changed")."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.domain.banks.schema import load_bank_paths
from app.models import (
    Bank,
    BankSource,
    LintIgnore,
    Paragraph,
    Question,
    QuestionExclusion,
    QuestionVersion,
    Source,
)
from app.services.bank_sync import sync_banks
from tests.support.paths import BANKS, FIXTURES, SHARED

SHARED_ARTICLES = SHARED / "articles"
LIBRARY_MODELS = (Source, Paragraph, Bank, BankSource, Question, QuestionVersion)


def counts(db: Any) -> dict[str, int]:
    """Row counts of every library table: 'nothing changed' means these are equal."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in LIBRARY_MODELS
    }


def snapshot(db: Any) -> list[tuple[Any, ...]]:
    """Every library row's content, to prove a refused input changed nothing at all."""
    db.session.expire_all()
    rows: list[tuple[Any, ...]] = []
    for model in LIBRARY_MODELS:
        for obj in db.session.scalars(select(model)):
            values = (str(getattr(obj, c.key)) for c in model.__table__.columns)
            rows.append((model.__tablename__, *values))
    return sorted(rows)


@functools.cache
def _parsed_real_banks() -> tuple[list[Any], list[Any]]:
    return load_bank_paths([BANKS])  # frozen dataclasses: safe to share between tests


def load_real_banks(db: Any) -> Any:
    """Load question_banks/ into the database, as `hustings banks load` does."""
    banks, problems = _parsed_real_banks()
    assert not [p for p in problems if p.severity == "error"], problems
    report = sync_banks(banks)
    db.session.commit()
    return report


def library_state(db: Any) -> dict[str, Any]:
    """What a reload must leave alone: every version, exclusion and lint ignore."""
    db.session.expire_all()
    return {
        "versions": sorted(
            db.session.execute(
                select(Question.key, QuestionVersion.version, QuestionVersion.content_hash).join(
                    QuestionVersion, QuestionVersion.question_id == Question.id
                )
            ).all()
        ),
        "exclusions": sorted(
            db.session.execute(
                select(
                    QuestionExclusion.first_key,
                    QuestionExclusion.second_key,
                    QuestionExclusion.declared_by,
                    QuestionExclusion.reason,
                )
            ).all()
        ),
        "lint": sorted(
            db.session.execute(
                select(
                    Bank.slug, LintIgnore.question_key, LintIgnore.codes, LintIgnore.reason
                ).join(Bank, Bank.id == LintIgnore.bank_id)
            ).all(),
            key=str,
        ),
        "retired": sorted(
            db.session.scalars(select(Question.key).where(Question.retired_at.is_not(None)))
        ),
    }


def copy_fixture_bank(folder: Path) -> Path:
    """A copy of the every-type bank (tests/fixtures/all_types.yaml) with its source, to edit."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "all_types.yaml", folder / "all_types.yaml")
    shutil.copytree(FIXTURES / "sources", folder / "sources", dirs_exist_ok=True)
    return folder / "all_types.yaml"


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a text file (which must hold it)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
