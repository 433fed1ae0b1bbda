"""A numeric question on the instructor's pages: the library shows the accepted answers, the
quiz builder's preview shows only the field a student types in."""

from __future__ import annotations

import re

from app.models import Bank, Question
from tests.support import specs
from tests.support.quiz_setup import build
from tests.support.specs import SECRET


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_numeric_question_in_the_library_and_the_builder(make, login_as, client, db) -> None:
    s = build(make, [specs.numeric()])
    question = db.session.query(Question).one()
    bank = db.session.get(Bank, question.bank_id)
    login_as(s.teacher)

    library = client.get(f"/teach/banks/{bank.slug}/questions/{question.key}")
    assert library.status_code == 200
    text = plain(library.get_data(as_text=True))
    assert "Your answer (a number)" in text  # as a student sees it
    assert "1822 (100%)" in text and "1822 ± 2 (50%)" in text and "1800 to 1850 (25%)" in text
    assert f"{SECRET}-close" in text

    preview = client.get(f"/teach/quizzes/{s.quiz.id}/questions/{question.id}/preview")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert 'inputmode="decimal"' in html and "Numeric" in html
    assert "1822" not in html and SECRET not in html
