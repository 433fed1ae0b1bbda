"""The library pages: sources and question banks shared by every instructor of the installation.

Nothing is saved before the instructor has reviewed it: an article is cleaned and shown as
numbered paragraphs first; a bank is validated, linted and its sync previewed first. What the
confirm step loads is the uploaded text carried back in a signed (HMAC) token, checked again
against the database as it is then, so a copy changed in the browser is never trusted.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename
from wtforms.fields import SelectChoice

from app import authz
from app.domain import question_types
from app.domain.banks import gift
from app.domain.banks.articles import SourceDocument, render_source_file, split_sentences
from app.domain.banks.coverage import passage_problem
from app.domain.banks.schema import MAX_FILE_BYTES, student_view
from app.domain.banks.source_review import (
    ReviewError,
    ReviewState,
    decode_removed,
    encode_removed,
    text_digest,
)
from app.extensions import csrf, db
from app.services import bank_files, library, passages
from app.services.library import LibraryError, UploadCheck
from app.web.library.forms import (
    BankUploadForm,
    ConfirmLoadForm,
    DownloadYamlForm,
    GiftImportForm,
    SourceImportForm,
    SourceReviewForm,
)

bp = Blueprint("library", __name__, url_prefix="/teach")

TOKEN_SALT = "hustings.library.bank-upload"  # noqa: S105 (a salt, not a secret)
TOKEN_MAX_AGE = 6 * 60 * 60
MAX_TOKEN_CHARS = 400_000  # a form field must stay under Flask's MAX_FORM_MEMORY_SIZE
METADATA = ("id", "title", "publication", "date", "url", "author")


@bp.before_request
def _instructors_only() -> tuple[str, int] | None:
    """Every library route: anonymous users are sent to log in, students get a 404."""
    _refuse_oversized_body()
    authz.library_instructor()
    too_large = _page_too_large()
    if too_large is not None:
        return too_large
    # exempt from the app-wide check, which reads the body before the limit for pages is
    # raised; checked here instead, once it is
    if (
        request.endpoint == "library.import_source"
        and request.method == "POST"
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        csrf.protect()
    return None


def _page_too_large() -> tuple[str, int] | None:
    """The import form again with the size and the limit, for a page over the upload limit."""
    size = request.content_length or 0
    if request.endpoint != "library.import_source" or size <= library.MAX_SOURCE_BYTES + 64 * 1024:
        return None
    form = SourceImportForm(formdata=None)
    form.file.errors = [
        f"The upload is {size / (1024 * 1024):.1f} MB; pages of at most "
        f"{library.MAX_SOURCE_BYTES // (1024 * 1024)} MB are read. Save the page as HTML only "
        "(without images), or copy the article's text and paste it."
    ]
    return render_template("library/source_import.html", form=form), 413


def _refuse_oversized_body() -> None:
    """Answer 413 for a body over the limits before anything else reads it.

    Read lazily, an oversized body raises again while the error page is rendered (its logout
    form reads the request too); so parse it here and, when too large, leave empty form data.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.endpoint == "library.import_source":
        # saved news pages are large: room for a 5 MB page in a file or a form field
        if (request.content_length or 0) > library.MAX_SOURCE_BYTES + 64 * 1024:
            request.form = ImmutableMultiDict()  # type: ignore[misc]
            request.files = ImmutableMultiDict()  # type: ignore[misc]
            return  # answered with the form and the limit once the user is known
        request.max_content_length = library.MAX_SOURCE_BYTES + 64 * 1024
        request.max_form_memory_size = library.MAX_SOURCE_BYTES + 64 * 1024
    elif request.endpoint == "library.review_source":
        request.max_form_memory_size = 2 * 1024 * 1024  # a long article's reviewed text
    try:
        request.form  # noqa: B018 (parse now)
        request.files  # noqa: B018
    except RequestEntityTooLarge:
        request.form = ImmutableMultiDict()  # type: ignore[misc]
        request.files = ImmutableMultiDict()  # type: ignore[misc]
        raise


# --------------------------------------------------------------------------- helpers


