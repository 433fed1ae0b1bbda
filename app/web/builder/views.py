"""The quiz builder: quiz list, settings, question picker and slots, accommodations, publishing.

Each view: load and authorize through app.authz (404 for anything not the instructor's), validate
a form, call one service in app.services.quizzes, commit, redirect. A refused change rolls back, so
nothing
is half-saved, and the page is shown again with the errors beside the fields (status 400).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import authz
from app.domain import review
from app.domain.banks.schema import SKILLS, student_view
from app.domain.points import parse_points
from app.domain.text import excerpt
from app.extensions import db
from app.models import CURRENT_VERSION, Question, QuestionVersion, Quiz
from app.services import attempts, quizzes
from app.web.builder.forms import (
    TYPE_LABELS,
    AccommodationForm,
    AddQuestionsForm,
    ConfirmForm,
    DrawForm,
    FilterForm,
    MoveForm,
    NewQuizForm,
    SettingsForm,
    SlotForm,
    choices,
    form_errors_into,
)

bp = Blueprint("builder", __name__)


# The student quiz page: an instructor who opens it takes the quiz as a preview that does not
# count (app.authz.quiz_for_taker); linked when the student blueprint is registered.
@bp.app_template_filter("excerpt")
def _excerpt(html_text: str, limit: int = 160) -> str:
    return excerpt(html_text, limit)


def _refused(exc: quizzes.QuizError, form: Any, aliases: dict[str, str] | None = None) -> None:
    db.session.rollback()
    form_errors_into(form, exc.errors, aliases or {})


def _preview_url(quiz: Quiz) -> str:
    return url_for("student.quiz", quiz_id=quiz.id)


def _common(quiz: Quiz) -> dict[str, Any]:
    return {
        "quiz": quiz,
        "course": quiz.course,
        "guard": quizzes.change_guard(quiz),
        "preview_url": _preview_url(quiz),
        "publish_form": ConfirmForm(prefix="publish"),
        "copy_form": ConfirmForm(prefix="copy"),
    }


# --- quiz list and settings ---------------------------------------------------------------------


@bp.route("/teach/courses/<int:course_id>/quizzes", methods=["GET", "POST"])
@login_required
def quiz_list(course_id: int) -> str | Response | tuple[str, int]:
    course = authz.course_for_instructor(course_id)
    form = NewQuizForm()
    if form.validate_on_submit():
        try:
            quiz = quizzes.create_quiz(course, quizzes.QuizSettings(title=form.title.data or ""))
        except quizzes.QuizError as exc:
            _refused(exc, form)
        else:
            db.session.commit()
            flash("Quiz created. Choose its settings, then add questions.", "success")
            return redirect(url_for("builder.settings", quiz_id=quiz.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "builder/quiz_list.html", course=course, form=form, copy_form=ConfirmForm(prefix="copy")
    ), status


def _settings_form(quiz: Quiz) -> SettingsForm:
    current = quizzes.QuizSettings.of(quiz)
    policy = current.review_policy
    form = SettingsForm(
        data=None
        if request.method == "POST"
        else {
            **{
                k: v for k, v in vars(current).items() if k not in ("review_policy", "source_slugs")
            },
            "opens_at": _naive(current.opens_at),
            "closes_at": _naive(current.closes_at),
            "review_score": policy["score"],
            "review_details": policy["details"],
            "review_show": policy["show"],
            "review_released": policy["released"],
            "sources": current.source_slugs,
        }
    )
    form.sources.choices = choices(
        (s.slug, f"{s.title} ({s.byline})") for s in quizzes.available_sources(quiz)
    )
    return form


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if value is not None else None


def _utc(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if value is not None else None


@bp.route("/teach/quizzes/<int:quiz_id>/settings", methods=["GET", "POST"])
@login_required
def settings(quiz_id: int) -> str | Response | tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    form = _settings_form(quiz)
    if form.validate_on_submit():
        new = quizzes.QuizSettings(
            title=form.title.data or "",
            description=form.description.data or "",
            mode=form.mode.data or "graded",
            published=bool(form.published.data),
            opens_at=_utc(form.opens_at.data),
            closes_at=_utc(form.closes_at.data),
            time_limit_minutes=form.time_limit_minutes.data,
            attempts_allowed=form.attempts_allowed.data or 0,
            grading_method=form.grading_method.data or "highest",
            review_policy=review.normalise_policy(
                {
                    "score": form.review_score.data,
                    "details": form.review_details.data,
                    "show": form.review_show.data or [],
                    "released": bool(form.review_released.data),
                }
            ),
            shuffle_questions=bool(form.shuffle_questions.data),
            shuffle_options=bool(form.shuffle_options.data),
            questions_per_page=form.questions_per_page.data or 0,
            canvas_assignment_id=(form.canvas_assignment_id.data or "").strip() or None,
            source_slugs=list(form.sources.data or []),
        )
        # The quiz menu's Publish button submits this form on this page, so what was typed is
        # saved with the change rather than thrown away.
        toggled = request.form.get("toggle_publish") == "1"
        if toggled:
            new = replace(new, published=not quiz.published)
        try:
            quizzes.update_quiz(quiz, new)
            if new.published and not quiz.slots:
                raise quizzes.QuizError(
                    {"published": "Add at least one question before publishing."}
                )
        except quizzes.QuizError as exc:
            _refused(exc, form)
        else:
            db.session.commit()
            if toggled:
                flash(
                    "Settings saved and published: students can see the quiz."
                    if quiz.published
                    else "Settings saved; unpublished: students no longer see the quiz.",
                    "success",
                )
            else:
                flash("Settings saved.", "success")
            return redirect(url_for("builder.settings", quiz_id=quiz.id))
    status = 400 if request.method == "POST" else 200
    context = {**_common(quiz), "publish_with_form": "settings-form"}
    return render_template("builder/settings.html", form=form, **context), status


@bp.route("/teach/quizzes/<int:quiz_id>/publish", methods=["POST"])
@login_required
def publish(quiz_id: int) -> Response:
    quiz = authz.quiz_for_instructor(quiz_id)
    form = ConfirmForm(prefix="publish")
    if not form.validate_on_submit():
        abort(400)
    try:
        quizzes.set_published(quiz, not quiz.published)
    except quizzes.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            "Published: students can see the quiz."
            if quiz.published
            else "Unpublished: students no longer see the quiz.",
            "success",
        )
    return redirect(
        request.referrer
        if _same_site(request.referrer)
        else url_for("builder.settings", quiz_id=quiz.id)
    )


@bp.route("/teach/quizzes/<int:quiz_id>/copy", methods=["POST"])
@login_required
def copy_quiz(quiz_id: int) -> Response:
    quiz = authz.quiz_for_instructor(quiz_id)
    if not ConfirmForm(prefix="copy").validate_on_submit():
        abort(400)
    copy = quizzes.copy_quiz(quiz)
    db.session.commit()
    flash(
        f"Copied as “{copy.title}”, a draft: settings, articles and questions. Attempts, "
        "accommodations and the Canvas assignment id stay with the original.",
        "success",
    )
    return redirect(url_for("builder.settings", quiz_id=copy.id))


def _same_site(target: str | None) -> bool:
    return bool(target) and str(target).startswith(request.host_url)


# --- questions: picker and slots ----------------------------------------------------------------


def _filter_form() -> tuple[FilterForm, quizzes.QuestionFilter]:
    form = FilterForm(request.args)
    options = quizzes.filter_choices()
    form.bank.choices = choices([("", "Any"), *options["banks"]])
    form.source.choices = choices([("", "Any"), *options["sources"]])
    bank = form.bank.data if form.bank.data in {c for c, _ in options["banks"]} else None
    source = form.source.data if form.source.data in {c for c, _ in options["sources"]} else None
    qfilter = quizzes.QuestionFilter(
        bank_id=int(bank) if bank else None,
        source=source,
        skill=form.skill.data if form.skill.data in SKILLS else None,
        qtype=form.qtype.data if form.qtype.data in TYPE_LABELS else None,
        difficulty=form.difficulty.data or None,
        text=(form.text.data or "")[:100] or None,
    )
    return form, qfilter


FILTER_ARGS = ("bank", "source", "skill", "qtype", "difficulty", "text")


def _filter_args() -> dict[str, str]:
    """The picker's filters, to keep them across a POST (nothing else from the URL)."""
    return {k: request.args[k][:100] for k in FILTER_ARGS if request.args.get(k)}


