"""The studio's service: an edited question is checked and saved as its bank's file is loaded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.models import Bank
from app.services import studio
from tests.support.library import load_real_banks


@pytest.fixture
def banks(db: Any) -> list[Bank]:
    load_real_banks(db)
    return list(db.session.scalars(select(Bank).order_by(Bank.slug)))


def test_every_shipped_question_saves_back_unchanged(db: Any, banks: list[Bank]) -> None:
    bank = banks[0]
    for question in bank.questions[:12]:
        entry = studio.editor_entry(bank, question)
        draft, saved = studio.save_draft(bank, entry, question.key)
        assert not draft.errors, (question.key, draft.errors)
        assert saved is not None and question.key in saved.report.unchanged
        assert not saved.report.new_versions and not saved.report.retired


def test_a_changed_prompt_makes_a_new_version(db: Any, banks: list[Bank]) -> None:
    bank = banks[0]
    question = bank.questions[0]
    before = question.latest_version
    entry = studio.editor_entry(bank, question)
    entry["prompt"] = entry["prompt"] + " (revised)"
    _draft, saved = studio.save_draft(bank, entry, question.key)
    assert saved is not None and saved.report.new_versions == [question.key]
    assert question.latest_version == before + 1


def test_errors_are_placed_beside_their_fields(db: Any, banks: list[Bank]) -> None:
    bank = banks[0]
    question = next(q for q in bank.questions if q.versions[-1].type == "single")
    entry = studio.editor_entry(bank, question)
    entry["skill"] = "guessing"
    entry["options"][0]["text"] = ""
    draft = studio.check_draft(bank, entry, question.key)
    assert not draft.ok
    assert any("skill" in m for m in draft.errors.at("skill")), draft.errors
    assert draft.errors.under("options-0"), draft.errors