def _read(file: FileStorage | None, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of an upload (one more than allowed tells it is too big)."""
    if file is None:
        return b""
    return file.stream.read(limit + 1)


def _filename(file: FileStorage | None, default: str) -> str:
    return secure_filename((file.filename if file else None) or "") or default


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _sign(filename: str, text: str) -> tuple[str, bool]:
    """A token carrying the checked text (or only its digest when too large for a form field).

    Returns (token, needs_reupload)."""
    user = authz.library_instructor()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    token = _serializer().dumps({"u": user.id, "f": filename, "d": digest, "t": text})
    if len(token) <= MAX_TOKEN_CHARS:
        return token, False
    return _serializer().dumps({"u": user.id, "f": filename, "d": digest, "t": None}), True


def _unsign(token: str | None) -> dict[str, Any] | None:
    user = authz.library_instructor()
    try:
        payload = _serializer().loads(token or "", max_age=TOKEN_MAX_AGE)
    except BadData:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.id:
        return None
    return payload


def _check_page(
    template: str, check: UploadCheck, text: str, status: int = 200, **context: Any
) -> tuple[str, int]:
    """Render a checked bank: its problems, or its sync preview and the confirm form."""
    report = None
    confirm = download = None
    needs_reupload = False
    if check.ok and check.bank is not None:
        report = library.preview_sync([check.bank])
        db.session.rollback()  # a preview writes nothing (and releases the write lock)
        token, needs_reupload = _sign(check.filename, text)
        confirm = ConfirmLoadForm(formdata=None, token=token)
    if text and context.get("show_yaml"):
        token, too_large = _sign(check.filename, text)
        download = None if too_large else DownloadYamlForm(formdata=None, token=token)
    return render_template(
        template,
        check=check,
        report=report,
        confirm=confirm,
        needs_reupload=needs_reupload,
        download=download,
        **context,
    ), (status if check.ok else 400)


# --------------------------------------------------------------------------- overview


@bp.get("/library/")
def index() -> str:
    return render_template(
        "library/index.html", sources=library.source_rows(), banks=library.bank_rows()
    )


# --------------------------------------------------------------------------- sources


@bp.get("/sources/")
def sources() -> str:
    return render_template("library/sources.html", sources=library.source_rows())


@bp.route("/sources/import", methods=["GET", "POST"])
@csrf.exempt  # checked in _instructors_only, after the upload limit for pages is set
def import_source() -> str | tuple[str, int]:
    form = SourceImportForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("library/source_import.html", form=form), status
    upload = form.file.data if isinstance(form.file.data, FileStorage) else None
    has_file = upload is not None and bool(upload.filename)
    try:
        if has_file:
            if (form.text.data or "").strip():
                raise LibraryError("Paste the text or upload a file, not both.")
            name = upload.filename if upload else None
            raw = library.decode_upload(_read(upload, library.MAX_SOURCE_BYTES), name)
        else:
            raw = form.text.data or ""
            if not raw.strip():
                raise LibraryError("Paste the article, or choose a file to upload.")
            library.check_plain_text(raw)
            name = None
        fmt = library.article_format(form.format.data, name, raw)
        extraction = library.extract_for_review(raw, fmt)
    except LibraryError as exc:
        (form.file if has_file else form.text).errors = [str(exc)]
        return render_template("library/source_import.html", form=form), 400
    found = extraction.metadata
    given = {name: getattr(form, name).data or "" for name in METADATA}
    prefill = {
        "title": given["title"] or found.title or "",
        "publication": given["publication"] or found.publication or "",
        "date": given["date"] or found.date or "",
        "url": given["url"] or found.url or "",
        "author": given["author"] or found.author or "",
    }
    prefill["id"] = given["id"] or library.suggest_source_id(prefill["title"])
    review = SourceReviewForm(
        formdata=None,
        **prefill,
        paragraphs="\n\n".join(extraction.paragraphs),
        removed=encode_removed(extraction.removed),
    )
    filled = [n for n in METADATA if n != "id" and prefill[n] and not given[n]]
    return _review_page(
        review,
        ReviewState(extraction.paragraphs, extraction.removed),
        fmt=fmt,
        warnings=extraction.warnings,
        filled=filled,
        method=extraction.method,
    )


def _review_page(
    form: SourceReviewForm, state: ReviewState, status: int = 200, **kw: Any
) -> tuple[str, int]:
    paragraphs = state.paragraphs
    form.shown.data = text_digest(paragraphs)
    numbered = [(n, p, split_sentences(p)) for n, p in enumerate(paragraphs, start=1)]
    existing = library.source_by_slug(form.id.data) if form.id.data else None
    removed_after: dict[int, list[tuple[int, Any]]] = {}
    for index, block in enumerate(state.removed):
        removed_after.setdefault(min(block.after, len(paragraphs)), []).append((index, block))
    return render_template(
        "library/source_review.html",
        form=form,
        paragraphs=numbered,
        removed=state.removed,
        removed_after=removed_after,
        existing=existing,
        **kw,
    ), status


_STEP = re.compile(r"(delete|join|restore|split):(\d{1,6})(?:\.(\d{1,6}))?\Z")


def _apply_step(state: ReviewState, step: str) -> ReviewState:
    """One review step named by the button pressed (``delete:3``, ``split:3.2``, ...)."""
    match = _STEP.match(step)
    if match is None:
        raise ReviewError("That review step is not known; preview again.")
    action, number, sentence = match[1], int(match[2]), match[3]
    if action == "delete":
        return state.delete(number)
    if action == "join":
        return state.join(number)
    if action == "restore":
        return state.restore(number)
    if sentence is None:
        raise ReviewError("Say before which sentence to split the paragraph.")
    return state.split(number, int(sentence))


@bp.post("/sources/review")
def review_source() -> Response | tuple[str, int]:
    form = SourceReviewForm()
    paragraphs: tuple[str, ...] = ()
    removed = decode_removed(form.removed.data)
    step = request.form.get("step", "")
    valid = form.validate_on_submit()
    try:
        paragraphs = library.paragraphs_from_review(form.paragraphs.data or "")
    except LibraryError as exc:
        form.paragraphs.errors = [*form.paragraphs.errors, str(exc)]
        valid = False
    state = ReviewState(paragraphs, tuple(removed))
    if step and paragraphs:
        try:
            if form.shown.data != text_digest(paragraphs):
                raise ReviewError(
                    "The text was edited after this preview, so the paragraph numbers of the "
                    "buttons may have changed. The preview now shows the edited text: try again."
                )
            state = _apply_step(state, step)
        except ReviewError as exc:
            form.paragraphs.errors = [*form.paragraphs.errors, str(exc)]
            return _review_page(form, state, 400)
        form.paragraphs.data = "\n\n".join(state.paragraphs)
        form.removed.data = encode_removed(state.removed)
        return _review_page(form, state, step=step)
    if not valid:
        return _review_page(form, state, 400)
    try:
        doc = library.build_document(
            **{name: getattr(form, name).data or None for name in METADATA if name != "id"},
            id=form.id.data or "",
            paragraphs=paragraphs,
        )
    except LibraryError as exc:
        form.id.errors = [str(exc)]
        return _review_page(form, state, 400)
    if not form.save.data:
        form.paragraphs.data = "\n\n".join(doc.paragraphs)
        return _review_page(form, ReviewState(doc.paragraphs, state.removed))
    try:
        source, report = library.save_source(doc, replace=bool(form.replace.data))
    except LibraryError as exc:
        db.session.rollback()
        form.id.errors = [str(exc)]
        return _review_page(form, ReviewState(doc.paragraphs, state.removed), 409)
    db.session.commit()
    if report.sources_added:
        flash(f"Source “{source.slug}” saved with {len(doc.paragraphs)} paragraphs.", "success")
    elif report.sources_updated:
        flash(f"Source “{source.slug}” replaced; paragraph numbers were kept.", "success")
    else:
        flash(f"Source “{source.slug}” is already in the library with this text.", "success")
    return redirect(url_for("library.source", slug=source.slug))


@bp.get("/sources/<slug>")
def source(slug: str) -> str:
    """The article with numbered paragraphs and sentences: where the studio starts. Each
    paragraph shows the questions citing it and offers a new question about it."""
    found = library.source_by_slug(slug)
    if found is None:
        abort(404)
    types = question_types.labels()
    chosen_type = request.args.get("type", "")
    return render_template(
        "library/source.html",
        source=found,
        banks=library.banks_citing(found),
        coverage=passages.source_coverage(found),
        types=types,
        chosen_bank=request.args.get("bank", ""),
        chosen_type=chosen_type if chosen_type in types else next(iter(types)),
        show_sentences=request.args.get("sentences") == "1",
    )


MAX_PASSAGE_REFS = 200
MAX_PROBLEMS_SHOWN = 3  # flashed messages live in the session cookie


@bp.get("/sources/<slug>/new-question")
def source_new_question(slug: str) -> Response:
    """The source page's "New question about …" form, sent to the studio's editor.

    The bank is part of the editor's path, which a plain GET form cannot fill in: this step
    lets the form work without JavaScript. Anything off goes back to the source page, said."""
    found = library.source_by_slug(slug)
    if found is None:
        abort(404)
    bank = request.args.get("bank", "")
    kind = request.args.get("type", "")
    refs = list(dict.fromkeys(request.args.getlist("ref")))
    sentences = [len(p.sentences) for p in found.paragraphs]
    problems = [
        p for ref in refs[:MAX_PASSAGE_REFS] if (p := passage_problem(ref, slug, sentences))
    ]
    if bank not in {b.slug for b in library.banks_citing(found)}:
        problems.insert(0, "Choose one of the banks that cite this source.")
    if kind not in question_types.labels():
        problems.insert(0, "Choose a question type.")
    if not refs:
        problems.append("Choose a paragraph, or select sentences in the article.")
    elif len(refs) > MAX_PASSAGE_REFS:
        problems.append(f"Select at most {MAX_PASSAGE_REFS} passages.")
    if problems:
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            flash(problem, "error")
        if len(problems) > MAX_PROBLEMS_SHOWN:
            flash(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more.", "error")
        kept = {"bank": bank, "type": kind} if bank or kind else {}
        return redirect(url_for("library.source", slug=slug, **kept))
    return redirect(url_for("studio.new_question", slug=bank, type=kind, ref=refs))


@bp.get("/sources/<slug>/download")
def source_file(slug: str) -> Response:
    found = library.source_by_slug(slug)
    if found is None:
        abort(404)
    text = render_source_file(library.document_from_row(found))
    return Response(
        text,
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{found.slug}.md"'},
    )


# --------------------------------------------------------------------------- banks


@bp.get("/banks/")
def banks() -> str:
    return render_template("library/banks.html", banks=library.bank_rows())


@bp.get("/banks/<slug>")
def bank(slug: str) -> str:
    found = library.bank_by_slug(slug)
    if found is None:
        abort(404)
    return render_template(
        "library/bank.html",
        bank=found,
        questions=library.bank_questions(found),
        sources=library.bank_sources(found),
    )


@bp.get("/banks/<slug>/questions/<key>")
def question(slug: str, key: str) -> str:
    found = library.bank_by_slug(slug)
    item = library.question_in_bank(found, key) if found else None
    if found is None or item is None:
        abort(404)
    latest = item.versions[-1]
    spec = latest.spec
    return render_template(
        "library/question.html",
        bank=found,
        question=item,
        version=latest,
        spec=spec,
        view=student_view(spec),
        source=_question_source(spec),
    )


def _question_source(spec: dict[str, Any]) -> SourceDocument | None:
    """The article an evidence question's student picks passages from."""
    slugs = [spec.get("source")] + [
        str(ref).partition(":")[0] for ref in spec.get("key") or spec.get("evidence") or ()
    ]
    for slug in slugs:
        row = library.source_by_slug(slug) if slug else None
        if row is not None:
            return library.document_from_row(row)
    return None


@bp.get("/banks/<slug>/export.gift")
def export_bank(slug: str) -> Response:
    found = library.bank_by_slug(slug)
    if found is None:
        abort(404)
    text = gift.export_gift(library.current_specs(found), category=found.title)
    return Response(
        text,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{found.slug}.gift"'},
    )


@bp.get("/banks/<slug>/export.yaml")
def export_bank_yaml(slug: str) -> Response:
    """The bank as a bank file that `hustings banks check` accepts and that loads back with no
    new version; each question says the version it was written from."""
    found = library.bank_by_slug(slug)
    if found is None:
        abort(404)
    try:
        export = bank_files.export_yaml(found)
    except bank_files.ExportError:
        current_app.logger.exception("bank %s could not be written as YAML", found.slug)
        flash(
            "This bank could not be written as a file that loads back unchanged; nothing was "
            "downloaded. Export it as GIFT, or ask the administrator to look at the log.",
            "error",
        )
        return redirect(url_for("library.bank", slug=found.slug))
    return Response(
        export.text,
        mimetype="application/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/banks/upload", methods=["GET", "POST"])
def upload_bank() -> str | tuple[str, int]:
    form = BankUploadForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("library/bank_upload.html", form=form, check=None), status
    upload = form.file.data
    data = _read(upload, MAX_FILE_BYTES)
    check = library.check_upload(data, _filename(upload, "upload.yaml"))
    text = data.decode("utf-8-sig") if check.ok else ""
    return _check_page("library/bank_upload.html", check, text, form=form)


@bp.post("/banks/confirm")
def confirm_bank() -> Response | tuple[str, int]:
    form = ConfirmLoadForm()
    payload = _unsign(form.token.data) if form.validate_on_submit() else None
    upload_form = BankUploadForm(formdata=None)
    if payload is None:
        upload_form.file.errors = [
            "This confirmation could not be verified (it expired, or the page was changed). "
            "Upload the bank again; nothing was loaded."
        ]
        return render_template("library/bank_upload.html", form=upload_form, check=None), 400
    text = payload.get("t")
    if text is None:
        data = _read(
            form.file.data if isinstance(form.file.data, FileStorage) else None, MAX_FILE_BYTES
        )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = ""
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != payload.get("d"):
            upload_form.file.errors = [
                "This is not the file you checked. Upload the bank again; nothing was loaded."
            ]
            return render_template("library/bank_upload.html", form=upload_form, check=None), 400
    check = library.check_upload(text, str(payload.get("f") or "upload.yaml"))
    if not check.ok or check.bank is None:
        return render_template("library/bank_upload.html", form=upload_form, check=check), 400
    if check.stale and not form.force.data:
        # checked again now: the library may have changed since the preview
        return _check_page(
            "library/bank_upload.html", check, text, 409, form=upload_form, refused=True
        )
    report = library.load_banks([check.bank])
    db.session.commit()
    flash(f"Bank “{check.bank.id}” loaded: {report.summary()}.", "success")
    if report.behind_note():
        flash(report.behind_note(), "info")
    return redirect(url_for("library.bank", slug=check.bank.id))


@bp.route("/banks/import-gift", methods=["GET", "POST"])
def import_gift() -> str | tuple[str, int]:
    form = GiftImportForm()
    form.source.choices = [SelectChoice("", "Choose a source…")] + [
        SelectChoice(row.source.slug, f"{row.source.title} ({row.source.slug})")
        for row in library.source_rows()
    ]
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("library/gift_import.html", form=form, check=None), status
    upload = form.file.data
    filename = _filename(upload, "questions.gift")
    try:
        text = library.decode_text(
            _read(upload, library.MAX_GIFT_BYTES), "The GIFT file", library.MAX_GIFT_BYTES
        )
    except LibraryError as exc:
        form.file.errors = [str(exc)]
        return render_template("library/gift_import.html", form=form, check=None), 400
    result = gift.parse_gift(text, filename=filename)
    bank_id = form.bank_id.data or ""
    context: dict[str, Any] = {"form": form, "gift_problems": result.problems, "show_yaml": True}
    if not result.questions:
        form.file.errors = ["No question could be converted; see the problems below."]
        return render_template("library/gift_import.html", check=None, **context), 400
    yaml_text = gift.gift_to_bank_yaml(
        result,
        bank_id=bank_id,
        title=form.title.data or bank_id,
        sources=[{"id": form.source.data}],
    )
    check = library.check_upload(yaml_text, f"{bank_id}.yaml")
    return _check_page("library/gift_import.html", check, yaml_text, yaml=yaml_text, **context)


@bp.post("/banks/download")
def download_yaml() -> Response:
    form = DownloadYamlForm()
    payload = _unsign(form.token.data) if form.validate_on_submit() else None
    if payload is None or payload.get("t") is None:
        abort(400)
    filename = secure_filename(str(payload.get("f") or "")) or "bank.yaml"
    return Response(
        payload["t"],
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
