"""Markers, the risk zone, scales and rules: every write names its actor.

Markers are computed from the stored results with the pure functions of
``indicators`` and stored in ``objectivity_markers``, so the risk list is one read.
They are rebuilt for a year after each import into it and for every year after a
change of rules or settings.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, delete, event, func, insert, or_, select, true, union

from intranet.audit.services import writing
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.i18n import lazy_gettext as _l
from intranet.mixins import utcnow
from intranet.objectivity import indicators
from intranet.objectivity.models import (
    MarkScale,
    ObjectivityRule,
    ObjectivitySetting,
    SchoolMarker,
    VprComparison,
    VprMarkStat,
    VprResult,
    VprSummary,
    visible,
)
from intranet.schools.models import District, School

COHORT_RATIO = "cohort_ratio"

# A group's mark shares as the district's summaries and a school's page read them.
_STAT_COLUMNS = (
    VprMarkStat.subject,
    VprMarkStat.grade,
    VprMarkStat.participants,
    VprMarkStat.share2,
    VprMarkStat.share3,
    VprMarkStat.share4,
    VprMarkStat.share5,
)

FEDERAL_TITLES = {
    indicators.HIGH_MEAN: _l("Significantly high mean score"),
    indicators.JOURNAL_MISMATCH: _l("Journal marks disagree with ВПР"),
    COHORT_RATIO: _l("Sharp change of a cohort's results"),
}

# Rule kinds: what share a rule thresholds, and in which direction it flags.
RULE_KINDS = {
    "lowered_share": (_l("Share of marks lowered against the journal, above"), "above"),
    "raised_share": (_l("Share of marks raised against the journal, above"), "above"),
    "share5_above": (_l("Share of «5», above"), "above"),
    "share2_below": (_l("Share of «2», below"), "below"),
    "big_gap_share": (
        _l("Share of pupils with ВПР and journal two or more marks apart, above"),
        "above",
    ),
}

# What each kind's value is, as a reason's sentence names it.
RULE_MEASURES = {
    "lowered_share": "доля понизивших отметку",
    "raised_share": "доля повысивших отметку",
    "share5_above": "доля отметок «5»",
    "share2_below": "доля отметок «2»",
    "big_gap_share": "доля расхождений с журналом на две отметки и более",
}

LOCAL_SOURCE = "Настройка управления образования (не федеральная методика)"
DEFAULT_RULES = (
    ("lowered", "lowered_share", "Доля понизивших отметку по журналу", 0.5),
    ("raised", "raised_share", "Доля повысивших отметку по журналу", 0.3),
    ("share5", "share5_above", "Доля отметок «5»", 0.5),
    ("share2", "share2_below", "Доля отметок «2»", 0.01),
    ("big_gap", "big_gap_share", "Доля расхождений с журналом на 2 и более балла", 0.1),
)


def _rows(stmt, params: dict):
    """The rows of a statement of plain columns, run on the session's connection: the
    ORM's handling of results has no object to make of them (it costs 0.04-0.15 ms a
    statement, more than some of these statements take to run). Pending changes are
    written first, as the session's own execute would."""
    db.session.flush()
    return db.session.connection().execute(stmt, params)


# --------------------------------------------------------------------------------------
# Settings, rules, scales
# --------------------------------------------------------------------------------------


def min_participants(district_id: int) -> int:
    value = db.session.scalar(
        select(ObjectivitySetting.min_participants).where(
            ObjectivitySetting.district_id == district_id
        )
    )
    return value if value is not None else indicators.MIN_PARTICIPANTS


def set_min_participants(actor, district_id: int, value: int) -> None:
    if not 2 <= value <= 1000:
        raise Refused(_("The minimum must be 2 to 1000 participants."), "min_participants")
    with writing(actor):
        setting = db.session.scalar(
            select(ObjectivitySetting).where(ObjectivitySetting.district_id == district_id)
        )
        if setting is None:
            setting = ObjectivitySetting(district_id=district_id)
            db.session.add(setting)
        setting.min_participants = value
        db.session.flush()
        recompute(district_id, commit=False)
        db.session.commit()


def rules(district_id: int) -> list[ObjectivityRule]:
    """The district's rules (a district gets the defaults when it is created)."""
    return list(
        db.session.scalars(
            select(ObjectivityRule)
            .where(ObjectivityRule.district_id == district_id)
            .order_by(ObjectivityRule.code)
        )
    )


