"""The studio's tests share these: a current question of a type, its editor's URL, and the
editor's form as a browser would post it back."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.models import Bank, Question
from tests.support.form_html import submitted_fields


def first_question(db: Any, qtype: str) -> tuple[Bank, Question]:
    """The first current question of `qtype` in the library, with its bank."""
    for bank in db.session.scalars(select(Bank).order_by(Bank.slug)):
        for question in bank.questions:
            if question.retired_at is None and question.versions[-1].type == qtype:
                return bank, question
    raise AssertionError(f"no current {qtype} question")


def edit_url(bank: Bank, question: Question) -> str:
    return f"/teach/banks/{bank.slug}/questions/{question.key}/edit"


def editor_fields(client: FlaskClient, url: str) -> dict[str, list[str]]:
    """Open the editor at `url` and read its form as the browser would send it."""
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    return submitted_fields(page.text, form_id="editor")
