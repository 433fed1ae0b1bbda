"""A key changed on a question students have answered: the save offers the regrade dry run."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from app.models import Question
from tests.support.attempt_data import build_world, make_attempt
from tests.support.studio import edit_url, editor_fields


def test_changing_an_answered_key_offers_the_regrade_dry_run(
    client: FlaskClient, make: Any, login_as: Any, db: Any
) -> None:
    w = build_world(make)
    w.short.retired_at = w.short.created_at  # its factory spec has no explanation
    make_attempt(w.quiz, w.student, [(w.single, "b"), (w.essay, "An answer.")])
    login_as(w.teacher)
    url = edit_url(w.bank, w.single)
    fields = editor_fields(client, url)
    assert fields["options-correct"] == ["1"]  # option b
    fields["options-correct"] = ["0"]
    fields["action"] = ["save"]
    page = client.post(url, data=fields)
    assert page.status_code == 200, page.text[page.text.find("problems-heading") :][:1500]
    assert "Regrade dry run for “Week 1”" in page.text
    assert f"/teach/quizzes/{w.quiz.id}/regrade?question={w.single.key}" in page.text
    db.session.expire_all()
    assert db.session.get(Question, w.single.id).latest_version == 2

    # the same quiz is not offered to an instructor who does not teach it
    login_as(w.outsider)
    fields = editor_fields(client, url)
    fields["options-correct"] = ["1"]
    fields["action"] = ["save"]
    response = client.post(url, data=fields)
    assert response.status_code == 302
    assert "Regrade dry run" not in client.get(response.headers["Location"]).text


def test_a_changed_prompt_alone_offers_no_regrade(
    client: FlaskClient, make: Any, login_as: Any, db: Any
) -> None:
    w = build_world(make)
    w.short.retired_at = w.short.created_at
    make_attempt(w.quiz, w.student, [(w.single, "b")])
    login_as(w.teacher)
    url = edit_url(w.bank, w.single)
    fields = editor_fields(client, url)
    fields["prompt"] = ["A clearer wording?"]
    fields["action"] = ["save"]
    response = client.post(url, data=fields)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, w.single.id).latest_version == 2


def test_another_broken_question_of_the_bank_is_named(
    client: FlaskClient, make: Any, login_as: Any, db: Any
) -> None:
    w = build_world(make)  # q-short's factory spec has an empty explanation
    login_as(w.teacher)
    url = edit_url(w.bank, w.single)
    fields = editor_fields(client, url)
    fields["prompt"] = ["A clearer wording?"]
    fields["action"] = ["save"]
    page = client.post(url, data=fields)
    assert page.status_code == 422
    assert "question `q-short` of this bank has a problem: `explanation` is empty" in page.text
    db.session.expire_all()
    assert db.session.get(Question, w.single.id).latest_version == 1
