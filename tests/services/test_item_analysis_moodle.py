"""Item analysis of a quiz with random slots, essays awaiting grading and several attempts
per student, checked against a separate, deliberately plain implementation of Moodle's
formulas (mod/quiz/report/statistics/classes/calculator.php and
question/classes/statistics/questions/calculator.php; docs/item-analysis.md), and against
figures worked out by hand. The reference below shares no code with app.domain.statistics."""

from __future__ import annotations

import math

import pytest
from pytest import approx

from app.services import analytics, gradebook
from tests.support.example_quiz import ATTEMPTS, MAXIMUM, PENDING, build

pytestmark = pytest.mark.both_dbs

SLOT_MAX = {"1": 2.0, "2": 4.0, "3.1": 2.0, "3.2": 2.0, "4": 4.0}


# --------------------------------------------------------------------------- the reference


def _marks(row) -> dict[str, tuple[str, float]]:
    """One attempt as slot → (question, mark on the slot's scale); pending counts 0."""
    fixed, essay, draws_a, draw_b = row
    marks = {"1": ("ex-fixed", float(fixed)), "2": ("ex-essay", float(essay or 0))}
    for k, draw in enumerate(draws_a, start=1):
        out_of = draw[2] if len(draw) > 2 else 2.0
        marks[f"3.{k}"] = (draw[0], draw[1] * 2.0 / out_of)
    marks["4"] = (draw_b[0], float(draw_b[1]))
    return marks


def _chosen(leave_out: bool) -> list[dict[str, tuple[str, float]]]:
    """Per student the highest-scoring attempt (earliest on a tie); with ``leave_out``,
    attempts awaiting grading are dropped first (Moodle: sumgrades is NULL)."""
    chosen = []
    for attempts in ATTEMPTS.values():
        pool = [a for a in attempts if not (leave_out and a[1] is PENDING)]
        if not pool:
            continue
        best = max(pool, key=lambda a: (sum(m for _, m in _marks(a).values()), -pool.index(a)))
        chosen.append(_marks(best))
    return chosen


def _mean(v):
    return sum(v) / len(v)


def _var(v):
    m = _mean(v)
    return sum((x - m) ** 2 for x in v) / (len(v) - 1)


def _cov(a, b):
    ma, mb = _mean(a), _mean(b)
    return sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True)) / (len(a) - 1)


def _question_stats(xs, totals, max_mark):
    rest = [t - x for x, t in zip(xs, totals, strict=True)]
    out = {"n": len(xs), "facility": 100 * _mean(xs) / max_mark}
    out["sd"] = 100 * math.sqrt(_var(xs)) / max_mark
    out["discrimination_index"] = 100 * _cov(xs, rest) / math.sqrt(_var(xs) * _var(rest))
    out["discriminative_efficiency"] = 100 * _cov(xs, rest) / _cov(sorted(xs), sorted(rest))
    return out


