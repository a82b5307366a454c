"""Tests for the objectivity markers: each case is one a plausible wrong formula fails."""

from __future__ import annotations

import math
import statistics

import pytest

from intranet.objectivity import indicators
from intranet.objectivity.indicators import (
    HIGH_MEAN,
    JOURNAL_MISMATCH,
    Marker,
    Rule,
    average_ranks,
    big_gap_count,
    classify_ratio,
    cohort_ratio,
    evaluate_rule,
    high_mean,
    interval_from_stats,
    journal_mismatch,
    mark_shares,
    mark_shift_shares,
    mean_interval,
    ratio_fences,
    school_markers,
    spearman,
)

# ----------------------------------------------------------------------------------------
# Deterministic samples with a chosen mean and *sample* (n − 1) standard deviation
# ----------------------------------------------------------------------------------------


def sample(mean: float, sd: float, n: int) -> list[float]:
    """n scores with exactly this mean and sample standard deviation.

    Odd n: one score at the mean and (n − 1)/2 at mean ± sd, so Σd² = (n − 1)·sd².
    Even n: n/2 at mean ± a with a = sd·√((n − 1)/n), so again Σd² = (n − 1)·sd².
    """
    if n % 2:
        half = (n - 1) // 2
        return [mean] + [mean + sd] * half + [mean - sd] * half
    a = sd * math.sqrt((n - 1) / n)
    return [mean + a] * (n // 2) + [mean - a] * (n // 2)


REGION = sample(20.0, 6.0, 10_000)
SCHOOL_HIGH = sample(24.0, 5.0, 25)
SCHOOL_OK = sample(22.0, 5.0, 25)


@pytest.mark.parametrize(
    ("mean", "sd", "n"), [(20.0, 6.0, 10_000), (24.0, 5.0, 25), (22.0, 5.0, 25), (3.0, 1.0, 4)]
)
def test_sample_helper_is_exact(mean: float, sd: float, n: int) -> None:
    data = sample(mean, sd, n)
    assert len(data) == n
    assert math.fsum(data) / n == pytest.approx(mean, abs=1e-9)
    assert statistics.stdev(data) == pytest.approx(sd, abs=1e-9)


# ----------------------------------------------------------------------------------------
# Confidence intervals and the high-mean marker
# ----------------------------------------------------------------------------------------

REGION_IV = (19.882, 20.118)
SCHOOL_HIGH_IV = (22.04, 25.96)


@pytest.mark.parametrize(
    ("mean", "sd", "n", "expected"),
    [
        (20.0, 6.0, 10_000, REGION_IV),
        (24.0, 5.0, 25, SCHOOL_HIGH_IV),
        (22.0, 5.0, 25, (20.04, 23.96)),
    ],
)
def test_interval_from_stats(mean: float, sd: float, n: int, expected: tuple) -> None:
    assert interval_from_stats(mean, sd, n) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (REGION, REGION_IV),
        (SCHOOL_HIGH, SCHOOL_HIGH_IV),
        (SCHOOL_OK, (20.04, 23.96)),
        # sample sd √2.5 → ±1.386; the population sd √2 would give ±1.240
        ([1, 2, 3, 4, 5], (3 - 1.96 * math.sqrt(2.5 / 5), 3 + 1.96 * math.sqrt(2.5 / 5))),
        # two pupils: sd = √2, half-width 1.96·√2/√2 = 1.96
        ([0, 2], (-0.96, 2.96)),
    ],
)
def test_mean_interval(scores: list[float], expected: tuple) -> None:
    assert mean_interval(scores) == pytest.approx(expected, abs=1e-3)


def test_mean_interval_accepts_a_generator() -> None:
    assert mean_interval(x for x in [0, 2]) == pytest.approx((-0.96, 2.96), abs=1e-9)


@pytest.mark.parametrize("scores", [[], [17.0]])
def test_mean_interval_none_below_two(scores: list[float]) -> None:
    assert mean_interval(scores) is None


@pytest.mark.parametrize("n", [0, 1])
def test_interval_from_stats_none_below_two(n: int) -> None:
    assert interval_from_stats(20.0, 6.0, n) is None


@pytest.mark.parametrize("sd", [-0.1, math.nan])
def test_interval_from_stats_rejects_bad_sd(sd: float) -> None:
    with pytest.raises(ValueError, match="standard deviation"):
        interval_from_stats(20.0, sd, 10)


