"""Duplicate, retire, move, new banks and search in the studio."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.models import Bank, BankSource, Question, Source
from tests.support.form_html import submitted_fields
from tests.support.studio import edit_url, first_question


def _post(client: FlaskClient, url: str, page: str, **data: str) -> Any:
    fields = submitted_fields(client.get(page).text)
    return client.post(url, data={"csrf_token": fields["csrf_token"][0], **data})


def test_duplicate_makes_a_copy_with_a_new_id(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    page = edit_url(bank, question)
    response = _post(
        teacher_client, f"/teach/banks/{bank.slug}/questions/{question.key}/duplicate", page
    )
    assert response.status_code == 302
    copy = db.session.scalars(select(Question).where(Question.key == f"{question.key}-copy")).one()
    assert copy.bank_id == bank.id and copy.latest_version == 1
    assert copy.versions[0].spec["prompt"] == question.versions[-1].spec["prompt"]


def test_retire_and_restore(teacher_client: FlaskClient, db: Any, real_banks: Any) -> None:
    bank, question = first_question(db, "single")
    page = edit_url(bank, question)
    url = f"/teach/banks/{bank.slug}/questions/{question.key}/retire"
    assert _post(teacher_client, url, page).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).retired_at is not None
    found = teacher_client.get(f"/teach/studio/?q={question.key}").text
    assert question.key not in found.split("question", 1)[-1] or "No question matches" in found
    assert _post(teacher_client, url, page, restore="1").status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).retired_at is None


def test_move_keeps_the_question_and_its_versions(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    sources = set(
        db.session.scalars(select(BankSource.source_id).where(BankSource.bank_id == bank.id))
    )
    target = next(
        b
        for b in db.session.scalars(select(Bank).where(Bank.id != bank.id))
        if sources
        <= set(db.session.scalars(select(BankSource.source_id).where(BankSource.bank_id == b.id)))
    )
    versions = question.latest_version
    page = edit_url(bank, question)
    url = f"/teach/banks/{bank.slug}/questions/{question.key}/move"
    response = _post(teacher_client, url, page, target=target.slug)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/teach/banks/{target.slug}/questions/{question.key}/edit"
    )
    db.session.expire_all()
    moved = db.session.get(Question, question.id)
    assert (
        moved.bank_id == target.id and moved.latest_version == versions and moved.retired_at is None
    )


def test_move_is_refused_when_the_target_lacks_the_article(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    bank, question = first_question(db, "single")
    assert question.versions[-1].spec["evidence"]
    page = "/teach/studio/banks/new"
    fields = submitted_fields(teacher_client.get(page).text)
    cited = set(
        db.session.scalars(
            select(Source.slug).join(BankSource).where(BankSource.bank_id == bank.id)
        )
    )
    other = next(s for s in db.session.scalars(select(Source.slug)) if s not in cited)
    made = teacher_client.post(
        page,
        data={
            "csrf_token": fields["csrf_token"][0],
            "slug": "empty-bank",
            "title": "Empty",
            "sources": [other],
        },
    )
    assert made.status_code == 302
    url = f"/teach/banks/{bank.slug}/questions/{question.key}/move"
    response = _post(
        teacher_client,
        url,
        f"/teach/banks/{bank.slug}/questions/{question.key}/edit",
        target="empty-bank",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).bank_id == bank.id
    page_after = teacher_client.get(response.headers["Location"]).text
    assert "Not moved" in page_after, re.findall(r"flash[^>]*>([^<]*)", page_after)
    assert "add the source to that bank first" in page_after


def test_a_new_bank_cites_the_articles_chosen(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    page = "/teach/studio/banks/new"
    html = teacher_client.get(page).text
    fields = submitted_fields(html)
    source = "two-coups"
    assert f'value="{source}"' in html
    response = teacher_client.post(
        page,
        data={
            "csrf_token": fields["csrf_token"][0],
            "slug": "week-9",
            "title": "Week 9 <b>reading</b>",
            "sources": [source],
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/teach/banks/week-9/new-question")
    bank = db.session.scalars(select(Bank).where(Bank.slug == "week-9")).one()
    assert db.session.scalars(select(BankSource).where(BankSource.bank_id == bank.id)).all()
    again = teacher_client.post(
        page,
        data={
            "csrf_token": fields["csrf_token"][0],
            "slug": "week-9",
            "title": "Again",
            "sources": [source],
        },
    )
    assert again.status_code == 200 and "already exists" in again.text
    bad = teacher_client.post(
        page, data={"csrf_token": fields["csrf_token"][0], "slug": "Week 9!", "title": "Bad"}
    )
    assert bad.status_code == 200 and "lower-case" in bad.text
    assert "Choose at least one article" in bad.text


def test_search_by_prompt_text_and_skill(
    teacher_client: FlaskClient, db: Any, real_banks: Any
) -> None:
    _bank, question = first_question(db, "single")
    spec = question.versions[-1].spec
    word = next(w for w in spec["prompt"].split() if len(w) > 6 and w.isalpha())
    page = teacher_client.get(f"/teach/studio/?q={word.upper()}&skill={spec['skill']}").text
    assert question.key in page
    other = teacher_client.get(f"/teach/studio/?q={word}&skill=nonsense-skill").text
    assert question.key in other  # an unknown skill filter is ignored, not an error
    none = teacher_client.get("/teach/studio/?q=zzzyyyxxx-nothing").text
    assert "No question matches" in none
