"""The deadline rule (docs/deadlines.md), tested without an app."""

from datetime import UTC, datetime, timedelta

from app.domain import deadlines

T0 = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
CLOSE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_time_limit_only():
    assert deadlines.compute_deadline(T0, 30, None) == T0 + timedelta(minutes=30)


def test_multiplier_and_extra_minutes():
    got = deadlines.compute_deadline(T0, 30, CLOSE, multiplier=1.5, extra_minutes=10)
    assert got == T0 + timedelta(minutes=55)


def test_close_caps_the_deadline():
    late_start = T0 + timedelta(minutes=50)
    assert deadlines.compute_deadline(late_start, 30, CLOSE) == CLOSE


def test_untimed_quiz_ends_at_close_or_never():
    assert deadlines.compute_deadline(T0, None, CLOSE) == CLOSE
    assert deadlines.compute_deadline(T0, None, None) is None
    assert deadlines.compute_deadline(T0, 0, None) is None


def test_later_personal_close_wins_but_never_earlier():
    later = CLOSE + timedelta(minutes=30)
    earlier = CLOSE - timedelta(minutes=30)
    assert deadlines.effective_close(CLOSE, later) == later
    assert deadlines.effective_close(CLOSE, earlier) == CLOSE
    assert deadlines.effective_close(CLOSE, None) == CLOSE
    assert deadlines.effective_close(None, later) is None


def test_docs_example():
    start = T0 + timedelta(minutes=20)
    close = deadlines.effective_close(CLOSE, CLOSE + timedelta(minutes=30))
    got = deadlines.compute_deadline(start, 30, close, multiplier=1.5, extra_minutes=10)
    assert got == datetime(2026, 3, 1, 12, 15, tzinfo=UTC)


def test_bad_accommodation_values_never_shorten():
    assert deadlines.compute_deadline(T0, 30, None, multiplier=0.5, extra_minutes=-5) == (
        T0 + timedelta(minutes=30)
    )


def test_grace():
    assert deadlines.accepts_answers(CLOSE, CLOSE + timedelta(seconds=60), 60)
    assert not deadlines.accepts_answers(CLOSE, CLOSE + timedelta(seconds=61), 60)
    assert deadlines.is_overdue(CLOSE, CLOSE + timedelta(seconds=61), 60)
    assert deadlines.accepts_answers(None, CLOSE, 0)


def test_seconds_left():
    assert deadlines.seconds_left(CLOSE, CLOSE - timedelta(seconds=90)) == 90
    assert deadlines.seconds_left(CLOSE, CLOSE + timedelta(seconds=5)) == 0
    assert deadlines.seconds_left(None, CLOSE) is None
