"""Item analysis against hand-computed cases and Moodle's own published test data."""

from __future__ import annotations

import math
import sqlite3
import statistics as pystats

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.statistics import (
    REASONS,
    Bin,
    ItemSums,
    OptionCount,
    TotalSums,
    distractor_analysis,
    item_analysis,
    item_analysis_from_sums,
    median,
    score_distribution,
    skill_mastery,
)

approx = pytest.approx

# Three one-mark items, four attempts.
#   attempt  A  B  C  total
#   1        1  1  1  3
#   2        1  0  1  2
#   3        0  1  0  1
#   4        0  0  0  0
SMALL = [
    {"A": 1, "B": 1, "C": 1},
    {"A": 1, "B": 0, "C": 1},
    {"A": 0, "B": 1, "C": 0},
    {"A": 0, "B": 0, "C": 0},
]
SMALL_MAX = {"A": 1.0, "B": 1.0, "C": 1.0}


def test_small_case_quiz_statistics_by_hand() -> None:
    quiz, _ = item_analysis(SMALL, SMALL_MAX)
    # T = 3, 2, 1, 0 out of 3: mean 1.5 = 50 %, median (1 + 2) / 2 = 1.5 = 50 %.
    assert quiz.n == 4
    assert quiz.max_total == 3
    assert quiz.mean == approx(50)
    assert quiz.median == approx(50)
    # Sample variance k2 = (2.25 + .25 + .25 + 2.25) / 3 = 5/3; sd = √(5/3) = 1.29099 marks.
    assert quiz.sd == approx(100 * math.sqrt(5 / 3) / 3)
    # Symmetric scores: skewness 0.
    assert quiz.skewness == approx(0, abs=1e-12)
    # m2 = 5/4, m4 = (2 × 5.0625 + 2 × 0.0625) / 4 = 2.5625;
    # k4 = 16 (5 × 2.5625 − 3 × 3 × 1.25²) / (3 × 2 × 1) = −10/3; kurtosis = k4 / k2² = −1.2.
    assert quiz.kurtosis == approx(-1.2)
    # Item variances 1/3 each (sum 1); CIC = 100 × 3/2 × (1 − 1 / (5/3)) = 60 %.
    assert quiz.cronbach_alpha == approx(60)
    # Error ratio = 100 √(1 − 0.6) = 63.2456 %; standard error = 0.632456 × 1.29099
    # = √(2/3) = 0.81650 marks = 27.2166 % of 3.
    assert quiz.error_ratio == approx(100 * math.sqrt(0.4))
    assert quiz.standard_error == approx(100 * math.sqrt(2 / 3) / 3)


def test_small_case_item_statistics_by_hand() -> None:
    _, items = item_analysis(SMALL, SMALL_MAX)
    a, b, c = items
    assert [i.slot for i in items] == ["A", "B", "C"]

    # Item A: x = 1 1 0 0, rest r = T − x = 2 1 1 0. Deviations dx = ±.5, dr = 1 0 0 −1.
    # cov = (.5 + 0 + 0 + .5) / 3 = 1/3; var x = 1/3; var r = 2/3.
    # DI = 100 × (1/3) / √(1/3 × 2/3) = 100/√2 = 70.71 %.
    # Sorted x 0 0 1 1 with sorted r 0 1 1 2 gives the same sum of products → DE = 100 %.
    assert a.n == 4
    assert a.facility == approx(50)
    assert a.sd == approx(100 * math.sqrt(1 / 3))
    assert a.discrimination_index == approx(100 / math.sqrt(2))
    assert a.discriminative_efficiency == approx(100)
    assert a.moodle_needs_checking == "unlikely"
    assert not a.needs_checking and a.reasons == ()

    # Item B: x = 1 0 1 0, r = 2 2 0 0: Σ dx·dr = .5 − .5 − .5 + .5 = 0 → DI = 0, DE = 0.
    assert b.discrimination_index == approx(0, abs=1e-9)
    assert b.discriminative_efficiency == approx(0, abs=1e-9)
    assert b.moodle_needs_checking == "very likely"
    assert b.reasons == ("low_discrimination", "low_discriminative_efficiency")
    assert b.needs_checking

    # Item C has the same marks as A.
    assert c.discrimination_index == approx(a.discrimination_index)

    # Weights: intended 1/3 each. cov(x, T): A = 2/3, B = 1/3, C = 2/3;
    # effective A = √(2/3) / (2√(2/3) + √(1/3)) = √2 / (2√2 + 1) = 36.94 %.
    assert a.intended_weight == approx(100 / 3)
    assert a.effective_weight == approx(100 * math.sqrt(2) / (2 * math.sqrt(2) + 1))
    assert sum(i.effective_weight or 0 for i in items) == approx(100)


