"""Assignment and Grade Services against the test platform: line items, scores on submit, on
manual grading, overrides and regrades, pending grading, failures kept and retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.lti import grades
from app.models import (
    Attempt,
    LtiContext,
    LtiGradeSync,
    LtiResourceLink,
    LtiUser,
    QuestionVersion,
    Response,
    User,
)
from app.services import attempts, marking, regrade
from tests.support import specs
from tests.support.lti_platform import INSTRUCTOR, LEARNER


def _student(lms, quiz, sub="student-1"):
    client = lms.client()
    response = lms.launch(client, sub=sub, roles=LEARNER, custom={"hustings_quiz": str(quiz.id)})
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    user = db.session.scalar(select(User).join(LtiUser).where(LtiUser.sub == sub))
    return client, user


def _csrf_free_submit(client, quiz, answers):
    """Start, answer and submit through the student's pages (CSRF is off in tests)."""
    started = client.post(f"/quizzes/{quiz.id}/start")
    assert started.status_code == 302, started.get_data(as_text=True)[-400:]
    attempt = db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
    for position, value in answers.items():
        saved = client.post(
            f"/attempts/{attempt.id}/responses/{position}", json={"value": value, "seq": 1}
        )
        assert saved.status_code == 200, saved.get_data(as_text=True)[:300]
    submitted = client.post(f"/attempts/{attempt.id}/submit")
    assert submitted.status_code == 302
    return attempt


def test_submit_posts_the_score_to_a_line_item_hustings_creates(lms, placed_quiz):
    client, _ = _student(lms, placed_quiz)
    _csrf_free_submit(client, placed_quiz, {1: "b", 2: "a"})
    scores = lms.state.scores_for("student-1")
    assert len(scores) == 1, lms.state.scores
    score = scores[0]
    assert score["scoreGiven"] == 1 and score["scoreMaximum"] == 2
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    (item,) = lms.state.lineitems.values()
    assert item["scoreMaximum"] == 2 and item["label"] == placed_quiz.title
    assert item["resourceLinkId"] == "link-1" and score["_lineitem"] == item["id"]
    link = db.session.scalar(select(LtiResourceLink))
    assert link.lineitem_url == item["id"]
    row = db.session.scalar(select(LtiGradeSync))
    assert row.status == "sent" and row.sent_score == 1


def test_the_lms_line_item_from_the_launch_is_used(lms, make):
    teacher = lms.client()
    lms.launch(teacher, sub="teacher-1", roles=INSTRUCTOR, resource_link_id="link-9")
    item_id = f"{lms.server.base}/lineitems/900"
    lms.state.lineitems[item_id] = {
        "id": item_id,
        "label": "From the LMS",
        "scoreMaximum": 1,
        "_context": "course-1",
    }
    link = db.session.scalar(select(LtiResourceLink))
    assert link is None  # not linked yet: the instructor chooses
    course = db.session.scalar(select(LtiContext)).course
    quiz = make.quiz(course, [make.question(specs.single("q-x"))], published=True)
    make.commit()
    teacher.post("/lti/link", data={"quiz_id": str(quiz.id)})
    client = lms.client()
    lms.launch(client, sub="s-9", roles=LEARNER, resource_link_id="link-9", lineitem=item_id)
    _csrf_free_submit(client, quiz, {1: "b"})
    (score,) = lms.state.scores_for("s-9")
    assert score["_lineitem"] == item_id and score["scoreGiven"] == 1
    assert len(lms.state.lineitems) == 1  # none created