@pytest.mark.parametrize(
    ("school", "area", "expected"),
    [
        (SCHOOL_HIGH, REGION, True),  # 22.04 > 20.118
        (SCHOOL_OK, REGION, False),  # 20.04 < 20.118: overlapping intervals
        (sample(16.0, 5.0, 25), REGION, False),  # significantly *lower* is not flagged
        ([24.0], REGION, None),
        (SCHOOL_HIGH, [20.0], None),
        (SCHOOL_HIGH, [], None),
    ],
)
def test_high_mean(school: list[float], area: list[float], expected: bool | None) -> None:
    assert high_mean(school, area) is expected


@pytest.mark.parametrize(
    ("school_iv", "area_iv", "expected"),
    [
        ((20.118, 26.0), (19.882, 20.118), False),  # touching bounds: not significant
        ((20.119, 26.0), (19.882, 20.118), True),
    ],
)
def test_high_mean_is_strict(
    monkeypatch: pytest.MonkeyPatch, school_iv: tuple, area_iv: tuple, expected: bool
) -> None:
    intervals = {"school": school_iv, "area": area_iv}
    monkeypatch.setattr(indicators, "mean_interval", lambda scores: intervals[scores])
    assert high_mean("school", "area") is expected


# ----------------------------------------------------------------------------------------
# Ranks, Spearman and the journal-mismatch marker
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5, 5, 4, 4, 3, 3], [5.5, 5.5, 3.5, 3.5, 1.5, 1.5]),
        ([10, 20, 20, 20], [1, 3, 3, 3]),
        ([3.5, 1.0, 2.0], [3, 1, 2]),
        ([7, 7, 7], [2, 2, 2]),
        ([], []),
    ],
)
def test_average_ranks(values: list[float], expected: list[float]) -> None:
    assert average_ranks(values) == expected


JOURNAL = [5, 5, 4, 4, 3, 3]
SCORES = [10, 12, 15, 16, 20, 22]
# Pearson on ranks: Sxy = −16, Sxx = 16, Syy = 17.5 → −16/√280
RS_EXAMPLE = -16 / math.sqrt(280)
# the no-ties shortcut 1 − 6Σd²/(n(n²−1)) gives 1 − 6·65.5/210 = −0.871 here
RS_TEXTBOOK_WRONG = 1 - 6 * 65.5 / 210


@pytest.mark.parametrize(
    ("journal", "scores", "expected"),
    [
        (JOURNAL, SCORES, -0.956),
        (JOURNAL, SCORES[::-1], 0.956),
    ],
)
def test_spearman_example(journal: list[int], scores: list[int], expected: float) -> None:
    rs = spearman(journal, scores)
    assert rs == pytest.approx(expected, abs=1e-3)
    assert abs(rs) == pytest.approx(abs(RS_EXAMPLE), abs=1e-12)
    assert abs(rs) != pytest.approx(abs(RS_TEXTBOOK_WRONG), abs=1e-2)


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        # ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]: Sxy = 4.5, Sxx = 4.5, Syy = 5
        # → 4.5/√22.5 = 3/√10 = 0.94868 (the shortcut formula would give 0.95)
        ([1, 2, 2, 3], [1, 3, 2, 4], 3 / math.sqrt(10)),
        # ties on both sides: ranks x = [1.5, 1.5, 3.5, 3.5], y = [1, 2.5, 2.5, 4]
        # Sxy = 3, Sxx = 4, Syy = 4.5 → 3/√18
        ([2, 2, 5, 5], [10, 11, 11, 12], 3 / math.sqrt(18)),
        # perfectly monotone but non-linear: rank correlation is exactly 1
        ([1, 2, 3, 4], [1, 4, 9, 100], 1.0),
        ([1, 2, 3, 4], [4, 3, 2, 1], -1.0),
    ],
)
def test_spearman_ties_pearson_on_ranks(x: list[float], y: list[float], expected: float) -> None:
    assert spearman(x, y) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("journal", "scores"),
    [
        ([4, 4, 4, 4, 4, 4], SCORES),  # all journal marks equal
        (JOURNAL, [15] * 6),  # all scores equal
        ([5], [20]),  # n = 1
        ([], []),  # n = 0
    ],
)
def test_spearman_not_computable(journal: list[float], scores: list[float]) -> None:
    assert spearman(journal, scores) is None
    assert journal_mismatch(journal, scores) is None