def test_negative_discrimination_by_hand() -> None:
    # P = 1 1 0 0, Q = 0 0 0 1. For Q: rest = P; mean x = .25, mean r = .5;
    # dx = −.25 −.25 −.25 .75, dr = .5 .5 −.5 −.5; Σ = −.5 → cov = −1/6;
    # var x = .75/3 = .25, var r = 1/3; DI = 100 × (−1/6) / √(.25/3) = −100/√3 = −57.7 %.
    attempts = [{"P": 1, "Q": 0}, {"P": 1, "Q": 0}, {"P": 0, "Q": 0}, {"P": 0, "Q": 1}]
    _, (p, q) = item_analysis(attempts, {"P": 1.0, "Q": 1.0})
    assert q.discrimination_index == approx(-100 / math.sqrt(3))
    assert q.reasons[0] == "negative_discrimination"
    # Sorted x 0 0 0 1 with sorted r 0 0 1 1: Σ = .125 + .125 − .125 + .375 = .5 → covmax 1/6,
    # DE = 100 × (−1/6) / (1/6) = −100 %.
    assert q.discriminative_efficiency == approx(-100)
    # Covariance with the *total* (not the rest) is still positive: cov(Q, T) = 1/12,
    # cov(P, T) = 1/6 → effective weight of Q = √(1/12) / (√(1/6) + √(1/12)) = 1/(√2 + 1).
    assert q.effective_weight == approx(100 / (math.sqrt(2) + 1))
    assert p.discrimination_index == approx(-100 / math.sqrt(3))


# Moodle's published walkthrough: mod/quiz/report/statistics/tests/fixtures/results00.csv
# (25 attempts, 7 one-mark slots) with the expected values in qstats00.csv and in
# stats_from_steps_walkthrough_test.php (check_quiz_stats_for_quiz_00), which Moodle says were
# "calculated independently in a spreadsheet" (github.com/jamiepratt/moodle-quiz-tools).
MOODLE_00 = """\
1,1,1,1,1,0,1
1,1,1,1,0.5,1,0
1,1,1,1,0.5,0,1
0,0,1,1,1,0,0
1,0,1,0,0,1,0.5
1,1,1,1,0.5,0,0.5
0,1,1,1,0.5,1,0.5
1,1,1,0,0.5,1,0.5
1,0,1,1,1,1,1
0,1,1,0,0.5,1,0.5
0.8,0,1,1,0.5,1,0.5
1,1,1,0,0.5,1,1
1,0,1,1,0.5,1,0.5
1,0,1,1,1,0,0.5
0,0,1,1,0,1,1
1,0,1,0,0.5,1,1
0.8,0,1,1,0.5,0,1
1,0,1,1,0,1,0.5
1,0,1,1,0.5,0,0.5
0,1,1,0,0.5,1,0
1,1,0.3333333,1,0.5,0,0.5
1,1,1,0,0.5,0,0.5
1,1,1,1,0,1,0.5
0,0,1,0,0.5,1,1
0,0,1,1,1,1,1"""
# slot: facility (fraction), sd (marks), effective weight, discrimination index, efficiency
MOODLE_00_QSTATS = {
    "1": (0.704, 0.4513682901, 21.2922742344, -7.0650767526, -9.4550536967),
    "2": (0.48, 0.5099019514, 18.8979800309, -28.8982125772, -36.7834118938),
    "3": (0.973333332, 0.13333334, 4.443012573, -9.1230674268, -21.6545012165),
    "4": (0.68, 0.4760952286, 18.9347251357, -22.6306444113, -31.4411395613),
    "5": (0.52, 0.3055050463, 11.1450138688, -17.6997047674, -21.1794802584),
    "6": (0.64, 0.4898979486, 9.8081339177, -45.3785178421, -56.9365974439),
    "7": (0.62, 0.331662479, 15.4788602394, -5.6543166602, -6.5043742058),
}


def _moodle_attempts() -> list[dict[str, float]]:
    return [
        {str(i + 1): float(v) for i, v in enumerate(line.split(","))}
        for line in MOODLE_00.splitlines()
    ]


