"""The student's pages: course list, start, quiz page, autosave, submit, review, access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app import create_app
from app.domain.attempt_view import page_value
from app.extensions import db
from app.models import Attempt, Response
from app.services import attempts
from tests.support import specs
from tests.support.config import TEST_CONFIG
from tests.support.quiz_setup import build
from tests.support.specs import SECRET


def started(client, s):
    r = client.post(f"/quizzes/{s.quiz.id}/start")
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def positions(attempt_id):
    return {
        r.question_version.spec["id"]: r.position
        for r in db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))
    }


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def save(client, attempt_id, position, value, seq, **extra):
    return client.post(
        f"/attempts/{attempt_id}/responses/{position}", json={"value": value, "seq": seq, **extra}
    )


def test_course_page_lists_quizzes_with_state(setup, login_as, client):
    login_as(setup.student)
    page = client.get(f"/courses/{setup.course.id}").get_data(as_text=True)
    assert setup.quiz.title in page and "Open" in page and "Start" in page
    started(client, setup)
    page = client.get(f"/courses/{setup.course.id}").get_data(as_text=True)
    assert "In progress" in page and "Resume" in page


def test_take_a_quiz_end_to_end(setup, login_as, client):
    login_as(setup.student)
    attempt_id = started(client, setup)
    page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert html.count("<fieldset") == 8 and 'id="p1"' in html and "0 of 8 answered" in plain(html)
    assert 'href="#p2"' in html  # "In paragraph 2" → a show-paragraph link
    pos = positions(attempt_id)
    responses = {
        r.question_version.spec["id"]: r
        for r in attempts.responses_of(db.session.get(Attempt, attempt_id))
    }
    for qid, value in specs.RIGHT.items():
        spec, layout = responses[qid].question_version.spec, responses[qid].layout
        r = save(client, attempt_id, pos[qid], page_value(spec, layout, value), 1)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["seq"] == 1 and "saved_at" in r.get_json()
    assert "8 of 8 answered" in plain(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
    confirm = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "Every question has an answer" in confirm
    r = client.post(f"/attempts/{attempt_id}/submit")
    assert r.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    review_html = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    review = plain(review_html)
    assert "7 / 8" in review and "Correct" in review and f"{SECRET}-explanation" in review
    # each question names its evidence; the page marks only the question in hand's (JS)
    assert 'data-evidence="p2"' in review_html and "evidence-hl" not in review_html
    # Submitting again (double click, other tab) shows the same result.
    again = client.post(f"/attempts/{attempt_id}/submit")
    assert again.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    assert db.session.get(Attempt, attempt_id).score == 7.0


def test_nothing_of_the_key_before_review_allows(make, login_as, client):
    s = build(
        make,
        review_policy={"score": "never", "details": "after_close"},
        closes_at=datetime.now(UTC) + timedelta(days=2),
    )
    login_as(s.student)
    attempt_id = started(client, s)
    pos = positions(attempt_id)
    for qid, value in specs.RIGHT.items():
        save(client, attempt_id, pos[qid], value, 1)
    pages = [client.get(f"/attempts/{attempt_id}"), client.get(f"/attempts/{attempt_id}/submit")]
    client.post(f"/attempts/{attempt_id}/submit")
    pages.append(client.get(f"/attempts/{attempt_id}/result"))
    pages.append(client.get(f"/quizzes/{s.quiz.id}"))
    pages.append(client.get(f"/courses/{s.course.id}"))
    pages.append(save(client, attempt_id, 1, "a", 9))
    for page in pages:
        text = page.get_data(as_text=True)
        assert SECRET not in text
        assert "Labourish" not in text and "correct&#34;" not in text
        assert not re.search(r"data-(correct|key|answer)\b", text)
    assert "7 / 8" not in plain(pages[2].get_data(as_text=True))


def test_preview_attempt_shows_everything_to_its_instructor(make, login_as, client):
    s = build(make, review_policy={"score": "never", "details": "never"})
    login_as(s.teacher)
    attempt_id = started(client, s)
    assert db.session.get(Attempt, attempt_id).is_preview
    client.post(f"/attempts/{attempt_id}/submit")
    assert f"{SECRET}-explanation" in client.get(f"/attempts/{attempt_id}/result").get_data(
        as_text=True
    )


def test_autosave_errors(setup, login_as, client):
    login_as(setup.student)
    attempt_id = started(client, setup)
    assert save(client, attempt_id, 1, "b", 2, sneaky="x", user_id=999).status_code == 200
    stale = save(client, attempt_id, 1, "c", 1)
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale"
    assert "another tab" in stale.get_json()["message"]
    assert save(client, attempt_id, 1, "zz", 3).status_code == 400
    assert save(client, attempt_id, 99, "a", 1).status_code == 404
    bad = client.post(
        f"/attempts/{attempt_id}/responses/1", data="nope", content_type="application/json"
    )
    assert bad.status_code == 400
    r = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt_id, Response.position == 1)
    )
    assert (r.value, r.seq) == ("b", 2)


def test_autosave_after_submit_is_409_and_changes_nothing(setup, login_as, client):
    login_as(setup.student)
    attempt_id = started(client, setup)
    save(client, attempt_id, 1, "a", 1)
    client.post(f"/attempts/{attempt_id}/submit")
    r = save(client, attempt_id, 1, "b", 2)
    assert r.status_code == 409 and r.get_json()["error"] == "closed"
    assert "submitted" in r.get_json()["message"]
    db.session.expire_all()
    resp = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt_id, Response.position == 1)
    )
    assert (resp.value, resp.seq) == ("a", 1)


def test_autosave_past_deadline_finalises_and_refuses(make, login_as, client):
    s = build(make, time_limit_minutes=10)
    login_as(s.student)
    attempt_id = started(client, s)
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()
    r = save(client, attempt_id, 1, "b", 1)
    assert r.status_code == 409 and "Time is up" in r.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).submitted_by == "timer"


def test_lazy_finalise_on_page_view(make, login_as, client):
    s = build(make, time_limit_minutes=10)
    login_as(s.student)
    attempt_id = started(client, s)
    db.session.get(Attempt, attempt_id).deadline_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    r = client.get(f"/attempts/{attempt_id}")
    assert r.headers["Location"].endswith("/result")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state == "submitted"


@pytest.mark.parametrize(
    "path",
    ["/attempts/{a}", "/attempts/{a}/submit", "/attempts/{a}/result", "/quizzes/{q}"],
)
def test_someone_elses_attempt_is_404(make, login_as, client, app, path):
    s = build(make)
    login_as(s.student)
    attempt_id = started(client, s)
    intruder = make.student()
    other = app.test_client()
    login_as(intruder, c=other)
    url = path.format(a=attempt_id, q=s.quiz.id)
    assert other.get(url).status_code == 404
    assert (
        other.post(f"/attempts/{attempt_id}/responses/1", json={"value": "a", "seq": 5}).status_code
        == 404
    )
    assert other.post(f"/attempts/{attempt_id}/submit").status_code == 404
    assert other.post(f"/quizzes/{s.quiz.id}/start").status_code == 404


def test_anonymous_is_sent_to_login(setup, client):
    assert client.get("/attempts/1").status_code == 302
    assert client.post(f"/quizzes/{setup.quiz.id}/start").status_code == 302


def test_unpublished_quiz_is_404_for_students(make, login_as, client):
    s = build(make, published=False)
    login_as(s.student)
    assert client.post(f"/quizzes/{s.quiz.id}/start").status_code == 404


def test_no_js_form_saves_everything(setup, login_as, client):
    login_as(setup.student)
    attempt_id = started(client, setup)
    pos = positions(attempt_id)
    form = {"page": "1", "action": "save"}
    for p in pos.values():
        form[f"seq-{p}"] = "0"
    form[f"q{pos['q-single']}"] = "b"
    form[f"q{pos['q-tf']}"] = "false"
    layouts = {
        r.question_version.spec["id"]: r.layout
        for r in attempts.responses_of(db.session.get(Attempt, attempt_id))
    }
    # The page names matching choices and ordering items by per-attempt aliases, never by the
    # spec ids (which would give the key away); the form answers with those aliases.
    match_alias, order_alias = layouts["q-match"]["alias"], layouts["q-order"]["alias"]
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'value="{match_alias["1"]}"' in page and f"rank-{order_alias['a']}" in page
    form[f"q{pos['q-match']}-match-1"] = match_alias["1"]
    form[f"q{pos['q-order']}-rank-{order_alias['a']}"] = "1"
    form[f"q{pos['q-order']}-rank-{order_alias['b']}"] = "2"
    form[f"q{pos['q-essay']}"] = "Typed without JavaScript."
    r = client.post(f"/attempts/{attempt_id}", data=form)
    assert r.status_code == 302
    values = {
        k: v
        for k, v in (
            (r.question_version.spec["id"], r.value)
            for r in attempts.responses_of(db.session.get(Attempt, attempt_id))
        )
    }
    assert values["q-single"] == "b" and values["q-tf"] is False
    assert values["q-match"] == {"1": "1"} and values["q-order"] == ["a", "b"]
    assert values["q-essay"] == "Typed without JavaScript." and values["q-multiple"] is None
    # Duplicate places are a clear error, shown on the page, not a 500.
    form[f"q{pos['q-order']}-rank-{order_alias['b']}"] = "1"
    r = client.post(f"/attempts/{attempt_id}", data=form)
    assert r.status_code == 400 and "different place" in r.get_data(as_text=True)
    r = client.post(
        f"/attempts/{attempt_id}",
        data={**form, "action": "finish", f"q{pos['q-order']}-rank-{order_alias['b']}": "2"},
    )
    assert r.headers["Location"].endswith("/submit")


def test_paged_quiz(make, login_as, client):
    s = build(make, questions_per_page=3)
    login_as(s.student)
    attempt_id = started(client, s)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert html.count("<fieldset") == 3 and "Page 1 of 3" in plain(html)
    r = client.post(f"/attempts/{attempt_id}", data={"page": "1", "action": "next"})
    assert r.headers["Location"].endswith("page=2")
    assert "Page 2 of 3" in plain(client.get(r.headers["Location"]).get_data(as_text=True))


def test_submit_page_lists_unanswered(setup, login_as, client):
    login_as(setup.student)
    attempt_id = started(client, setup)
    save(client, attempt_id, 1, "b", 1)
    html = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "You answered 1 of 8" in plain(html)
    to_check, answered = html.split("Check these first")[1].split("<h2>Answered</h2>")
    assert "Question 2" in to_check and '#q1"' not in to_check and '#q1"' in answered


def test_attempt_history(setup, login_as, client):
    login_as(setup.student)
    attempt_id = started(client, setup)
    client.post(f"/attempts/{attempt_id}/submit")
    html = client.get(f"/quizzes/{setup.quiz.id}").get_data(as_text=True)
    assert "Your attempts" in html and f"/attempts/{attempt_id}/result" in html


def test_quiz_page_is_cheap(setup, login_as, client):
    login_as(setup.student)
    attempt_id = started(client, setup)
    client.get(f"/attempts/{attempt_id}")  # warm the caches
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/attempts/{attempt_id}").status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert 0 < len(selects) <= 6, selects


def test_csrf_is_required_on_autosave(databases, make):
    """With CSRF on (as in production): forms need the token, autosave the X-CSRFToken header."""
    s = build(make)
    app: Flask = create_app(
        {
            **TEST_CONFIG,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": databases.url("sqlite"),
        }
    )
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post(
        "/login",
        data={"email": s.student.email, "password": "correct horse battery", "csrf_token": token},
    )
    course = client.get(f"/courses/{s.course.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', course).group(1)
    assert client.post(f"/quizzes/{s.quiz.id}/start").status_code == 400
    r = client.post(f"/quizzes/{s.quiz.id}/start", data={"csrf_token": token})
    assert r.status_code == 302, re.sub(r"\s+", " ", r.get_data(as_text=True))[:3000]
    attempt_id = int(r.headers["Location"].split("/")[-1])
    url = f"/attempts/{attempt_id}/responses/1"
    assert client.post(url, json={"value": "b", "seq": 1}).status_code == 400
    ok = client.post(url, json={"value": "b", "seq": 1}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200


def test_comparison_quiz_shows_both_articles(make, login_as, client):
    from app.models import QuizSource

    s = build(make, [{**specs.evidence(), "source": "other"}, specs.single()])
    other = make.source("other", paragraphs=2)
    db.session.add(QuizSource(quiz_id=s.quiz.id, source_id=other.id, position=1))
    db.session.commit()
    login_as(s.student)
    attempt_id = started(client, s)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'id="source-src"' in html and 'id="source-other"' in html
    assert 'id="src-p1"' in html and 'id="other-p2"' in html and 'role="tablist"' in html
    assert 'href="#src-p2"' in html  # "show paragraph 2" points into the question's article
    assert 'value="other:p1"' in html and 'value="src:p1"' not in html
    assert save(client, attempt_id, 1, ["other:p2"], 1).status_code == 200
    assert save(client, attempt_id, 1, ["src:p2"], 2).status_code == 400


def test_sentence_evidence(make, login_as, client):
    spec = {
        **specs.evidence(),
        "select": "sentence",
        "key": ["src:p2.s1"],
        "max_selections": 2,
        "prompt": "In paragraph 2, select the sentence.",
    }
    s = build(make, [spec])
    login_as(s.student)
    attempt_id = started(client, s)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'value="src:p2.s2"' in html and "<details open>" in html
    assert save(client, attempt_id, 1, ["src:p2.s1", "src:p3.s2"], 1).status_code == 200
    assert save(client, attempt_id, 1, ["src:p2.s9"], 2).status_code == 400
    client.post(f"/attempts/{attempt_id}/submit")
    review = plain(client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True))
    assert "¶2, sentence 1" in review and "Partly correct" in review


def test_quiz_without_articles_still_works(make, login_as, client):
    """Questions that cite no article: the page is one pane, not an empty reading pane."""
    s = build(make, [{**specs.single(), "evidence": [], "source": None}])
    from app.models import QuizSource

    db.session.execute(QuizSource.__table__.delete())
    db.session.commit()
    login_as(s.student)
    attempt_id = started(client, s)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "single-pane" in html and 'id="reading-pane"' not in html


def test_matching_and_ordering_ids_on_the_page_reveal_nothing(setup, login_as, client):
    """Choice ids equal to pair ids, or item ids in key order, would give the key away."""
    login_as(setup.student)
    attempt_id = started(client, setup)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    pos = positions(attempt_id)
    assert not re.search(rf'name="q{pos["q-match"]}-match-1"[^>]*>\s*<option value="1"', html)
    assert f'q{pos["q-order"]}-rank-a"' not in html
    # Answering with the spec ids themselves (matching "1" to "1") is refused, not graded.
    r = save(client, attempt_id, pos["q-match"], {"1": "1"}, 1)
    assert r.status_code == 400
    r = save(client, attempt_id, pos["q-order"], ["a", "b"], 1)
    assert r.status_code == 400


def test_review_shows_no_empty_feedback_heading(make, login_as, client):
    """The chosen option's own feedback is shown beside the option; with no general feedback
    there is no "Feedback:" block left empty."""
    spec = specs.single("q-only-option-feedback")
    for key in ("feedback_correct", "feedback_partial", "feedback_wrong"):
        spec[key] = ""
    s = build(make, [spec])
    login_as(s.student)
    attempt_id = started(client, s)
    save(client, attempt_id, 1, "b", 1)
    client.post(f"/attempts/{attempt_id}/submit")
    html = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f"{SECRET}-fb" in html  # the option's own feedback, once
    assert html.count(f"{SECRET}-fb") == 1
    assert not re.search(r'<p class="label">Feedback:</p>\s*</div>', html)
