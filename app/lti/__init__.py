"""LTI 1.3 / LTI Advantage: Hustings as a tool inside Canvas, Moodle, Blackboard, Brightspace.

``init_app`` wires it in: the blueprint, the framed-session cookie, the grade listeners, the
post-request drain of the grade outbox and the ``hustings lti`` commands.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.database import writing
from app.domain import grade_events
from app.extensions import db
from app.lti import framing, grades
from app.lti.cli import lti_group
from app.lti.views import bp

log = logging.getLogger(__name__)

# Grade rows sent at the end of the request that changed them; more wait for `hustings lti sync`.
DRAIN_PER_REQUEST = 25


def _after_commit(_session: Session) -> None:
    if has_app_context():
        committed = g.pop("lti_grade_rows", None)
        if committed:
            g.setdefault("lti_grade_rows_committed", []).extend(committed)


def _after_rollback(_session: Session) -> None:
    if has_app_context():
        g.pop("lti_grade_rows", None)


def drain_committed() -> None:
    """Post the grades this request committed as changed; failures stay queued for retry."""
    ids = list(dict.fromkeys(g.pop("lti_grade_rows_committed", [])))
    if not ids:
        return
    try:
        with writing():
            grades.send_due(ids=ids[:DRAIN_PER_REQUEST])
            db.session.commit()
    except Exception:  # the grade is safe in the outbox; never fail the student's page
        db.session.rollback()
        log.exception("grade passback after the request failed; `hustings lti sync` retries")


def init_app(app: Flask, base_csp: str) -> None:
    app.extensions["hustings_lti"] = {"csp": base_csp}
    app.config.setdefault("LTI_ADMINS", [])
    app.session_interface = framing.FramedSessionInterface()
    app.register_blueprint(bp)
    app.cli.add_command(lti_group)
    grade_events.on_attempt_scored(grades.on_attempt_scored)
    grade_events.on_quiz_changed(grades.on_quiz_changed)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)

    @app.after_request
    def _lti_after_request(response: Any) -> Any:
        if response.status_code < 400:
            drain_committed()
        else:
            g.pop("lti_grade_rows_committed", None)
        return framing.apply_headers(response, base_csp)
