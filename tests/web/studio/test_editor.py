"""The question editor's pages: open, check, save as a bank load would, refuse bad input."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.models import Question
from tests.support.form_html import submitted_fields
from tests.support.studio import edit_url, editor_fields, first_question


def test_opening_and_saving_an_unchanged_question_makes_no_version(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    url = edit_url(bank, question)
    page = teacher_client.get(url)
    assert page.status_code == 200, page.text[:500]
    fields = submitted_fields(page.text, form_id="editor")
    fields["action"] = ["save"]
    response = teacher_client.post(url, data=fields)
    assert response.status_code == 302, response.text[:2000]
    db.session.expire_all()
    assert db.session.get(Question, question.id).latest_version == question.latest_version


def test_a_mistake_comes_back_beside_its_field_with_the_checkers_words(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    url = edit_url(bank, question)
    fields = editor_fields(teacher_client, url)
    fields["points"] = ["lots"]
    fields["options-1-text"] = [""]
    fields["options-1-feedback"] = ["feedback without an option"]
    fields["action"] = ["save"]
    response = teacher_client.post(url, data=fields)
    assert response.status_code == 422
    html = response.text
    points = re.search(r'id="f-points-error"[^>]*>([^<]*)<', html)
    assert points and "`points`" in points.group(1), html[:3000]
    assert 'data-field-error="options-1-text"' in html
    assert 'class="editor-row has-error" data-row="1"' in html
    db.session.expire_all()
    assert db.session.get(Question, question.id).latest_version == question.latest_version


def test_saving_a_changed_question_makes_a_new_version_and_says_so(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    before = question.latest_version
    url = edit_url(bank, question)
    fields = editor_fields(teacher_client, url)
    fields["prompt"] = [fields["prompt"][0] + " Answer from the text."]
    fields["action"] = ["save"]
    response = teacher_client.post(url, data=fields, follow_redirects=True)
    assert f"Saved as version {before + 1}" in response.text
    db.session.expire_all()
    saved = db.session.get(Question, question.id)
    assert saved.latest_version == before + 1
    assert saved.versions[-1].spec["prompt"].endswith("Answer from the text.")


def test_a_stale_form_is_refused_unless_forced(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    url = edit_url(bank, question)
    first = submitted_fields(teacher_client.get(url).text, form_id="editor")
    second = {k: list(v) for k, v in first.items()}
    first["prompt"] = [first["prompt"][0] + " (first edit)"]
    first["action"] = ["save"]
    assert teacher_client.post(url, data=first).status_code == 302
    second["prompt"] = [second["prompt"][0] + " (second edit)"]
    second["action"] = ["save"]
    refused = teacher_client.post(url, data=second)
    assert refused.status_code == 409
    assert "Replace the newer version" in refused.text
    db.session.expire_all()
    assert (
        db.session.get(Question, question.id).versions[-1].spec["prompt"].endswith("(first edit)")
    )
    second["force"] = ["1"]
    assert teacher_client.post(url, data=second).status_code == 302
    db.session.expire_all()
    assert (
        db.session.get(Question, question.id).versions[-1].spec["prompt"].endswith("(second edit)")
    )


def test_a_new_question_starts_from_the_passages_it_is_about(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, _question = first_question(db, "single")
    source = bank.questions[0].versions[-1].spec.get("source") or next(
        r.partition(":")[0] for q in bank.questions for r in q.versions[-1].spec.get("evidence", [])
    )
    url = f"/teach/banks/{bank.slug}/new-question?type=single&ref={source}:p2.s1&ref={source}:p99"
    page = teacher_client.get(url)
    assert page.status_code == 200
    fields = submitted_fields(page.text, form_id="editor")
    assert fields["evidence"] == [f"{source}:p2.s1"]  # a passage the article lacks is dropped
    fields.update(
        {
            "prompt": ["What does the author claim in this sentence?"],
            "skill": ["literal"],
            "difficulty": ["easy"],
            "explanation": ["The sentence says so."],
            "options-0-text": ["That the coup failed"],
            "options-1-text": ["That the coup succeeded"],
            "options-correct": ["0"],
            "action": ["save"],
        }
    )
    key = fields["id"][0]
    response = teacher_client.post(f"/teach/banks/{bank.slug}/new-question", data=fields)
    assert response.status_code == 302, response.text[:3000]
    db.session.expire_all()
    made = db.session.scalars(select(Question).where(Question.key == key)).one()
    spec = made.versions[-1].spec
    assert made.bank_id == bank.id and made.latest_version == 1
    assert spec["evidence"] == [f"{source}:p2.s1"]
    assert [o["correct"] for o in spec["options"]] == [True, False]


def test_the_live_check_answers_with_placed_errors_and_a_preview(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    url = edit_url(bank, question)
    fields = editor_fields(teacher_client, url)
    ok = teacher_client.post(f"/teach/banks/{bank.slug}/check", data=fields).get_json()
    assert ok["ok"] and not ok["errors"]
    assert "As a student sees it" in ok["preview"] and 'type="radio"' in ok["preview"]
    fields["skill"] = ["mind-reading"]
    bad = teacher_client.post(f"/teach/banks/{bank.slug}/check", data=fields).get_json()
    assert not bad["ok"] and "skill" in bad["errors"]
    db.session.expire_all()
    assert db.session.get(Question, question.id).latest_version == question.latest_version


def test_text_is_escaped_in_the_editor_and_its_preview(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    url = edit_url(bank, question)
    fields = editor_fields(teacher_client, url)
    fields["prompt"] = ['Which? <script>alert("x")</script><img src=x onerror=alert(1)>']
    fields["options-0-feedback"] = ['"><script>alert(2)</script>']
    fields["action"] = ["preview"]
    html = teacher_client.post(url, data=fields).text
    assert "<script>alert" not in html and "<img src=x onerror" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)" in html or "&lt;script&gt;alert(&quot;x&quot;)" in html
    )


def test_students_and_strangers_cannot_reach_the_studio(
    client: FlaskClient, make: Any, login_as: Any, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    urls = [
        f"/teach/banks/{bank.slug}/questions/{question.key}/edit",
        f"/teach/banks/{bank.slug}/new-question",
        "/teach/studio/",
        "/teach/studio/banks/new",
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    login_as(make.student())
    for url in urls:
        assert client.get(url).status_code == 404
    assert (
        client.post(f"/teach/banks/{bank.slug}/questions/{question.key}/retire").status_code == 404
    )
    db.session.expire_all()
    assert db.session.get(Question, question.id).retired_at is None


def test_unknown_banks_and_questions_are_404(teacher_client: FlaskClient, real_banks: Any) -> None:
    assert teacher_client.get("/teach/banks/nope/new-question").status_code == 404
    assert teacher_client.get("/teach/banks/nope/questions/x/edit").status_code == 404


def test_an_evidence_question_from_a_selection_starts_with_it_as_its_key(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "evidence")
    source = question.versions[-1].spec["key"][0].partition(":")[0]
    refs = [f"{source}:p2.s1", f"{source}:p2.s2"]
    page = teacher_client.get(
        f"/teach/banks/{bank.slug}/new-question?type=evidence&ref={refs[0]}&ref={refs[1]}"
    )
    fields = submitted_fields(page.text, form_id="editor")
    assert fields["key"] == refs and fields["evidence"] == refs
    assert fields["select"] == ["sentence"]
