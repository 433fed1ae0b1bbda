"""The class's common misreadings for a quiz, and how its essays spread over the rubric levels.

Read-only, for the course's instructors (404 for anyone else, through app.authz)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from app import authz
from app.domain.banks.misreadings import MISREADING_NAMES, MISREADING_SENTENCES, UNLABELLED
from app.domain.banks.schema import MISREADINGS
from app.services import class_analytics

bp = Blueprint("misreadings", __name__)


@bp.route("/teach/quizzes/<int:quiz_id>/misreadings")
@login_required
def quiz(quiz_id: int) -> str:
    quiz = authz.quiz_for_instructor(quiz_id)
    return render_template(
        "misreadings/quiz.html",
        quiz=quiz,
        course=quiz.course,
        data=class_analytics.class_misreadings(quiz),
        essays=class_analytics.essay_levels(quiz),
        names=MISREADING_NAMES,
        sentences=MISREADING_SENTENCES,
        descriptions=MISREADINGS,
        unlabelled=UNLABELLED,
    )
