"""Statistical markers of possibly unobjective ВПР results, as pure functions.

The federal part follows the 2019 ФИОКО method «Методика расчёта показателя
«Уровень объективности оценки образовательных результатов»»: a school is marked when

* its mean primary score is significantly above the area's (95 % confidence intervals
  x̄ ± 1.96·s/√n do not overlap, the school's lying higher) — ``high_mean``;
* its ВПР primary scores rank pupils against the journal marks (Spearman rs < 0) —
  ``journal_mismatch``;
* the ratio K of a cohort's results in two consecutive years is an extreme outlier
  among the district's schools (outside Q1 − 3·IQR … Q3 + 3·IQR) — ``cohort_ratio``.

Everything below "Further rules" is a configurable local addition, *not* the federal
method; the app layer stores those thresholds in the database.

The module is standard library only and has no Flask or database imports, so the
numbers can be tested and reproduced by hand. ``None`` always means "cannot be
computed from these data", never "not flagged": callers must not collapse it to False.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FEDERAL_SOURCE",
    "HIGH_MEAN",
    "IQR_FACTOR",
    "JOURNAL_MISMATCH",
    "MIN_PARTICIPANTS",
    "MIN_SCHOOLS_FOR_FENCES",
    "Z_95",
    "Marker",
    "Rule",
    "average_ranks",
    "big_gap_count",
    "classify_ratio",
    "cohort_ratio",
    "evaluate_rule",
    "evaluate_rule_below",
    "high_mean",
    "interval_from_stats",
    "journal_mismatch",
    "mark_shares",
    "mark_shift_shares",
    "mean_interval",
    "ratio_fences",
    "school_markers",
    "spearman",
]

#: Two-sided 95 % normal quantile used by the ФИОКО method (not Student's t, on purpose:
#: the method fixes 1.96 regardless of n, and matching it exactly matters more here).
Z_95 = 1.96

#: Below this many participants a school's markers are "not computable": intervals and
#: rank correlations on a handful of pupils flag noise, not unobjectivity.
MIN_PARTICIPANTS = 10

#: Multiplier of the interquartile range for the cohort-ratio fences (the method uses
#: "extreme" outliers, 3·IQR, rather than Tukey's usual 1.5·IQR).
IQR_FACTOR = 3.0

#: Fewer schools than this make quartiles meaningless, so ratio_fences returns None.
MIN_SCHOOLS_FOR_FENCES = 4

FEDERAL_SOURCE = (
    "ФИОКО, Методика расчёта показателя «Уровень объективности оценки "
    "образовательных результатов» (2019)"
)

HIGH_MEAN = "high_mean"
JOURNAL_MISMATCH = "journal_mismatch"

Interval = tuple[float, float]
RatioClass = Literal["sharp_drop", "sharp_rise"]
Area = Literal["municipality", "region"]

_AREA_DATIVE: dict[Area, str] = {
    "municipality": "по муниципалитету",
    "region": "по региону",
}

VALID_MARKS = (2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class Marker:
    """One marker for one school.

    ``flagged`` is tri-state on purpose: ``None`` means "not computable" (too few
    participants, no variance, no area data) and must be shown as such, not as a pass.
    ``value`` is the number the decision was made on (the school mean, rs, a share…),
    kept for display and audit; ``reason_ru`` is the human-readable explanation.
    """

    code: str
    flagged: bool | None
    value: float | None
    reason_ru: str

    @property
    def computable(self) -> bool:
        """Whether the marker could be computed at all."""
        return self.flagged is not None


# --------------------------------------------------------------------------------------
# Formatting helpers (Russian decimal comma)
# --------------------------------------------------------------------------------------


def _fmt(x: float, digits: int = 1) -> str:
    """Format a number the Russian way (decimal comma) so reasons read naturally."""
    return f"{x:.{digits}f}".replace(".", ",")


def _fmt_interval(interval: Interval, digits: int) -> str:
    return f"{_fmt(interval[0], digits)}–{_fmt(interval[1], digits)}"


# --------------------------------------------------------------------------------------
# Federal marker 1: significantly high mean
# --------------------------------------------------------------------------------------


def interval_from_stats(mean: float, sd: float, n: int) -> Interval | None:
    """95 % confidence interval x̄ ± 1.96·s/√n from summary statistics.

    Exposed separately because regional data often arrive as (mean, sd, n) rather than
    individual scores. ``sd`` must be the sample (n − 1) standard deviation. Returns
    None for n < 2, where a sample standard deviation does not exist.
    """
    if sd < 0 or math.isnan(sd):
        raise ValueError(f"standard deviation must be non-negative, got {sd}")
    if n < 2:
        return None
    half = Z_95 * sd / math.sqrt(n)
    return (mean - half, mean + half)


def mean_interval(scores: Iterable[float]) -> Interval | None:
    """95 % confidence interval of the mean of ``scores`` (sample sd, n − 1).

    None when fewer than two scores: one pupil gives no estimate of spread.
    """
    data = [float(s) for s in scores]
    if len(data) < 2:
        return None
    return interval_from_stats(statistics.fmean(data), statistics.stdev(data), len(data))


def _significantly_above(school: Interval, area: Interval) -> bool:
    """The federal criterion: the school's lower bound strictly above the area's upper.

    Touching intervals are not a significant difference; one definition serves both
    ``high_mean`` and the marker so they can never disagree.
    """
    return school[0] > area[1]


def high_mean(school_scores: Iterable[float], area_scores: Iterable[float]) -> bool | None:
    """Whether the school's mean is significantly above the area's.

    True when the school's lower bound is strictly above the area's upper bound (the
    intervals do not overlap). The area is the district's or the region's participants.
    None when either interval cannot be computed.
    """
    school = mean_interval(school_scores)
    area = mean_interval(area_scores)
    if school is None or area is None:
        return None
    return _significantly_above(school, area)


# --------------------------------------------------------------------------------------
# Federal marker 2: journal marks against ВПР primary scores
# --------------------------------------------------------------------------------------


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks with tied values sharing the average of their positions.

    Average ranks are what makes Spearman's rs correct with ties, which are the norm
    here: journal marks take only four values.
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        # positions start..end (0-based) share the mean of ranks start+1..end+1
        shared = (start + end) / 2 + 1
        for k in range(start, end + 1):
            ranks[order[k]] = shared
        start = end + 1
    return ranks


def _pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation; None when either side is constant."""
    mx = statistics.fmean(x)
    my = statistics.fmean(y)
    dx = [v - mx for v in x]
    dy = [v - my for v in y]
    sxx = math.fsum(d * d for d in dx)
    syy = math.fsum(d * d for d in dy)
    if sxx == 0 or syy == 0:
        return None
    r = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) / math.sqrt(sxx * syy)
    # rounding can push |r| a hair past 1; the caller compares with 0 and displays it
    return max(-1.0, min(1.0, r))