def test_manual_grade_override_and_regrade_each_update_the_lms(lms, make, placed_quiz):
    client, student = _student(lms, placed_quiz)
    attempt = _csrf_free_submit(client, placed_quiz, {1: "a", 2: "a"})
    assert lms.state.scores_for("student-1")[-1]["scoreGiven"] == 0
    teacher = db.session.scalar(select(User).join(LtiUser).where(LtiUser.sub == "teacher-1"))

    # An override of one answer, through the grading page.
    tclient = lms.client()
    lms.launch(
        tclient, sub="teacher-1", roles=INSTRUCTOR, custom={"hustings_quiz": str(placed_quiz.id)}
    )
    response = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt.id, Response.position == 1)
    )
    r = tclient.post(
        f"/teach/attempts/{attempt.id}/responses/{response.id}/override",
        data={f"r{response.id}-score": "1", f"r{response.id}-reason": "benefit of the doubt"},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[-600:]
    assert lms.state.scores_for("student-1")[-1]["scoreGiven"] == 1

    # A regrade after an answer-key fix: option a becomes right for the second question.
    fixed = specs.single("q-b")
    for option in fixed["options"]:
        option["correct"] = option["id"] == "a"
    _new_version(placed_quiz.slots[1].question, fixed)
    db.session.commit()
    regrade.apply_regrade(placed_quiz, ["q-b"], teacher)
    db.session.commit()
    sent, failed = grades.send_due()
    db.session.commit()
    assert (sent, failed) == (1, 0)
    assert lms.state.scores_for("student-1")[-1]["scoreGiven"] == 2
    assert student.id == attempt.user_id


def _new_version(question, spec):
    version = question.latest_version + 1
    db.session.add(
        QuestionVersion(
            question_id=question.id, version=version, type=spec["type"], skill=spec["skill"],
            difficulty=spec["difficulty"], points=spec["points"], source_slug=spec["source"],
            spec=spec, content_hash=f"v{version}",
        )
    )  # fmt: skip
    question.latest_version = version
    db.session.flush()


def test_an_essay_waits_for_a_person_then_the_manual_grade_is_posted(lms, make):
    teacher_client = lms.client()
    lms.launch(teacher_client, sub="teacher-1", roles=INSTRUCTOR, resource_link_id="essay")
    course = db.session.scalar(select(LtiContext)).course
    quiz = make.quiz(course, [make.question(specs.single("q-e1")), make.question(specs.essay())],
                     published=True)  # fmt: skip
    make.commit()
    teacher_client.post("/lti/link", data={"quiz_id": str(quiz.id)})
    client2 = lms.client()
    lms.launch(client2, sub="s-essay", roles=LEARNER, resource_link_id="essay")
    attempt = _csrf_free_submit(
        client2, quiz, {1: "b", 2: "A claim supported by paragraph two of the article."}
    )
    first = lms.state.scores_for("s-essay")[-1]
    assert first["gradingProgress"] == "PendingManual" and first["scoreGiven"] == 1
    essay = db.session.scalar(
        select(Response).where(Response.attempt_id == attempt.id, Response.position == 2)
    )
    teacher = db.session.scalar(select(User).join(LtiUser).where(LtiUser.sub == "teacher-1"))
    marking.record_manual_grade(essay, teacher, criterion_scores={"criterion_0": "1"})
    db.session.commit()
    grades.send_due()
    db.session.commit()
    last = lms.state.scores_for("s-essay")[-1]
    assert last["gradingProgress"] == "FullyGraded" and last["scoreGiven"] == 2


def test_a_failed_post_is_kept_shown_and_retried(lms, placed_quiz, make):
    lms.state.fail_scores = 1
    client, _ = _student(lms, placed_quiz)
    _csrf_free_submit(client, placed_quiz, {1: "b", 2: "b"})
    assert lms.state.scores_for("student-1") == []
    row = db.session.scalar(select(LtiGradeSync))
    assert row.status == "failed" and row.tries == 1 and "503" in row.last_error
    assert row.next_try_at > datetime.now(UTC)

    # The instructor sees it on the course's LMS page.
    tclient = lms.client()
    lms.launch(
        tclient, sub="teacher-1", roles=INSTRUCTOR, custom={"hustings_quiz": str(placed_quiz.id)}
    )
    page = tclient.get(f"/teach/courses/{placed_quiz.course_id}/lti").get_data(as_text=True)
    assert "1 failed" in page and "503" in page

    # Not due yet: `hustings lti sync` leaves it; once due, it is sent.
    result = lms.web_app.test_cli_runner().invoke(args=["lti", "sync"])
    assert "0 grade(s) sent" in result.output, result.output
    row.next_try_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    result = lms.web_app.test_cli_runner().invoke(args=["lti", "sync"])
    assert result.exit_code == 0 and "1 grade(s) sent" in result.output, result.output
    assert lms.state.scores_for("student-1")[-1]["scoreGiven"] == 2
    db.session.expire_all()
    assert db.session.get(LtiGradeSync, row.id).status == "sent"


def test_retry_now_button_sends_failed_grades(lms, placed_quiz):
    lms.state.fail_scores = 1
    client, _ = _student(lms, placed_quiz)
    _csrf_free_submit(client, placed_quiz, {1: "b", 2: "b"})
    tclient = lms.client()
    lms.launch(
        tclient, sub="teacher-1", roles=INSTRUCTOR, custom={"hustings_quiz": str(placed_quiz.id)}
    )
    r = tclient.post(f"/teach/courses/{placed_quiz.course_id}/lti/retry", follow_redirects=True)
    assert "1 sent" in r.get_data(as_text=True)
    assert lms.state.scores_for("student-1")[-1]["scoreGiven"] == 2


def test_previews_and_students_unknown_to_the_lms_post_nothing(lms, placed_quiz, make):
    student = make.student()
    make.enrol(placed_quiz.course, student)
    now = datetime.now(UTC)
    attempt = attempts.start_or_resume(placed_quiz, student, now)
    attempts.submit(attempt, now)
    db.session.commit()
    assert db.session.scalar(select(LtiGradeSync)) is None
    assert grades.send_due() == (0, 0)


def test_the_line_item_maximum_follows_the_quiz_points(lms, placed_quiz):
    client, _ = _student(lms, placed_quiz)
    _csrf_free_submit(client, placed_quiz, {1: "b", 2: "b"})
    (item,) = lms.state.lineitems.values()
    assert item["scoreMaximum"] == 2
    # The LMS column was edited to another maximum: the next grade sent puts it back.
    item["scoreMaximum"] = 5
    link = db.session.scalar(select(LtiResourceLink))
    link.score_maximum = 5
    db.session.commit()
    grades.mark_pending(placed_quiz.id, [db.session.scalar(select(Attempt.user_id))])
    db.session.commit()
    assert grades.send_due() == (1, 0)
    db.session.commit()
    assert item["scoreMaximum"] == 2 and link.score_maximum == 2
    assert item["label"] == placed_quiz.title