def reference(leave_out: bool):
    attempts = _chosen(leave_out)
    totals = [sum(m for _, m in a.values()) for a in attempts]
    s = len(totals)
    mean = _mean(totals)
    m2 = sum((t - mean) ** 2 for t in totals) / s
    m3 = sum((t - mean) ** 3 for t in totals) / s
    m4 = sum((t - mean) ** 4 for t in totals) / s
    k2 = s * m2 / (s - 1)
    k3 = s * s * m3 / ((s - 1) * (s - 2))
    k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
    ordered = sorted(totals)
    median = (ordered[(s - 1) // 2] + ordered[s // 2]) / 2
    p = len(SLOT_MAX)
    slot_marks = {slot: [a[slot][1] for a in attempts] for slot in SLOT_MAX}
    cic = 100 * p / (p - 1) * (1 - sum(_var(v) for v in slot_marks.values()) / k2)
    er = 100 * math.sqrt(1 - cic / 100)
    quiz = {
        "n": s,
        "mean": 100 * mean / MAXIMUM,
        "median": 100 * median / MAXIMUM,
        "sd": 100 * math.sqrt(k2) / MAXIMUM,
        "skewness": k3 / k2**1.5,
        "kurtosis": k4 / k2**2,
        "cronbach_alpha": cic,
        "error_ratio": er,
        "standard_error": er / 100 * 100 * math.sqrt(k2) / MAXIMUM,
    }
    slots = {}
    root = {
        slot: math.sqrt(_cov(v, totals)) for slot, v in slot_marks.items() if _cov(v, totals) >= 0
    }
    for slot, xs in slot_marks.items():
        stats = _question_stats(xs, totals, SLOT_MAX[slot])
        stats["intended_weight"] = 100 * SLOT_MAX[slot] / MAXIMUM
        stats["effective_weight"] = 100 * root[slot] / sum(root.values()) if slot in root else None
        slots[slot] = stats
    subs = {}
    for slot in ("3.1", "3.2", "4"):
        for question in sorted({a[slot][0] for a in attempts}):
            drew = [
                (a[slot][1], t)
                for a, t in zip(attempts, totals, strict=True)
                if a[slot][0] == question
            ]
            xs = [x for x, _ in drew]
            sub = {"n": len(xs), "facility": 100 * _mean(xs) / SLOT_MAX[slot]}
            if len(xs) > 1:
                sub["sd"] = 100 * math.sqrt(_var(xs)) / SLOT_MAX[slot]
                rest = [t - x for x, t in drew]
                if _var(xs) and _var(rest):
                    sub["discrimination_index"] = (
                        100 * _cov(xs, rest) / math.sqrt(_var(xs) * _var(rest))
                    )
            subs[(slot, question)] = sub
    return quiz, slots, subs


# --------------------------------------------------------------------------- the tests


def _by_label(analysis):
    return {row.label.removeprefix("Q"): row for row in analysis.items}


@pytest.mark.parametrize("rule", ["leave_out", "count_zero"])
def test_item_analysis_agrees_with_moodle_formulas(make, db, backend, rule) -> None:
    example = build(make)
    analysis = analytics.item_analysis(example.quiz, "graded", rule)
    quiz, slots, subs = reference(leave_out=rule == "leave_out")
    assert analysis.max_total == MAXIMUM and analysis.quiz.max_total == MAXIMUM
    for name, value in quiz.items():
        assert getattr(analysis.quiz, name) == approx(value, abs=1e-6), name
    rows = _by_label(analysis)
    assert list(rows) == list(SLOT_MAX)  # one row per slot; a draw of two is two slots
    for slot, expected in slots.items():
        for name, value in expected.items():
            got = getattr(rows[slot].stats, name)
            assert (got is None) == (value is None), (slot, name)
            if value is not None:
                assert got == approx(value, abs=1e-6), (slot, name)
    # Sub-rows: one per question drawn in a random slot, on the attempts that drew it.
    found = {}
    for slot in ("3.1", "3.2", "4"):
        for sub in rows[slot].questions:
            found[(slot, sub.key)] = sub.stats
            assert sub.is_sub and sub.stats.intended_weight is None
    assert set(found) == set(subs)
    for key, expected in subs.items():
        for name, value in expected.items():
            assert getattr(found[key], name) == approx(value, abs=1e-6), (key, name)
    # Chosen slots that only ever held one question have no sub-rows.
    assert rows["1"].questions == () and rows["2"].questions == ()


def test_hand_computed_figures(make, db, backend) -> None:
    """Moodle's rule by hand: Gus (only attempt pending) and the pending attempts of Ben and
    Cal are left out; the attempts that count total Ada 11, Ben 10 (his second), Cal 9 (his
    first), Dee 2, Eve 14, Fin 4 and Hal 7 (a3's 1.5 of 3 scaled to 1 of 2)."""
    example = build(make)
    analysis = analytics.item_analysis(example.quiz)
    assert analysis.left_out_pending == 3  # Ben's first, Cal's second, Gus's only
    q = analysis.quiz
    assert q.n == 7 and analysis.max_total == 14
    assert q.mean == approx(100 * 57 / 7 / 14)  # 58.16 %
    assert q.median == approx(100 * 9 / 14)
    rows = _by_label(analysis)
    assert rows["1"].stats.facility == approx(100 * 10 / 7 / 2)  # five of seven got 2
    # Second bank-A draw: Ada 0, Ben 0, Cal 0, Dee 2, Eve 2, Fin 2, Hal 1.
    assert rows["3.2"].stats.facility == approx(100 * 7 / 7 / 2)
    b3 = next(s for s in rows["4"].questions if s.key == "b3")
    assert (b3.stats.n, b3.stats.facility) == (3, approx(100 * 4 / 3 / 4))  # Ben 4, Dee 0, Hal 0

    # Counting pending essays as 0 (an explicit choice): Cal's second attempt (10) now beats
    # his first (9), and Gus counts with 10.
    zero = analytics.item_analysis(example.quiz, "graded", "count_zero")
    assert zero.quiz.n == 8 and zero.left_out_pending == 0
    assert zero.quiz.mean == approx(100 * (11 + 10 + 10 + 2 + 14 + 4 + 10 + 7) / 8 / 14)


def test_the_maximum_is_the_same_everywhere(make, db, backend) -> None:
    """14 on the item analysis, the results page, the overview and every export; the
    preview (which drew a 3-point and a 1-point question) changes nothing."""
    example = build(make)
    meta = gradebook.quiz_export_meta(example.quiz)
    assert meta.quiz.max_points == MAXIMUM
    (column,) = gradebook.quiz_columns([example.quiz])
    assert column.max_points == MAXIMUM
    overview = analytics.course_overview(example.course.id).quizzes[0]
    assert overview.max_total == MAXIMUM
    assert analytics.item_analysis(example.quiz).max_total == MAXIMUM
