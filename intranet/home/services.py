"""What waits for the district's staff, each list read in one query whatever the number
of schools: review states, campaign counts, plan-item open counts and the roadmaps' first
open due date are all kept by their domains' services, so nothing is counted row by row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.inspections.models import Campaign, Submission
from intranet.objectivity.models import SchoolMarker
from intranet.review.models import ReviewState
from intranet.roadmaps.models import Plan, PlanItem, PlanItemDue, PlanStatus, SchoolRoadmap
from intranet.schools.models import School

HORIZON_DAYS = 14
# The page lists the oldest records of each kind and says how many there are: its size
# and cost stay the same for 14 schools or 300.
LIST_LIMIT = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    """A roadmap or a form of one school in the review workflow."""

    kind: str  # "roadmap" or "submission"
    id: int
    school_id: int
    school: str
    title: str
    state: str
    since: datetime | None  # when it was submitted (or returned)

    def waited_days(self, now: datetime) -> int:
        return max((now - self.since).days, 0) if self.since is not None else 0


@dataclass(frozen=True)
class Deadline:
    kind: str  # "campaign", "plan" (roadmaps due) or "item" (a plan item's due date)
    id: int  # campaign or plan id
    title: str
    due: date
    missing: int  # schools that have not submitted (or not done the item)


@dataclass(frozen=True)
class RiskSchool:
    school_id: int
    school: str
    markers: int


@dataclass
class Listed:
    """The first records of a list, and how many the whole list holds."""

    records: list[Record] = field(default_factory=list)
    total: int = 0


@dataclass
class Home:
    waiting: Listed = field(default_factory=Listed)
    returned: Listed = field(default_factory=Listed)
    soon: list[Deadline] = field(default_factory=list)
    overdue: list[Deadline] = field(default_factory=list)
    risk_year: int | None = None
    risk: list[RiskSchool] = field(default_factory=list)


def _school_name():
    return func.coalesce(func.nullif(School.short_name, ""), School.name)


def _records(model, title_column, join_target, join_on, district_id: int):
    """Submitted and returned records of one kind: the ``LIST_LIMIT`` that have been in
    their state longest (read off the review-queue index, whatever the district's size),
    and how many there are of each state."""
    records: list[Record] = []
    for state in (ReviewState.SUBMITTED.value, ReviewState.RETURNED.value):
        rows = db.session.execute(
            select(
                model.id,
                model.school_id,
                _school_name(),
                title_column,
                model.status,
                model.review_state_at,
            )
            .join(School, School.id == model.school_id)
            .join(join_target, join_on)
            .where(model.district_id == district_id, model.status == state)
            .order_by(model.review_state_at, model.id)
            .limit(LIST_LIMIT)
        ).all()
        records += [Record(model.review_type, *row[:5], _aware(row[5])) for row in rows]
    totals = dict(
        db.session.execute(
            select(model.status, func.count())
            .where(
                model.district_id == district_id,
                model.status.in_([ReviewState.SUBMITTED.value, ReviewState.RETURNED.value]),
            )
            .group_by(model.status)
        ).all()
    )
    return records, totals


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _oldest_first(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r.since is None, r.since or _EPOCH, r.id))[:LIST_LIMIT]


def review_records(district_id: int) -> tuple[Listed, Listed]:
    """(waiting for review, returned and not yet answered): the oldest of each, and
    how many there are."""
    roadmaps, roadmap_totals = _records(
        SchoolRoadmap, Plan.title, Plan, Plan.id == SchoolRoadmap.plan_id, district_id
    )
    forms, form_totals = _records(
        Submission, Campaign.title, Campaign, Campaign.id == Submission.campaign_id, district_id
    )
    records = roadmaps + forms
    out = []
    for state in (ReviewState.SUBMITTED.value, ReviewState.RETURNED.value):
        out.append(
            Listed(
                _oldest_first([r for r in records if r.state == state]),
                roadmap_totals.get(state, 0) + form_totals.get(state, 0),
            )
        )
    return out[0], out[1]


def next_waiting(district_id: int, exclude: tuple[str, int] | None = None) -> Record | None:
    """The oldest record waiting for review other than ``exclude`` (kind, id): what a
    reviewer opens after an accept or a return."""
    waiting, _returned = review_records(district_id)
    for record in waiting.records:
        if (record.kind, record.id) != exclude:
            return record
    return None


def _campaign_deadlines(district_id: int, today: date, horizon: date) -> list[Deadline]:
    rows = db.session.execute(
        select(
            Campaign.id,
            Campaign.title,
            Campaign.due_date,
            Campaign.expected_count - Campaign.submitted_count,
        ).where(
            Campaign.district_id == district_id,
            Campaign.due_date <= horizon,
            (Campaign.due_date >= today) | (Campaign.submitted_count < Campaign.expected_count),
        )
    ).all()
    return [Deadline("campaign", *row) for row in rows]


def _plan_deadlines(district_id: int, today: date, horizon: date) -> list[Deadline]:
    """Plans whose roadmaps are due: schools whose roadmap is neither submitted nor
    accepted count as not submitted."""
    missing = func.count(SchoolRoadmap.id).filter(
        SchoolRoadmap.status.in_([ReviewState.DRAFT.value, ReviewState.RETURNED.value])
    )
    rows = db.session.execute(
        select(Plan.id, Plan.title, Plan.submit_by, missing)
        .join(SchoolRoadmap, SchoolRoadmap.plan_id == Plan.id, isouter=True)
        .where(
            Plan.district_id == district_id,
            Plan.status == PlanStatus.PUBLISHED.value,
            Plan.submit_by.is_not(None),
            Plan.submit_by <= horizon,
        )
        .group_by(Plan.id, Plan.title, Plan.submit_by)
    ).all()
    return [Deadline("plan", *row) for row in rows if row[3] > 0 or row[2] >= today]


def _item_deadlines(district_id: int, today: date, horizon: date) -> list[Deadline]:
    """Plan items due soon, with the schools that have not done them (kept per item and
    due date as ``PlanItemDue.open_count``)."""
    title = func.trim(func.coalesce(PlanItem.number, "") + " " + PlanItem.text)
    rows = db.session.execute(
        select(Plan.id, title, PlanItemDue.due_date, PlanItemDue.open_count)
        .join(PlanItem, PlanItem.id == PlanItemDue.plan_item_id)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .where(
            PlanItem.district_id == district_id,
            Plan.status == PlanStatus.PUBLISHED.value,
            PlanItemDue.due_date >= today,
            PlanItemDue.due_date <= horizon,
            PlanItemDue.open_count > 0,
        )
        .order_by(PlanItemDue.due_date, PlanItem.position)
        .limit(LIST_LIMIT)
    ).all()
    return [Deadline("item", *row) for row in rows]


def _overdue_roadmaps(district_id: int, today: date) -> list[Deadline]:
    """Per plan, the schools with at least one item past its due date and not done (the
    roadmap keeps its first open due date)."""
    rows = db.session.execute(
        select(Plan.id, Plan.title, func.min(SchoolRoadmap.first_open_due), func.count())
        .join(SchoolRoadmap, SchoolRoadmap.plan_id == Plan.id)
        .where(
            Plan.district_id == district_id,
            Plan.status == PlanStatus.PUBLISHED.value,
            SchoolRoadmap.first_open_due < today,
        )
        .group_by(Plan.id, Plan.title)
    ).all()
    return [Deadline("roadmap_items", *row) for row in rows]


def _risk(district_id: int) -> tuple[int | None, list[RiskSchool]]:
    latest = (
        select(func.max(SchoolMarker.year))
        .where(SchoolMarker.district_id == district_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(SchoolMarker.year, School.id, _school_name(), func.count(SchoolMarker.id))
        .join(School, School.id == SchoolMarker.school_id)
        .where(
            SchoolMarker.district_id == district_id,
            SchoolMarker.year == latest,
            SchoolMarker.flagged.is_(True),
        )
        .group_by(SchoolMarker.year, School.id, School.short_name, School.name, School.code)
        .order_by(func.count(SchoolMarker.id).desc(), School.code)
    ).all()
    year = rows[0][0] if rows else None
    return year, [RiskSchool(school_id, name, n) for _year, school_id, name, n in rows]


def district_home(district_id: int, today: date) -> Home:
    horizon = today + timedelta(days=HORIZON_DAYS)
    waiting, returned = review_records(district_id)
    deadlines = (
        _campaign_deadlines(district_id, today, horizon)
        + _plan_deadlines(district_id, today, horizon)
        + _item_deadlines(district_id, today, horizon)
    )
    soon = sorted((d for d in deadlines if d.due >= today), key=lambda d: (d.due, d.title))
    overdue = sorted(
        [d for d in deadlines if d.due < today] + _overdue_roadmaps(district_id, today),
        key=lambda d: (d.due, d.title),
    )
    risk_year, risk = _risk(district_id)
    return Home(waiting, returned, soon, overdue, risk_year, risk)
