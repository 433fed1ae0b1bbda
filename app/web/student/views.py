"""Taking a quiz: start or resume, the quiz page, autosave, submit, results and history.

Views are thin: load and authorize through ``app.authz``, call one service of
``app.services.attempts``, commit, redirect. What the quiz page reads and the fragments it keeps
come from ``app.services.attempt_store``. Nothing of the answer key is put into a page unless
``review_visibility`` allows it: the quiz page is built from ``attempt_view.question_view`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from app import authz
from app.database import defer_write_lock
from app.domain import deadlines, question_types
from app.domain.attempt_view import (
    InvalidAnswer,
    SourceView,
    is_answered,
    page_value,
    parse_ref,
    question_view,
    review_view,
)
from app.domain.quiz_articles import question_sources, ref_label, short_name
from app.extensions import db
from app.models import Attempt, AttemptState, Response, User
from app.services import attempt_store, attempts, reading_aids
from app.services.attempt_store import AttemptRecord
from app.web.forms import CsrfForm
from app.web.input import RenderedHtml
from app.web.sessions import json_endpoint, keeps_session_alive

bp = Blueprint("student", __name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.app_template_filter("points")
def _points(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}".rstrip("0").rstrip(".")


@bp.app_template_filter("ref_label")
def _ref_label(ref: str) -> str:
    """``"two-coups:p4.s2"`` → "Two coups, ¶4, sentence 2" (never the raw id)."""
    return ref_label(ref) if isinstance(ref, str) else str(ref)


@bp.app_template_filter("local_time")
def _local_time(value: datetime | None, style: str = "datetime") -> Markup:
    """A UTC time as ``<time>``: the server writes UTC, times.js shows the reader's own zone.

    ``style``: ``datetime`` (5 Dec 2026, 13:05 UTC) or ``time`` (13:05 UTC)."""
    if value is None:
        return Markup("")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    shown = value.strftime("%H:%M UTC" if style == "time" else "%-d %b %Y, %H:%M UTC")
    return Markup('<time datetime="{}" data-local="{}">{}</time>').format(
        value.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "time" if style == "time" else "datetime",
        shown,
    )


@bp.app_template_filter("article_names")
def _article_names(spec: dict[str, Any]) -> str:
    """The articles a question cites, by short name ("Two coups, Kamikaze")."""
    return ", ".join(short_name(slug) for slug in question_sources(spec or {}))


def _load_attempt(attempt_id: int, *, lock: bool = False) -> Attempt:
    """The user's own attempt, finalised first when its time ran out (a lazy sweep).

    ``lock``: for a request that will change it (it is read once, under the row lock)."""
    attempt = authz.own_attempt(attempt_id, lock=lock)
    now = _now()
    if attempts.is_overdue(attempt, now):
        if attempts.close_if_lapsed(attempt, now):
            flash("Time is up: your saved answers were submitted.", "warning")
        db.session.commit()
    return attempt


# --- quiz overview and start --------------------------------------------------------------------


@bp.route("/quizzes/<int:quiz_id>")
@login_required
def quiz(quiz_id: int) -> str:
    quiz, preview = authz.quiz_for_taker(quiz_id)
    g.no_store = True
    me = _me()
    history = attempts.attempt_history(quiz.id, me.id)
    accommodation = None if preview else attempts.accommodation_for(quiz.id, me.id)
    counted = [a for a in history if not a.is_preview]
    row = attempts.quiz_row(quiz, counted, accommodation, _now())
    open_one = next((a for a in history if a.state == AttemptState.IN_PROGRESS), None)
    return render_template(
        "student/quiz.html",
        quiz=quiz,
        row=row,
        history=history,
        preview=preview,
        open_attempt=open_one,
        form=CsrfForm(),
        now=_now(),
    )


@bp.route("/quizzes/<int:quiz_id>/start", methods=["POST"])
@login_required
def start(quiz_id: int) -> WerkzeugResponse:
    quiz, preview = authz.quiz_for_taker(quiz_id)
    if not CsrfForm().validate_on_submit():
        flash("Your form expired. Try again.", "error")
        return redirect(url_for("student.quiz", quiz_id=quiz.id))
    try:
        attempt = attempts.start_or_resume(quiz, _me(), _now(), preview=preview)
    except attempts.AttemptError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("student.quiz", quiz_id=quiz.id))
    db.session.commit()
    if attempt.state == AttemptState.SUBMITTED:
        flash("Time is up: your saved answers were submitted.", "warning")
        return redirect(url_for("student.result", attempt_id=attempt.id))
    return redirect(url_for("student.attempt", attempt_id=attempt.id))


# --- the quiz page ---------------------------------------------------------------------------


def _cached(key: tuple[Any, ...] | None, template: str, **context: Any) -> Markup:
    """A template of the quiz page rendered once per key (``attempt_store.fragment``): the key
    names everything the template shows; None renders without keeping."""
    html = attempt_store.fragment(
        key, lambda: current_app.jinja_env.get_template(template).render(**context)
    )
    return RenderedHtml(html)


def _question_html(q: dict[str, Any]) -> Markup:
    """One question of the quiz page, from the cache when nothing it shows has changed."""
    key = None if q.get("error") else q.get("fragment_key")
    return _cached(key, "student/_question.html", q=q)


def _sources_html(sources: list[SourceView]) -> Markup:
    """The reading pane of the quiz page (the articles never change under an attempt)."""
    key = ("sources", attempt_store.sources_key(sources))
    return _cached(key, "student/_sources.html", sources=sources)


def _navigator_html(navigator: list[NavItem], page: int) -> Markup:
    """The navigator, from the cache when no question's page, answer or flag has changed: it is
    made of nothing else, and rendering it for a long quiz costs more than the questions."""
    key = ("navigator", page, tuple((n.position, n.page, n.answered, n.flagged) for n in navigator))
    return _cached(key, "student/_navigator.html", navigator=navigator, page=page)


def _page_context(
    attempt: AttemptRecord, page: int | None, *, errors: dict[int, str] | None = None
) -> dict[str, Any]:
    """Everything the quiz page shows. Its questions block is kept per process under a key of
    what it is made of (``attempt_store.page_key``). ``errors`` (the no-JS form's refusals) are
    shown and never cached."""
    rows = attempt_store.response_states(attempt.id)
    sources = attempt_store.attempt_sources(attempt.quiz_id, [r.question_version_id for r in rows])
    pages = sorted({r.page for r in rows}) or [1]
    if page not in pages:
        page = pages[0]
    sources_key = attempt_store.sources_key(sources)

    def render() -> str:
        questions = _question_views(attempt, page, sources, sources_key)
        for q in questions:
            if errors and q["position"] in errors:
                q["error"] = errors[q["position"]]
        return "".join(_question_html(q) for q in questions)

    key = None if errors else attempt_store.page_key(attempt, page, rows, sources_key)
    html = attempt_store.fragment(key, render)
    now = _now()
    return {
        "attempt": attempt,
        "sources": sources,
        "questions_html": RenderedHtml(html),
        "answered": sum(1 for r in rows if r.state == "answered"),
        "total": len(rows),
        "navigator_html": _navigator_html(_navigator(rows), page),
        "highlights": [h.as_json() for h in reading_aids.highlights_of(attempt.id, sources)],
        "page": page,
        "pages": pages,
        "seconds_left": (
            deadlines.seconds_left(attempt.deadline_at, now)
            if attempt.time_limit_minutes is not None
            else None
        ),
        "sources_html": _sources_html,
    }


@dataclass(frozen=True)
class NavItem:
    """One question in the navigator and on the submit page."""

    position: int
    page: int
    answered: bool
    flagged: bool


def _navigator(rows: Sequence[Any]) -> list[NavItem]:
    return [NavItem(r.position, r.page, r.state == "answered", bool(r.flagged)) for r in rows]


def _question_views(
    attempt: AttemptRecord,
    page: int,
    sources: list[SourceView],
    sources_key: tuple[int, ...],
) -> list[dict[str, Any]]:
    """The views of one page's questions (built from ``question_view`` only: no key)."""
    responses = [r for r in attempt_store.responses_of(attempt.id) if r.page == page]
    specs = attempt_store.specs_for(r.question_version_id for r in responses)
    questions = []
    for r in responses:
        spec = specs[r.question_version_id]
        view = question_view(spec, r.layout or {}, position=r.position, max_points=r.max_points)
        view.update(
            value=page_value(spec, r.layout or {}, r.value),
            seq=r.seq,
            answered=is_answered(r.value),
            flagged=bool(r.flagged),
        )
        _add_choices(view, spec, sources)
        view["fragment_key"] = attempt_store.question_key(r, sources_key)
        questions.append(view)
    return questions


def _add_choices(view: dict[str, Any], spec: dict[str, Any], sources: list[SourceView]) -> None:
    """Template helpers per type (saved ranks, evidence targets, word counts), and anchors."""
    question_types.get(view["type"]).page_extras(view, spec, sources)
    source = next((s for s in sources if s.slug == spec.get("source")), None) or (
        sources[0] if sources else None
    )
    view["anchors"] = {p.number: p.anchor for p in source.paragraphs} if source is not None else {}


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
@keeps_session_alive
def attempt(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    page = request.args.get("page", type=int)
    if request.method == "GET":
        view = authz.own_attempt_record(attempt_id)
        if view.state == AttemptState.IN_PROGRESS and not attempts.is_overdue(view, _now()):
            return render_template("student/attempt.html", **_page_context(view, page))
    attempt = _load_attempt(attempt_id)  # finalises it if its time ran out
    if attempt.state == AttemptState.SUBMITTED:
        return redirect(url_for("student.result", attempt_id=attempt.id))
    if request.method == "GET":
        return render_template(
            "student/attempt.html", **_page_context(AttemptRecord.of(attempt), page)
        )
    if not CsrfForm().validate_on_submit():
        flash(
            "Your form expired or was sent from elsewhere. Reload the page and try again.", "error"
        )
        return redirect(url_for("student.attempt", attempt_id=attempt.id))
    page = request.form.get("page", type=int)
    saved = attempts.save_form(attempt, page, request.form.getlist, _now())
    db.session.commit()  # also when it closed: a lazy finalisation happened on the way
    if saved.closed:
        flash(saved.closed, "warning")
        return redirect(url_for("student.result", attempt_id=attempt.id))
    if saved.errors:
        return render_template(
            "student/attempt.html",
            **_page_context(AttemptRecord.of(attempt), page, errors=saved.errors),
        ), 400
    if saved.stale:
        flash(
            "Question " + ", ".join(map(str, saved.stale)) + " changed in another tab or window, "
            "so what this page sent for it was not saved. Check your answer below.",
            "warning",
        )
    action = request.form.get("action", "save")
    responses = attempts.responses_of(attempt)
    pages = sorted({r.page for r in responses})
    if action == "finish":
        return redirect(url_for("student.confirm_submit", attempt_id=attempt.id))
    target = _question_action(action, responses)
    if target is not None:  # the navigator's jump or a question's flag (the no-JS path)
        if action.startswith("flag-"):
            closed = _toggle_flag(attempt, target)
            if closed:
                flash(closed, "warning")
                return redirect(url_for("student.result", attempt_id=attempt.id))
        return redirect(
            url_for(
                "student.attempt",
                attempt_id=attempt.id,
                page=target.page,
                _anchor=f"q{target.position}",
            )
        )
    if action in ("next", "prev") and page in pages:
        i = pages.index(page) + (1 if action == "next" else -1)
        page = pages[max(0, min(i, len(pages) - 1))]
    elif action.startswith("page-") and action[5:].isdigit() and int(action[5:]) in pages:
        page = int(action[5:])
    if action == "save" and not saved.stale:
        flash("Your answers are saved.", "success")
    return redirect(url_for("student.attempt", attempt_id=attempt.id, page=page))


def _question_action(action: str, responses: Sequence[Response]) -> Response | None:
    """The question a ``goto-N`` or ``flag-N`` button names (None for other actions)."""
    kind, _, number = action.partition("-")
    if kind not in ("goto", "flag") or not number.isdigit():
        return None
    return next((r for r in responses if r.position == int(number)), None)


def _toggle_flag(attempt: Attempt, response: Response) -> str | None:
    """Flip one question's flag; the message of a refusal (the attempt closed meanwhile)."""
    try:
        reading_aids.set_flag(attempt, response.position, not response.flagged, _now())
    except attempts.AttemptClosed as exc:
        db.session.commit()  # keep a lazy finalisation
        return exc.message
    db.session.commit()
    return None


@bp.route("/attempts/<int:attempt_id>/responses/<int:position>", methods=["POST"])
@json_endpoint
@keeps_session_alive
@login_required
@defer_write_lock
def save(attempt_id: int, position: int) -> tuple[WerkzeugResponse, int]:
    """Autosave one answer: JSON ``{"value", "seq", "base", "page"}`` → ``{"saved_at", "seq"}``.

    ``base`` is the stored version the answer was based on, ``page`` the id of the page that
    sends it (see ``attempts.save_response``). Logged out: 401 JSON (``app.web.sessions``)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="bad_request", message="Send the answer as JSON."), 400
    attempt = authz.own_attempt_record(attempt_id, lock=True)
    try:
        saved = attempts.save_response(
            attempt,
            position,
            data.get("value"),
            data.get("seq"),
            _now(),
            base=data.get("base"),
            saved_by=data.get("page"),
        )
    except attempts.StaleWrite as exc:
        db.session.rollback()
        return jsonify(error="stale", message=exc.message), 409
    except (attempts.AttemptClosed, attempts.GradingFailed) as exc:
        db.session.commit()  # keep a lazy finalisation (or the flag) that happened on the way
        return jsonify(
            error="closed",
            message=exc.message,
            result_url=url_for("student.result", attempt_id=attempt.id),
        ), 409
    except attempts.UnknownQuestion as exc:
        db.session.rollback()
        return jsonify(error="not_found", message=exc.message), 404
    except (InvalidAnswer, attempts.AttemptError) as exc:
        db.session.rollback()
        return jsonify(error="invalid", message=getattr(exc, "message", str(exc))), 400
    db.session.commit()
    return jsonify(saved_at=(saved.saved_at or _now()).isoformat(), seq=saved.seq), 200


# --- reading aids: flags and highlights (JSON, from navigator.js and highlights.js) --------


def _aid_refused(exc: attempts.AttemptError, attempt: Attempt) -> tuple[WerkzeugResponse, int]:
    if isinstance(exc, attempts.AttemptClosed):
        db.session.commit()  # keep a lazy finalisation that happened on the way
        return jsonify(
            error="closed",
            message=exc.message,
            result_url=url_for("student.result", attempt_id=attempt.id),
        ), 409
    db.session.rollback()
    return jsonify(error="not_found", message=exc.message), 404


@bp.route("/attempts/<int:attempt_id>/flags/<int:position>", methods=["POST"])
@json_endpoint
@keeps_session_alive
@login_required
@defer_write_lock
def flag(attempt_id: int, position: int) -> tuple[WerkzeugResponse, int]:
    """Flag a question for review (``{"flagged": true}``) or clear the flag: ``{"flagged"}``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("flagged"), bool):
        return jsonify(error="bad_request", message='Send {"flagged": true} or false.'), 400
    attempt = authz.own_attempt(attempt_id, lock=True)
    try:
        flagged = reading_aids.set_flag(attempt, position, data["flagged"], _now())
    except attempts.AttemptError as exc:
        return _aid_refused(exc, attempt)
    db.session.commit()
    return jsonify(position=position, flagged=flagged), 200


def _attempt_sources(attempt: Attempt) -> list[SourceView]:
    rows = attempt_store.response_states(attempt.id)
    return attempt_store.attempt_sources(attempt.quiz_id, [r.question_version_id for r in rows])


@bp.route("/attempts/<int:attempt_id>/highlights", methods=["POST"])
@json_endpoint
@keeps_session_alive
@login_required
@defer_write_lock
def add_highlight(attempt_id: int) -> tuple[WerkzeugResponse, int]:
    """Highlight a passage: ``{"ranges": [{"source", "paragraph", "start", "end"}, ...]}`` →
    ``{"highlights": [...]}`` (all of the attempt's highlights, overlapping ones merged)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="bad_request", message="Send the passage as JSON."), 400
    attempt = authz.own_attempt(attempt_id, lock=True)
    try:
        kept = reading_aids.add_highlights(
            attempt, data.get("ranges"), _attempt_sources(attempt), _now()
        )
    except reading_aids.HighlightError as exc:
        db.session.rollback()
        return jsonify(error="invalid", message=str(exc)), 400
    except attempts.AttemptError as exc:
        return _aid_refused(exc, attempt)
    db.session.commit()
    return jsonify(highlights=[h.as_json() for h in kept]), 200


@bp.route("/attempts/<int:attempt_id>/highlights/<int:highlight_id>", methods=["DELETE"])
@json_endpoint
@keeps_session_alive
@login_required
@defer_write_lock
def remove_highlight(attempt_id: int, highlight_id: int) -> tuple[WerkzeugResponse, int]:
    """Remove one highlight → ``{"highlights": [...]}`` (those left)."""
    attempt = authz.own_attempt(attempt_id, lock=True)
    try:
        kept = reading_aids.remove_highlight(
            attempt, highlight_id, _attempt_sources(attempt), _now()
        )
    except reading_aids.HighlightError as exc:
        db.session.rollback()
        return jsonify(error="not_found", message=str(exc)), 404
    except attempts.AttemptError as exc:
        return _aid_refused(exc, attempt)
    db.session.commit()
    return jsonify(highlights=[h.as_json() for h in kept]), 200


# --- submit ---------------------------------------------------------------------------------


@bp.route("/attempts/<int:attempt_id>/submit", methods=["GET", "POST"])
@login_required
@defer_write_lock  # the POST takes SQLite's write lock when it reads the attempt to submit
def confirm_submit(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    attempt = _load_attempt(attempt_id, lock=request.method == "POST")
    if attempt.state == AttemptState.SUBMITTED:
        return redirect(url_for("student.result", attempt_id=attempt.id))
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("Your form expired. Submit again.", "error")
            return redirect(url_for("student.confirm_submit", attempt_id=attempt.id))
        now = _now()
        try:
            attempts.submit(attempt, now, by=attempts.submitted_by(attempt, now))
        except attempts.GradingFailed as exc:
            db.session.commit()  # keeps the flag; the submit itself was rolled back
            return render_template(
                "errors/error.html", status=503, title="Not marked yet", message=exc.message
            ), 503
        db.session.commit()
        return redirect(url_for("student.result", attempt_id=attempt.id))
    responses = attempts.responses_of(attempt)
    items = [NavItem(r.position, r.page, is_answered(r.value), bool(r.flagged)) for r in responses]
    return render_template(
        "student/submit.html",
        attempt=attempt,
        quiz=attempt.quiz,
        to_check=[i for i in items if i.flagged or not i.answered],
        done=[i for i in items if i.answered and not i.flagged],
        unanswered=[i for i in items if not i.answered],
        total=len(items),
        seconds_left=(
            deadlines.seconds_left(attempt.deadline_at, _now())
            if attempt.quiz.time_limit_minutes is not None
            else None
        ),
        form=form,
    )


# --- results and history -------------------------------------------------------------------


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> str | WerkzeugResponse:
    attempt = _load_attempt(attempt_id)
    if attempt.state != AttemptState.SUBMITTED:
        return redirect(url_for("student.attempt", attempt_id=attempt.id))
    quiz = attempt.quiz
    now = _now()
    accommodation = (
        None if attempt.is_preview else attempts.accommodation_for(quiz.id, attempt.user_id)
    )
    shown = authz.review_visibility(
        quiz, attempt, close_time=attempts.close_time(quiz, accommodation), now=now
    )
    questions: list[dict[str, Any]] = []
    sources: list[SourceView] = []
    if shown.details:
        responses = attempts.responses_of(attempt)
        specs = attempt_store.specs_for(r.question_version_id for r in responses)
        sources = attempt_store.attempt_sources(quiz.id, [r.question_version_id for r in responses])
        for r in responses:
            spec = specs[r.question_version_id]
            view = review_view(
                spec,
                r.layout or {},
                position=r.position,
                max_points=r.max_points,
                value=r.value,
                state=r.state,
                score=r.score,
                feedback=r.feedback or [],
                comment=r.comment or "",
                shown=shown,
                manual_score=r.manual_score,
                override_score=r.override_score,
                rubric_scores=r.rubric_scores,
                rubric_levels=r.rubric_levels,
            )
            _add_choices(view, spec, sources)
            view["evidence_links"] = _evidence_links(view.get("evidence", []), sources)
            view["flagged"] = bool(r.flagged)
            questions.append(view)
    return render_template(
        "student/result.html",
        attempt=attempt,
        quiz=quiz,
        shown=shown,
        questions=questions,
        sources=sources,
        # the student's own highlights, read-only now (never anyone else's)
        highlights=[h.as_json() for h in reading_aids.highlights_of(attempt.id, sources)],
    )


def _evidence_links(refs: list[str], sources: list[SourceView]) -> list[tuple[str, str]]:
    """(label, anchor) for each evidence ref, e.g. ("Two coups, ¶4", "two-coups-p4")."""
    out: list[tuple[str, str]] = []
    for ref in refs:
        parsed = parse_ref(ref)
        if parsed is None:
            continue
        slug, number, _ = parsed
        source = next((s for s in sources if s.slug == slug), None)
        para = next((p for p in source.paragraphs if p.number == number), None) if source else None
        if para is None:
            continue
        if (link := (ref_label(ref), para.anchor)) not in out:
            out.append(link)
    return out
