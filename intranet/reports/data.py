"""What the district's printed reports show, read with a fixed number of queries.

Every function here reads; none writes. Each takes the object a page has already loaded
(and checked access to), so a printed report shows exactly the rows its page shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, true
from sqlalchemy.orm import selectinload

from intranet.acts.models import ActStatus, ControlAct, Finding
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.inspections import schema as form_schema
from intranet.inspections.models import Campaign, Submission
from intranet.inspections.services import answer_rows, cell_state
from intranet.objectivity.models import (
    MarkScale,
    SchoolMarker,
    VprComparison,
    VprMarkStat,
    VprResult,
    VprSummary,
    visible,
)
from intranet.review.models import ReviewState
from intranet.roadmaps import services as roadmaps
from intranet.roadmaps.models import Plan, RoadmapItem, SchoolRoadmap
from intranet.schools.models import District, School

MARKS = (2, 3, 4, 5)

# -- the consolidated district report ---------------------------------------------------------


@dataclass
class RiskFlags:
    """A school's flagged ВПР markers in the district's latest year with markers."""

    year: int
    groups: list[tuple[str, int, int]]  # subject, grade, flagged markers

    @property
    def count(self) -> int:
        return sum(n for _s, _g, n in self.groups)

    def short(self) -> str:
        return "; ".join(f"{s}, {g} кл. ({n})" for s, g, n in self.groups)


@dataclass
class ActFindings:
    """The control acts issued on a school and what their checked items found."""

    numbers: list[str] = field(default_factory=list)
    complies: int = 0
    partly: int = 0
    fails: int = 0

    @property
    def count(self) -> int:
        return len(self.numbers)


@dataclass
class SchoolLine:
    school_id: int
    code: str
    name: str
    state: str  # a review state, or a campaign cell state ("late", "not_started")
    changed: bool
    items: int  # measures of the roadmap, or questions shown in the form
    done: int  # done measures, or answered questions
    overdue: int
    risk: RiskFlags | None = None
    acts: ActFindings | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def completion(self) -> float:
        return self.done / self.items if self.items else 0.0


@dataclass
class DistrictReport:
    kind: str  # "plan" or "campaign"
    title: str
    basis: str  # the order, or the campaign's due date
    district: District
    today: date
    lines: list[SchoolLine]
    risk_year: int | None

    @property
    def attention(self) -> list[SchoolLine]:
        return [line for line in self.lines if line.reasons]

    @property
    def totals(self) -> dict[str, float]:
        items = sum(line.items for line in self.lines)
        done = sum(line.done for line in self.lines)
        return {
            "schools": len(self.lines),
            "items": items,
            "done": done,
            "completion": done / items if items else 0.0,
            "overdue": sum(line.overdue for line in self.lines),
            "overdue_schools": sum(1 for line in self.lines if line.overdue),
            "accepted": sum(1 for line in self.lines if line.state == ReviewState.ACCEPTED),
            "risk": sum(1 for line in self.lines if line.risk),
            "acts": sum(line.acts.count for line in self.lines if line.acts),
            "attention": len(self.attention),
        }


def _risk_flags(district_id: int) -> tuple[int | None, dict[int, RiskFlags]]:
    """Flagged markers per school and group in the latest year with markers: one query
    (the year is a subquery), whatever the number of schools."""
    latest = (
        select(func.max(SchoolMarker.year))
        .where(SchoolMarker.district_id == district_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            SchoolMarker.school_id,
            SchoolMarker.year,
            SchoolMarker.subject,
            SchoolMarker.grade,
            func.count(SchoolMarker.id),
        )
        .where(
            SchoolMarker.district_id == district_id,
            SchoolMarker.year == latest,
            SchoolMarker.flagged.is_(True),
        )
        .group_by(
            SchoolMarker.school_id, SchoolMarker.year, SchoolMarker.subject, SchoolMarker.grade
        )
        .order_by(SchoolMarker.subject, SchoolMarker.grade)
    ).all()
    out: dict[int, RiskFlags] = {}
    year = None
    for school_id, year, subject, grade, n in rows:
        out.setdefault(school_id, RiskFlags(year, [])).groups.append((subject, grade, n))
    return year, out


def _act_findings(district_id: int) -> dict[int, ActFindings]:
    """Issued control acts per school and what their checked items found: one query. An
    act replaced by an issued correction counts no more; the correction does."""
    acts = db.session.execute(
        select(
            ControlAct.id,
            ControlAct.school_id,
            ControlAct.seq,
            ControlAct.year,
            ControlAct.items,
            ControlAct.replaces_id,
        )
        .where(
            ControlAct.district_id == district_id,
            ControlAct.status == ActStatus.ISSUED.value,
        )
        .order_by(ControlAct.year, ControlAct.seq)
    ).all()
    replaced = {row.replaces_id for row in acts if row.replaces_id}
    out: dict[int, ActFindings] = {}
    for act_id, school_id, seq, year, items, _replaces in acts:
        if act_id in replaced:
            continue
        found = out.setdefault(school_id, ActFindings())
        found.numbers.append(f"{seq}-{year}")
        for item in items or []:
            finding = item.get("finding")
            if finding == Finding.COMPLIES:
                found.complies += 1
            elif finding == Finding.PARTLY:
                found.partly += 1
            elif finding == Finding.FAILS:
                found.fails += 1
    return out


def _common_reasons(line: SchoolLine, risk_year: int | None) -> None:
    if line.risk:
        line.reasons.append(
            _(
                "signs of unobjective ВПР results in %(year)s: %(groups)s",
                year=line.risk.year,
                groups=line.risk.short(),
            )
        )
    if line.acts and line.acts.fails:
        line.reasons.append(
            _(
                "control acts %(numbers)s found %(n)d items not complying",
                numbers=", ".join(line.acts.numbers),
                n=line.acts.fails,
            )
        )


def plan_report(plan: Plan, today: date) -> DistrictReport:
    """Every school's roadmap of ``plan`` with its progress, risk flags and acts: four
    queries whatever the number of schools."""
    page = roadmaps.execution_by_school(plan, today, per_page=None)
    risk_year, risk = _risk_flags(plan.district_id)
    acts = _act_findings(plan.district_id)
    lines = []
    for row in page.schools:
        line = SchoolLine(
            row.school_id,
            row.code,
            row.name,
            row.status,
            row.changed_since_accepted,
            row.items,
            row.done,
            row.overdue,
            risk.get(row.school_id),
            acts.get(row.school_id),
        )
        if row.overdue:
            line.reasons.append(_("%(n)d measures overdue", n=row.overdue))
        if row.status == ReviewState.RETURNED:
            line.reasons.append(_("the roadmap was returned for revision"))
        elif (
            row.status == ReviewState.DRAFT
            and plan.submit_by is not None
            and today > plan.submit_by
        ):
            line.reasons.append(
                _(
                    "the roadmap was not submitted by %(date)s",
                    date=plan.submit_by.strftime("%d.%m.%Y"),
                )
            )
        _common_reasons(line, risk_year)
        lines.append(line)
    return DistrictReport(
        "plan",
        plan.title,
        plan.basis,
        db.session.get(District, plan.district_id),
        today,
        lines,
        risk_year,
    )


def _answered(specs: dict[str, dict], answers: dict) -> tuple[int, int]:
    """Questions shown to the school, and how many of them have an answer."""
    shown = done = 0
    for spec in specs.values():
        if not form_schema.is_visible(spec, answers, specs):
            continue
        shown += 1
        if answers.get(spec["key"]) not in (None, "", []):
            done += 1
    return shown, done


def campaign_report(campaign: Campaign, today: date) -> DistrictReport:
    """Every school's form of ``campaign``: its state, the share of shown questions
    answered, lateness, risk flags and acts; four queries whatever the number of schools."""
    specs = campaign.specs
    risk_year, risk = _risk_flags(campaign.district_id)
    acts = _act_findings(campaign.district_id)
    lines = []
    for _sid, school_id, code, name, cell, answers in db.session.execute(answer_rows(campaign.id)):
        state = cell_state(cell, campaign.due_date, today)
        shown, done = _answered(specs, answers or {})
        late = state == "late"
        line = SchoolLine(
            school_id,
            code,
            name,
            state,
            bool(cell & 8),
            shown,
            done,
            int(late),
            risk.get(school_id),
            acts.get(school_id),
        )
        if late:
            line.reasons.append(
                _(
                    "the form was not submitted by %(date)s",
                    date=campaign.due_date.strftime("%d.%m.%Y"),
                )
            )
        elif state == ReviewState.RETURNED:
            line.reasons.append(_("the form was returned for revision"))
        _common_reasons(line, risk_year)
        lines.append(line)
    return DistrictReport(
        "campaign",
        campaign.title,
        _("due %(date)s", date=campaign.due_date.strftime("%d.%m.%Y")),
        db.session.get(District, campaign.district_id),
        today,
        lines,
        risk_year,
    )


# -- the analytical report on ВПР results ------------------------------------------------------


@dataclass
class VprSchoolLine:
    school_id: int
    code: str
    name: str
    participants: int = 0
    shares: dict[int, float] | None = None
    mean: float | None = None
    # Against the journal: shares lowered, confirmed, raised (0..1), when known.
    journal: tuple[float, float, float] | None = None
    flagged: list[SchoolMarker] = field(default_factory=list)
    computed: int = 0  # markers computed (flagged or not) for this group


@dataclass
class VprReport:
    district: District
    year: int
    subject: str
    grade: int
    scale: MarkScale | None
    scores: dict[int, int]  # pupils per primary score, the whole district
    matrix: dict[tuple[int, int], int]  # (ВПР mark, journal mark) -> pupils
    shares: dict[int, float] | None  # the district's shares of marks 2-5
    participants: int
    mean: float | None
    schools: list[VprSchoolLine]

    @property
    def risk(self) -> list[VprSchoolLine]:
        return sorted(
            (s for s in self.schools if s.flagged), key=lambda s: (-len(s.flagged), s.code)
        )


def vpr_groups(district_id: int, year: int) -> list[tuple[str, int]]:
    """The subjects and grades with results in ``year``: a read of the district's
    summaries (made when results are imported), never of its pupils' rows."""
    stmt = select(VprSummary.subject, VprSummary.grade).where(
        VprSummary.district_id == district_id, VprSummary.year == year
    )
    return sorted((subject, grade) for subject, grade in db.session.execute(stmt))


