"""Grading pages: the queue (by question or by student) with the rubric form and next/previous,
overrides with reasons, the audit trail, and the regrade dry run and apply.

Load and authorize through app.authz (another course's ids are 404), validate the form, call one
service in app.services.marking or app.services.regrade, commit, redirect. Refused input rolls back
and the
page is shown again with the errors (status 400).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import authz
from app.domain.banks.schema import SKILLS
from app.extensions import db
from app.models import Attempt, Quiz, User
from app.models import Response as AnswerResponse
from app.services import marking, regrade
from app.web.forms import choices
from app.web.marking.forms import (
    AttemptOverrideForm,
    OverrideForm,
    RegradeForm,
    rubric_form,
)

bp = Blueprint("marking", __name__)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _order() -> str:
    order = request.args.get("by", "question")
    return order if order in marking.QUEUE_ORDERS else "question"


def _scope() -> dict[str, Any]:
    """The queue's order and filters from the URL (bad values are ignored), to carry along."""
    scope: dict[str, Any] = {"by": _order()}
    for name in ("question", "student"):
        value = request.args.get(name, "")
        if value.isdigit() and len(value) < 10:
            scope[name] = int(value)
    return scope


def _queue(quiz: Quiz, *, pending_only: bool = False) -> list[marking.QueueItem]:
    scope = _scope()
    return marking.grading_queue(
        quiz,
        order=scope["by"],
        question_id=scope.get("question"),
        student_id=scope.get("student"),
        pending_only=pending_only,
    )


def _preview_url(quiz: Quiz) -> str:
    return url_for("student.quiz", quiz_id=quiz.id)


def _common(quiz: Quiz) -> dict[str, Any]:
    return {"quiz": quiz, "course": quiz.course, "preview_url": _preview_url(quiz)}


def _errors_into(form: Any, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name, None) if name else None
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(message)
        else:
            field.errors = [*list(field.errors), message]


@bp.route("/teach/quizzes/<int:quiz_id>/grading")
@login_required
def queue(quiz_id: int) -> str:
    quiz = authz.quiz_for_instructor(quiz_id)
    order = _order()
    pending_only = request.args.get("show") != "all"
    items = _queue(quiz, pending_only=pending_only)
    everything = marking.grading_queue(quiz, order=order)
    return render_template(
        "marking/queue.html",
        items=items,
        order=order,
        pending_only=pending_only,
        pending=sum(1 for i in everything if not i.graded),
        total=len(everything),
        scope=_scope(),
        questions=sorted({(i.question_id, i.question_key) for i in everything}, key=lambda q: q[1]),
        students=sorted(
            {(i.student_id, i.student_name) for i in everything}, key=lambda s: (s[1], s[0])
        ),
        attempts=marking.quiz_attempts(quiz),
        **_common(quiz),
    )


def _render_response(
    quiz: Quiz, response: AnswerResponse, form: Any, override_form: OverrideForm, status: int
) -> tuple[str, int]:
    order = _order()
    items = _queue(quiz)
    previous, following, next_pending = marking.neighbours(items, response.id)
    version = response.question_version
    return render_template(
        "marking/response.html",
        response=response,
        attempt=response.attempt,
        student=response.attempt.user,
        spec=version.spec,
        version=version,
        rubric=marking.rubric_of(version.spec),
        form=form,
        override_form=override_form,
        previous=previous,
        following=following,
        next_pending=next_pending,
        order=order,
        scope=_scope(),
        position=next((i for i, it in enumerate(items, 1) if it.response_id == response.id), None),
        count=len(items),
        skills=SKILLS,
        **_common(quiz),
    ), status


def _grade_form(response: AnswerResponse, *, prefill: bool) -> Any:
    rubric = marking.rubric_of(response.question_version.spec)
    data: dict[str, Any] | None = None
    if prefill:
        data = {"comment": response.comment}
        if rubric and response.rubric_scores:
            levels = response.rubric_levels or {}
            for index, criterion in enumerate(rubric):
                value = response.rubric_scores.get(criterion["criterion"])
                level = levels.get(criterion["criterion"])
                if level is not None:
                    data[f"level_{index}"] = f"{float(level):g}"
                if value is not None and (level is None or float(level) != float(value)):
                    data[f"criterion_{index}"] = f"{value:g}"
        elif response.manual_score is not None:
            data["score"] = f"{response.manual_score:g}"
    return rubric_form(rubric, response.max_points, data)


@bp.route("/teach/quizzes/<int:quiz_id>/grading/<int:response_id>", methods=["GET", "POST"])
@login_required
def grade_response(quiz_id: int, response_id: int) -> Response | tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    response = authz.response_for_instructor(quiz, response_id)
    if response.state != "needs_grading" or response.attempt.is_preview:
        abort(404)
    form = _grade_form(response, prefill=request.method == "GET")
    if form.validate_on_submit():
        try:
            marking.record_manual_grade(
                response,
                _me(),
                criterion_scores={k: v for k, v in form.data.items() if k.startswith("criterion_")},
                levels={k: v for k, v in form.data.items() if k.startswith("level_")},
                score=form.data.get("score"),
                comment=form.data.get("comment") or "",
            )
        except marking.GradingError as exc:
            db.session.rollback()
            _errors_into(form, exc.errors)
        else:
            db.session.commit()
            flash(f"Grade saved for {response.attempt.user.name}.", "success")
            items = _queue(quiz)
            _prev, _next, next_pending = marking.neighbours(items, response.id)
            if next_pending is not None:
                return redirect(
                    url_for(
                        "marking.grade_response",
                        quiz_id=quiz.id,
                        response_id=next_pending.response_id,
                        **_scope(),
                    )
                )
            flash("Nothing left to grade here.", "success")
            return redirect(url_for("marking.queue", quiz_id=quiz.id, **_scope()))
    status = 400 if request.method == "POST" else 200
    return _render_response(quiz, response, form, OverrideForm(prefix="override"), status)


