"""The shipped question banks, and snapshots of the library tables ("nothing changed")."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import func, select

from app.domain.banks.schema import load_bank_paths
from app.models import Bank, BankSource, Paragraph, Question, QuestionVersion, Source
from app.services.bank_sync import sync_banks
from tests.support.paths import BANKS, SHARED

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