def vpr_report(district: District, year: int, subject: str, grade: int) -> VprReport:
    """The district's figures for one year, subject and grade, each school's beside them,
    and the markers with their reasons: six queries whatever the number of schools or
    pupils (pupils' rows are counted by the database, never loaded one by one)."""

    def group(m):
        # Rows of an import still being written are in no result yet.
        return (
            (m.district_id == district.id)
            & (m.year == year)
            & (m.subject == subject)
            & (m.grade == grade)
            & (visible(m) if hasattr(m, "import_id") else true())
        )

    scale = db.session.scalar(select(MarkScale).where(group(MarkScale)))
    names = {
        sid: (code, name)
        for sid, code, name in db.session.execute(
            select(
                School.id,
                School.code,
                func.coalesce(func.nullif(School.short_name, ""), School.name),
            ).where(School.district_id == district.id)
        )
    }
    lines: dict[int, VprSchoolLine] = {}

    def line(school_id: int) -> VprSchoolLine:
        if school_id not in lines:
            code, name = names.get(school_id, ("", ""))
            lines[school_id] = VprSchoolLine(school_id, code, name)
        return lines[school_id]

    scores: dict[int, int] = defaultdict(int)
    matrix: dict[tuple[int, int], int] = defaultdict(int)
    marks: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    sums: dict[int, int] = defaultdict(int)
    pairs: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # lowered, confirmed, raised
    for school_id, score, mark, journal, n in db.session.execute(
        select(
            VprResult.school_id,
            VprResult.primary_score,
            VprResult.mark,
            VprResult.journal_mark,
            func.count(VprResult.id),
        )
        .where(group(VprResult), VprResult.absent.is_(False), VprResult.primary_score.is_not(None))
        .group_by(
            VprResult.school_id, VprResult.primary_score, VprResult.mark, VprResult.journal_mark
        )
    ):
        s = line(school_id)
        s.participants += n
        sums[school_id] += score * n
        scores[score] += n
        if mark is not None:
            marks[school_id][mark] += n
            if journal is not None:
                matrix[(mark, journal)] += n
                pairs[school_id][(mark > journal) - (mark < journal) + 1] += n
    district_counts: dict[int, float] = defaultdict(float)
    for school_id, counts in marks.items():
        s = lines[school_id]
        total = sum(counts.values())
        s.shares = {m: counts.get(m, 0) / total for m in MARKS} if total else None
        s.mean = sums[school_id] / s.participants if s.participants else None
        for m, n in counts.items():
            district_counts[m] += n
        lowered, confirmed, raised = pairs[school_id]
        n_pairs = lowered + confirmed + raised
        if n_pairs:
            # "Lowered" is the ВПР mark below the journal's, as ФИС ОКО names it.
            s.journal = (lowered / n_pairs, confirmed / n_pairs, raised / n_pairs)
    for stat in db.session.scalars(select(VprMarkStat).where(group(VprMarkStat))):
        s = line(stat.school_id)
        if s.shares is None:
            s.participants = stat.participants
            s.shares = {m: getattr(stat, f"share{m}") / 100 for m in MARKS}
            for m in MARKS:
                district_counts[m] += stat.participants * s.shares[m]
    for comp in db.session.scalars(select(VprComparison).where(group(VprComparison))):
        s = line(comp.school_id)
        if s.journal is None:
            s.journal = (comp.lowered / 100, comp.confirmed / 100, comp.raised / 100)
    for marker in db.session.scalars(
        select(SchoolMarker)
        .where(group(SchoolMarker))
        .order_by(SchoolMarker.federal.desc(), SchoolMarker.code)
    ):
        s = line(marker.school_id)
        if marker.flagged is not None:
            s.computed += 1
        if marker.flagged:
            s.flagged.append(marker)
    total = sum(district_counts.values())
    participants = sum(s.participants for s in lines.values())
    means = [(s.mean, s.participants) for s in lines.values() if s.mean is not None]
    weight = sum(n for _m, n in means)
    return VprReport(
        district,
        year,
        subject,
        grade,
        scale,
        dict(scores),
        dict(matrix),
        {m: district_counts.get(m, 0.0) / total for m in MARKS} if total else None,
        participants,
        sum(m * n for m, n in means) / weight if weight else None,
        sorted(lines.values(), key=lambda s: s.code),
    )