def test_matches_moodle_published_walkthrough() -> None:
    quiz, items = item_analysis(_moodle_attempts(), {str(s): 1.0 for s in range(1, 8)})
    marks = quiz.max_total / 100  # our % back to Moodle's marks
    rel = 1.5e-5  # Moodle's own tolerance
    assert quiz.n == 25
    assert quiz.median * marks == approx(4.5, rel=rel)
    assert quiz.mean * marks == approx(4.617333332, rel=rel)
    assert quiz.sd * marks == approx(0.8117265554, rel=rel)
    assert quiz.skewness == approx(-0.092502502, rel=rel)
    assert quiz.kurtosis == approx(-0.7073968557, rel=rel)
    assert quiz.cronbach_alpha == approx(-87.2230935542, rel=rel)
    assert quiz.error_ratio == approx(136.8294900795, rel=rel)
    assert quiz.standard_error * marks == approx(1.1106813066, rel=rel)
    for item in items:
        facility, sd, weight, di, de = MOODLE_00_QSTATS[item.slot]
        assert item.facility == approx(100 * facility, rel=1e-6)
        assert item.sd == approx(100 * sd, rel=1e-6)
        assert item.effective_weight == approx(weight, rel=1e-5)
        assert item.discrimination_index == approx(di, rel=1e-5)
        assert item.discriminative_efficiency == approx(de, rel=1e-5)
        assert "negative_discrimination" in item.reasons


