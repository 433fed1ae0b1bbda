"""Answers are never lost to a session that ended, a second tab, or input the database refuses.

Issue 14 points 1-5 and issue 22 point 12, on SQLite and PostgreSQL where they differ.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from app import create_app
from app.extensions import db
from app.models import Attempt, LoginSession, Response
from app.services import attempts
from app.web import sessions
from tests.support import specs
from tests.support.quiz_setup import build
from tests.support.web import TOKEN_RE, csrf_token, log_in


def essay_setup(make):
    return build(make, [specs.essay(), specs.short()])


@pytest.fixture
def csrf_app(app_config):
    """The app with CSRF on, as in production."""
    web = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    yield web
    with web.app_context():
        db.engine.dispose()


def start(client, s):
    token = csrf_token(client, f"/quizzes/{s.quiz.id}")
    r = client.post(f"/quizzes/{s.quiz.id}/start", data={"csrf_token": token})
    assert r.status_code == 302
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    return attempt_id, TOKEN_RE.search(page).group(1)


def essay_position(attempt_id):
    db.session.commit()
    responses = db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))
    return next(r.position for r in responses if r.question_version.spec["type"] == "essay")


def stored(attempt_id, position):
    db.session.commit()
    return db.session.scalar(
        select(Response.value).where(
            Response.attempt_id == attempt_id, Response.position == position
        )
    )


def post_answer(client, attempt_id, position, token, body):
    return client.post(
        f"/attempts/{attempt_id}/responses/{position}",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )


# --- 1. a session that ends mid-quiz ----------------------------------------------------------


def test_logout_in_another_tab_makes_autosave_answer_401_json_not_a_csrf_400(make, csrf_app):
    s = essay_setup(make)
    db.session.commit()
    tab = csrf_app.test_client()
    log_in(tab, s.student)
    attempt_id, token = start(tab, s)
    pos = essay_position(attempt_id)
    part1 = {"value": "Part one of the essay.", "seq": 1, "base": 0, "page": "tabA"}
    assert post_answer(tab, attempt_id, pos, token, part1).status_code == 200

    other_tab_token = csrf_token(tab, "/courses/")
    assert tab.post("/logout", data={"csrf_token": other_tab_token}).status_code == 302

    part2 = {"value": "Part one of the essay. Part two.", "seq": 2, "base": 1, "page": "tabA"}
    r = post_answer(tab, attempt_id, pos, token, part2)
    assert r.status_code == 401
    assert r.get_json()["error"] == "logged_out"
    assert "Log in again in another tab" in r.get_json()["message"]
    assert stored(attempt_id, pos) == "Part one of the essay."

    # logging in again (in another tab) brings the session back; the kept answer is sent
    log_in(tab, s.student)
    new_token = csrf_token(tab, f"/attempts/{attempt_id}")
    r = post_answer(tab, attempt_id, pos, new_token, part2)
    assert r.status_code == 200, r.get_json()
    assert stored(attempt_id, pos) == "Part one of the essay. Part two."


def test_a_revoked_or_expired_session_is_401_json_too(make, csrf_app, app_config):
    s = essay_setup(make)
    db.session.commit()
    tab = csrf_app.test_client()
    log_in(tab, s.student)
    attempt_id, token = start(tab, s)
    pos = essay_position(attempt_id)
    body = {"value": "Kept.", "seq": 1, "base": 0, "page": "tabA"}

    sessions.end_all_sessions(s.student.id)  # "sign out everywhere" from another device
    db.session.commit()
    r = post_answer(tab, attempt_id, pos, token, body)
    assert (r.status_code, r.get_json()["error"]) == (401, "logged_out")

    log_in(tab, s.student)
    token = csrf_token(tab, f"/attempts/{attempt_id}")
    time.sleep(2.2)
    # the same cookie, read by a server whose session lifetime (1 s; 12 h in production) lapsed
    short = create_app({**app_config, "WTF_CSRF_ENABLED": True, "PERMANENT_SESSION_LIFETIME": 1})
    later = short.test_client()
    later._cookies = tab._cookies
    r = post_answer(later, attempt_id, pos, token, body)
    assert r.status_code == 401, r.get_data(as_text=True)[:300]
    assert r.get_json()["error"] == "logged_out"
    assert stored(attempt_id, pos) is None
    with short.app_context():
        db.engine.dispose()


def test_rotated_secret_key_is_401_json_then_fallback_keeps_the_session(make, app_config):
    s = essay_setup(make)
    db.session.commit()
    old = create_app({**app_config, "WTF_CSRF_ENABLED": True, "SECRET_KEY": "k1" * 20})
    tab = old.test_client()
    log_in(tab, s.student)
    attempt_id, token = start(tab, s)
    pos = essay_position(attempt_id)
    body = {"value": "After the rotation.", "seq": 1, "base": 0, "page": "tabA"}

    rotated = create_app({**app_config, "WTF_CSRF_ENABLED": True, "SECRET_KEY": "k2" * 20})
    rotated.test_client_class = type(tab)
    other = rotated.test_client()
    other._cookies = tab._cookies  # same browser, new server key
    r = post_answer(other, attempt_id, pos, token, body)
    assert (r.status_code, r.get_json()["error"]) == (401, "logged_out")

    kept = create_app(
        {**app_config, "WTF_CSRF_ENABLED": True, "SECRET_KEY": "k2" * 20,
         "SECRET_KEY_FALLBACKS": ["k1" * 20]}
    )  # fmt: skip
    third = kept.test_client()
    third._cookies = tab._cookies
    r = post_answer(third, attempt_id, pos, token, body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert stored(attempt_id, pos) == "After the rotation."
    for a in (old, rotated, kept):
        with a.app_context():
            db.engine.dispose()


def test_autosave_and_the_attempt_page_renew_the_session_cookie(make, csrf_app):
    s = essay_setup(make)
    db.session.commit()
    tab = csrf_app.test_client()
    log_in(tab, s.student)
    attempt_id, token = start(tab, s)
    pos = essay_position(attempt_id)
    r = post_answer(tab, attempt_id, pos, token, {"value": "x", "seq": 1, "base": 0, "page": "p"})
    assert r.status_code == 200
    cookie = r.headers.get("Set-Cookie", "")
    assert cookie.startswith("hustings_session=") and "Expires=" in cookie
    assert "hustings_session=" in tab.get(f"/attempts/{attempt_id}").headers.get("Set-Cookie", "")
    # other pages leave the cookie alone (re-signing it costs time on every request)
    assert "Set-Cookie" not in tab.get("/courses/").headers


# --- 2. the later edit wins, not the tab with more edits -------------------------------------


def test_a_tab_with_more_offline_edits_does_not_overwrite_a_later_answer(make, app):
    s = essay_setup(make)
    attempt = attempts.start_or_resume(s.quiz, s.student, attempts_now())
    db.session.commit()
    pos = essay_position(attempt.id)
    now = attempts_now()
    for seq in (1, 2):  # both tabs have seen seq 2
        attempts.save_response(attempt, pos, f"v{seq}", seq, now, base=seq - 1, saved_by="A")
    attempts.save_response(attempt, pos, "A's later answer", 3, now, base=2, saved_by="A")
    with pytest.raises(attempts.StaleWrite, match="changed in another tab"):
        attempts.save_response(attempt, pos, "B's offline edits", 5, now, base=2, saved_by="B")
    assert stored(attempt.id, pos) == "A's later answer"
    # B reloads (it now knows version 3) and goes on
    saved = attempts.save_response(attempt, pos, "B after reload", 4, now, base=3, saved_by="B2")
    assert saved.seq == 4


def test_a_save_based_on_the_pages_own_unacknowledged_save_is_accepted(make, app):
    """The reply to seq 3 was lost: the page sends seq 4, still based on 2. The stored seq 3 is
    the page's own, so this is not a conflict."""
    s = essay_setup(make)
    attempt = attempts.start_or_resume(s.quiz, s.student, attempts_now())
    db.session.commit()
    pos = essay_position(attempt.id)
    now = attempts_now()
    attempts.save_response(attempt, pos, "two", 2, now, base=0, saved_by="P")
    attempts.save_response(attempt, pos, "three", 3, now, base=2, saved_by="P")  # reply lost
    attempts.save_response(attempt, pos, "three", 3, now, base=2, saved_by="P")  # retry: no-op
    assert attempts.save_response(attempt, pos, "four", 4, now, base=2, saved_by="P").seq == 4
    assert stored(attempt.id, pos) == "four"