def _draw_form() -> DrawForm:
    form = DrawForm(prefix="draw")
    form.bank.choices = choices((int(i), t) for i, t in quizzes.filter_choices()["banks"])
    return form


def _render_questions(
    quiz: Quiz,
    *,
    add_form: AddQuestionsForm | None = None,
    draw_form: DrawForm | None = None,
    slot_errors: dict[int, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    filter_form, qfilter = _filter_form()
    results = quizzes.search_questions(qfilter)
    in_quiz = {s.question_id for s in quiz.slots if s.question_id is not None}
    slots = quizzes.slot_views(quiz)
    slot_forms = {}
    for view in slots:
        form = SlotForm(
            prefix=f"slot{view.slot.id}",
            data={
                "points": "" if view.slot.points is None else f"{view.slot.points:g}",
                "page": view.slot.page,
            },
        )
        if slot_errors and view.slot.id in slot_errors:
            form.points.errors = slot_errors[view.slot.id]
        slot_forms[view.slot.id] = form
    return render_template(
        "builder/questions.html",
        filter_form=filter_form,
        results=results,
        in_quiz=in_quiz,
        slots=slots,
        slot_forms=slot_forms,
        add_form=add_form or AddQuestionsForm(prefix="add"),
        draw_form=draw_form or _draw_form(),
        move_form=MoveForm(),
        filter_args=_filter_args(),
        remove_form=ConfirmForm(prefix="remove"),
        skills=SKILLS,
        type_labels=TYPE_LABELS,
        total_points=sum((v.points or 0) * (v.slot.draw_count or 1) for v in slots),
        variable_points=any(v.points is None for v in slots),
        **_common(quiz),
    ), status


@bp.route("/teach/quizzes/<int:quiz_id>/questions")
@login_required
def questions(quiz_id: int) -> tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    return _render_questions(quiz)


def _points_field(form: Any) -> tuple[float | None, bool]:
    """Parse an optional points field; on error mark the field and return ok=False."""
    raw = (form.points.data or "").strip()
    if not raw:
        return None, True
    try:
        return parse_points(raw), True
    except ValueError as exc:
        form.points.errors = [*list(form.points.errors), str(exc)]
        return None, False


@bp.route("/teach/quizzes/<int:quiz_id>/questions/add", methods=["POST"])
@login_required
def add_questions(quiz_id: int) -> Response | tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    form = AddQuestionsForm(prefix="add")
    if form.validate_on_submit():
        points, ok = _points_field(form)
        if ok:
            try:
                slots = quizzes.add_questions(
                    quiz, form.question_ids.data or [], points=points, page=form.page.data
                )
            except quizzes.QuizError as exc:
                _refused(exc, form)
            else:
                db.session.commit()
                flash(f"Added {len(slots)} question(s).", "success")
                return redirect(url_for("builder.questions", quiz_id=quiz.id, **_filter_args()))
    elif form.question_ids.errors:  # ids that are not whole numbers
        form.question_ids.errors = ["Tick questions from the list (whole-number ids only)."]
    if not form.errors and not form.form_errors:
        form.form_errors.append("Tick at least one question to add.")
    return _render_questions(quiz, add_form=form, status=400)


@bp.route("/teach/quizzes/<int:quiz_id>/draws/add", methods=["POST"])
@login_required
def add_draw(quiz_id: int) -> Response | tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    form = _draw_form()
    if form.validate_on_submit():
        points, ok = _points_field(form)
        if ok:
            rule = quizzes.DrawRule(
                bank_id=form.bank.data or 0,
                skill=form.skill.data or None,
                difficulty=form.difficulty.data or None,
                qtype=form.qtype.data or None,
                count=form.count.data or 0,
            )
            try:
                quizzes.add_draw(quiz, rule, points=points, page=form.page.data)
            except quizzes.QuizError as exc:
                _refused(exc, form, {"qtype": "qtype"})
            else:
                db.session.commit()
                flash(f"Added a random draw of {rule.count} question(s).", "success")
                return redirect(url_for("builder.questions", quiz_id=quiz.id))
    return _render_questions(quiz, draw_form=form, status=400)


def _slot_or_404(quiz: Quiz, slot_id: int) -> None:
    if not any(s.id == slot_id for s in quiz.slots):
        abort(404)


@bp.route("/teach/quizzes/<int:quiz_id>/slots/<int:slot_id>", methods=["POST"])
@login_required
def update_slot(quiz_id: int, slot_id: int) -> Response | tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    _slot_or_404(quiz, slot_id)
    form = SlotForm(prefix=f"slot{slot_id}")
    if form.validate_on_submit():
        points, ok = _points_field(form)
        if ok:
            try:
                quizzes.update_slot(quiz, slot_id, points=points, page=form.page.data or 1)
            except quizzes.QuizError as exc:
                db.session.rollback()
                form_errors_into(form, exc.errors, {})
            else:
                db.session.commit()
                flash("Slot saved.", "success")
                return redirect(url_for("builder.questions", quiz_id=quiz.id))
    errors = [*form.points.errors, *form.page.errors, *form.form_errors]
    return _render_questions(quiz, slot_errors={slot_id: errors}, status=400)


@bp.route("/teach/quizzes/<int:quiz_id>/slots/<int:slot_id>/remove", methods=["POST"])
@login_required
def remove_slot(quiz_id: int, slot_id: int) -> Response:
    quiz = authz.quiz_for_instructor(quiz_id)
    _slot_or_404(quiz, slot_id)
    if not ConfirmForm(prefix="remove").validate_on_submit():
        abort(400)
    try:
        quizzes.remove_slot(quiz, slot_id)
    except quizzes.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Removed.", "success")
    return redirect(url_for("builder.questions", quiz_id=quiz.id))


@bp.route("/teach/quizzes/<int:quiz_id>/slots/<int:slot_id>/move", methods=["POST"])
@login_required
def move_slot(quiz_id: int, slot_id: int) -> Response:
    quiz = authz.quiz_for_instructor(quiz_id)
    _slot_or_404(quiz, slot_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    quizzes.move_slot(quiz, slot_id, -1 if form.direction.data == "up" else 1)
    db.session.commit()
    return redirect(url_for("builder.questions", quiz_id=quiz.id))


@bp.route("/teach/quizzes/<int:quiz_id>/questions/<int:question_id>/preview")
@login_required
def preview_question(quiz_id: int, question_id: int) -> str:
    quiz = authz.quiz_for_instructor(quiz_id)
    row = db.session.execute(
        select(Question, QuestionVersion)
        .join(
            QuestionVersion,
            CURRENT_VERSION,
        )
        .where(Question.id == question_id)
    ).first()
    if row is None:
        abort(404)
    question, version = row
    return render_template(
        "builder/preview.html",
        question=question,
        version=version,
        view=student_view(version.spec),
        type_labels=TYPE_LABELS,
        skills=SKILLS,
        **_common(quiz),
    )


# --- accommodations -----------------------------------------------------------------------------


@bp.route("/teach/quizzes/<int:quiz_id>/accommodations", methods=["GET", "POST"])
@login_required
def accommodations(quiz_id: int) -> str | Response | tuple[str, int]:
    quiz = authz.quiz_for_instructor(quiz_id)
    roster = quizzes.roster_with_accommodations(quiz)
    form = AccommodationForm(prefix="acc")
    form.student.choices = choices((u.id, f"{u.name} ({u.email})") for u, _a in roster)
    if request.method == "GET" and request.args.get("student", "").isdigit():
        chosen = int(request.args["student"])
        for user, acc in roster:
            if user.id == chosen:
                form.student.data = user.id
                if acc is not None:
                    form.time_multiplier.data = (
                        f"{acc.time_multiplier:g}" if acc.time_multiplier != 1 else ""
                    )
                    form.extra_minutes.data = acc.extra_minutes or None
                    form.extra_attempts.data = acc.extra_attempts or None
                    form.closes_at.data = _naive(acc.closes_at)
                    form.note.data = acc.note
    if form.validate_on_submit():
        multiplier, ok = None, True
        raw = (form.time_multiplier.data or "").strip()
        if raw:
            try:
                multiplier = parse_points(raw, quizzes.MAX_MULTIPLIER)
            except ValueError as exc:
                form.time_multiplier.errors = [str(exc)]
                ok = False
        if ok:
            student = authz.student_in_course(quiz.course, form.student.data or 0)
            given = quizzes.AccommodationInput(
                time_multiplier=multiplier,
                extra_minutes=form.extra_minutes.data,
                extra_attempts=form.extra_attempts.data or 0,
                closes_at=_utc(form.closes_at.data),
                note=form.note.data or "",
            )
            try:
                quizzes.set_accommodation(quiz, student, given)
            except quizzes.QuizError as exc:
                _refused(exc, form)
            else:
                db.session.commit()
                flash(f"Accommodation saved for {student.name}.", "success")
                return redirect(url_for("builder.accommodations", quiz_id=quiz.id))
    rows = [
        (u, a, quizzes.effective_limits(quiz, a), attempts.allowance_of(quiz, a)) for u, a in roster
    ]
    status = 400 if request.method == "POST" else 200
    return render_template(
        "builder/accommodations.html",
        form=form,
        rows=rows,
        clear_form=ConfirmForm(prefix="clear"),
        base=quizzes.effective_limits(quiz, None),
        now=datetime.now(UTC),
        **_common(quiz),
    ), status


@bp.route("/teach/quizzes/<int:quiz_id>/accommodations/<int:user_id>/clear", methods=["POST"])
@login_required
def clear_accommodation(quiz_id: int, user_id: int) -> Response:
    quiz = authz.quiz_for_instructor(quiz_id)
    student = authz.student_in_course(quiz.course, user_id)
    if not ConfirmForm(prefix="clear").validate_on_submit():
        abort(400)
    if quizzes.clear_accommodation(quiz, student):
        db.session.commit()
        flash(f"Accommodation cleared for {student.name}.", "success")
    return redirect(url_for("builder.accommodations", quiz_id=quiz.id))