def test_spearman_length_mismatch() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        spearman([5, 4, 3], [10, 12])
    with pytest.raises(ValueError, match="differ in length"):
        journal_mismatch([5, 4], [10, 12, 14])


@pytest.mark.parametrize(
    ("journal", "scores", "expected"),
    [
        (JOURNAL, SCORES, True),
        (JOURNAL, SCORES[::-1], False),
        # ranks y = [2.5, 1, 2.5] against x = [1, 2, 3]: Sxy = 0, so rs = 0, not flagged
        ([1, 2, 3], [2, 1, 2], False),
    ],
)
def test_journal_mismatch(journal: list[int], scores: list[int], expected: bool) -> None:
    assert journal_mismatch(journal, scores) is expected


def test_spearman_zero_is_exactly_zero() -> None:
    assert spearman([1, 2, 3], [2, 1, 2]) == pytest.approx(0.0, abs=1e-12)


def test_spearman_cross_check_numpy() -> None:
    np = pytest.importorskip("numpy")
    x = [5, 5, 4, 4, 3, 3, 2, 5, 4, 3]
    y = [10, 12, 15, 16, 20, 22, 8, 12, 30, 1]
    expected = float(np.corrcoef(average_ranks(x), average_ranks(y))[0, 1])
    assert spearman(x, y) == pytest.approx(expected, abs=1e-12)


# ----------------------------------------------------------------------------------------
# Cohort ratio, fences and classification
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year1", "year2", "expected"),
    [
        (60.0, 50.0, 1.2),
        (0.3, 0.6, 0.5),
        (0.0, 40.0, 0.0),
    ],
)
def test_cohort_ratio(year1: float, year2: float, expected: float) -> None:
    assert cohort_ratio(year1, year2) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("year1", [0.0, 55.0])
def test_cohort_ratio_zero_year2_is_none(year1: float) -> None:
    assert cohort_ratio(year1, 0.0) is None


@pytest.mark.parametrize(("year1", "year2"), [(-1.0, 50.0), (50.0, -1.0), (math.nan, 50.0)])
def test_cohort_ratio_rejects_bad_shares(year1: float, year2: float) -> None:
    with pytest.raises(ValueError, match="non-negative share"):
        cohort_ratio(year1, year2)


@pytest.mark.parametrize(
    ("ks", "expected"),
    [
        # n = 9: h = 8·0.25 = 2 → Q1 = 3; h = 8·0.75 = 6 → Q3 = 7; IQR = 4
        ([1, 2, 3, 4, 5, 6, 7, 8, 100], (3 - 12, 7 + 12)),
        # n = 4, unsorted: h = 0.75 → Q1 = 1.75; h = 2.25 → Q3 = 3.25; IQR = 1.5
        # (the "exclusive" (n+1)p method would give 1.25 and 3.75 instead)
        ([4, 1, 3, 2], (1.75 - 4.5, 3.25 + 4.5)),
        # None entries (K not computable) are skipped
        ([None, 4, 1, None, 3, 2], (1.75 - 4.5, 3.25 + 4.5)),
        # all equal: IQR 0, fences collapse onto the value
        ([1.1, 1.1, 1.1, 1.1], (1.1, 1.1)),
    ],
)
def test_ratio_fences(ks: list[float | None], expected: tuple[float, float]) -> None:
    assert ratio_fences(ks) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("ks", [[], [1.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0, None]])
def test_ratio_fences_none_below_four(ks: list[float | None]) -> None:
    assert ratio_fences(ks) is None


def test_ratio_fences_cross_check_numpy() -> None:
    np = pytest.importorskip("numpy")
    ks = [0.8, 1.3, 0.95, 1.02, 1.1, 0.7, 2.9, 1.0, 0.99, 1.05, 0.6]
    q1, q3 = (float(q) for q in np.percentile(ks, [25, 75]))
    assert ratio_fences(ks) == pytest.approx((q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)))


FENCES = (-9.0, 19.0)


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (100.0, "sharp_drop"),
        (19.01, "sharp_drop"),
        (19.0, None),  # on the fence is not beyond it
        (5.0, None),
        (-9.0, None),
        (-9.01, "sharp_rise"),
    ],
)
def test_classify_ratio(k: float, expected: str | None) -> None:
    assert classify_ratio(k, FENCES) == expected


