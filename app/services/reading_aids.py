"""Reading aids kept with an attempt: questions flagged for review and highlighted passages.

Both are the student's own notes while answering: never graded, never shown to another
student, changed only while the attempt is open (``attempts.lock_open``). Services flush; the
view commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from app.domain.attempt_view import SourceView
from app.domain.highlights import (
    HighlightError,
    Span,
    add,
    paragraph_text,
    parse_ranges,
    still_matches,
    words,
)
from app.extensions import db
from app.models import Attempt, Highlight, Response
from app.services import attempts

__all__ = [
    "HighlightError",
    "HighlightView",
    "add_highlights",
    "highlights_of",
    "remove_highlight",
    "set_flag",
]


def set_flag(attempt: Attempt, position: int, flagged: bool, now: datetime) -> bool:
    """Flag (or unflag) question ``position`` for review; returns the stored mark.

    Raises AttemptClosed after submit or past the deadline, UnknownQuestion."""
    attempts.lock_open(attempt, now)
    done = db.session.execute(
        update(Response)
        .where(Response.attempt_id == attempt.id, Response.position == position)
        .values(flagged=bool(flagged))
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount == 0:
        raise attempts.UnknownQuestion("There is no such question in this attempt.")
    return bool(flagged)


@dataclass(frozen=True)
class HighlightView:
    """What the page needs of a highlight (its JSON and the review's list)."""

    id: int
    source: str
    paragraph: int
    start: int
    end: int
    quote: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
        }


def _texts(sources: Sequence[SourceView]) -> dict[tuple[str, int], str]:
    return {
        (s.slug, p.number): paragraph_text(p.sentences, p.text)
        for s in sources
        for p in s.paragraphs
    }


def _rows(attempt_id: int) -> list[Highlight]:
    return list(
        db.session.scalars(
            select(Highlight)
            .where(Highlight.attempt_id == attempt_id)
            .order_by(Highlight.source_slug, Highlight.paragraph, Highlight.start_offset)
        )
    )


def _span(row: Highlight) -> Span:
    return Span(row.source_slug, row.paragraph, row.start_offset, row.end_offset)


def highlights_of(attempt_id: int, sources: Sequence[SourceView]) -> list[HighlightView]:
    """The attempt's highlights that still mark their words in the articles shown, in the
    order of the articles and of their paragraphs."""
    texts = _texts(sources)
    order = {s.slug: i for i, s in enumerate(sources)}
    views = [
        HighlightView(r.id, r.source_slug, r.paragraph, r.start_offset, r.end_offset, r.quote)
        for r in _rows(attempt_id)
        if still_matches(_span(r), r.quote, texts)
    ]
    return sorted(views, key=lambda v: (order.get(v.source, 0), v.paragraph, v.start))


def add_highlights(
    attempt: Attempt, raw: Any, sources: Sequence[SourceView], now: datetime
) -> list[HighlightView]:
    """Add the ranges ``raw`` the page sent (all or none); ranges overlapping a highlight
    already there are merged with it. Raises HighlightError, AttemptClosed."""
    attempts.lock_open(attempt, now)
    texts = _texts(sources)
    new = parse_ranges(raw, texts)
    rows = [r for r in _rows(attempt.id) if still_matches(_span(r), r.quote, texts)]
    kept = add([_span(r) for r in rows], new)
    wanted = set(kept)
    for row in rows:
        if _span(row) in wanted:
            wanted.discard(_span(row))
        else:
            db.session.delete(row)
    for span in kept:
        if span in wanted:
            db.session.add(
                Highlight(
                    attempt_id=attempt.id,
                    source_slug=span.source,
                    paragraph=span.paragraph,
                    start_offset=span.start,
                    end_offset=span.end,
                    quote=words(texts[(span.source, span.paragraph)], span.start, span.end) or "",
                    created_at=now,
                )
            )
    db.session.flush()
    return highlights_of(attempt.id, sources)


def remove_highlight(
    attempt: Attempt, highlight_id: int, sources: Sequence[SourceView], now: datetime
) -> list[HighlightView]:
    """Remove one of the attempt's highlights (another attempt's id is unknown here)."""
    attempts.lock_open(attempt, now)
    done = db.session.execute(
        delete(Highlight)
        .where(Highlight.id == highlight_id, Highlight.attempt_id == attempt.id)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 0:
        raise HighlightError("That highlight is not in this attempt (it may be removed already).")
    db.session.flush()
    return highlights_of(attempt.id, sources)
