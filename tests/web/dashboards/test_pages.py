"""What the dashboard pages show: figures, sort links without JavaScript, flags, escaping."""

from __future__ import annotations

import re

import pytest

from tests.support.class_data import add_attempt, make_quiz, random_class, spec

XSS = '<script>alert("x")</script>'


@pytest.fixture
def broken_quiz(make, db):
    """Q1 fine, Q2 with a wrong key: the strongest students 'miss' it, a distractor wins."""
    instructor = make.instructor()
    course = make.course(instructor, title="Politics — Zoë’s class")
    quiz, _versions, _ = make_quiz(
        make,
        course,
        [
            spec("fine", skill="literal"),
            spec("broken", skill="inference"),
            spec("other", skill="literal"),
            spec("essay", qtype="essay", skill="argument", points=2.0),
        ],
        title="Two coups — quiz",
    )
    names = ["Zoë Ní Dhuibhir", "O’Brien — Seán", XSS, '=HYPERLINK("http://x")', "Ann", "Ben"]
    students = []
    for i, name in enumerate(names):
        s = make.student(name=name)
        make.enrol(course, s)
        students.append(s)
        strong = i < 4
        add_attempt(
            db,
            quiz,
            s,
            [
                ("b", 1.0) if strong else ("a", 0.0),
                ("c", 0.0) if strong else ("b", 1.0),
                ("b", 1.0) if strong or i == 4 else ("c", 0.0),
                ("<img src=x onerror=alert(1)>", None if i == 0 else 1.0),
            ],
            minutes=5 + i,
        )
    return course, quiz, students, instructor


def test_results_page_sorts_with_plain_links(broken_quiz, client, login_as) -> None:
    _course, quiz, students, instructor = broken_quiz
    login_as(instructor)
    page = client.get(f"/teach/quizzes/{quiz.id}/results").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page  # by name
    assert f'href="/teach/quizzes/{quiz.id}/results?sort=score&amp;dir=asc&amp;state=all"' in page
    page = client.get(f"/teach/quizzes/{quiz.id}/results?sort=score&dir=asc").get_data(as_text=True)
    assert f'href="/teach/quizzes/{quiz.id}/results?sort=score&amp;dir=desc&amp;state=all"' in page
    rows = re.findall(r'<th scope="row"><a href="/teach/courses/\d+/students/(\d+)">', page)
    assert rows[0] == str(students[5].id)  # lowest first
    desc = client.get(f"/teach/quizzes/{quiz.id}/results?sort=time&dir=desc").get_data(as_text=True)
    rows = re.findall(r'<th scope="row"><a href="/teach/courses/\d+/students/(\d+)">', desc)
    assert rows == [str(s.id) for s in reversed(students)]


def test_results_page_has_chart_table_and_attempt_links(broken_quiz, client, login_as) -> None:
    _course, quiz, students, instructor = broken_quiz
    login_as(instructor)
    page = client.get(f"/teach/quizzes/{quiz.id}/results").get_data(as_text=True)
    assert page.count('class="bar"') == 10 and 'role="img"' in page
    assert 'id="distribution-table"' in page
    assert page.count("/teach/attempts/") >= len(students)
    assert "Needs grading" in page  # Zoë's essay waits
    assert "Zoë Ní Dhuibhir" in page and "O’Brien — Seán" in page
    assert XSS not in page and "&lt;script&gt;" in page
    filtered = client.get(f"/teach/quizzes/{quiz.id}/results?state=needs_grading")
    assert filtered.get_data(as_text=True).count('<th scope="row"><a href="/teach/courses/') == 1


@pytest.mark.parametrize(
    "query", ["sort=password_hash", "dir=sideways", "state=everything", "q=" + "x" * 101]
)
def test_bad_query_strings_get_a_clear_400(broken_quiz, client, login_as, query) -> None:
    _, quiz, _, instructor = broken_quiz
    login_as(instructor)
    response = client.get(f"/teach/quizzes/{quiz.id}/results?{query}")
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_item_analysis_flags_the_broken_question(broken_quiz, client, login_as) -> None:
    _, quiz, _, instructor = broken_quiz
    login_as(instructor)
    page = client.get(f"/teach/quizzes/{quiz.id}/items?attempts=first").get_data(as_text=True)
    flagged = page.split('id="flag-heading"')[1].split("</section>")[0]
    assert "broken" in flagged and "Negative discrimination" in flagged
    assert "chosen more often than the key" in page
    # Moodle's rule by default: attempts awaiting grading are left out, and the page says so.
    assert "left out: awaiting grading" in page and "ungraded (count 0)" not in page
    zero = client.get(f"/teach/quizzes/{quiz.id}/items?attempts=first&pending=count_zero")
    text = zero.get_data(as_text=True)
    assert "ungraded (count 0)" in text and "left out: awaiting grading" not in text
    assert client.get(f"/teach/quizzes/{quiz.id}/items?attempts=best").status_code == 400
    assert client.get(f"/teach/quizzes/{quiz.id}/items?pending=maybe").status_code == 400


def test_skills_page_names_the_weakest_skill(broken_quiz, client, login_as) -> None:
    course, quiz, _, instructor = broken_quiz
    login_as(instructor)
    page = client.get(f"/teach/courses/{course.id}/skills").get_data(as_text=True)
    weakest = page.split('class="weakest"')[1].split("</p>")[0]
    assert "inference" in weakest or "literal comprehension" in weakest
    assert 'id="mastery-table"' in page and page.count('class="bar"') == 3
    # The quizzes behind each figure, each linking to the same page for that quiz alone.
    behind = page.split('id="class-questions"')[1].split("</section>")[0]
    assert "The quizzes behind each figure" in behind and "Two coups — quiz" in behind
    link = f"/teach/courses/{course.id}/skills?quiz={quiz.id}&amp;attempts=graded"
    assert link in behind and "<caption>" in behind and 'scope="row"' in behind
    assert client.get(f"/teach/courses/{course.id}/skills?quiz=99999").status_code == 400
    one = client.get(f"/teach/courses/{course.id}/skills?quiz={quiz.id}&attempts=all")
    assert one.status_code == 200
    one_page = one.get_data(as_text=True)
    assert "The questions behind each figure" in one_page
    assert "broken" in one_page  # the questions behind each figure, for one quiz


def test_student_page_lists_attempts_pending_and_skills(broken_quiz, client, login_as) -> None:
    course, _quiz, students, instructor = broken_quiz
    login_as(instructor)
    page = client.get(f"/teach/courses/{course.id}/students/{students[0].id}").get_data(
        as_text=True
    )
    assert "Zoë Ní Dhuibhir" in page and "Attempt 1" in page
    pending = page.split('id="pending-heading"')[1].split("</section>")[0]
    assert "essay" in pending
    assert 'id="student-mastery-table"' in page


def test_attempt_page_escapes_answers(broken_quiz, client, login_as, db) -> None:
    _course, _quiz, students, instructor = broken_quiz
    login_as(instructor)
    from app.models import Attempt

    attempt = db.session.query(Attempt).filter_by(user_id=students[1].id).one()
    page = client.get(f"/teach/attempts/{attempt.id}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Option b" in page


def test_overview_shows_counts(make, db, client, login_as) -> None:
    setup = random_class(make, 4)
    late = make.student(name="Late Larry")
    make.enrol(setup.course, late)
    login_as(setup.instructor)
    page = client.get(f"/teach/courses/{setup.course.id}/dashboard").get_data(as_text=True)
    assert "4 of 5" in page and "Late Larry" in page
    assert add_attempt  # helpers in use
