"""``hustings quizzes``: scripted quiz setup and regrades, over the same services as the pages.

``create FILE`` builds a quiz from a YAML spec (format in app/domain/quiz_spec.py); every problem is
reported as ``FILE:LINE: message`` and nothing is created when there is any. ``regrade QUIZ
--question KEY`` shows the dry run; ``--apply`` writes it (audit rows attributed to no one, i.e.
"system").
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.database import declare_write_intent
from app.domain.quiz_spec import MAX_FILE_BYTES, parse_quiz_spec
from app.extensions import db
from app.models import Quiz
from app.services import quizzes, regrade


@click.group("quizzes")
def quizzes_group() -> None:
    """Create quizzes from spec files and regrade after an answer-key fix."""


@quizzes_group.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def create_command(file: Path) -> None:
    """Create a quiz from a YAML spec FILE."""
    if file.stat().st_size > MAX_FILE_BYTES:
        raise click.ClickException(f"{file}:1: file is larger than {MAX_FILE_BYTES // 1024} KB")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}:1: not UTF-8 text ({exc.reason})") from None
    spec, problems = parse_quiz_spec(text)
    if spec is None:
        _fail(file, [p.format(str(file)) for p in problems])
        return
    declare_write_intent()
    quiz, problems = quizzes.create_quiz_from_spec(spec)
    if quiz is None:
        db.session.rollback()
        _fail(file, [p.format(str(file)) for p in sorted(problems, key=lambda p: p.line)])
        return
    db.session.commit()
    click.echo(
        f"Created quiz {quiz.id} “{quiz.title}” in course {quiz.course_id} with "
        f"{len(quiz.slots)} slot(s){' (published)' if quiz.published else ' (not published)'}."
    )


def _fail(file: Path, lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise click.ClickException(f"{len(lines)} problem(s) in {file}; nothing was created.")


@quizzes_group.command("regrade")
@click.argument("quiz_id", metavar="QUIZ", type=int)
@click.option("--question", "keys", multiple=True, required=True, help="Question id (repeatable).")
@click.option("--apply", "do_apply", is_flag=True, help="Write the changes (default: dry run).")
@with_appcontext
def regrade_command(quiz_id: int, keys: tuple[str, ...], do_apply: bool) -> None:
    """Regrade QUIZ's answers to the given questions against their latest versions."""
    if do_apply:
        declare_write_intent()
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise click.ClickException(f"no quiz has id {quiz_id}")
    try:
        if do_apply:
            plan = regrade.apply_regrade(quiz, keys, None)
        else:
            plan = regrade.plan_regrade(quiz, keys)
    except regrade.RegradeError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    for attempt in plan.attempts:
        click.echo(
            f"attempt {attempt.attempt_id} ({attempt.student}, #{attempt.number}): "
            f"{_fmt(attempt.old_total)} → {_fmt(attempt.new_total)} ({attempt.delta:+g})"
        )
        for rc in attempt.responses:
            kept = f"; {rc.kept} score kept" if rc.kept else ""
            click.echo(
                f"  {rc.question_key}: automatic {_fmt(rc.old_auto)} → {_fmt(rc.new_auto)}{kept}"
            )
    summary = (
        f"{plan.changed_responses} answer(s) in {len(plan.attempts)} attempt(s) "
        f"{'changed' if do_apply else 'would change'}."
    )
    if plan.in_progress:
        summary += f" {plan.in_progress} attempt(s) in progress were skipped."
    if do_apply:
        db.session.commit()
    else:
        db.session.rollback()
        summary += " Dry run: nothing written; add --apply to write."
    click.echo(summary)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"
