"""``hustings demo-data …``: a synthetic course for benchmarks and dashboards (bulk inserts through
app.services.generate)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.database import declare_write_intent
from app.extensions import db
from app.services.demo import DEMO_PASSWORD
from app.services.generate import generate_course


@click.group("demo-data")
def demo_data() -> None:
    """Synthetic data for benchmarks and dashboards."""


@demo_data.command("generate")
@click.option("--students", type=click.IntRange(0, 100_000), default=500, show_default=True)
@click.option("--quizzes", type=click.IntRange(0, 500), default=10, show_default=True)
@click.option("--questions", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--attempts",
    type=click.IntRange(1, 10),
    default=2,
    show_default=True,
    help="At most this many attempts per student and quiz.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--password",
    default=DEMO_PASSWORD,
    show_default=True,
    help="Password of the generated instructor and students.",
)
@with_appcontext
def generate_command(
    students: int, quizzes: int, questions: int, attempts: int, seed: int, password: str
) -> None:
    """Create a course of N students and Q quizzes with attempts and responses (bulk inserts)."""
    declare_write_intent()
    made = generate_course(
        students=students,
        quizzes=quizzes,
        questions_per_quiz=questions,
        max_attempts=attempts,
        seed=seed,
        password=password,
    )
    db.session.commit()
    click.echo(
        f"Generated course {made.course_id}: {made.students} students, {made.quizzes} quizzes, "
        f"{made.attempts} attempts, {made.responses} responses."
    )
    click.echo(f"  Instructor: {made.instructor_email}  password: {made.password}")
