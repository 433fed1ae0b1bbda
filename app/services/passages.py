"""The questions that examine each passage of a library source (the studio's starting point).

One query reads the current version of every current question in the banks that cite the
source; the counting is `app.domain.banks.coverage`'s. Questions can only cite sources their bank
cites, so the join through `bank_source` finds them all.
"""

from __future__ import annotations

from sqlalchemy import select

from app.domain.banks.coverage import CitingQuestion, Coverage, coverage
from app.extensions import db
from app.models import CURRENT_VERSION, Bank, BankSource, Question, QuestionVersion, Source


def source_coverage(source: Source) -> Coverage:
    """Per paragraph of ``source``, the current questions whose current version cites it."""
    rows = db.session.execute(
        select(Question.key, Bank.slug, QuestionVersion.spec)
        .join(QuestionVersion, CURRENT_VERSION)
        .join(Bank, Bank.id == Question.bank_id)
        .join(BankSource, BankSource.bank_id == Question.bank_id)
        .where(BankSource.source_id == source.id, Question.retired_at.is_(None))
        .order_by(Bank.slug, Question.id)
    ).all()
    questions = (CitingQuestion(key, bank, spec) for key, bank, spec in rows)
    return coverage(source.slug, len(source.paragraphs), questions)