# -- roadmaps, one or many ---------------------------------------------------------------------


def roadmap_options():
    """Items and their evidence (never the files' bytes) in two more queries."""
    return (
        selectinload(SchoolRoadmap.items).selectinload(RoadmapItem.evidence),
        selectinload(SchoolRoadmap.school),
    )


def plan_roadmaps(plan: Plan, chunk: int = 25) -> Iterator[SchoolRoadmap]:
    """The plan's roadmaps in school code order, ``chunk`` at a time: four queries per
    chunk, and only one chunk's items in memory while a long print is built."""
    ids = list(
        db.session.scalars(
            select(SchoolRoadmap.id)
            .join(School, School.id == SchoolRoadmap.school_id)
            .where(SchoolRoadmap.plan_id == plan.id)
            .order_by(School.code)
        )
    )
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        loaded = {
            r.id: r
            for r in db.session.scalars(
                select(SchoolRoadmap).where(SchoolRoadmap.id.in_(part)).options(*roadmap_options())
            )
        }
        for roadmap_id in part:
            yield loaded[roadmap_id]
        # The session keeps loaded rows weakly: once printed, the chunk can be freed.
        del loaded


def count_plan_roadmaps(plan: Plan) -> int:
    return (
        db.session.scalar(
            select(func.count(SchoolRoadmap.id)).where(SchoolRoadmap.plan_id == plan.id)
        )
        or 0
    )