def _sums_from_sql(attempts: list[dict[str, float]], max_marks: dict[str, float]):
    """Aggregate the way the app does: plain SQL SUMs (and window functions for DE)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE mark (attempt INTEGER, slot TEXT, x REAL)")
    db.executemany(
        "INSERT INTO mark VALUES (?, ?, ?)",
        [(i, slot, a.get(slot, 0)) for i, a in enumerate(attempts) for slot in max_marks],
    )
    db.execute("CREATE VIEW total AS SELECT attempt, SUM(x) AS t FROM mark GROUP BY attempt")
    n, s1, s2, s3, s4 = db.execute(
        "SELECT COUNT(*), SUM(t), SUM(t*t), SUM(t*t*t), SUM(t*t*t*t) FROM total"
    ).fetchone()
    ts = [t for (t,) in db.execute("SELECT t FROM total ORDER BY t")]
    totals = TotalSums(n, s1, s2, s3, s4, median(ts) or 0.0, sum(max_marks.values()))
    sorted_xr = dict(
        db.execute(
            """
            WITH r AS (
              SELECT m.slot, m.x, t.t - m.x AS rest,
                ROW_NUMBER() OVER (PARTITION BY m.slot ORDER BY m.x) AS rx,
                ROW_NUMBER() OVER (PARTITION BY m.slot ORDER BY t.t - m.x) AS rr
              FROM mark m JOIN total t USING (attempt))
            SELECT a.slot, SUM(a.x * b.rest) FROM r a
              JOIN r b ON a.slot = b.slot AND a.rx = b.rr GROUP BY a.slot
            """
        ).fetchall()
    )
    rows = db.execute(
        """SELECT m.slot, COUNT(*), SUM(m.x), SUM(m.x*m.x), SUM(t.t), SUM(t.t*t.t), SUM(m.x*t.t)
           FROM mark m JOIN total t USING (attempt) GROUP BY m.slot"""
    ).fetchall()
    by_slot = {r[0]: r for r in rows}
    items = [
        ItemSums(slot, max_marks[slot], *by_slot[slot][1:], sum_sorted_xr=sorted_xr[slot])
        for slot in max_marks
    ]
    return totals, items


@pytest.mark.parametrize(
    ("attempts", "max_marks"),
    [
        (SMALL, SMALL_MAX),
        (_moodle_attempts(), {str(s): 1.0 for s in range(1, 8)}),
    ],
)
def test_sql_sums_give_the_same_results_as_rows(attempts, max_marks) -> None:
    from_rows = item_analysis(attempts, max_marks)
    from_sql = item_analysis_from_sums(*_sums_from_sql(attempts, max_marks))
    _assert_same(from_rows, from_sql)


def _assert_same(left, right) -> None:
    (q1, items1), (q2, items2) = left, right
    for field in q1.__dataclass_fields__:
        a, b = getattr(q1, field), getattr(q2, field)
        assert (a is None) == (b is None), field
        if a is not None:
            assert a == approx(b, rel=1e-9, abs=1e-9), field
    for i1, i2 in zip(items1, items2, strict=True):
        for field in i1.__dataclass_fields__:
            a, b = getattr(i1, field), getattr(i2, field)
            if isinstance(a, float) and isinstance(b, float):
                assert a == approx(b, rel=1e-9, abs=1e-9), field
            else:
                assert a == b, field


marks_strategy = st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(marks_strategy, marks_strategy, marks_strategy), min_size=3, max_size=30))
def test_discrimination_is_correlation_with_rest_of_test(rows) -> None:
    attempts = [{"a": a, "b": b, "c": c} for a, b, c in rows]
    _, items = item_analysis(attempts, {"a": 2.0, "b": 2.0, "c": 2.0})
    x = [r[0] for r in rows]
    rest = [r[1] + r[2] for r in rows]
    try:
        expected = 100 * pystats.correlation(x, rest)
    except pystats.StatisticsError:  # one of them constant
        assert items[0].discrimination_index is None
        return
    assert items[0].discrimination_index == approx(expected, rel=1e-7, abs=1e-7)
    if items[0].discriminative_efficiency is not None:
        assert items[0].discriminative_efficiency <= 100 + 1e-7


def test_degenerate_inputs() -> None:
    quiz, items = item_analysis([], {"a": 1.0})
    assert quiz.n == 0 and quiz.mean is None and items[0].facility is None
    quiz, items = item_analysis([{"a": 1}], {"a": 1.0})
    assert quiz.mean == 100 and quiz.sd is None and items[0].discrimination_index is None
    # Everyone scores the same: no spread, so no skewness, CIC or discrimination.
    quiz, items = item_analysis([{"a": 1, "b": 0}] * 5, {"a": 1.0, "b": 1.0})
    assert quiz.sd == 0 and quiz.skewness is None and quiz.cronbach_alpha is None
    assert items[0].discrimination_index is None and items[0].discriminative_efficiency is None
    assert items[0].reasons == ("too_easy",) and items[1].reasons == ("too_hard",)
    # Missing slot counts as 0, as Moodle counts an unanswered question.
    _, items = item_analysis([{"a": 1}, {"a": 0, "b": None}], {"a": 1.0, "b": 1.0})
    assert items[1].n == 2 and items[1].facility == 0


def test_distractor_analysis_flags_a_distractor_beating_the_key() -> None:
    result = distractor_analysis(
        {"q1": {"a": 3, "b": 5, "c": 2}, "q2": {"a": 6, "b": 4}},
        {"q1": {"a"}, "q2": {"a"}, "q3": {"x"}},
    )
    q1 = {o.option: o for o in result["q1"]}
    assert q1["a"] == OptionCount("a", 3, 30.0, True, False)
    assert q1["b"].chosen_more_than_key and not q1["c"].chosen_more_than_key
    assert not any(o.chosen_more_than_key for o in result["q2"])
    # A key nobody chose still appears.
    result = distractor_analysis({"q": {"b": 2}}, {"q": {"a"}})
    assert [(o.option, o.count, o.chosen_more_than_key) for o in result["q"]] == [
        ("b", 2, True),
        ("a", 0, False),
    ]
    _, items = item_analysis(SMALL, SMALL_MAX, distractors={"A": result["q"]})
    assert "distractor_beats_key" in items[0].reasons
    assert set(REASONS) >= {r for i in items for r in i.reasons}


def test_score_distribution_bins() -> None:
    bins = score_distribution([0, 9.99, 10, 55, 70, 89.9, 90, 100, 100])
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 1, 1, 3]
    assert bins[0] == Bin(0, 10, 2) and bins[0].label == "0–10%"
    assert bins[-1].label == "90–100%"
    assert [b.count for b in score_distribution([-5, 105], bins=4)] == [1, 0, 0, 1]
    assert sum(b.count for b in score_distribution([])) == 0
    with pytest.raises(ValueError):
        score_distribution([float("nan")])


def test_skill_mastery() -> None:
    report = skill_mastery(
        [
            ("inference", 1, 2),
            ("inference", 2, 2),  # 3 / 4 = 75 %
            ("fact versus opinion", 1, 4),  # 25 %
            ("rhetoric and tone", 3, 3),  # 100 %
            ("vocabulary in context", 0, 0),  # nothing possible
        ],
        weakest=2,
    )
    by_skill = {s.skill: s for s in report.skills}
    assert by_skill["inference"].earned == 3 and by_skill["inference"].percentage == 75
    assert by_skill["vocabulary in context"].percentage is None
    assert [s.skill for s in report.weakest] == ["fact versus opinion", "inference"]
