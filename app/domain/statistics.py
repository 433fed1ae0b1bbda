"""Item analysis, score distribution and skill mastery: pure functions over plain numbers.

The quiz and question statistics follow Moodle's quiz statistics report (Moodle's
``question/classes/statistics/questions/calculator.php`` and
``mod/quiz/report/statistics/classes/calculator.php``; formulas in docs/item-analysis.md),
so an instructor who knows Moodle's report reads the same numbers here.

Everything is computed from sums (n, Σx, Σx², ΣT, ΣT², Σx·T, …) so the caller can aggregate
in SQL and pass the sums to :func:`item_analysis_from_sums`; :func:`item_analysis` takes rows,
builds the same sums in Python and goes through the same code. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "NEEDS_CHECKING_LIKELY_BELOW",
    "NEEDS_CHECKING_VERY_LIKELY_BELOW",
    "REASONS",
    "Bin",
    "ItemStats",
    "ItemSums",
    "MasteryReport",
    "OptionCount",
    "QuizStats",
    "SkillScore",
    "TotalSums",
    "distractor_analysis",
    "item_analysis",
    "item_analysis_from_sums",
    "item_sums",
    "median",
    "score_distribution",
    "skill_mastery",
    "skill_score",
    "slot_analysis",
    "total_sums",
]

# Moodle qbank_statistics (classes/helper.php): "Needs checking?" is "Very likely" below a
# discrimination index of 30 %, "Likely" below 50 %, "Unlikely" otherwise.
NEEDS_CHECKING_VERY_LIKELY_BELOW = 30.0
NEEDS_CHECKING_LIKELY_BELOW = 50.0
# Moodle quiz statistics report (statistics_table.php, is_dubious_question): a question whose
# discriminative efficiency is below 15 % is highlighted as dubious.
DUBIOUS_EFFICIENCY_BELOW = 15.0
# Moodle docs, facility index bands: "5 or less: extremely difficult or something wrong with
# the question"; "95 - 100: extremely easy".
TOO_HARD_AT_MOST = 5.0
TOO_EASY_AT_LEAST = 95.0

REASONS: dict[str, str] = {
    "negative_discrimination": (
        "Negative discrimination: students who did worse on the rest of the quiz did better on "
        "this question. Check the answer key and the wording first."
    ),
    "low_discrimination": (
        "Very low discrimination (below 30 %, Moodle: needs checking 'very likely'): the "
        "question hardly separates stronger from weaker readers."
    ),
    "low_discriminative_efficiency": (
        "Discriminative efficiency below 15 % (Moodle highlights the question as dubious)."
    ),
    "too_easy": "Facility 95 % or more: nearly everyone got it right, so it tells you little.",
    "too_hard": (
        "Facility 5 % or less: extremely difficult, or something is wrong with the question."
    ),
    "distractor_beats_key": "A distractor was chosen more often than the correct answer.",
}

# Variances smaller than this share of the mean square are rounding noise from the sums
# formulas (Σx² − (Σx)²/n), not spread; they are treated as zero.
_RELATIVE_NOISE = 1e-12


# --------------------------------------------------------------------------- data shapes


@dataclass(frozen=True)
class ItemSums:
    """Sums over the attempts that include one slot: what a SQL ``GROUP BY slot`` can return.

    ``x`` is the item mark, ``T`` the attempt's total mark (all slots). ``sum_sorted_xr`` is
    Σ x₍ᵢ₎·r₍ᵢ₎ with the item marks and the rest-of-test marks (r = T − x) each sorted
    ascending and paired by rank; it is only needed for discriminative efficiency (None → that
    statistic is None). In SQL: ``ROW_NUMBER() OVER (PARTITION BY slot ORDER BY x)`` joined to
    ``ROW_NUMBER() OVER (PARTITION BY slot ORDER BY T - x)`` on slot and row number.
    """

    slot: str
    max_mark: float
    n: int
    sum_x: float
    sum_x2: float
    sum_t: float
    sum_t2: float
    sum_xt: float
    sum_sorted_xr: float | None = None


@dataclass(frozen=True)
class TotalSums:
    """Sums of attempt totals T (marks), their median and the quiz's maximum total."""

    n: int
    sum_t: float
    sum_t2: float
    sum_t3: float
    sum_t4: float
    median: float
    max_total: float