def spearman(journal_marks: Sequence[float], primary_scores: Sequence[float]) -> float | None:
    """Spearman's rank correlation between journal marks and ВПР primary scores.

    Computed as Pearson's r on average ranks, because the textbook shortcut
    1 − 6Σd²/(n(n²−1)) is only valid without ties and journal marks are almost all ties.
    None when n < 2 or when either side has no variance (e.g. every pupil has a «4» in
    the journal): a correlation is undefined then, and reporting 0 would hide that.
    Raises ValueError when the lists differ in length, since pairs would be misaligned.
    """
    if len(journal_marks) != len(primary_scores):
        raise ValueError(
            f"journal_marks and primary_scores differ in length: "
            f"{len(journal_marks)} != {len(primary_scores)}"
        )
    if len(journal_marks) < 2:
        return None
    return _pearson(average_ranks(journal_marks), average_ranks(primary_scores))


def journal_mismatch(
    journal_marks: Sequence[float], primary_scores: Sequence[float]
) -> bool | None:
    """The federal flag: rs < 0, i.e. the journal ranks pupils against ВПР.

    rs = 0 is not flagged. None when rs is not computable (see ``spearman``).
    """
    rs = spearman(journal_marks, primary_scores)
    return None if rs is None else rs < 0


# --------------------------------------------------------------------------------------
# Federal marker 3: cohort ratio across two years
# --------------------------------------------------------------------------------------


