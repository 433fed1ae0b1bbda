"""The question editor's pages: open, check, save as a bank load would, refuse bad input."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.models import Bank, Question
from tests.support.html_forms import submitted_fields


def _first(db: Any, qtype: str) -> tuple[Bank, Question]:
    for bank in db.session.scalars(select(Bank).order_by(Bank.slug)):
        for question in bank.questions:
            if question.retired_at is None and question.versions[-1].type == qtype:
                return bank, question
    raise AssertionError(qtype)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def test_opening_and_saving_an_unchanged_question_makes_no_version(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = _first(db, "single")
    url = f"/teach/banks/{bank.slug}/questions/{question.key}/edit"
    page = teacher_client.get(url)
    assert page.status_code == 200, page.text[:500]
    fields = submitted_fields(page.text, form_id="editor")
    fields["action"] = ["save"]
    response = teacher_client.post(url, data=fields)
    assert response.status_code == 302, response.text[:2000]
    db.session.expire_all()
    assert db.session.get(Question, question.id).latest_version == question.latest_version