@dataclass(frozen=True)
class QuizStats:
    """Whole-quiz statistics. mean, median, sd and standard_error are % of ``max_total``
    (as Moodle's report shows them); cronbach_alpha (Moodle's CIC) and error_ratio are %.
    """

    n: int
    max_total: float
    mean: float | None
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None
    cronbach_alpha: float | None
    error_ratio: float | None
    standard_error: float | None


@dataclass(frozen=True)
class ItemStats:
    """One question slot. Percentages throughout (0–100; discrimination −100…100).

    ``moodle_needs_checking`` is Moodle's question-bank wording ("very likely", "likely",
    "unlikely", None when not computable); ``reasons`` are keys of :data:`REASONS`.
    """

    slot: str
    n: int
    max_mark: float
    facility: float | None
    sd: float | None
    intended_weight: float | None
    effective_weight: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    moodle_needs_checking: str | None
    needs_checking: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class OptionCount:
    """How often one option of a choice question was picked."""

    option: str
    count: int
    share: float | None  # % of the responses to this question
    is_key: bool
    chosen_more_than_key: bool


@dataclass(frozen=True)
class Bin:
    """A score band [lower, upper); the last band also holds ``upper`` itself."""

    lower: float
    upper: float
    count: int

    @property
    def label(self) -> str:
        return f"{self.lower:g}–{self.upper:g}%"


@dataclass(frozen=True)
class SkillScore:
    """Points earned out of points possible for one reading skill."""

    skill: str
    earned: float
    possible: float
    percentage: float | None


@dataclass(frozen=True)
class MasteryReport:
    """Every skill (by name) and the weakest ones (lowest percentage first)."""

    skills: tuple[SkillScore, ...]
    weakest: tuple[SkillScore, ...]


# --------------------------------------------------------------------------- building sums


