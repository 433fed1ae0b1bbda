"""The authoring studio: questions written in the browser, anchored in the article.

The editor is a form over a bank-file entry (``app.domain.banks.editing``); checking and saving
go through ``app.services.studio``, which treats the edit as a load of the bank's file. Every
route is for instructors only (the library is shared by all of them).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from app import authz
from app.domain import question_types
from app.domain.attempt_view import SourceView, author_preview, source_view
from app.domain.banks.articles import SourceDocument
from app.domain.banks.editing import EditorForm, FieldProblems, entry_from_form
from app.domain.skills import SKILLS
from app.extensions import db
from app.models import Bank, Question
from app.services import library, studio
from app.web.forms import CsrfForm, choices
from app.web.studio.forms import MoveForm, NewBankForm

bp = Blueprint("studio", __name__, url_prefix="/teach")


@bp.before_request
def _instructors_only() -> None:
    """Anonymous users are sent to log in, students get a 404 (as in the library)."""
    authz.library_instructor()


# --------------------------------------------------------------------------- helpers


def _bank(slug: str) -> Bank:
    found = library.bank_by_slug(slug)
    if found is None:
        abort(404)
    return found


def _question(bank: Bank, key: str) -> Question:
    found = library.question_in_bank(bank, key)
    if found is None:
        abort(404)
    return found


def _posted_question(slug: str, key: str) -> tuple[Bank, Question]:
    """The bank and question a button form names, once its CSRF token is checked."""
    bank = _bank(slug)
    question = _question(bank, key)
    if not CsrfForm().validate_on_submit():
        abort(400)
    return bank, question


def _source_views(docs: tuple[SourceDocument, ...]) -> list[SourceView]:
    several = len(docs) > 1
    return [
        source_view(
            d.id,
            d.title,
            d.publication,
            d.url,
            ((n, text, d.sentences(n)) for n, text in enumerate(d.paragraphs, start=1)),
            several=several,
        )
        for d in docs
    ]


def _posted_entry() -> dict[str, Any]:
    return entry_from_form(EditorForm(request.form.getlist, request.form.keys()))


def _preview(draft: studio.Draft | None, ctx: studio.EditorContext) -> dict[str, Any] | None:
    if draft is None or draft.question is None:
        return None
    sources = _source_views(ctx.sources)
    take, review = author_preview(draft.question.spec, sources)
    return {"take": take, "review": review, "sources": sources}


def _editor(
    bank: Bank,
    entry: dict[str, Any],
    *,
    question: Question | None = None,
    draft: studio.Draft | None = None,
    preview: bool = False,
    saved: studio.Saved | None = None,
    status: int = 200,
) -> tuple[str, int]:
    ctx = studio.context(bank)
    return (
        render_template(
            "studio/editor.html",
            bank=bank,
            e=entry,
            errors=draft.errors if draft else FieldProblems(),
            draft=draft,
            ctx=ctx,
            question=question,
            preview=_preview(draft, ctx) if preview or draft else None,
            saved=saved,
            csrf=CsrfForm(),
            move=_move_form(bank) if question is not None else None,
            type_labels=question_types.labels(),
            skills=SKILLS,
        ),
        status,
    )


def _move_form(bank: Bank) -> MoveForm:
    form = MoveForm(formdata=None)
    form.target.choices = choices((b.slug, b.title) for b in library.all_banks() if b.id != bank.id)
    return form


def _handle_post(bank: Bank, question: Question | None) -> tuple[str, int] | WerkzeugResponse:
    original = question.key if question is not None else None
    if not CsrfForm().validate_on_submit():
        flash("The form expired or was sent from elsewhere: nothing was saved. Try again.", "error")
        return _editor(bank, _posted_entry(), question=question, status=400)
    entry = _posted_entry()
    action = request.form.get("action", "preview")
    if action == "retype":
        return _editor(bank, entry, question=question)
    if action != "save":
        draft = studio.check_draft(bank, entry, original)
        return _editor(bank, entry, question=question, draft=draft, preview=True)
    draft, saved = studio.save_draft(
        bank, entry, original, force=bool(request.form.get("force")), user=current_user
    )
    if saved is None:
        db.session.rollback()
        status = 409 if draft.stale and not draft.errors else 422
        return _editor(bank, entry, question=question, draft=draft, status=status)
    db.session.commit()
    item = _question(bank, saved.key)
    if saved.key in saved.report.added:
        message = f"Question “{saved.key}” added to the bank (version 1)."
    elif saved.changed:
        message = (
            f"Saved as version {saved.version} of “{saved.key}”. Attempts already started keep "
            "the version they began with."
        )
    else:
        message = f"Nothing changed in “{saved.key}”: no new version was made."
    flash(message, "success")
    if saved.regrade:  # the page offers the dry runs; a redirect would lose them
        return _editor(bank, studio.editor_entry(bank, item), question=item, saved=saved)
    return redirect(url_for("studio.edit_question", slug=bank.slug, key=saved.key))


# --------------------------------------------------------------------------- the editor


@bp.route("/banks/<slug>/new-question", methods=["GET", "POST"])
def new_question(slug: str) -> tuple[str, int] | WerkzeugResponse:
    bank = _bank(slug)
    if request.method == "POST":
        return _handle_post(bank, None)
    qtype = request.args.get("type", "single")
    entry = studio.new_entry(bank, qtype, request.args.getlist("ref"))
    return _editor(bank, entry)


@bp.route("/banks/<slug>/questions/<key>/edit", methods=["GET", "POST"])
def edit_question(slug: str, key: str) -> tuple[str, int] | WerkzeugResponse:
    bank = _bank(slug)
    question = _question(bank, key)
    if request.method == "POST":
        return _handle_post(bank, question)
    entry = studio.editor_entry(bank, question)
    return _editor(bank, entry, question=question, draft=studio.check_draft(bank, entry, key))


@bp.post("/banks/<slug>/check")
def check(slug: str) -> Response | tuple[Response, int]:
    """The live preview: the posted editor checked as a save would be, nothing saved."""
    bank = _bank(slug)
    if not CsrfForm().validate_on_submit():
        return jsonify(error="The form expired: reload the page."), 400
    original = request.form.get("original") or None
    if original is not None:
        _question(bank, original)
    entry = _posted_entry()
    draft = studio.check_draft(bank, entry, original)
    ctx = studio.context(bank)
    preview = _preview(draft, ctx)
    return jsonify(
        ok=draft.ok,
        errors=draft.errors.by_field,
        other=draft.errors.other,
        warnings=[{"code": w.code, "message": w.message} for w in draft.warnings if not w.accepted],
        stale=draft.stale,
        preview=render_template("studio/_preview.html", preview=preview, draft=draft),
    )


# --------------------------------------------------------------------------- actions


@bp.post("/banks/<slug>/questions/<key>/duplicate")
def duplicate(slug: str, key: str) -> WerkzeugResponse:
    bank, question = _posted_question(slug, key)
    try:
        copy = studio.duplicate(bank, question)
    except studio.StudioError as exc:
        db.session.rollback()
        flash(f"Not duplicated: {exc}", "error")
        return redirect(url_for("studio.edit_question", slug=slug, key=key))
    db.session.commit()
    flash(f"“{key}” copied as “{copy}”: edit the copy below.", "success")
    return redirect(url_for("studio.edit_question", slug=slug, key=copy))


@bp.post("/banks/<slug>/questions/<key>/retire")
def retire(slug: str, key: str) -> WerkzeugResponse:
    _bank_row, question = _posted_question(slug, key)
    if request.form.get("restore"):
        studio.restore(question)
        message = f"“{key}” is current again: quizzes can use it."
    else:
        studio.retire(question)
        message = (
            f"“{key}” is retired: it is out of the question picker and of new random draws. "
            "Quizzes that list it by name still show it; attempts keep their answers."
        )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("studio.edit_question", slug=slug, key=key))


@bp.post("/banks/<slug>/questions/<key>/move")
def move(slug: str, key: str) -> WerkzeugResponse:
    bank = _bank(slug)
    question = _question(bank, key)
    form = _move_form(bank)
    form.process(request.form)
    if not form.validate_on_submit():
        flash("Choose the bank to move the question to.", "error")
        return redirect(url_for("studio.edit_question", slug=slug, key=key))
    target = _bank(form.target.data)
    try:
        studio.move(bank, question, target)
    except studio.StudioError as exc:
        db.session.rollback()
        flash(f"Not moved: {exc}", "error")
        return redirect(url_for("studio.edit_question", slug=slug, key=key))
    db.session.commit()
    flash(f"“{key}” moved to “{target.title}”; quizzes that use it keep it.", "success")
    return redirect(url_for("studio.edit_question", slug=target.slug, key=key))


# --------------------------------------------------------------------------- banks, search


@bp.route("/studio/banks/new", methods=["GET", "POST"])
def new_bank() -> str | WerkzeugResponse:
    form = NewBankForm()
    form.sources.choices = choices((r.source.slug, r.source.title) for r in library.source_rows())
    if not form.is_submitted():
        form.sources.data = request.args.getlist("source")
    if form.validate_on_submit():
        try:
            bank = studio.create_bank(
                form.slug.data or "",
                form.title.data or "",
                form.description.data or "",
                form.sources.data or [],
            )
        except studio.StudioError as exc:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, str(exc)]
        else:
            db.session.commit()
            flash(f"Bank “{bank.title}” created: write its first question.", "success")
            return redirect(url_for("studio.new_question", slug=bank.slug))
    return render_template("studio/bank_new.html", form=form)


@bp.get("/studio/")
def questions() -> str:
    text = request.args.get("q", "")[:200]
    skill = request.args.get("skill", "")
    qtype = request.args.get("type", "")
    retired = request.args.get("retired") == "1"
    skill = skill if skill in SKILLS else ""
    qtype = qtype if qtype in question_types.TYPES else ""
    found = studio.search(text, skill, qtype, retired=retired)
    return render_template(
        "studio/questions.html",
        found=found,
        q=text,
        skill=skill,
        qtype=qtype,
        retired=retired,
        skills=SKILLS,
        type_labels=question_types.labels(),
        banks=library.all_banks(),
    )
