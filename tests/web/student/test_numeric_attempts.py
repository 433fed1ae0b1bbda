"""A numeric question end to end on the server: the page, autosave (typed text read as a
number, non-numbers refused with a message), the no-JavaScript form, grading on submit, the
review, the instructor's attempt page, item analysis and the CSV export."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, Response
from tests.support import specs
from tests.support.quiz_setup import build
from tests.support.specs import SECRET


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def start(client: Any, quiz_id: int) -> int:
    r = client.post(f"/quizzes/{quiz_id}/start")
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def save(client: Any, attempt_id: int, position: int, value: Any, seq: int) -> Any:
    return client.post(
        f"/attempts/{attempt_id}/responses/{position}", json={"value": value, "seq": seq}
    )


def stored(attempt_id: int, position: int) -> Any:
    return db.session.scalar(
        select(Response.value).where(
            Response.attempt_id == attempt_id, Response.position == position
        )
    )


def test_numeric_question_from_page_to_review(make, login_as, client) -> None:
    s = build(make, [specs.single(), specs.numeric()])
    login_as(s.student)
    attempt_id = start(client, s.quiz.id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'data-type="numeric"' in page and 'inputmode="decimal"' in page
    assert "/static/js/question_types/numeric.js" in page
    assert SECRET not in page and "1822" not in page and "1850" not in page

    refused = save(client, attempt_id, 2, "1822 years", 1)
    assert refused.status_code == 400
    assert "without units or words" in refused.get_json()["message"]
    comma = save(client, attempt_id, 2, "1,5", 1)
    assert comma.status_code == 400 and "point for decimals" in comma.get_json()["message"]
    assert stored(attempt_id, 2) is None

    assert save(client, attempt_id, 2, " 1,821 ", 1).status_code == 200
    assert stored(attempt_id, 2) == 1821
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'value="1821"' in page and "1 of 2 answered" in plain(page)

    assert save(client, attempt_id, 1, "b", 1).status_code == 200
    assert client.post(f"/attempts/{attempt_id}/submit").status_code == 302
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.score == 2.0  # 1 for the single choice, half of 2 for "close"

    review = plain(client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True))
    assert "Your answer: 1821" in review
    assert "Accepted answers: 1822 ; 1822 ± 2 (50% credit); 1800 to 1850 (25% credit)" in review
    assert f"{SECRET}-close" in review and "Partly correct" in review

    login_as(s.teacher)
    shown = plain(client.get(f"/teach/attempts/{attempt_id}").get_data(as_text=True))
    assert "Answer: 1821" in shown
    items = client.get(f"/teach/quizzes/{s.quiz.id}/items")
    assert items.status_code == 200
    assert "In what year was the party founded?" in items.get_data(as_text=True)
    csv = client.get(f"/teach/quizzes/{s.quiz.id}/export.csv?layout=plain")
    header, row = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()[:2]
    assert "Grade (highest) /3,Q1 /1,Q2 /2" in header
    assert ",1,2,1,1," in row  # one attempt, 2 in all: 1 for Q1 and 1 of 2 for the number


def test_numeric_answer_from_the_plain_form(make, login_as, client) -> None:
    s = build(make, [specs.numeric()])
    login_as(s.student)
    attempt_id = start(client, s.quiz.id)
    form = {"page": "1", "action": "save", "seq-1": "0", "q1": "1 822"}
    assert client.post(f"/attempts/{attempt_id}", data=form).status_code == 302
    assert stored(attempt_id, 1) == 1822
    bad = client.post(f"/attempts/{attempt_id}", data={**form, "q1": "eighteen"})
    assert bad.status_code == 400
    assert "without units or words" in bad.get_data(as_text=True)
    assert stored(attempt_id, 1) == 1822
    client.post(f"/attempts/{attempt_id}/submit")
    assert db.session.get(Attempt, attempt_id).score == 2.0