def test_the_stale_reply_over_http_says_changed_in_another_tab(setup, login_as, client):
    login_as(setup.student)
    r = client.post(f"/quizzes/{setup.quiz.id}/start")
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    pos = essay_position(attempt_id)
    url = f"/attempts/{attempt_id}/responses/{pos}"
    essay = "An essay of several words."
    assert client.post(url, json={"value": essay, "seq": 3, "base": 2, "page": "A"}).status_code
    r = client.post(url, json={"value": "other", "seq": 5, "base": 2, "page": "B"})
    assert r.status_code == 409 and r.get_json()["error"] == "stale"
    assert "changed in another tab" in r.get_json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"value": "x", "seq": 2**31 - 1},  # would block the question for ever after
        {"value": "x", "seq": 2**31},
        {"value": "x", "seq": 2**63},
        {"value": "x", "seq": 1, "base": 1},  # a base is older than the save
        {"value": "x", "seq": 1, "base": -1},
        {"value": "x", "seq": 1, "base": 0, "page": "../../x"},
        {"value": "x", "seq": True},
    ],
)
def test_sequence_numbers_are_bounded_to_what_a_page_can_reach(setup, login_as, client, body):
    login_as(setup.student)
    r = client.post(f"/quizzes/{setup.quiz.id}/start")
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    pos = essay_position(attempt_id)
    r = client.post(f"/attempts/{attempt_id}/responses/{pos}", json=body)
    assert r.status_code == 400 and "reload the page" in r.get_json()["message"]
    ok = client.post(f"/attempts/{attempt_id}/responses/{pos}", json={"value": "y", "seq": 1})
    assert ok.status_code == 200