# -- a filled form -------------------------------------------------------------------------


@dataclass
class Answer:
    label: str
    value: str | None = None
    # A table: its column labels and rows of shown cells.
    columns: list[str] | None = None
    rows: list[list[str]] | None = None


@dataclass
class FilledForm:
    submission: Submission
    school: School
    sections: list[tuple[str, list[Answer]]]
    version: int | None  # the number of the last submitted version, if any


def filled_form(submission: Submission) -> FilledForm:
    """Every answer the school sees (questions hidden by a condition are left out), in
    the form's order, tables as tables."""
    from intranet.inspections.services import display
    from intranet.review.models import Version

    answers = submission.answers or {}
    schema = submission.schema
    specs = form_schema.field_map(schema)
    sections = []
    for section in schema.get("sections", []):
        shown = []
        for spec in section.get("fields", []):
            if not form_schema.is_visible(spec, answers, specs):
                continue
            value = answers.get(spec["key"])
            if spec["type"] == "table":
                shown.append(
                    Answer(
                        spec["label"],
                        columns=[c["label"] for c in spec["columns"]],
                        rows=[
                            [display(c, row.get(c["key"])) or "" for c in spec["columns"]]
                            for row in value or []
                        ],
                    )
                )
            else:
                shown.append(Answer(spec["label"], display(spec, value)))
        if shown:
            sections.append((section.get("title") or "", shown))
    version = db.session.scalar(
        select(func.max(Version.number)).where(
            Version.subject_type == Submission.review_type, Version.subject_id == submission.id
        )
    )
    return FilledForm(submission, submission.school, sections, version)