def test_classify_ratio_end_to_end() -> None:
    ks = [1, 2, 3, 4, 5, 6, 7, 8, 100]
    fences = ratio_fences(ks)
    assert fences is not None
    assert [classify_ratio(k, fences) for k in ks] == [None] * 8 + ["sharp_drop"]


# ----------------------------------------------------------------------------------------
# Per-school federal markers
# ----------------------------------------------------------------------------------------


def falling_journal(scores: list[float]) -> list[int]:
    """Journal marks that go *down* as ВПР scores go up: a clear mismatch."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    marks = [0] * len(scores)
    for pos, i in enumerate(order):
        marks[i] = 5 - (4 * pos) // len(scores)  # 5, 5, …, 2
    return marks


def rising_journal(scores: list[float]) -> list[int]:
    return [7 - m for m in falling_journal(scores)]


def by_code(markers: list[Marker]) -> dict[str, Marker]:
    return {m.code: m for m in markers}


def test_school_markers_flagged_school() -> None:
    markers = school_markers(SCHOOL_HIGH, REGION, falling_journal(SCHOOL_HIGH))
    assert [m.code for m in markers] == [HIGH_MEAN, JOURNAL_MISMATCH]
    hm, jm = markers
    assert hm.flagged is True
    assert hm.value == pytest.approx(24.0)
    assert hm.reason_ru == (
        "Средний балл ОО значимо выше среднего по муниципалитету: 22,0–26,0 против 19,9–20,1"
    )
    assert jm.flagged is True
    assert jm.value is not None and jm.value < 0
    assert "не согласуются" in jm.reason_ru
    assert all(m.computable for m in markers)


def test_school_markers_unflagged_school() -> None:
    hm, jm = school_markers(SCHOOL_OK, REGION, rising_journal(SCHOOL_OK), area="region")
    assert hm.flagged is False
    assert hm.reason_ru == (
        "Средний балл ОО не превышает значимо средний по региону: 20,0–24,0 против 19,9–20,1"
    )
    assert jm.flagged is False
    assert jm.value is not None and jm.value > 0


def test_school_markers_reason_precision_matches_verdict() -> None:
    # mean 22.08 → lower bound 20.120, just above the region's 20.118: one or two
    # decimals would print equal bounds next to a "significantly above" verdict
    school = sample(22.08, 5.0, 25)
    hm = by_code(school_markers(school, REGION, rising_journal(school)))[HIGH_MEAN]
    assert hm.flagged is True
    assert "20,120–24,040 против 19,882–20,118" in hm.reason_ru


@pytest.mark.parametrize(
    ("n", "min_participants", "computable"),
    [(9, 10, False), (10, 10, True), (5, 5, True), (25, 30, False)],
)
def test_school_markers_min_participants(n: int, min_participants: int, computable: bool) -> None:
    school = sample(24.0, 5.0, n)
    markers = school_markers(school, REGION, falling_journal(school), min_participants)
    for m in markers:
        assert m.computable is computable
        if not computable:
            assert m.flagged is None and m.value is None
            assert f"участников {n}" in m.reason_ru
            assert f"не менее {min_participants}" in m.reason_ru


def test_school_markers_default_minimum_is_ten() -> None:
    school = sample(24.0, 5.0, 9)
    assert all(m.flagged is None for m in school_markers(school, REGION, falling_journal(school)))


def test_school_markers_missing_journal_marks_count_only_pairs() -> None:
    journal: list[int | None] = list(falling_journal(SCHOOL_HIGH))
    journal[:16] = [None] * 16  # 9 complete pairs left
    hm, jm = school_markers(SCHOOL_HIGH, REGION, journal)
    assert hm.flagged is True  # all 25 scores still count for the mean
    assert jm.flagged is None
    assert "участников 9" in jm.reason_ru


def test_school_markers_no_variance_in_journal() -> None:
    hm, jm = school_markers(SCHOOL_HIGH, REGION, [4] * 25)
    assert hm.flagged is True
    assert jm.flagged is None and jm.value is None
    assert "нет разброса" in jm.reason_ru


def test_school_markers_without_area_data() -> None:
    hm, _ = school_markers(SCHOOL_HIGH, [20.0], falling_journal(SCHOOL_HIGH))
    assert hm.flagged is None
    assert "недостаточно данных по муниципалитету" in hm.reason_ru


def test_school_markers_length_mismatch() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        school_markers(SCHOOL_HIGH, REGION, [5] * 24)


# ----------------------------------------------------------------------------------------
# Further (non-federal) rules
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vpr", "journal", "expected"),
    [
        # pairs: (3,4) lowered, (4,4) confirmed, (5,4) raised, (2,3) lowered; two skipped
        (
            [3, 4, 5, 2, None, 4],
            [4, 4, 4, 3, 5, None],
            {"lowered": 0.5, "confirmed": 0.25, "raised": 0.25},
        ),
        ([5, 5], [5, 5], {"lowered": 0.0, "confirmed": 1.0, "raised": 0.0}),
        ([None, 3], [4, None], None),
        ([], [], None),
    ],
)
def test_mark_shift_shares(
    vpr: list[int | None], journal: list[int | None], expected: dict[str, float] | None
) -> None:
    assert mark_shift_shares(vpr, journal) == expected


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(1, 3), (2, 3), (3, 0)],
)
def test_big_gap_count(gap: int, expected: int) -> None:
    # pairs: (3,5) gap 2 down, (5,3) gap 2 up, (2,4) gap 2 down, (4,4) none; one skipped
    assert big_gap_count([3, 5, 2, 4, None], [5, 3, 4, 4, 2], gap) == expected


def test_big_gap_count_default_gap_is_two() -> None:
    assert big_gap_count([3, 4, 5], [4, 4, 3]) == 1


@pytest.mark.parametrize("func", [mark_shift_shares, big_gap_count])
def test_mark_pair_rules_length_mismatch(func) -> None:
    with pytest.raises(ValueError, match="differ in length"):
        func([3, 4], [3])


def test_big_gap_count_rejects_zero_gap() -> None:
    with pytest.raises(ValueError, match="gap"):
        big_gap_count([3], [3], gap=0)


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([2, 3, 3, 4, 4, 4, 5, 5, 5, 5, None], {2: 0.1, 3: 0.2, 4: 0.3, 5: 0.4}),
        ([5, 5], {2: 0.0, 3: 0.0, 4: 0.0, 5: 1.0}),
        ([None], None),
        ([], None),
    ],
)
def test_mark_shares(marks: list[int | None], expected: dict[int, float] | None) -> None:
    result = mark_shares(marks)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)
        assert list(result) == [2, 3, 4, 5]


@pytest.mark.parametrize("marks", [[1, 4], [6], [4, 0]])
def test_mark_shares_rejects_invalid_marks(marks: list[int]) -> None:
    with pytest.raises(ValueError, match="2–5"):
        mark_shares(marks)


RULE = Rule(
    code="lowered_share",
    title_ru="Доля понизивших отметку",
    source="Приказ управления образования (пример)",
    version=1,
    threshold=0.3,
)


@pytest.mark.parametrize(
    ("value", "participants", "flagged"),
    [
        (0.5, 20, True),
        (0.3, 20, False),  # equal to the threshold is not above it
        (0.1, 20, False),
        (0.5, 9, None),  # below the default minimum of 10
        (None, 20, None),
    ],
)
def test_evaluate_rule(value: float | None, participants: int, flagged: bool | None) -> None:
    m = evaluate_rule(RULE, value, participants)
    assert m.code == "lowered_share"
    assert m.flagged is flagged
    assert m.reason_ru.startswith("Не рассчитывается") or m.reason_ru.startswith(
        "доля понизивших отметку "
    )


def test_evaluate_rule_reason() -> None:
    # A sentence, not the rule's name again: the title is shown beside it.
    assert evaluate_rule(RULE, 0.5, 20).reason_ru == "доля понизивших отметку 0,50 при пороге 0,30"
    raised = Rule(
        "raised", "Повышение отметок", "Приказ", 1, 0.1, measure_ru="доля повысивших отметку"
    )
    assert (
        evaluate_rule(raised, 0.34, 20).reason_ru == "доля повысивших отметку 0,34 при пороге 0,10"
    )


def test_rule_default_min_participants() -> None:
    assert RULE.min_participants == 10


@pytest.mark.parametrize(
    "obj", [Rule, evaluate_rule, mark_shift_shares, big_gap_count, mark_shares]
)
def test_further_rules_say_they_are_not_federal(obj) -> None:
    assert "NOT the federal method" in " ".join(obj.__doc__.split())