@event.listens_for(District, "after_insert")
def _default_rules(mapper, connection, district: District) -> None:  # noqa: ARG001
    """Every new district starts with the default local rules, in the transaction that
    creates it, however it is created (CLI, demo, admin); a page never writes them."""
    now = utcnow()
    connection.execute(
        insert(ObjectivityRule.__table__),
        [
            {
                "district_id": district.id,
                "code": code,
                "kind": kind,
                "title": title,
                "source": LOCAL_SOURCE,
                "version": 1,
                "threshold": threshold,
                "min_participants": indicators.MIN_PARTICIPANTS,
                "subject": "",
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for code, kind, title, threshold in DEFAULT_RULES
        ],
    )


RULE_FIELDS = (
    "title",
    "kind",
    "source",
    "threshold",
    "min_participants",
    "subject",
    "grade",
    "active",
)


def save_rule(actor, district_id: int, rule: ObjectivityRule | None, data: dict[str, Any]):
    """Create or change a rule; a change of what it computes raises its version."""
    if data["kind"] not in RULE_KINDS:
        raise Refused(_("Unknown kind of rule."), "kind")
    if not 0 <= data["threshold"] <= 1:
        raise Refused(_("A threshold is a share from 0 to 1."), "threshold")
    with writing(actor):
        if rule is None:
            code = data.get("code") or ""
            taken = db.session.scalar(
                select(ObjectivityRule.id).where(
                    ObjectivityRule.district_id == district_id, ObjectivityRule.code == code
                )
            )
            if taken is not None:
                raise Refused(_("A rule with this code already exists."), "code")
            rule = ObjectivityRule(district_id=district_id, code=code, version=1)
            db.session.add(rule)
            for key in RULE_FIELDS:
                setattr(rule, key, data[key])
        else:
            changed = [k for k in RULE_FIELDS if getattr(rule, k) != data[k]]
            for key in changed:
                setattr(rule, key, data[key])
            if set(changed) - {"title", "source"}:
                rule.version += 1
        db.session.flush()
        recompute(district_id, commit=False)
        db.session.commit()
    return rule


def scales(district_id: int) -> list[MarkScale]:
    return list(
        db.session.scalars(
            select(MarkScale)
            .where(MarkScale.district_id == district_id)
            .order_by(MarkScale.year.desc(), MarkScale.subject, MarkScale.grade)
        )
    )


SCALE_FIELDS = ("year", "subject", "grade", "min3", "min4", "min5", "max_score")


def save_scale(actor, district_id: int, scale: MarkScale | None, data: dict[str, Any]) -> MarkScale:
    if not 0 < data["min3"] < data["min4"] < data["min5"] <= data["max_score"]:
        raise Refused(_("The boundaries must grow: 0 < «3» < «4» < «5» ≤ maximum."), "min4")
    key = (data["year"], data["subject"], data["grade"])
    other = db.session.scalar(
        select(MarkScale.id).where(
            MarkScale.district_id == district_id,
            MarkScale.year == key[0],
            MarkScale.subject == key[1],
            MarkScale.grade == key[2],
        )
    )
    if other is not None and (scale is None or other != scale.id):
        raise Refused(_("A scale for this year, subject and grade already exists."), "year")
    with writing(actor):
        if scale is None:
            scale = MarkScale(district_id=district_id, **{k: data[k] for k in SCALE_FIELDS})
            db.session.add(scale)
        else:
            for k in SCALE_FIELDS:
                if getattr(scale, k) != data[k]:
                    setattr(scale, k, data[k])
        db.session.flush()
        # The cohort ratio is a share of the maximum: a scale change can move it.
        recompute(district_id, {data["year"], data["year"] + 1}, commit=False)
        db.session.commit()
    return scale


# --------------------------------------------------------------------------------------
# Computing the markers
# --------------------------------------------------------------------------------------


def data_years(district_id: int) -> list[int]:
    """The years the district has results of, newest first: a read of its summaries."""
    return list(
        db.session.scalars(
            select(VprSummary.year)
            .distinct()
            .where(VprSummary.district_id == district_id)
            .order_by(VprSummary.year.desc())
        )
    )


_SUMMARY_GROUPS = (
    select(VprSummary.year, VprSummary.subject, VprSummary.grade)
    .where(VprSummary.district_id == bindparam("district"))
    .order_by(VprSummary.year.desc())
)


def summary_groups(district_id: int) -> dict[int, list[tuple[str, int]]]:
    """Per year with results, newest first, its subjects and grades (``data_years`` and
    ``reports.data.vpr_groups`` of every year at once): a few rows of the summaries."""
    out: dict[int, list[tuple[str, int]]] = {}
    for year, subject, grade in _rows(_SUMMARY_GROUPS, {"district": district_id}):
        out.setdefault(year, []).append((subject, grade))
    for groups in out.values():
        groups.sort()  # as Python orders text, whatever the database's collation
    return out


def _stored_years(district_id: int) -> set[int]:
    """The years in the stored results themselves (what the summaries are rebuilt from)."""
    stmt = union(
        *(
            select(m.year).distinct().where(m.district_id == district_id, visible(m))
            for m in (VprResult, VprMarkStat, VprComparison)
        )
    )
    return {y for (y,) in db.session.execute(stmt)}


def summary_rows(
    district_id: int, groups: dict[int, set[tuple[str, int]] | None]
) -> dict[int, list[dict[str, Any]]]:
    """The summaries of these years (each limited to some (subject, grade) groups, or None
    for all of the year) computed from the stored results: three grouped reads a year."""
    return {year: _summary_rows(district_id, year, only) for year, only in sorted(groups.items())}


def write_summaries(
    district_id: int,
    groups: dict[int, set[tuple[str, int]] | None],
    rows: dict[int, list[dict[str, Any]]],
) -> None:
    for year, only in sorted(groups.items()):
        db.session.execute(
            delete(VprSummary).where(
                VprSummary.district_id == district_id,
                VprSummary.year == year,
                _in_groups(VprSummary, only),
            )
        )
        if rows[year]:
            db.session.execute(insert(VprSummary), rows[year])


def _summary_rows(
    district_id: int, year: int, only: set[tuple[str, int]] | None
) -> list[dict[str, Any]]:
    rows: dict[tuple[str, int], dict[str, Any]] = {}

    def row(subject: str, grade: int) -> dict[str, Any]:
        return rows.setdefault(
            (subject, grade),
            {
                "district_id": district_id,
                "year": year,
                "subject": subject,
                "grade": grade,
                "pupils": 0,
                **{f"mark{m}": 0 for m in (2, 3, 4, 5)},
                "stat_schools": 0,
                **{f"stat{m}": 0.0 for m in (2, 3, 4, 5)},
                "comparison_schools": 0,
            },
        )

    for subject, grade, mark, n in db.session.execute(
        select(VprResult.subject, VprResult.grade, VprResult.mark, func.count(VprResult.id))
        .where(
            VprResult.district_id == district_id,
            VprResult.year == year,
            _in_groups(VprResult, only),
            visible(VprResult),
        )
        .group_by(VprResult.subject, VprResult.grade, VprResult.mark)
    ):
        r = row(subject, grade)
        r["pupils"] += n
        if mark in (2, 3, 4, 5):
            r[f"mark{mark}"] = n
    for s in db.session.execute(
        select(*_STAT_COLUMNS).where(
            VprMarkStat.district_id == district_id,
            VprMarkStat.year == year,
            _in_groups(VprMarkStat, only),
            visible(VprMarkStat),
        )
    ):
        r = row(s.subject, s.grade)
        r["stat_schools"] += 1
        for mark in (2, 3, 4, 5):
            r[f"stat{mark}"] += s.participants * getattr(s, f"share{mark}") / 100
    for subject, grade, n in db.session.execute(
        select(VprComparison.subject, VprComparison.grade, func.count(VprComparison.id))
        .where(
            VprComparison.district_id == district_id,
            VprComparison.year == year,
            _in_groups(VprComparison, only),
            visible(VprComparison),
        )
        .group_by(VprComparison.subject, VprComparison.grade)
    ):
        row(subject, grade)["comparison_schools"] = n
    return list(rows.values())


@dataclass
class _Pupils:
    scores: list[int] = field(default_factory=list)
    journals: list[int | None] = field(default_factory=list)
    marks: list[int | None] = field(default_factory=list)


def _in_groups(model, only: set[tuple[str, int]] | None):
    if only is None:
        return true()
    return or_(*(and_(model.subject == s, model.grade == g) for s, g in sorted(only)))


def _load_pupils(
    district_id: int, year: int, only: set[tuple[str, int]] | None = None
) -> dict[tuple[str, int], dict[int, _Pupils]]:
    groups: dict[tuple[str, int], dict[int, _Pupils]] = defaultdict(lambda: defaultdict(_Pupils))
    rows = db.session.execute(
        select(
            VprResult.subject,
            VprResult.grade,
            VprResult.school_id,
            VprResult.primary_score,
            VprResult.mark,
            VprResult.journal_mark,
        ).where(
            VprResult.district_id == district_id,
            VprResult.year == year,
            visible(VprResult),
            VprResult.absent.is_(False),
            VprResult.primary_score.is_not(None),
            _in_groups(VprResult, only),
        )
    )
    for subject, grade, school_id, score, mark, journal in rows:
        p = groups[(subject, grade)][school_id]
        p.scores.append(score)
        p.marks.append(mark)
        p.journals.append(journal)
    return groups


def _rule_values(rule: ObjectivityRule, pupils: _Pupils | None, stat, comp) -> tuple[Any, int]:
    """The share a rule thresholds and the participants it rests on, from the pupils'
    rows when the school has them, else from the aggregated exports."""
    kind = rule.kind
    if pupils is not None:
        if kind in ("lowered_share", "raised_share", "big_gap_share"):
            pairs = sum(1 for j in pupils.journals if j is not None)
            if kind == "big_gap_share":
                gaps = indicators.big_gap_count(pupils.marks, pupils.journals)
                return (gaps / pairs if pairs else None), pairs
            shifts = indicators.mark_shift_shares(pupils.marks, pupils.journals)
            return (shifts[kind.split("_")[0]] if shifts else None), pairs
        shares = indicators.mark_shares(pupils.marks)
        mark = 5 if kind == "share5_above" else 2
        return (shares[mark] if shares else None), len(pupils.marks)
    if kind in ("lowered_share", "raised_share") and comp is not None:
        return getattr(comp, kind.split("_")[0]) / 100, comp.participants
    if kind in ("share5_above", "share2_below") and stat is not None:
        value = stat.share5 if kind == "share5_above" else stat.share2
        return value / 100, stat.participants
    return None, 0


def _pct_done(district_id: int, year: int) -> dict[tuple[str, int, int], tuple[float, int]]:
    """Each school's mean share of the maximum score, per subject and grade, with n."""
    scale = {
        (s.subject, s.grade): s.max_score
        for s in db.session.scalars(
            select(MarkScale).where(MarkScale.district_id == district_id, MarkScale.year == year)
        )
    }
    rows = db.session.execute(
        select(
            VprResult.subject,
            VprResult.grade,
            VprResult.school_id,
            func.avg(VprResult.primary_score),
            func.count(VprResult.id),
        )
        .where(
            VprResult.district_id == district_id,
            VprResult.year == year,
            visible(VprResult),
            VprResult.absent.is_(False),
            VprResult.primary_score.is_not(None),
        )
        .group_by(VprResult.subject, VprResult.grade, VprResult.school_id)
    )
    return {
        (subject, grade, school_id): (float(avg) / scale[(subject, grade)], n)
        for subject, grade, school_id, avg, n in rows
        if (subject, grade) in scale and scale[(subject, grade)]
    }


def _cohort_markers(district_id: int, year: int, minimum: int) -> list[dict[str, Any]]:
    now_ = _pct_done(district_id, year)
    before = _pct_done(district_id, year - 1)
    out: list[dict[str, Any]] = []
    by_group: dict[tuple[str, int], dict[int, float | None]] = defaultdict(dict)
    for (subject, grade, school_id), (pct2, n2) in now_.items():
        prior = before.get((subject, grade - 1, school_id))
        if prior is None:
            continue
        pct1, n1 = prior
        ok = n1 >= minimum and n2 >= minimum
        by_group[(subject, grade)][school_id] = indicators.cohort_ratio(pct1, pct2) if ok else None
    for (subject, grade), ks in by_group.items():
        fences = indicators.ratio_fences(ks.values())
        for school_id, k in ks.items():
            flagged: bool | None
            if k is None:
                flagged, reason = (
                    None,
                    f"Не рассчитывается: участников меньше {minimum} в одном из двух лет",
                )
            elif fences is None:
                flagged, reason = (
                    None,
                    "Не рассчитывается: в районе меньше 4 школ с данными двух лет",
                )
            else:
                verdict = indicators.classify_ratio(k, fences)
                shown = f"K = {k:.2f}, допустимо {fences[0]:.2f}–{fences[1]:.2f}".replace(".", ",")
                flagged = verdict is not None
                if verdict == "sharp_drop":
                    reason = f"Результаты когорты резко снизились за год ({grade - 1} → {grade} класс): {shown}"
                elif verdict == "sharp_rise":
                    reason = f"Результаты когорты резко выросли за год ({grade - 1} → {grade} класс): {shown}"
                else:
                    reason = f"Изменение результатов когорты в пределах районного: {shown}"
            out.append(
                {
                    "school_id": school_id,
                    "subject": subject,
                    "grade": grade,
                    "code": COHORT_RATIO,
                    "federal": True,
                    "flagged": flagged,
                    "value": k,
                    "reason": reason,
                    "title": "",
                    "source": indicators.FEDERAL_SOURCE,
                    "rule_version": None,
                }
            )
    return out


def compute_year(
    district_id: int, year: int, only: set[tuple[str, int]] | None = None
) -> list[dict[str, Any]]:
    """Every marker of every school of the district for one year (or only for these
    subjects and grades), as rows to store."""
    minimum = min_participants(district_id)
    active = [r for r in rules(district_id) if r.active]
    pupils = _load_pupils(district_id, year, only)
    stats = {
        (s.subject, s.grade, s.school_id): s
        for s in db.session.scalars(
            select(VprMarkStat).where(
                VprMarkStat.district_id == district_id,
                VprMarkStat.year == year,
                visible(VprMarkStat),
                _in_groups(VprMarkStat, only),
            )
        )
    }
    comps = {
        (c.subject, c.grade, c.school_id): c
        for c in db.session.scalars(
            select(VprComparison).where(
                VprComparison.district_id == district_id,
                VprComparison.year == year,
                visible(VprComparison),
                _in_groups(VprComparison, only),
            )
        )
    }
    out: list[dict[str, Any]] = []
    for (subject, grade), schools in pupils.items():
        area = [s for p in schools.values() for s in p.scores]
        for school_id, p in schools.items():
            for m in indicators.school_markers(p.scores, area, p.journals, minimum):
                out.append(
                    {
                        "school_id": school_id,
                        "subject": subject,
                        "grade": grade,
                        "code": m.code,
                        "federal": True,
                        "flagged": m.flagged,
                        "value": m.value,
                        "reason": m.reason_ru,
                        "title": "",
                        "source": indicators.FEDERAL_SOURCE,
                        "rule_version": None,
                    }
                )
    out.extend(
        m
        for m in _cohort_markers(district_id, year, minimum)
        if only is None or (m["subject"], m["grade"]) in only
    )
    keys = (
        {(s, g, sch) for (s, g), schools in pupils.items() for sch in schools}
        | set(stats)
        | set(comps)
    )
    for subject, grade, school_id in sorted(keys):
        p = pupils.get((subject, grade), {}).get(school_id)
        for rule in active:
            if not rule.applies_to(subject, grade):
                continue
            value, n = _rule_values(
                rule,
                p,
                stats.get((subject, grade, school_id)),
                comps.get((subject, grade, school_id)),
            )
            if value is None and n == 0:
                continue  # this school has no data this rule reads
            spec = indicators.Rule(
                rule.code,
                rule.title,
                rule.source,
                rule.version,
                rule.threshold,
                rule.min_participants,
                RULE_MEASURES.get(rule.kind, ""),
            )
            direction = RULE_KINDS[rule.kind][1]
            evaluate = (
                indicators.evaluate_rule_below if direction == "below" else indicators.evaluate_rule
            )
            m = evaluate(spec, value, n)
            out.append(
                {
                    "school_id": school_id,
                    "subject": subject,
                    "grade": grade,
                    "code": rule.code,
                    "federal": False,
                    "flagged": m.flagged,
                    "value": m.value,
                    "reason": m.reason_ru,
                    "title": rule.title,
                    "source": rule.source,
                    "rule_version": rule.version,
                }
            )
    return out


def recompute(
    district_id: int,
    years: set[int] | None = None,
    *,
    only: dict[int, set[tuple[str, int]]] | None = None,
    commit: bool = True,
) -> int:
    """Rebuild what is derived from the stored results of ``years`` (default: every year
    with data), the summaries and the markers; ``only`` limits a year to some (subject,
    grade) groups, as an import of one of them needs."""
    targets = set(years) if years is not None else _stored_years(district_id)
    groups = {year: (only or {}).get(year) for year in targets}
    # Everything is computed before the first write: on SQLite a write transaction locks
    # out every other writer (the schools' autosaves) until it ends, so it holds only the
    # deletes and the inserts.
    summaries = summary_rows(district_id, groups)
    # A year without results computes no markers (and its old ones are deleted below).
    existing = set(data_years(district_id)) | {y for y, r in summaries.items() if r}
    now = utcnow()
    computed = {
        year: compute_year(district_id, year, (only or {}).get(year)) if year in existing else []
        for year in sorted(targets)
    }
    write_summaries(district_id, groups, summaries)
    written = 0
    for year, rows in computed.items():
        db.session.execute(
            delete(SchoolMarker).where(
                SchoolMarker.district_id == district_id,
                SchoolMarker.year == year,
                _in_groups(SchoolMarker, (only or {}).get(year)),
            )
        )
        if rows:
            db.session.execute(
                insert(SchoolMarker),
                [{**r, "district_id": district_id, "year": year, "computed_at": now} for r in rows],
            )
        written += len(rows)
    if commit:
        db.session.commit()
    return written


# --------------------------------------------------------------------------------------
# The risk zone
# --------------------------------------------------------------------------------------


@dataclass
class RiskRow:
    school_id: int
    code: str
    name: str
    markers: list[Any]  # rows: subject, grade, code, federal, title, reason
    years_in_row: int

    @property
    def count(self) -> int:
        return len(self.markers)


def schools_at_risk(district_id: int, year: int) -> list[int]:
    """Ids of the district's schools with at least one flagged marker in ``year``: what
    campaigns and control acts target."""
    return list(
        db.session.scalars(
            select(SchoolMarker.school_id)
            .distinct()
            .where(
                SchoolMarker.district_id == district_id,
                SchoolMarker.year == year,
                SchoolMarker.flagged.is_(True),
            )
            .order_by(SchoolMarker.school_id)
        )
    )


def _flagged_years(district_id: int, school_ids=None) -> dict[int, set[int]]:
    stmt = (
        select(SchoolMarker.school_id, SchoolMarker.year)
        .distinct()
        .where(SchoolMarker.district_id == district_id, SchoolMarker.flagged.is_(True))
    )
    if school_ids is not None:
        stmt = stmt.where(SchoolMarker.school_id.in_(school_ids))
    out: dict[int, set[int]] = defaultdict(set)
    for school_id, year in db.session.execute(stmt):
        out[school_id].add(year)
    return out


def years_in_row(flagged_years: set[int], year: int) -> int:
    """How many years up to ``year`` the school has been flagged without a break."""
    n = 0
    while year - n in flagged_years:
        n += 1
    return n


# The flagged markers of a district's year with their schools, in the order the risk list
# shows them: built once (the risk list reads it on every view).
_RISK_MARKERS = (
    select(
        SchoolMarker.school_id,
        SchoolMarker.subject,
        SchoolMarker.grade,
        SchoolMarker.code,
        SchoolMarker.federal,
        SchoolMarker.title,
        SchoolMarker.reason,
        School.code.label("school_code"),
        School.short_name,
        School.name,
    )
    .join(School, School.id == SchoolMarker.school_id)
    .where(
        SchoolMarker.district_id == bindparam("district"),
        SchoolMarker.year == bindparam("year"),
        SchoolMarker.flagged.is_(True),
    )
    .order_by(School.code, SchoolMarker.subject, SchoolMarker.grade, SchoolMarker.code)
)


def risk_list(district_id: int, year: int, history: History | None = None) -> list[RiskRow]:
    """The schools flagged in ``year`` with their flagged markers, most markers first.
    ``history`` (``risk_history`` of the district, which the risk page shows anyway)
    gives the years in a row without asking for them again."""
    # Plain rows, not ORM objects: the list only shows them (a district can have a few
    # hundred flagged markers in a year).
    rows = _rows(_RISK_MARKERS, {"district": district_id, "year": year}).all()
    by_school: dict[int, RiskRow] = {}
    for marker in rows:
        row = by_school.get(marker.school_id)
        if row is None:
            row = by_school[marker.school_id] = RiskRow(
                marker.school_id, marker.school_code, marker.short_name or marker.name, [], 0
            )
        row.markers.append(marker)
    if history is not None:
        flagged = {school_id: set(counts) for school_id, _c, _n, counts in history.rows}
    else:
        flagged = _flagged_years(district_id, list(by_school)) if by_school else {}
    for row in by_school.values():
        row.years_in_row = years_in_row(flagged.get(row.school_id, set()), year)
    return sorted(by_school.values(), key=lambda r: (-r.count, r.code))


@dataclass
class History:
    years: list[int]
    rows: list[tuple[int, str, str, dict[int, int]]]  # school id, code, name, year -> count


# Flag counts per school and year, counted off the index of flagged markers alone before
# the schools are joined to name them.
_FLAG_COUNTS = (
    select(SchoolMarker.school_id, SchoolMarker.year, func.count().label("n"))
    .where(SchoolMarker.district_id == bindparam("district"), SchoolMarker.flagged.is_(True))
    .group_by(SchoolMarker.school_id, SchoolMarker.year)
    .subquery()
)
_HISTORY = (
    select(
        _FLAG_COUNTS.c.school_id,
        School.code,
        School.short_name,
        School.name,
        _FLAG_COUNTS.c.year,
        _FLAG_COUNTS.c.n,
    )
    .join(School, School.id == _FLAG_COUNTS.c.school_id)
    .order_by(School.code)
)


def risk_history(district_id: int) -> History:
    """Flag counts per school and year, for the schools ever at risk."""
    rows = _rows(_HISTORY, {"district": district_id}).all()
    years = sorted({r[4] for r in rows}, reverse=True)
    schools: dict[int, tuple[int, str, str, dict[int, int]]] = {}
    for school_id, code, short_name, name, year, count in rows:
        schools.setdefault(school_id, (school_id, code, short_name or name, {}))[3][year] = count
    return History(years, list(schools.values()))


def at_risk_expression(district, school_id_column):
    """True for a school flagged in the district's latest year: a column other lists
    (the district's school list) add to their own query instead of asking apart.
    ``district`` is an id or a bound parameter. The latest year is an uncorrelated
    subquery the database computes once, so the per-row test is one probe of the
    flagged markers' index (district, flagged, school, year)."""
    latest = (
        select(func.max(SchoolMarker.year))
        .where(SchoolMarker.district_id == district)
        .scalar_subquery()
    )
    return (
        select(SchoolMarker.id)
        .where(
            SchoolMarker.district_id == district,
            SchoolMarker.flagged.is_(True),
            SchoolMarker.school_id == school_id_column,
            SchoolMarker.year == latest,
        )
        .exists()
    )


# Built once: the school page asks it on every view.
_LATEST_RISK_IDS = (
    select(SchoolMarker.school_id)
    .distinct()
    .where(
        SchoolMarker.district_id == bindparam("district_id"),
        SchoolMarker.year
        == select(func.max(SchoolMarker.year))
        .where(SchoolMarker.district_id == bindparam("district_id"))
        .scalar_subquery(),
        SchoolMarker.flagged.is_(True),
    )
)


# Built once: one school's page asks whether that school is flagged, a probe of the
# flagged index, instead of reading every flagged school of the district.
_SCHOOL_AT_RISK = select(
    select(SchoolMarker.id)
    .where(
        SchoolMarker.district_id == bindparam("district_id"),
        SchoolMarker.flagged.is_(True),
        SchoolMarker.school_id == bindparam("school_id"),
        SchoolMarker.year
        == select(func.max(SchoolMarker.year))
        .where(SchoolMarker.district_id == bindparam("district_id"))
        .scalar_subquery(),
    )
    .exists()
)


def school_at_risk(district_id: int, school_id: int) -> bool:
    """Whether the school is flagged in the district's latest year with markers (the
    badge of the school's page; the same test as ``latest_risk_ids``, for one school)."""
    params = {"district_id": district_id, "school_id": school_id}
    return bool(db.session.scalar(_SCHOOL_AT_RISK, params))


def at_risk(school_id):
    """Whether the school is flagged in the district's latest year with markers, as a
    column of another statement, which binds ``district_id`` (the same test as
    ``latest_risk_ids``: a page reading its schools' rows tells their flags with them)."""
    return school_id.in_(_LATEST_RISK_IDS.scalar_subquery())


def latest_risk_ids(district_id: int) -> set[int]:
    """Schools flagged in the district's latest year with markers, in one query: the
    consolidated tables."""
    return set(db.session.scalars(_LATEST_RISK_IDS, {"district_id": district_id}))


# --------------------------------------------------------------------------------------
# One school's analytics
# --------------------------------------------------------------------------------------


@dataclass
class GroupView:
    subject: str
    grade: int
    scale: Scale | None
    participants: int = 0
    absent: int = 0
    scores: dict[int, int] = field(default_factory=dict)
    matrix: dict[tuple[int, int], int] = field(default_factory=dict)
    school_shares: dict[int, float] | None = None
    district_shares: dict[int, float] | None = None
    mean: float | None = None
    markers: list[Any] = field(default_factory=list)  # rows of ``_SCHOOL_MARKERS``


# The district's years with results, and of them those in which the school has rows: an
# index probe per year, however many pupils' rows the years hold.
_DISTRICT_YEARS = (
    select(VprSummary.year)
    .distinct()
    .where(VprSummary.district_id == bindparam("district"))
    .subquery()
)
_SCHOOL_YEARS = (
    select(_DISTRICT_YEARS.c.year)
    .where(
        or_(
            *(
                select(m.id)
                .where(
                    m.school_id == bindparam("school"),
                    m.year == _DISTRICT_YEARS.c.year,
                    visible(m),
                )
                .exists()
                for m in (VprResult, VprMarkStat)
            )
        )
    )
    .order_by(_DISTRICT_YEARS.c.year.desc())
)


def school_years(school_id: int, district_id: int) -> list[int]:
    """The years the school has results or statistics of, newest first. Results are
    summarised for their district's year when imported, so only the district's years
    are looked at."""
    return list(db.session.scalars(_SCHOOL_YEARS, {"school": school_id, "district": district_id}))


# What the school page reads, built once (it reads them on every view).
# The school's pupils of the year, those alike counted together (half as many rows).
_PUPILS = (
    select(
        VprResult.subject,
        VprResult.grade,
        VprResult.absent,
        VprResult.primary_score,
        VprResult.mark,
        VprResult.journal_mark,
        func.count(),
    )
    .where(
        VprResult.school_id == bindparam("school"),
        VprResult.year == bindparam("year"),
        visible(VprResult),
    )
    .group_by(
        VprResult.subject,
        VprResult.grade,
        VprResult.absent,
        VprResult.primary_score,
        VprResult.mark,
        VprResult.journal_mark,
    )
)
_STATS = select(*_STAT_COLUMNS).where(
    VprMarkStat.school_id == bindparam("school"),
    VprMarkStat.year == bindparam("year"),
    visible(VprMarkStat),
)
# The district's summaries, each with its mark scale if it has one (every group a school
# has results in is one of its district's summaries).
_MARKS_AND_SCALES = (
    select(
        VprSummary.subject,
        VprSummary.grade,
        MarkScale.min3,
        MarkScale.min4,
        MarkScale.min5,
        MarkScale.max_score,
        VprSummary.mark2,
        VprSummary.mark3,
        VprSummary.mark4,
        VprSummary.mark5,
        VprSummary.stat_schools,
        VprSummary.stat2,
        VprSummary.stat3,
        VprSummary.stat4,
        VprSummary.stat5,
    )
    .outerjoin(
        MarkScale,
        and_(
            MarkScale.district_id == VprSummary.district_id,
            MarkScale.year == VprSummary.year,
            MarkScale.subject == VprSummary.subject,
            MarkScale.grade == VprSummary.grade,
        ),
    )
    .where(VprSummary.district_id == bindparam("district"))
)
_DISTRICT_MARKS = _MARKS_AND_SCALES.where(VprSummary.year == bindparam("year"))
# Every year's, each row saying whether the school has results that year: the school
# page's years and the district's figures of the year it shows in one read.
_SCHOOL_YEAR_ROWS = _SCHOOL_YEARS.order_by(None).subquery()
_ALL_DISTRICT_MARKS = _MARKS_AND_SCALES.add_columns(
    VprSummary.year, _SCHOOL_YEAR_ROWS.c.year.is_not(None)
).outerjoin(_SCHOOL_YEAR_ROWS, _SCHOOL_YEAR_ROWS.c.year == VprSummary.year)


@dataclass(frozen=True)
class Scale:
    """A mark scale's boundaries, as the charts read them (``MarkScale``'s columns)."""

    min3: int
    min4: int
    min5: int
    max_score: int

    def mark_for(self, score: int) -> int:
        return (
            5 if score >= self.min5 else 4 if score >= self.min4 else 3 if score >= self.min3 else 2
        )


# Plain rows: the page only shows them (``marker_title`` reads their code and title).
_SCHOOL_MARKERS = (
    select(
        SchoolMarker.subject,
        SchoolMarker.grade,
        SchoolMarker.code,
        SchoolMarker.federal,
        SchoolMarker.flagged,
        SchoolMarker.title,
        SchoolMarker.reason,
        SchoolMarker.rule_version,
    )
    .where(SchoolMarker.school_id == bindparam("school"), SchoolMarker.year == bindparam("year"))
    .order_by(SchoolMarker.federal.desc(), SchoolMarker.code)
)


def school_page(school: School, asked: int | None) -> tuple[list[int], int | None, list[GroupView]]:
    """The school page: the years the school has results of (newest first), the year it
    shows (``asked`` if the school has it, else the latest) and that year's analytics;
    the years and the district's figures come from one read of the summaries."""
    rows = _rows(_ALL_DISTRICT_MARKS, {"district": school.district_id, "school": school.id}).all()
    years = sorted({row[15] for row in rows if row[16]}, reverse=True)
    year = asked if asked in years else years[0] if years else None
    if year is None:
        return years, None, []
    return years, year, school_analytics(school, year, [row for row in rows if row[15] == year])


def school_analytics(school: School, year: int, district_rows=None) -> list[GroupView]:
    """What the school page shows for a year, per subject and grade: a constant number
    of queries whatever the number of pupils or groups. ``district_rows``: the district's
    summaries of the year (``_DISTRICT_MARKS``) if they were read already."""
    groups: dict[tuple[str, int], GroupView] = {}
    of_school = {"school": school.id, "year": year}
    if district_rows is None:
        of_district = {"district": school.district_id, "year": year}
        district_rows = _rows(_DISTRICT_MARKS, of_district).all()
    # The district: counts of marks of its pupils, or where it has none, its schools'
    # statistics; read from its summaries, never from its pupils' rows.
    scale_of: dict[tuple[str, int], Scale] = {}
    district_counts: dict[tuple[str, int], dict[int, float]] = {}
    for subject, grade, *bounds, m2, m3, m4, m5, stat_schools, s2, s3, s4, s5 in (
        row[:15] for row in district_rows
    ):
        if bounds[0] is not None:
            scale_of[(subject, grade)] = Scale(*bounds)
        marks_of = {2: float(m2), 3: float(m3), 4: float(m4), 5: float(m5)}
        if any(marks_of.values()):
            district_counts[(subject, grade)] = marks_of
        elif stat_schools:
            district_counts[(subject, grade)] = {2: s2, 3: s3, 4: s4, 5: s5}

    def group(subject: str, grade: int) -> GroupView:
        if (subject, grade) not in groups:
            groups[(subject, grade)] = GroupView(subject, grade, scale_of.get((subject, grade)))
        return groups[(subject, grade)]

    marks: dict[tuple[str, int], list[int | None]] = defaultdict(list)
    scores: dict[tuple[str, int], list[int]] = defaultdict(list)
    for subject, grade, absent, score, mark, journal, n in _rows(_PUPILS, of_school):
        g = groups.get((subject, grade)) or group(subject, grade)
        if absent or score is None:
            g.absent += n
            continue
        g.participants += n
        g.scores[score] = g.scores.get(score, 0) + n
        marks[(subject, grade)].extend([mark] * n)
        scores[(subject, grade)].extend([score] * n)
        if mark is not None and journal is not None:
            g.matrix[(mark, journal)] = g.matrix.get((mark, journal), 0) + n
    for key, values in marks.items():
        groups[key].school_shares = indicators.mark_shares(values)
        groups[key].mean = statistics.fmean(scores[key])
    for subject, grade, participants, *shares in _rows(_STATS, of_school):
        g = group(subject, grade)
        if g.school_shares is None:
            g.participants = participants
            g.school_shares = {
                m: share / 100 for m, share in zip((2, 3, 4, 5), shares, strict=True)
            }
    for key, counts in district_counts.items():
        total = sum(counts.values())
        if key in groups and total:
            groups[key].district_shares = {m: counts.get(m, 0.0) / total for m in (2, 3, 4, 5)}
    for marker in _rows(_SCHOOL_MARKERS, of_school):
        if (marker.subject, marker.grade) in groups:
            groups[(marker.subject, marker.grade)].markers.append(marker)
    return [groups[k] for k in sorted(groups)]


def marker_title(marker: SchoolMarker) -> str:
    if marker.federal:
        return str(FEDERAL_TITLES.get(marker.code, marker.code))
    return marker.title or marker.code