# --- 3-5. bad input is a 400 (both databases), never a 5xx ------------------------------------


@pytest.mark.both_dbs
@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("before\x00after", "a NUL character"),
        ("x\ud800y", "a broken character"),
        ("bell\x07", "a bell character"),
        ("evil\u202etxt", "right-to-left override"),
    ],
)
def test_refused_characters_in_an_answer_are_a_400_naming_the_character(
    backend, setup, login_as, client, value, named
):
    login_as(setup.student)
    r = client.post(f"/quizzes/{setup.quiz.id}/start")
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    pos = essay_position(attempt_id)
    # what JSON.stringify sends for a lone surrogate: the escape, not the character
    body = json.dumps({"value": value, "seq": 1})
    r = client.post(
        f"/attempts/{attempt_id}/responses/{pos}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert named in r.get_json()["message"] and "remove it" in r.get_json()["message"]
    assert stored(attempt_id, pos) is None


@pytest.mark.both_dbs
@pytest.mark.parametrize("big", [2**31, 2**63, 2**70])
def test_ids_beyond_the_id_columns_in_urls_are_404(backend, setup, login_as, client, big):
    login_as(setup.student)
    for path in (
        f"/attempts/{big}",
        f"/attempts/{big}/result",
        f"/quizzes/{big}",
        f"/courses/{big}",
        f"/attempts/{big}/submit",
    ):
        assert client.get(path).status_code == 404, path
    r = client.post(f"/attempts/{big}/responses/1", json={"value": "x", "seq": 1})
    assert r.status_code == 404
    r = client.post(f"/attempts/1/responses/{big}", json={"value": "x", "seq": 1})
    assert r.status_code == 404


@pytest.mark.both_dbs
def test_deeply_nested_json_is_a_400(backend, setup, login_as, client):
    login_as(setup.student)
    r = client.post(f"/quizzes/{setup.quiz.id}/start")
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    body = '{"value": ' + "[" * 50_000 + "]" * 50_000 + ', "seq": 1}'
    r = client.post(
        f"/attempts/{attempt_id}/responses/1",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert "nested too deeply" in r.get_json()["message"]


@pytest.mark.both_dbs
def test_a_value_the_database_refuses_is_a_400_not_an_outage(backend, app, web_app, make):
    """Any DataError (here a NUL that reached PostgreSQL, an integer beyond a column) is the
    sender's to fix: 400 with a message, not 503 "the database is unavailable"."""

    @web_app.route("/_probe/<path:kind>", methods=["POST"])
    def probe(kind):
        if kind == "nul":
            db.session.execute(text("SELECT CAST(:v AS VARCHAR)"), {"v": "a\x00b"})
        else:
            db.session.execute(select(Attempt).where(Attempt.id == 2**70))
        return "stored"

    web_app.config["WTF_CSRF_ENABLED"] = False
    c = web_app.test_client()
    for kind in ("nul", "big"):
        r = c.post(f"/_probe/{kind}", headers={"Accept": "application/json"})
        if backend == "sqlite" and kind == "nul":
            assert r.status_code == 200  # SQLite stores a NUL; the text policy refuses it earlier
            continue
        assert r.status_code == 400, (kind, r.status_code)
        assert "cannot be stored" in r.get_json()["message"]


# --- 4. text already stored with a lone surrogate still renders -------------------------------


def test_pages_render_an_answer_stored_with_a_lone_surrogate(setup, make, login_as, client, app):
    attempt = attempts.start_or_resume(setup.quiz, setup.student, attempts_now())
    db.session.commit()
    pos = essay_position(attempt.id)
    # written as an older version stored it, around the policy
    db.session.execute(
        update(Response)
        .where(Response.attempt_id == attempt.id, Response.position == pos)
        .values(value="broken \ud800 essay", seq=1, state="answered")
    )
    db.session.commit()
    login_as(setup.student)
    page = client.get(f"/attempts/{attempt.id}")
    assert page.status_code == 200 and "broken \ufffd essay" in page.get_data(as_text=True)
    assert client.post(f"/attempts/{attempt.id}/submit").status_code == 302
    assert client.get(f"/attempts/{attempt.id}/result").status_code == 200
    client.post("/logout")
    login_as(setup.teacher)
    assert client.get(f"/teach/attempts/{attempt.id}").status_code == 200
    response_id = db.session.scalar(
        select(Response.id).where(Response.attempt_id == attempt.id, Response.position == pos)
    )
    grading = client.get(f"/teach/quizzes/{setup.quiz.id}/grading/{response_id}")
    assert grading.status_code == 200
    assert "broken \ufffd essay" in grading.get_data(as_text=True)


# --- issue 22 point 12: the server decides how an attempt ended -------------------------------


def test_the_page_cannot_claim_the_time_ran_out(make, login_as, client):
    s = build(make, [specs.essay()], time_limit_minutes=30)
    login_as(s.student)
    r = client.post(f"/quizzes/{s.quiz.id}/start")
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    r = client.post(f"/attempts/{attempt_id}/submit", data={"by": "timer"})
    assert r.status_code == 302
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.submitted_by == "student"
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "when the time ran out" not in result


def test_a_submit_at_the_deadline_counts_as_the_time_running_out(make, login_as, client):
    s = build(make, [specs.essay()], time_limit_minutes=30)
    login_as(s.student)
    r = client.post(f"/quizzes/{s.quiz.id}/start")
    attempt_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    attempt = db.session.get(Attempt, attempt_id)
    attempt.deadline_at = attempts_now() + timedelta(seconds=2)  # the timer fires early
    db.session.commit()
    client.post(f"/attempts/{attempt_id}/submit")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).submitted_by == "timer"


def attempts_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_login_sessions_table_is_what_ends_a_session(make, app):
    """``end_all_sessions`` ends every open login of the user and only theirs."""
    a, b = make.student(), make.student()
    for user in (a, a, b):
        db.session.add(LoginSession(user_id=user.id, token_hash=f"{user.id}-{time.time_ns()}"))
    db.session.commit()
    assert sessions.end_all_sessions(a.id) == 2
    db.session.commit()
    open_ = db.session.scalars(
        select(LoginSession.user_id).where(LoginSession.revoked_at.is_(None))
    ).all()
    assert open_ == [b.id]