# --- attempts and overrides ---------------------------------------------------------------------


def _render_attempt(
    attempt: Attempt,
    *,
    override_forms: dict[int, OverrideForm] | None = None,
    total_form: AttemptOverrideForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    quiz = attempt.quiz
    rows = marking.attempt_responses(attempt)
    forms = override_forms or {}
    return render_template(
        "marking/attempt.html",
        attempt=attempt,
        student=attempt.user,
        rows=rows,
        override_forms={
            r.id: forms.get(r.id) or OverrideForm(prefix=f"r{r.id}") for r, _v, _q in rows
        },
        total_form=total_form or AttemptOverrideForm(prefix="total"),
        trail=marking.audit_trail(attempt=attempt),
        **_common(quiz),
    ), status


@bp.route("/teach/attempts/<int:attempt_id>/grades")
@login_required
def attempt_grades(attempt_id: int) -> tuple[str, int]:
    attempt = authz.attempt_for_instructor(attempt_id)
    return _render_attempt(attempt)


@bp.route("/teach/attempts/<int:attempt_id>/responses/<int:response_id>/override", methods=["POST"])
@login_required
def override_response(attempt_id: int, response_id: int) -> Response | tuple[str, int]:
    attempt = authz.attempt_for_instructor(attempt_id)
    response = authz.response_for_instructor(attempt.quiz, response_id)
    if response.attempt_id != attempt.id:
        abort(404)
    form = OverrideForm(prefix=f"r{response.id}")
    if form.validate_on_submit():
        try:
            marking.override_response(response, _me(), form.score.data, form.reason.data or "")
        except marking.GradingError as exc:
            db.session.rollback()
            _errors_into(form, exc.errors)
        else:
            db.session.commit()
            flash(f"Score for question {response.position} overridden.", "success")
            return redirect(url_for("marking.attempt_grades", attempt_id=attempt.id))
    return _render_attempt(attempt, override_forms={response.id: form}, status=400)


@bp.route("/teach/attempts/<int:attempt_id>/override", methods=["POST"])
@login_required
def override_attempt(attempt_id: int) -> Response | tuple[str, int]:
    attempt = authz.attempt_for_instructor(attempt_id)
    form = AttemptOverrideForm(prefix="total")
    if form.validate_on_submit():
        try:
            marking.override_attempt(
                attempt,
                _me(),
                form.total.data,
                form.reason.data or "",
                extra_credit=bool(form.extra_credit.data),
            )
        except marking.GradingError as exc:
            db.session.rollback()
            _errors_into(form, exc.errors)
        else:
            db.session.commit()
            flash("Attempt total overridden.", "success")
            return redirect(url_for("marking.attempt_grades", attempt_id=attempt.id))
    return _render_attempt(attempt, total_form=form, status=400)


# --- audit trail and regrade --------------------------------------------------------------------


@bp.route("/teach/quizzes/<int:quiz_id>/audit")
@login_required
def audit(quiz_id: int) -> str:
    quiz = authz.quiz_for_instructor(quiz_id)
    return render_template(
        "marking/audit.html", trail=marking.audit_trail(quiz=quiz), **_common(quiz)
    )


@bp.route("/teach/quizzes/<int:quiz_id>/regrade", methods=["GET", "POST"], endpoint="regrade")
@login_required
def regrade_page(quiz_id: int) -> Response | tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    candidates = regrade.regradable_questions(quiz)
    form = RegradeForm()
    form.questions.choices = choices(
        (q.key, f"{q.key} (answered on version {oldest}; latest version {latest})")
        for q, oldest, latest in candidates
    )
    if request.method == "GET" and request.args.getlist("question"):
        form.questions.data = request.args.getlist("question")
    plan = None
    status = 200
    if form.validate_on_submit():
        try:
            if form.apply.data:
                plan = regrade.apply_regrade(quiz, form.questions.data or [], _me())
                db.session.commit()
                flash(
                    f"Regrade applied: {plan.changed_responses} answer(s) in "
                    f"{len(plan.attempts)} attempt(s) changed.",
                    "success",
                )
                return redirect(url_for("marking.audit", quiz_id=quiz.id))
            plan = regrade.plan_regrade(quiz, form.questions.data or [])
        except regrade.RegradeError as exc:
            db.session.rollback()
            form.questions.errors = [*list(form.questions.errors), str(exc)]
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template(
        "marking/regrade.html", form=form, plan=plan, candidates=candidates, **_common(quiz)
    ), status