def cohort_ratio(pct_done_year1: float, pct_done_year2: float) -> float | None:
    """K = year-1 share of the maximum score divided by the next year's, same cohort.

    Both arguments are the cohort's average share of the maximum score (any consistent
    scale, 0–1 or 0–100, since only the ratio matters). K well above the district's
    typical value means the cohort "fell" in year 2 — year 1 was probably inflated.

    Returns None when the year-2 share is 0: the ratio is undefined, and a school with
    a zero year-2 result needs a human look, not an infinite K that would also distort
    the district's quartiles. Negative or NaN shares raise ValueError (bad input data).
    """
    for name, value in (("pct_done_year1", pct_done_year1), ("pct_done_year2", pct_done_year2)):
        if math.isnan(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative share, got {value}")
    if pct_done_year2 == 0:
        return None
    return pct_done_year1 / pct_done_year2


def ratio_fences(ks: Iterable[float | None]) -> Interval | None:
    """Extreme-outlier fences (Q1 − 3·IQR, Q3 + 3·IQR) over the district's schools' K.

    Quartiles use linear interpolation at h = (n − 1)·p, numpy's default ``"linear"``
    method (identical to ``statistics.quantiles(method="inclusive")``), so results match
    spreadsheets' QUARTILE.INC and numpy. ``None`` entries (schools whose K was not
    computable) are skipped. Returns None for fewer than four K values: quartiles of
    three schools are not a distribution, and numpy's answer there would be noise.
    """
    data = sorted(float(k) for k in ks if k is not None)
    if len(data) < MIN_SCHOOLS_FOR_FENCES:
        return None
    q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
    iqr = q3 - q1
    return (q1 - IQR_FACTOR * iqr, q3 + IQR_FACTOR * iqr)


def classify_ratio(k: float, fences: Interval) -> RatioClass | None:
    """Classify a school's K against the district fences.

    K strictly above the high fence is a ``"sharp_drop"`` (results fell sharply in
    year 2), strictly below the low fence a ``"sharp_rise"``; otherwise None (normal).
    """
    low, high = fences
    if k > high:
        return "sharp_drop"
    if k < low:
        return "sharp_rise"
    return None


# --------------------------------------------------------------------------------------
# Federal markers for one school
# --------------------------------------------------------------------------------------


def _too_few(code: str, n: int, min_participants: int) -> Marker:
    return Marker(
        code,
        None,
        None,
        f"Не рассчитывается: участников {n}, требуется не менее {min_participants}",
    )


def _high_mean_marker(
    school_scores: Sequence[float],
    area_scores: Sequence[float],
    min_participants: int,
    area: Area,
) -> Marker:
    where = _AREA_DATIVE[area]
    if len(school_scores) < min_participants:
        return _too_few(HIGH_MEAN, len(school_scores), min_participants)
    school = mean_interval(school_scores)
    area_iv = mean_interval(area_scores)
    if school is None or area_iv is None:
        return Marker(HIGH_MEAN, None, None, f"Не рассчитывается: недостаточно данных {where}")
    flagged = _significantly_above(school, area_iv)
    # One decimal reads best, but must not make the shown bounds contradict the verdict
    # (e.g. "20,1 против 20,1" for a flagged school); add digits until they agree.
    digits = 1
    while digits < 4 and (round(school[0], digits) > round(area_iv[1], digits)) != flagged:
        digits += 1
    shown = f"{_fmt_interval(school, digits)} против {_fmt_interval(area_iv, digits)}"
    if flagged:
        reason = f"Средний балл ОО значимо выше среднего {where}: {shown}"
    else:
        reason = f"Средний балл ОО не превышает значимо средний {where}: {shown}"
    return Marker(HIGH_MEAN, flagged, statistics.fmean(school_scores), reason)


def _journal_marker(
    school_scores: Sequence[float],
    journal_marks: Sequence[float | None],
    min_participants: int,
) -> Marker:
    pairs = [(j, s) for j, s in zip(journal_marks, school_scores, strict=True) if j is not None]
    if len(pairs) < min_participants:
        return _too_few(JOURNAL_MISMATCH, len(pairs), min_participants)
    rs = spearman([j for j, _ in pairs], [s for _, s in pairs])
    if rs is None:
        return Marker(
            JOURNAL_MISMATCH,
            None,
            None,
            "Не рассчитывается: нет разброса отметок в журнале или баллов ВПР",
        )
    if rs < 0:
        reason = (
            "Отметки в журнале не согласуются с результатами ВПР: "
            f"коэффициент Спирмена {_fmt(rs, 2)} < 0"
        )
    else:
        reason = (
            "Отметки в журнале согласуются с результатами ВПР: "
            f"коэффициент Спирмена {_fmt(rs, 2)} ≥ 0"
        )
    return Marker(JOURNAL_MISMATCH, rs < 0, rs, reason)


def school_markers(
    school_scores: Sequence[float],
    area_scores: Sequence[float],
    journal_marks: Sequence[float | None],
    min_participants: int = MIN_PARTICIPANTS,
    *,
    area: Area = "municipality",
) -> list[Marker]:
    """The two per-school federal markers: ``high_mean`` and ``journal_mismatch``.

    ``journal_marks[i]`` is the journal mark of the pupil with ``school_scores[i]``;
    None means no mark, and such pupils are left out of the rank correlation only.
    A marker is "not computable" (``flagged is None``) when fewer than
    ``min_participants`` pupils (or complete pairs) take part. ``area`` only chooses the
    wording of the reason. Raises ValueError on misaligned lists.
    """
    if len(journal_marks) != len(school_scores):
        raise ValueError(
            f"journal_marks and school_scores differ in length: "
            f"{len(journal_marks)} != {len(school_scores)}"
        )
    return [
        _high_mean_marker(school_scores, area_scores, min_participants, area),
        _journal_marker(school_scores, journal_marks, min_participants),
    ]


# --------------------------------------------------------------------------------------
# Further rules — configurable local additions, NOT part of the federal ФИОКО method
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """A configurable local rule; NOT the federal method.

    Describes a threshold on some share or count (see ``mark_shift_shares``,
    ``big_gap_count``, ``mark_shares``). ``source`` names who introduced the rule (e.g.
    a regional order) and ``version`` lets stored results point at the exact settings
    they were computed with, since thresholds change from year to year.
    """

    code: str
    title_ru: str
    source: str
    version: int
    threshold: float
    min_participants: int = MIN_PARTICIPANTS
    # What the value is, as the reason's sentence says it ("доля повысивших отметку");
    # the rule's own title is shown beside the reason, so the reason never repeats it.
    measure_ru: str = ""

    @property
    def measure(self) -> str:
        return self.measure_ru or self.title_ru[:1].lower() + self.title_ru[1:]


def _rule_reason(rule: Rule, value: float) -> str:
    """One sentence a person reads: «доля повысивших отметку 0,34 при пороге 0,10»."""
    return f"{rule.measure} {_fmt(value, 2)} при пороге {_fmt(rule.threshold, 2)}"


def evaluate_rule(rule: Rule, value: float | None, participants: int) -> Marker:
    """Apply a local rule: flagged when ``value`` is strictly above ``rule.threshold``.

    NOT the federal method. Not computable (``flagged`` None) when fewer than
    ``rule.min_participants`` take part or ``value`` is None.
    """
    if participants < rule.min_participants:
        return _too_few(rule.code, participants, rule.min_participants)
    if value is None:
        return Marker(rule.code, None, None, "Не рассчитывается: нет данных")
    flagged = value > rule.threshold
    reason = _rule_reason(rule, value)
    return Marker(rule.code, flagged, value, reason)


def evaluate_rule_below(rule: Rule, value: float | None, participants: int) -> Marker:
    """Apply a local rule the other way: flagged when ``value`` is strictly below the
    threshold (e.g. "share of «2» below X": a school where nobody fails).

    NOT the federal method. Not computable under the same conditions as ``evaluate_rule``.
    """
    if participants < rule.min_participants:
        return _too_few(rule.code, participants, rule.min_participants)
    if value is None:
        return Marker(rule.code, None, None, "Не рассчитывается: нет данных")
    flagged = value < rule.threshold
    reason = _rule_reason(rule, value)
    return Marker(rule.code, flagged, value, reason)


def _mark_pairs(
    vpr_marks: Sequence[int | None], journal_marks: Sequence[int | None]
) -> list[tuple[int, int]]:
    if len(vpr_marks) != len(journal_marks):
        raise ValueError(
            f"vpr_marks and journal_marks differ in length: "
            f"{len(vpr_marks)} != {len(journal_marks)}"
        )
    return [
        (v, j)
        for v, j in zip(vpr_marks, journal_marks, strict=True)
        if v is not None and j is not None
    ]


def mark_shift_shares(
    vpr_marks: Sequence[int | None], journal_marks: Sequence[int | None]
) -> dict[str, float] | None:
    """Shares of pupils whose ВПР mark lowered, confirmed or raised the journal mark.

    NOT the federal method (a common regional addition). Keys ``"lowered"`` (ВПР <
    journal), ``"confirmed"`` (equal) and ``"raised"`` (ВПР > journal); shares are
    fractions 0–1 over pairs where both marks are present, and sum to 1. None when there
    is no such pair, so that "no data" never reads as "0 % lowered".
    """
    pairs = _mark_pairs(vpr_marks, journal_marks)
    if not pairs:
        return None
    n = len(pairs)
    lowered = sum(1 for v, j in pairs if v < j)
    raised = sum(1 for v, j in pairs if v > j)
    return {
        "lowered": lowered / n,
        "confirmed": (n - lowered - raised) / n,
        "raised": raised / n,
    }


def big_gap_count(
    vpr_marks: Sequence[int | None], journal_marks: Sequence[int | None], gap: int = 2
) -> int:
    """Pupils whose ВПР and journal marks differ by at least ``gap`` points, either way.

    NOT the federal method. A «5» in the journal with a «3» on ВПР (gap 2) is rarely
    explained by a bad day. Pairs with a missing mark are skipped.
    """
    if gap < 1:
        raise ValueError(f"gap must be at least 1, got {gap}")
    return sum(1 for v, j in _mark_pairs(vpr_marks, journal_marks) if abs(v - j) >= gap)


def mark_shares(marks: Iterable[int | None]) -> dict[int, float] | None:
    """Shares (0–1) of marks 2, 3, 4 and 5 among the present marks.

    NOT the federal method; used by local rules such as "share of «2» below X".
    Every key 2–5 is present, with 0.0 for absent marks, so callers can index freely.
    None marks are skipped; None is returned when no mark is present. Any other value
    raises ValueError, as a «1» or «6» means the data were loaded wrongly.
    """
    present = [m for m in marks if m is not None]
    bad = sorted({m for m in present if m not in VALID_MARKS})
    if bad:
        raise ValueError(f"marks must be 2–5, got {bad}")
    if not present:
        return None
    n = len(present)
    return {mark: present.count(mark) / n for mark in VALID_MARKS}
