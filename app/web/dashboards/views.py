"""Instructors' dashboards: course overview, quiz results, item analysis, skill mastery,
one student's page, and a read-only view of an attempt. Read-only pages: each one loads and
authorises through app.authz (404 for anyone but the course's instructors), validates its
query string, calls one service of app.services.analytics and renders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from app import authz
from app.domain import charts
from app.domain.attempt_view import answer_display, passage_lookup, score_source, shown_state
from app.extensions import db
from app.models import Quiz
from app.services import analytics, attempt_store
from app.web.dashboards.forms import (
    SORT_LABELS,
    ItemsQuery,
    ResultsQuery,
    SkillsQuery,
)
from app.web.forms import choices

bp = Blueprint("dashboards", __name__)


# The student flow's result page (student.result) is for the attempt's owner only, so attempts
# link to the instructor's read-only page, which links on to the grading pages.
def attempt_url(attempt_id: int) -> str:
    return url_for("dashboards.attempt", attempt_id=attempt_id)


def grading_url(quiz_id: int) -> str:
    return url_for("marking.queue", quiz_id=quiz_id)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "attempt_url": attempt_url,
        "grading_url": grading_url,
        "attempt_grading_url": lambda attempt_id: url_for(
            "marking.attempt_grades", attempt_id=attempt_id
        ),
        "skill_label": analytics.skill_label,
    }


def _sort_links(form: ResultsQuery) -> dict[str, dict[str, str]]:
    """Per column: the link that sorts by it (toggling the order when already sorted by it),
    and its aria-sort value. Plain links, so sorting works without JavaScript."""
    links = {}
    for key in SORT_LABELS:
        current = form.sort.data == key
        descending = form.dir.data == "desc"
        args = {
            "sort": key,
            "dir": "asc" if current and descending else ("desc" if current else "asc"),
            "state": form.state.data,
        }
        if form.q.data:
            args["q"] = form.q.data
        links[key] = {
            "href": url_for(request.endpoint or "", **(request.view_args or {}), **args),
            "aria": ("descending" if descending else "ascending") if current else "none",
        }
    return links


@bp.route("/teach/courses/<int:course_id>/dashboard")
@login_required
def overview(course_id: int) -> str:
    course = authz.course_for_instructor(course_id)
    return render_template(
        "dashboards/overview.html", course=course, overview=analytics.course_overview(course.id)
    )


@bp.route("/teach/quizzes/<int:quiz_id>/results")
@login_required
def results(quiz_id: int) -> tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    form = ResultsQuery(request.args)
    status = 200
    if not form.validate():
        status = 400
        errors = form.errors
        form = ResultsQuery()
        form.q.errors = [f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()]
    data = analytics.quiz_results(
        quiz,
        sort=form.sort.data,
        descending=form.dir.data == "desc",
        state=form.state.data,
        search=form.q.data or "",
    )
    chart = charts.distribution_chart(
        [(b.label, b.count) for b in data.distribution],
        chart_id="distribution",
        title=f"Score distribution: {quiz.title}",
    )
    return render_template(
        "dashboards/results.html",
        course=quiz.course,
        quiz=quiz,
        data=data,
        form=form,
        chart=chart,
        sort_links=_sort_links(form),
        sort_labels=SORT_LABELS,
    ), status


@bp.route("/teach/quizzes/<int:quiz_id>/items")
@login_required
def items(quiz_id: int) -> tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    form = ItemsQuery(request.args)
    status = 200
    if not form.validate():
        status = 400
        invalid = list(form.errors)
        form = ItemsQuery()
        for name in invalid:
            form[name].errors = ["Choose one of the listed options."]
    analysis = analytics.item_analysis(quiz, form.attempts.data, form.pending.data)
    return render_template(
        "dashboards/items.html", course=quiz.course, quiz=quiz, analysis=analysis, form=form
    ), status


def _mastery_chart(mastery: analytics.Mastery, chart_id: str, title: str) -> Any:
    return charts.mastery_chart(
        [
            (
                s.label,
                s.score.percentage,
                f"{s.score.earned:g} of {s.score.possible:g} points",
                s.weakest,
            )
            for s in mastery.skills
        ],
        chart_id=chart_id,
        title=title,
    )


@bp.route("/teach/courses/<int:course_id>/skills")
@login_required
def skills(course_id: int) -> tuple[str, int]:
    course = authz.course_for_instructor(course_id)
    quizzes = db.session.execute(
        select(Quiz.id, Quiz.title).where(Quiz.course_id == course.id).order_by(Quiz.id)
    ).all()
    form = SkillsQuery(request.args)
    form.quiz.choices = choices([("", "All quizzes"), *((str(i), t) for i, t in quizzes)])
    status = 200
    if not form.validate():
        status = 400
        form = SkillsQuery()
        form.quiz.choices = choices([("", "All quizzes"), *((str(i), t) for i, t in quizzes)])
        form.quiz.errors = ["Choose a quiz of this course and one of the listed options."]
    quiz_id = int(form.quiz.data) if form.quiz.data else None
    mastery = analytics.skill_mastery(course.id, quiz_id=quiz_id, which=form.attempts.data)
    skill_names, students = analytics.student_skill_matrix(
        course.id, quiz_id=quiz_id, which=form.attempts.data
    )
    return render_template(
        "dashboards/skills.html",
        course=course,
        form=form,
        mastery=mastery,
        chart=_mastery_chart(mastery, "mastery", f"Reading-skill mastery: {course.title}"),
        skill_names=skill_names,
        student_rows=_matrix_rows(skill_names, students),
    ), status


def _percent(value: float | None) -> str:
    """As the templates' ``pct`` macro writes a share: one decimal, or a dash for none."""
    return "—" if value is None else f"{value:.1f}%"


def _matrix_rows(
    skill_names: list[str], students: list[analytics.StudentSkills]
) -> list[tuple[analytics.StudentSkills, list[str]]]:
    """Each student with their cells already formatted: a macro call per cell costs more
    than the query behind the table once a class has thousands of students."""
    return [(st, [_percent(st.percentage(sk)) for sk in skill_names]) for st in students]


@bp.route("/teach/courses/<int:course_id>/students/<int:user_id>")
@login_required
def student(course_id: int, user_id: int) -> str:
    course = authz.course_for_instructor(course_id)
    person = authz.student_in_course(course, user_id)
    page = analytics.student_page(course.id, person.id)
    return render_template(
        "dashboards/student.html",
        course=course,
        student=person,
        page=page,
        chart=_mastery_chart(page.mastery, "student-mastery", f"Reading skills: {person.name}"),
    )


@bp.route("/teach/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> str:
    """Read-only: every question of the attempt, the answer given, the points and state."""
    attempt = authz.attempt_for_instructor(attempt_id)
    responses = analytics.attempt_detail(attempt)
    passage = passage_lookup(
        attempt_store.attempt_sources(attempt.quiz_id, [qv.id for _r, qv in responses])
    )
    shown = {
        r.id: {
            "answer": answer_display(qv.spec, r.value, passage),
            "state": shown_state(r.state, r.score, r.max_points, r.manual_score, r.override_score),
            "source": score_source(r.manual_score, r.override_score),
        }
        for r, qv in responses
    }
    return render_template(
        "dashboards/attempt.html",
        course=attempt.quiz.course,
        attempt=attempt,
        responses=responses,
        shown=shown,
    )
