"""Reading aids kept with an attempt: the navigator, flags for review and highlights.

Each is the student's own: only the attempt's owner may change it, only while it is open,
with the CSRF token; a highlight is checked against the article the attempt shows.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.domain import highlights
from app.extensions import db
from app.models import Highlight, Response
from tests.support import specs
from tests.support.quiz_setup import build
from tests.support.web import csrf_token, log_in


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def started(client, s) -> int:
    r = client.post(f"/quizzes/{s.quiz.id}/start")
    assert r.status_code == 302
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def flag(client, attempt_id, position, flagged=True, **kw):
    return client.post(f"/attempts/{attempt_id}/flags/{position}", json={"flagged": flagged}, **kw)


def flags(attempt_id) -> dict[int, bool]:
    db.session.commit()
    rows = db.session.execute(
        select(Response.position, Response.flagged).where(Response.attempt_id == attempt_id)
    )
    return {p: f for p, f in rows}


def highlight(client, attempt_id, *ranges):
    return client.post(f"/attempts/{attempt_id}/highlights", json={"ranges": list(ranges)})


def rng(paragraph=1, start=0, end=9, source="src"):
    return {"source": source, "paragraph": paragraph, "start": start, "end": end}


# --- the navigator and flags ------------------------------------------------------------------


def test_navigator_lists_every_question_with_its_state_across_pages(make, login_as, client):
    s = build(make, questions_per_page=3)
    login_as(s.student)
    attempt_id = started(client, s)
    client.post(f"/attempts/{attempt_id}/responses/1", json={"value": "b", "seq": 1})
    assert flag(client, attempt_id, 5).status_code == 200
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    nav = html[html.index('id="navigator"') : html.index("</details>")]
    text = plain(nav)
    for n in range(1, 9):
        assert f"Question {n} ," in text
    assert "Question 1 , answered" in text
    assert "Question 2 , not answered" in text
    assert "Question 5 , not answered, flagged for review" in text
    # this page's questions are links; the others are buttons that save this page on the way
    assert 'href="#q1"' in nav and 'value="goto-5"' in nav and 'href="#q5"' not in nav


@pytest.mark.both_dbs
def test_a_flag_is_kept_with_the_attempt_and_shown_again_on_reload(make, login_as, client):
    s = build(make)
    login_as(s.student)
    attempt_id = started(client, s)
    r = flag(client, attempt_id, 2)
    assert r.status_code == 200 and r.get_json() == {"position": 2, "flagged": True}
    assert flags(attempt_id)[2] is True and flags(attempt_id)[1] is False
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert re.search(r'value="flag-2"[^>]*aria-pressed="true"', html)
    assert re.search(r'value="flag-1"[^>]*aria-pressed="false"', html)
    assert flag(client, attempt_id, 2, False).get_json()["flagged"] is False
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert re.search(r'value="flag-2"[^>]*aria-pressed="false"', html)  # not a stale fragment


def test_flag_without_javascript_saves_the_page_and_returns_to_the_question(make, login_as, client):
    s = build(make)
    login_as(s.student)
    attempt_id = started(client, s)
    r = client.post(
        f"/attempts/{attempt_id}",
        data={"page": "1", "seq-1": "0", "q1": "b", "action": "flag-3"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#q3")
    assert flags(attempt_id)[3] is True
    db.session.commit()
    assert (
        db.session.scalar(
            select(Response.value).where(Response.attempt_id == attempt_id, Response.position == 1)
        )
        == "b"
    )
    client.post(f"/attempts/{attempt_id}", data={"page": "1", "action": "flag-3"})
    assert flags(attempt_id)[3] is False


def test_goto_jumps_to_the_page_of_the_question(make, login_as, client):
    s = build(make, questions_per_page=3)
    login_as(s.student)
    attempt_id = started(client, s)
    r = client.post(f"/attempts/{attempt_id}", data={"page": "1", "action": "goto-7"})
    assert r.headers["Location"].endswith("page=3#q7")
    r = client.post(f"/attempts/{attempt_id}", data={"page": "1", "action": "goto-99"})
    assert r.headers["Location"].endswith("page=1")  # no such question: stay


@pytest.mark.parametrize(
    "body", [None, {}, {"flagged": "yes"}, {"flagged": 1}, [True], {"flag": True}]
)
def test_a_malformed_flag_is_a_clear_400(make, login_as, client, body):
    s = build(make, [specs.single()])
    login_as(s.student)
    attempt_id = started(client, s)
    r = client.post(
        f"/attempts/{attempt_id}/flags/1",
        data="not json" if body is None else json.dumps(body),
        content_type="application/json",
    )
    assert r.status_code == 400 and "flagged" in r.get_json()["message"]
    assert flags(attempt_id)[1] is False


def test_flag_of_an_unknown_question_is_a_404(make, login_as, client):
    s = build(make, [specs.single()])
    login_as(s.student)
    attempt_id = started(client, s)
    r = flag(client, attempt_id, 7)
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


@pytest.mark.both_dbs
def test_only_the_owner_may_flag_or_highlight_and_only_while_open(make, login_as, client):
    s = build(make)
    login_as(s.student)
    attempt_id = started(client, s)
    other = make.student()
    make.enrol(s.course, other)
    login_as(other)
    assert flag(client, attempt_id, 1).status_code == 404
    assert highlight(client, attempt_id, rng()).status_code == 404
    login_as(s.teacher)  # the instructor of the course neither
    assert flag(client, attempt_id, 1).status_code == 404
    assert highlight(client, attempt_id, rng()).status_code == 404
    assert flags(attempt_id)[1] is False
    assert db.session.scalar(select(func.count(Highlight.id))) == 0
    client.post("/logout")
    r = flag(client, attempt_id, 1)
    assert r.status_code == 401 and r.get_json()["error"] == "logged_out"
    login_as(s.student)
    assert highlight(client, attempt_id, rng()).status_code == 200
    hid = db.session.scalar(select(Highlight.id))
    client.post(f"/attempts/{attempt_id}/submit")
    r = flag(client, attempt_id, 1)
    assert r.status_code == 409 and r.get_json()["error"] == "closed"
    assert highlight(client, attempt_id, rng(2)).status_code == 409
    assert client.delete(f"/attempts/{attempt_id}/highlights/{hid}").status_code == 409
    assert flags(attempt_id)[1] is False
    assert db.session.scalar(select(func.count(Highlight.id))) == 1
    r = client.post(f"/attempts/{attempt_id}", data={"page": "1", "action": "flag-1"})
    assert r.status_code == 302 and "/result" in r.headers["Location"]
    assert flags(attempt_id)[1] is False


@pytest.fixture
def csrf_app(app_config):
    """The app with CSRF on, as in production."""
    web = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    yield web
    with web.app_context():
        db.engine.dispose()


def test_flags_and_highlights_need_the_csrf_token(make, csrf_app):
    s = build(make)
    tab = csrf_app.test_client()
    log_in(tab, s.student)
    token = csrf_token(tab, f"/quizzes/{s.quiz.id}")
    r = tab.post(f"/quizzes/{s.quiz.id}/start", data={"csrf_token": token})
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    body = {"headers": {"Content-Type": "application/json"}}
    assert (
        tab.post(f"/attempts/{attempt_id}/flags/1", data='{"flagged": true}', **body).status_code
        == 400
    )
    r = tab.post(f"/attempts/{attempt_id}/highlights", data=json.dumps({"ranges": [rng()]}), **body)
    assert r.status_code == 400
    assert flags(attempt_id)[1] is False
    token = csrf_token(tab, f"/attempts/{attempt_id}")
    good = {"headers": {"Content-Type": "application/json", "X-CSRFToken": token}}
    assert (
        tab.post(f"/attempts/{attempt_id}/flags/1", data='{"flagged": true}', **good).status_code
        == 200
    )
    r = tab.post(f"/attempts/{attempt_id}/highlights", data=json.dumps({"ranges": [rng()]}), **good)
    assert r.status_code == 200
    hid = r.get_json()["highlights"][0]["id"]
    assert tab.delete(f"/attempts/{attempt_id}/highlights/{hid}").status_code == 400
    assert tab.delete(f"/attempts/{attempt_id}/highlights/{hid}", **good).status_code == 200


def test_submit_page_lists_flagged_and_unanswered_questions_first(make, login_as, client):
    s = build(make)
    login_as(s.student)
    attempt_id = started(client, s)
    client.post(f"/attempts/{attempt_id}/responses/1", json={"value": "b", "seq": 1})
    client.post(f"/attempts/{attempt_id}/responses/2", json={"value": ["a"], "seq": 1})
    flag(client, attempt_id, 2)
    text = plain(client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True))
    first, rest = text.split("Check these first")[1].split("Answered Question")
    assert "Question 2 ⚑ Flagged for review" in first
    assert "Question 3 Not answered" in first and "Question 1" not in first
    assert rest.startswith(" 1 ")


# --- highlights -------------------------------------------------------------------------------


def test_a_highlight_is_kept_and_shown_again_on_reload_and_in_the_review(make, login_as, client):
    s = build(make, [specs.single()])
    login_as(s.student)
    attempt_id = started(client, s)
    # "Paragraph 2. It has two sentences." as the page shows it: the sentences joined by a space
    r = highlight(client, attempt_id, rng(2, 13, 34))
    assert r.status_code == 200
    (h,) = r.get_json()["highlights"]
    assert h["quote"] == "It has two sentences." and (h["paragraph"], h["start"]) == (2, 13)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "It has two sentences." in html.split("data-highlights=")[1].split(" data-")[0]
    client.post(f"/attempts/{attempt_id}/submit")
    html = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    shown = html.split("data-highlights=")[1].split(">")[0]
    assert "It has two sentences." in shown and f"&#34;id&#34;: {h['id']}" in shown


@pytest.mark.both_dbs
def test_overlapping_highlights_merge_and_one_can_be_removed(make, login_as, client):
    s = build(make, [specs.single()])
    login_as(s.student)
    attempt_id = started(client, s)
    highlight(client, attempt_id, rng(1, 0, 9))
    r = highlight(client, attempt_id, rng(1, 5, 20), rng(3, 0, 4))
    kept = r.get_json()["highlights"]
    assert [(h["paragraph"], h["start"], h["end"]) for h in kept] == [(1, 0, 20), (3, 0, 4)]
    r = client.delete(f"/attempts/{attempt_id}/highlights/{kept[0]['id']}")
    assert [h["paragraph"] for h in r.get_json()["highlights"]] == [3]
    r = client.delete(f"/attempts/{attempt_id}/highlights/{kept[0]['id']}")
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (None, "list of ranges"),
        ([], "list of ranges"),
        (["p1"], "must name"),
        ([rng(source="elsewhere")], "no paragraph"),
        ([rng(source="")], "no article"),
        ([rng(9)], "no paragraph"),
        ([rng(1, 5, 5)], "outside"),
        ([rng(1, -1, 4)], "outside"),
        ([rng(1, 0, 500)], "outside"),
        ([rng(1, "0", 4)], "whole number"),
        ([rng(1, 0, True)], "whole number"),
        ([rng(1, 12, 13)], "Select some words"),  # a lone space
        ([rng(1)] * 21, "at most 20"),
    ],
)
def test_a_bad_highlight_is_refused_with_a_reason_and_nothing_is_kept(
    make, login_as, client, ranges, message
):
    s = build(make, [specs.single()])
    login_as(s.student)
    attempt_id = started(client, s)
    r = client.post(f"/attempts/{attempt_id}/highlights", json={"ranges": ranges})
    assert r.status_code == 400 and message in r.get_json()["message"], r.get_json()
    assert db.session.scalar(select(func.count(Highlight.id))) == 0


def test_a_request_with_one_bad_range_keeps_none_of_its_ranges(make, login_as, client):
    s = build(make, [specs.single()])
    login_as(s.student)
    attempt_id = started(client, s)
    r = highlight(client, attempt_id, rng(1), rng(9))
    assert r.status_code == 400
    assert db.session.scalar(select(func.count(Highlight.id))) == 0


def test_highlights_per_attempt_are_capped(make, login_as, client, monkeypatch):
    monkeypatch.setattr(highlights, "MAX_HIGHLIGHTS", 3)
    s = build(make, [specs.single()])
    login_as(s.student)
    attempt_id = started(client, s)
    assert (
        highlight(client, attempt_id, rng(1, 0, 4), rng(2, 0, 4), rng(3, 0, 4)).status_code == 200
    )
    r = highlight(client, attempt_id, rng(1, 13, 20))
    assert r.status_code == 400 and "at most 3 highlights" in r.get_json()["message"]
    # one that merges into a highlight already there is still welcome
    assert highlight(client, attempt_id, rng(1, 2, 9)).status_code == 200
    assert db.session.scalar(select(func.count(Highlight.id))) == 3


def test_another_students_highlights_never_show(make, login_as, client):
    s = build(make, [specs.single()])
    login_as(s.student)
    mine = started(client, s)
    highlight(client, mine, rng(2, 0, 9))
    other = make.student()
    make.enrol(s.course, other)
    login_as(other)
    theirs = started(client, s)
    html = client.get(f"/attempts/{theirs}").get_data(as_text=True)
    assert 'data-highlights="[]"' in html
    assert client.get(f"/attempts/{mine}").status_code == 404