def median(values: Iterable[float]) -> float | None:
    """Middle value; the mean of the two middle values for an even count (as Moodle)."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def total_sums(totals: Sequence[float], max_total: float) -> TotalSums:
    """Power sums of attempt totals, as SQL ``SUM(t), SUM(t*t), …`` would give them."""
    return TotalSums(
        n=len(totals),
        sum_t=math.fsum(totals),
        sum_t2=math.fsum(t * t for t in totals),
        sum_t3=math.fsum(t**3 for t in totals),
        sum_t4=math.fsum(t**4 for t in totals),
        median=median(totals) or 0.0,
        max_total=max_total,
    )


def item_sums(
    slot: str, max_mark: float, marks: Sequence[float], totals: Sequence[float]
) -> ItemSums:
    """Sums for one slot from parallel lists of item marks and attempt totals."""
    if len(marks) != len(totals):
        raise ValueError("marks and totals must have the same length")
    rests = sorted(t - x for x, t in zip(marks, totals, strict=True))
    return ItemSums(
        slot=slot,
        max_mark=max_mark,
        n=len(marks),
        sum_x=math.fsum(marks),
        sum_x2=math.fsum(x * x for x in marks),
        sum_t=math.fsum(totals),
        sum_t2=math.fsum(t * t for t in totals),
        sum_xt=math.fsum(x * t for x, t in zip(marks, totals, strict=True)),
        sum_sorted_xr=math.fsum(x * r for x, r in zip(sorted(marks), rests, strict=True)),
    )


# --------------------------------------------------------------------------- analysis


def item_analysis(
    attempts: Sequence[Mapping[str, float | None]],
    max_marks: Mapping[str, float],
    *,
    distractors: Mapping[str, Sequence[OptionCount]] | None = None,
) -> tuple[QuizStats, list[ItemStats]]:
    """Moodle-style item analysis from rows: one mapping slot → mark per attempt.

    Slots are those of ``max_marks`` (in its order). A slot missing from an attempt, or None,
    counts as 0, as Moodle counts an unanswered question. The attempt total is the sum of its
    item marks (Moodle's ``summarks``).
    """
    slots = list(max_marks)
    marks = {slot: [float(a.get(slot) or 0.0) for a in attempts] for slot in slots}
    totals = [math.fsum(marks[slot][i] for slot in slots) for i in range(len(attempts))]
    return item_analysis_from_sums(
        total_sums(totals, math.fsum(max_marks.values())),
        [item_sums(slot, max_marks[slot], marks[slot], totals) for slot in slots],
        distractors=distractors,
    )


def item_analysis_from_sums(
    totals: TotalSums,
    items: Sequence[ItemSums],
    *,
    distractors: Mapping[str, Sequence[OptionCount]] | None = None,
) -> tuple[QuizStats, list[ItemStats]]:
    """Moodle-style item analysis from pre-aggregated sums (see :class:`ItemSums`)."""
    moments = [_item_moments(item) for item in items]
    sum_item_variance = math.fsum(m.mark_variance or 0.0 for m in moments)
    quiz = _quiz_stats(totals, p=len(items), sum_item_variance=sum_item_variance)

    # Effective weight: Moodle sums √cov(x, T) over the items whose covariance is not negative.
    root_sum = math.fsum(
        math.sqrt(m.cov_with_total)
        for m in moments
        if m.cov_with_total is not None and m.cov_with_total >= 0
    )
    stats = []
    for item, m in zip(items, moments, strict=True):
        effective = None
        if root_sum and m.cov_with_total is not None and m.cov_with_total >= 0:
            effective = 100 * math.sqrt(m.cov_with_total) / root_sum
        intended = 100 * item.max_mark / totals.max_total if totals.max_total else None
        options = (distractors or {}).get(item.slot, ())
        stats.append(_item_stats(item, m, intended, effective, options))
    return quiz, stats


@dataclass(frozen=True)
class _Moments:
    mark_average: float | None
    mark_variance: float | None
    rest_variance: float | None
    covariance: float | None  # item with rest of test
    covariance_max: float | None
    cov_with_total: float | None


def _variance_from_sums(n: int, s1: float, s2: float) -> float:
    """Sample variance (n − 1) from Σv and Σv², with rounding noise clamped to zero."""
    ss = s2 - s1 * s1 / n
    if ss <= _RELATIVE_NOISE * max(s2, 1.0):
        return 0.0
    return ss / (n - 1)


def _item_moments(item: ItemSums) -> _Moments:
    n = item.n
    if n == 0:
        return _Moments(None, None, None, None, None, None)
    average = item.sum_x / n
    if n < 2:
        return _Moments(average, None, None, None, None, None)
    # Rest of test r = T − x, expanded so that only the SQL-friendly sums are needed.
    sum_r = item.sum_t - item.sum_x
    sum_r2 = item.sum_t2 - 2 * item.sum_xt + item.sum_x2
    sum_xr = item.sum_xt - item.sum_x2
    covariance = (sum_xr - item.sum_x * sum_r / n) / (n - 1)
    covariance_max = None
    if item.sum_sorted_xr is not None:
        covariance_max = (item.sum_sorted_xr - item.sum_x * sum_r / n) / (n - 1)
    return _Moments(
        mark_average=average,
        mark_variance=_variance_from_sums(n, item.sum_x, item.sum_x2),
        rest_variance=_variance_from_sums(n, sum_r, sum_r2),
        covariance=covariance,
        covariance_max=covariance_max,
        cov_with_total=(item.sum_xt - item.sum_x * item.sum_t / n) / (n - 1),
    )


def _item_stats(
    item: ItemSums,
    m: _Moments,
    intended: float | None,
    effective: float | None,
    options: Sequence[OptionCount],
) -> ItemStats:
    facility = sd = discrimination = efficiency = None
    if m.mark_average is not None and item.max_mark:
        facility = 100 * m.mark_average / item.max_mark
    if m.mark_variance is not None and item.max_mark:
        sd = 100 * math.sqrt(m.mark_variance) / item.max_mark
    if m.covariance is not None and m.mark_variance and m.rest_variance:
        discrimination = 100 * m.covariance / math.sqrt(m.mark_variance * m.rest_variance)
    if m.covariance is not None and m.covariance_max and not _is_noise(m):
        efficiency = 100 * m.covariance / m.covariance_max

    reasons = []
    if discrimination is not None and discrimination < 0:
        reasons.append("negative_discrimination")
    elif discrimination is not None and discrimination < NEEDS_CHECKING_VERY_LIKELY_BELOW:
        reasons.append("low_discrimination")
    if efficiency is not None and efficiency < DUBIOUS_EFFICIENCY_BELOW:
        reasons.append("low_discriminative_efficiency")
    if facility is not None and facility >= TOO_EASY_AT_LEAST:
        reasons.append("too_easy")
    if facility is not None and facility <= TOO_HARD_AT_MOST:
        reasons.append("too_hard")
    if any(o.chosen_more_than_key for o in options):
        reasons.append("distractor_beats_key")

    return ItemStats(
        slot=item.slot,
        n=item.n,
        max_mark=item.max_mark,
        facility=facility,
        sd=sd,
        intended_weight=intended,
        effective_weight=effective,
        discrimination_index=discrimination,
        discriminative_efficiency=efficiency,
        moodle_needs_checking=_moodle_needs_checking(discrimination),
        needs_checking=bool(reasons),
        reasons=tuple(reasons),
    )


def _is_noise(m: _Moments) -> bool:
    """covariance_max from sums can be rounding noise when an item has no spread at all."""
    return not m.mark_variance or not m.rest_variance


def _moodle_needs_checking(discrimination: float | None) -> str | None:
    if discrimination is None:
        return None
    if discrimination < NEEDS_CHECKING_VERY_LIKELY_BELOW:
        return "very likely"
    if discrimination < NEEDS_CHECKING_LIKELY_BELOW:
        return "likely"
    return "unlikely"


def _quiz_stats(totals: TotalSums, *, p: int, sum_item_variance: float) -> QuizStats:
    """Moodle's quiz statistics (mod/quiz/report/statistics/classes/calculator.php)."""
    s = totals.n

    def pct(marks: float | None) -> float | None:
        if marks is None or not totals.max_total:
            return None
        return 100 * marks / totals.max_total

    if s == 0:
        return QuizStats(0, totals.max_total, None, None, None, None, None, None, None, None)
    mean = totals.sum_t / s
    sd = skewness = kurtosis = cic = error_ratio = standard_error = None
    if s > 1:
        # Central moments m_k = Σ(T − mean)^k / s, expanded from the raw power sums.
        e1, e2, e3, e4 = mean, totals.sum_t2 / s, totals.sum_t3 / s, totals.sum_t4 / s
        m2 = e2 - e1 * e1
        if m2 <= _RELATIVE_NOISE * max(e2, 1.0):
            m2 = 0.0
        m3 = e3 - 3 * e1 * e2 + 2 * e1**3
        m4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1**4
        k2 = s * m2 / (s - 1)  # sample variance
        sd = math.sqrt(k2)
        if s > 2 and k2 != 0:
            k3 = s * s * m3 / ((s - 1) * (s - 2))
            skewness = k3 / k2**1.5
            if s > 3:
                k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
                kurtosis = k4 / (k2 * k2)
            if p > 1:
                cic = (100 * p / (p - 1)) * (1 - sum_item_variance / k2)
                # CIC cannot exceed 100 % in exact arithmetic; clamp the rounding excess.
                error_ratio = 100 * math.sqrt(max(0.0, 1 - cic / 100))
                standard_error = error_ratio * sd / 100
    return QuizStats(
        n=s,
        max_total=totals.max_total,
        mean=pct(mean),
        median=pct(totals.median),
        sd=pct(sd),
        skewness=skewness,
        kurtosis=kurtosis,
        cronbach_alpha=cic,
        error_ratio=error_ratio,
        standard_error=pct(standard_error),
    )


# --------------------------------------------------------------------------- slots and draws


def slot_analysis(
    attempts: Sequence[Mapping[str, tuple[str, float]]],
    max_marks: Mapping[str, float],
    *,
    distractors: Mapping[str, Sequence[OptionCount]] | None = None,
    max_total: float | None = None,
) -> tuple[QuizStats, list[ItemStats], dict[str, list[ItemStats]]]:
    """Moodle's model for quizzes with random slots: one row per slot, and per slot one
    sub-row per question drawn there.

    ``attempts`` holds, per attempt, slot → (question, mark) with the mark already on the
    slot's scale (``max_marks[slot]``). T is the sum of an attempt's slot marks. The slot
    rows and the whole-quiz figures are :func:`item_analysis_from_sums` over slots (p counts
    slots, the item variances are the slots'); a slot's figures use the attempts that
    include it. A sub-row covers the attempts that drew its question in that slot: facility
    and SD on the slot's maximum, discrimination against the rest of the quiz (T − x) on
    those attempts; it has no weights. ``distractors`` are keyed by question and reported on
    sub-rows, and on a slot row when only one question was ever seen there. Sub-rows come
    in order of first appearance; a slot seen with one question only has none. ``max_total``
    is the quiz maximum (default: the sum of ``max_marks``).
    """
    slots = [slot for slot in max_marks if any(slot in a for a in attempts)]
    totals = [math.fsum(mark for _, mark in a.values()) for a in attempts]
    slot_sums = []
    by_question: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for slot in slots:
        marks, slot_totals = [], []
        questions: dict[str, tuple[list[float], list[float]]] = {}
        for attempt, total in zip(attempts, totals, strict=True):
            if slot not in attempt:
                continue
            question, mark = attempt[slot]
            marks.append(mark)
            slot_totals.append(total)
            xs, ts = questions.setdefault(question, ([], []))
            xs.append(mark)
            ts.append(total)
        slot_sums.append(item_sums(slot, max_marks[slot], marks, slot_totals))
        by_question[slot] = questions
    single = {
        slot: next(iter(questions))
        for slot, questions in by_question.items()
        if len(questions) == 1
    }
    slot_distractors = {
        slot: (distractors or {}).get(question, ()) for slot, question in single.items()
    }
    quiz, rows = item_analysis_from_sums(
        total_sums(totals, math.fsum(max_marks.values()) if max_total is None else max_total),
        slot_sums,
        distractors=slot_distractors,
    )
    sub_rows: dict[str, list[ItemStats]] = {}
    for slot, questions in by_question.items():
        if slot in single:
            continue
        sub_rows[slot] = [
            _item_stats(
                sums,
                _item_moments(sums),
                None,
                None,
                (distractors or {}).get(question, ()),
            )
            for question, (xs, ts) in questions.items()
            for sums in (item_sums(question, max_marks[slot], xs, ts),)
        ]
    return quiz, rows, sub_rows


# --------------------------------------------------------------------------- distractors


def distractor_analysis(
    choices: Mapping[str, Mapping[str, int]], keys: Mapping[str, set[str]]
) -> dict[str, list[OptionCount]]:
    """Per slot, how often each option was chosen, flagging distractors that beat the key.

    ``choices`` maps slot → option → count (in display order); ``keys`` maps slot → correct
    option ids. A key never chosen still appears, with count 0. A distractor is flagged when
    it was chosen more often than the most-chosen key.
    """
    result: dict[str, list[OptionCount]] = {}
    for slot, counts in choices.items():
        slot_keys = keys.get(slot, set())
        merged = dict(counts)
        for key in sorted(slot_keys):
            merged.setdefault(key, 0)
        total = sum(merged.values())
        best_key = max((merged[k] for k in slot_keys), default=None)
        result[slot] = [
            OptionCount(
                option=option,
                count=count,
                share=100 * count / total if total else None,
                is_key=option in slot_keys,
                chosen_more_than_key=(
                    option not in slot_keys and best_key is not None and count > best_key
                ),
            )
            for option, count in merged.items()
        ]
    return result


# --------------------------------------------------------------------------- distribution


def score_distribution(percentages: Iterable[float], bins: int = 10) -> list[Bin]:
    """Count scores into equal bands 0–100 (0–10, 10–20, …, 90–100 with 100 in the last).

    Scores below 0 count in the first band and above 100 (bonus marks) in the last, so every
    attempt is shown; NaN is refused.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    counts = [0] * bins
    for value in percentages:
        if math.isnan(value):
            raise ValueError("a score is NaN")
        # Multiply before dividing so that 70 with 10 bins lands exactly in band 7.
        index = math.floor(value * bins / 100)
        counts[min(max(index, 0), bins - 1)] += 1
    width = 100 / bins
    return [Bin(lower=i * width, upper=(i + 1) * width, count=c) for i, c in enumerate(counts)]


# --------------------------------------------------------------------------- skills


def skill_score(skill: str, earned: float, possible: float) -> SkillScore:
    """One skill's figure; the percentage is None when nothing was possible."""
    return SkillScore(
        skill=skill,
        earned=earned,
        possible=possible,
        percentage=100 * earned / possible if possible else None,
    )


def skill_mastery(rows: Iterable[tuple[str, float, float]], *, weakest: int = 3) -> MasteryReport:
    """Share of points earned per reading skill from (skill, earned, possible) rows.

    Rows may be per response or already summed per skill (a SQL ``GROUP BY skill``); they are
    added up. Skills with nothing possible get percentage None and never count as weakest.
    """
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    for skill, got, out_of in rows:
        earned[skill] = earned.get(skill, 0.0) + got
        possible[skill] = possible.get(skill, 0.0) + out_of
    skills = tuple(skill_score(skill, earned[skill], possible[skill]) for skill in sorted(earned))
    ranked = sorted(
        (s for s in skills if s.percentage is not None),
        key=lambda s: (s.percentage, s.skill),
    )
    return MasteryReport(skills=skills, weakest=tuple(ranked[:weakest]))
