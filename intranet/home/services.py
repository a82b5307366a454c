"""What waits for the district's staff, each list read in one query whatever the number
of schools: review states, campaign counts, plan-item open counts and the roadmaps' first
open due date are all kept by their domains' services, so nothing is counted row by row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from intranet.extensions import db
from intranet.inspections.models import Campaign, Submission
from intranet.objectivity.models import SchoolMarker
from intranet.review.models import ReviewAction, ReviewEvent, ReviewState
from intranet.roadmaps.models import Plan, PlanItem, PlanItemDue, PlanStatus, SchoolRoadmap
from intranet.schools.models import School

HORIZON_DAYS = 14
LIST_LIMIT = 50


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
        if self.since is None:
            return 0
        since = self.since if self.since.tzinfo else self.since.replace(tzinfo=now.tzinfo)
        return max((now - since).days, 0)


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
class Home:
    waiting: list[Record] = field(default_factory=list)
    returned: list[Record] = field(default_factory=list)
    soon: list[Deadline] = field(default_factory=list)
    overdue: list[Deadline] = field(default_factory=list)
    risk_year: int | None = None
    risk: list[RiskSchool] = field(default_factory=list)


def _school_name():
    return func.coalesce(func.nullif(School.short_name, ""), School.name)


def _records(model, title_column, join_target, join_on, district_id: int) -> list[Record]:
    """Submitted and returned records of one kind, each with the time of the event that
    put it in that state (the latest submit or return), oldest first."""
    wanted_action = case(
        (model.status == ReviewState.SUBMITTED.value, ReviewAction.SUBMIT.value),
        else_=ReviewAction.RETURN.value,
    )
    since = (
        select(func.max(ReviewEvent.at))
        .where(
            ReviewEvent.subject_type == model.review_type,
            ReviewEvent.subject_id == model.id,
            ReviewEvent.action == wanted_action,
        )
        .correlate(model)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(model.id, model.school_id, _school_name(), title_column, model.status, since)
        .join(School, School.id == model.school_id)
        .join(join_target, join_on)
        .where(
            model.district_id == district_id,
            model.status.in_([ReviewState.SUBMITTED.value, ReviewState.RETURNED.value]),
        )
    ).all()
    return [Record(model.review_type, *row) for row in rows]


def _oldest_first(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r.since is None, r.since or datetime.min, r.id))


def review_records(district_id: int) -> tuple[list[Record], list[Record]]:
    """(waiting for review, returned and not yet answered), oldest first."""
    records = _records(
        SchoolRoadmap, Plan.title, Plan, Plan.id == SchoolRoadmap.plan_id, district_id
    ) + _records(
        Submission, Campaign.title, Campaign, Campaign.id == Submission.campaign_id, district_id
    )
    waiting = [r for r in records if r.state == ReviewState.SUBMITTED.value]
    returned = [r for r in records if r.state == ReviewState.RETURNED.value]
    return _oldest_first(waiting), _oldest_first(returned)


def next_waiting(district_id: int, exclude: tuple[str, int] | None = None) -> Record | None:
    """The oldest record waiting for review other than ``exclude`` (kind, id): what a
    reviewer opens after an accept or a return."""
    waiting, _returned = review_records(district_id)
    for record in waiting:
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
