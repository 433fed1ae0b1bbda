"""The student's side of a close-reading quiz, on the real banks (issue: the article is always
beside the questions)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CURRENT_VERSION, Question, QuestionVersion, QuizSource, Response
from app.services import quizzes
from app.services.demo import load_banks
from tests.support.paths import BANKS


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def qid(key: str) -> int:
    return db.session.scalar(select(Question.id).where(Question.key == key))


@pytest.fixture
def banks(app):
    load_banks(BANKS)
    db.session.commit()


@pytest.fixture
def course(make):
    teacher = make.instructor()
    course = make.course(teacher)
    student = make.student()
    make.enrol(course, student)
    return course, teacher, student


def make_quiz(course, keys, **settings):
    quiz = quizzes.create_quiz(
        course,
        quizzes.QuizSettings(title="Close reading", published=True, **settings),
    )
    quizzes.add_questions(quiz, [qid(k) for k in keys])
    db.session.commit()
    return quiz


def start(client, quiz) -> int:
    r = client.post(f"/quizzes/{quiz.id}/start")
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


NON_EVIDENCE = ["tc-triumvirate", "tc-corbynistas-who", "tc-plp-controls"]


def test_non_evidence_questions_bring_their_article_into_builder_attempt_and_review(
    banks, course, login_as, client
):
    course, teacher, student = course
    types = set(
        db.session.scalars(
            select(QuestionVersion.type)
            .join(Question, CURRENT_VERSION)
            .where(Question.key.in_(NON_EVIDENCE))
        )
    )
    assert "evidence" not in types
    quiz = make_quiz(course, NON_EVIDENCE)
    assert [qs.source.slug for qs in quiz.sources] == ["two-coups"]

    login_as(teacher)
    settings = client.get(f"/teach/quizzes/{quiz.id}/settings").get_data(as_text=True)
    assert "Add questions first" not in settings and "This is a tale of two coups" in settings
    picker = client.get(f"/teach/quizzes/{quiz.id}/questions").get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*tc-triumvirate(?:(?!</tr>).)*</tr>", picker, re.S)
    assert row and "Two coups" in row.group(0)

    client.post("/logout")
    login_as(student)
    attempt_id = start(client, quiz)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'id="reading-pane"' in page and "single-pane" not in page
    assert "This is a tale of two coups" in page and "Labour’s power triumvirate" in page
    client.post(f"/attempts/{attempt_id}/submit")
    review = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "This is a tale of two coups" in review and "single-pane" not in review
    assert "Two coups, ¶11" in plain(review)


def test_a_quiz_whose_article_list_is_empty_still_shows_what_its_questions_cite(
    banks, course, login_as, client
):
    """Quizzes saved before this rule (or with the list emptied) lose no article."""
    course, _teacher, student = course
    quiz = make_quiz(course, NON_EVIDENCE)
    db.session.execute(QuizSource.__table__.delete())
    db.session.commit()
    login_as(student)
    attempt_id = start(client, quiz)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'id="source-two-coups"' in page


def test_unticking_a_cited_article_in_settings_keeps_it_in_view(banks, course):
    course, _teacher, _student = course
    quiz = make_quiz(course, ["cmp-framings", "cmp-ev-rallies"])
    assert [qs.source.slug for qs in quiz.sources] == ["two-coups", "kamikaze"]
    settings = quizzes.QuizSettings.of(quiz)
    quizzes.update_quiz(quiz, quizzes.replace(settings, source_slugs=["kamikaze"]))
    db.session.commit()
    assert [qs.source.slug for qs in quiz.sources] == ["kamikaze", "two-coups"]


COMPARISON = ["cmp-framings", "cmp-agree", "cmp-ev-rallies", "cmp-ev-local"]


def test_a_comparison_quiz_shows_both_articles_with_title_and_byline(
    banks, course, login_as, client
):
    course, _teacher, student = course
    quiz = make_quiz(course, COMPARISON)
    login_as(student)
    attempt_id = start(client, quiz)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    for slug, title in (
        ("two-coups", "This is a tale of two coups"),
        ("kamikaze", "It was always a kamikaze mission"),
    ):
        article = re.search(rf'<article class="source" id="source-{slug}".*?</header>', page, re.S)
        assert article and title in article.group(0) and 'class="byline"' in article.group(0)
        assert f'role="tab" id="tab-{slug}"' in page
    # evidence selection works in either article
    positions = {
        r.question_version.spec["id"]: r.position
        for r in db.session.scalars(select(Response).where(Response.attempt_id == attempt_id))
    }
    for key, ref in (("cmp-ev-rallies", "kamikaze:p5"), ("cmp-ev-local", "two-coups:p9")):
        r = client.post(
            f"/attempts/{attempt_id}/responses/{positions[key]}", json={"value": [ref], "seq": 1}
        )
        assert r.status_code == 200, r.get_data(as_text=True)
    wrong_article = client.post(
        f"/attempts/{attempt_id}/responses/{positions['cmp-ev-local']}",
        json={"value": ["kamikaze:p5"], "seq": 2},
    )
    assert wrong_article.status_code == 400
    client.post(f"/attempts/{attempt_id}/submit")
    review = plain(client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True))
    assert "Kamikaze, ¶5" in review and "Two coups, ¶9" in review
    assert "Two coups, ¶2" in review  # the evidence of cmp-framings names its article


# --- review policy and graded essays ---------------------------------------------------------


def _finished(make, login_as, client, question_specs, **quiz_kw):
    from tests.support.quiz_setup import build

    s = build(make, question_specs, **quiz_kw)
    login_as(s.student)
    attempt_id = start(client, s.quiz)
    return s, attempt_id


@pytest.mark.parametrize("details", ["after_close", "never", "released"])
def test_score_without_details_shows_only_the_total(make, login_as, client, details):
    from datetime import UTC, datetime, timedelta

    from tests.support import specs

    policy = {"score": "immediately", "details": details, "show": ["correctness", "key"]}
    _s, attempt_id = _finished(
        make,
        login_as,
        client,
        [specs.single()],
        review_policy=policy,
        attempts_allowed=3,
        closes_at=datetime.now(UTC) + timedelta(days=2),
    )
    client.post(
        f"/attempts/{attempt_id}/responses/1", json={"value": "b", "seq": 1}
    )  # the right answer
    client.post(f"/attempts/{attempt_id}/submit")
    html = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    text = plain(html)
    assert "Score: 1 / 1" in text
    assert "1 / 1 point" not in text and "Correct" not in text and "Question 1" not in text
    assert "state-" not in html and "Bravo" not in text


def test_a_graded_essay_shows_its_grade_levels_and_comment(make, login_as, client):
    from app.models import Response as ResponseRow
    from app.services import marking
    from tests.support import specs

    s, attempt_id = _finished(make, login_as, client, [specs.essay()])
    client.post(
        f"/attempts/{attempt_id}/responses/1",
        json={"value": "The author argues from the members' mandate.", "seq": 1},
    )
    client.post(f"/attempts/{attempt_id}/submit")
    before = plain(client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True))
    assert "Awaiting grading" in before
    response = db.session.scalar(select(ResponseRow).where(ResponseRow.attempt_id == attempt_id))
    rubric = response.question_version.spec["rubric"]
    scores = {"criterion_0": 0.5}
    marking.record_manual_grade(
        response, s.teacher, criterion_scores=scores, comment="Cite paragraph 4."
    )
    db.session.commit()
    after = plain(client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True))
    assert "Awaiting grading" not in after
    assert "Partly correct" in after and "0.5 / 1 point" in after
    assert f"{rubric[0]['criterion']} 0.5 / 1" in after and "Cite paragraph 4." in after
    assert "How your answer was marked" in after


def test_the_smaller_points_of_the_students_side(make, login_as, client):
    """Issue 15, point 10: one "Select all that apply.", "Clear answer" not in the way of an
    unanswered question, /favicon.ico, no nested quotes on the submit page, no "0 attempts
    left" beside "Resume"."""
    from tests.support import specs
    from tests.support.quiz_setup import build

    multiple = dict(specs.multiple(), prompt="Which apply? Select all that apply.")
    s = build(make, [specs.single(), multiple], title="Close reading: “A tale”", published=True)
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    r.close()
    login_as(s.student)
    attempt_id = start(client, s.quiz)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert plain(html).lower().count("select all that apply") == 1
    assert re.search(r'<button[^>]*class="[^"]*clear-answer[^"]*"[^>]*hidden', html)
    submit = client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    h1 = re.search(r"<h1>(.*?)</h1>", submit).group(1)
    assert "“" not in h1 and "&#8220;" not in h1
    course = plain(client.get(f"/courses/{s.course.id}").get_data(as_text=True))
    assert "Resume" in course and "0 attempts left" not in course
