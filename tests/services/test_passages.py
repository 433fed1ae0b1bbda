"""The questions citing each paragraph of a source: current versions of current questions of the
banks that cite it, and nothing else (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.models import Bank, BankSource, QuestionVersion
from app.services.passages import source_coverage
from tests.support import specs

pytestmark = pytest.mark.both_dbs


def _bank(db: Any, slug: str, *sources: Any) -> Bank:
    bank = Bank(slug=slug, title=slug)
    db.session.add(bank)
    db.session.flush()
    for source in sources:
        db.session.add(BankSource(bank_id=bank.id, source_id=source.id))
    db.session.flush()
    return bank


def _spec(qid: str, *refs: str) -> dict[str, Any]:
    return {**specs.single(), "id": qid, "evidence": list(refs)}


def test_current_versions_of_current_questions_only(db: Any, make: Any) -> None:
    art, other = make.source("art", paragraphs=4), make.source("other", paragraphs=2)
    bank = _bank(db, "b-art", art, other)
    make.question(_spec("plain", "art:p1", "other:p2"), bank)
    revised = make.question(_spec("revised", "art:p2"), bank)
    # version 2 moves its evidence from p2 to p3: only the current version counts
    db.session.add(
        QuestionVersion(
            question_id=revised.id,
            version=2,
            type="single",
            skill="literal",
            difficulty="easy",
            points=1.0,
            spec=_spec("revised", "art:p3.s2"),
            content_hash="r" * 64,
        )
    )
    revised.latest_version = 2
    retired = make.question(_spec("retired", "art:p4"), bank)
    retired.retired_at = datetime.now(UTC)
    # a bank that does not cite the article cannot cite it (and its questions are not read)
    make.question(_spec("elsewhere", "other:p1"), _bank(db, "b-other", other))
    db.session.commit()

    result = source_coverage(art)
    assert [p.count for p in result.paragraphs] == [1, 0, 1, 0]
    assert result.paragraph(3).citations[0].key == "revised"
    assert result.paragraph(3).citations[0].passages == ("p3.s2",)
    assert result.paragraph(1).citations[0].bank == "b-art"
    assert result.questions == 2
    assert [p.count for p in source_coverage(other).paragraphs] == [1, 1]


def test_a_source_no_bank_cites_has_no_coverage(db: Any, make: Any) -> None:
    lonely = make.source("lonely", paragraphs=3)
    make.question(_spec("stray", "lonely:p1"))  # its bank does not cite the source
    result = source_coverage(lonely)
    assert result.not_examined == (1, 2, 3) and result.questions == 0
