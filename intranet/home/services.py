"""What waits for the district's staff, each list read in one query whatever the number
of schools: review states, campaign counts, plan-item open counts and the roadmaps' first
open due date are all kept by their domains' services, so nothing is counted row by row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, func, literal, select, union_all

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

    records: list = field(default_factory=list)
    total: int = 0


@dataclass
class Home:
    waiting: Listed = field(default_factory=Listed)
    returned: Listed = field(default_factory=Listed)
    soon: list[Deadline] = field(default_factory=list)
    overdue: list[Deadline] = field(default_factory=list)
    risk_year: int | None = None
    risk: Listed = field(default_factory=Listed)


def _school_name():
    return func.coalesce(func.nullif(School.short_name, ""), School.name)


def _kinds():
    """The reviewed records: (model, what they answer, the column that names it)."""
    return (
        (SchoolRoadmap, Plan, SchoolRoadmap.plan_id),
        (Submission, Campaign, Submission.campaign_id),
    )


# Every statement of the page is built once, with bound parameters: building and keying a
# statement of four unions costs more than running it.
_DISTRICT = bindparam("district")
_TODAY = bindparam("today")
_HORIZON = bindparam("horizon")
_LIMIT = bindparam("limit")


@cache
def _queue_statement(states: tuple[str, ...], counted: bool = False):
    """For each kind and state, the records that have been in that state longest, each
    read off the review-queue index, all in one statement; the schools and titles are
    joined once to the union's rows (joined in each part, PostgreSQL plans every join
    four times: twice the time of the query). ``counted`` adds to each row how many
    records of its kind are in its state (a count the database makes once per kind and
    state): a kind and state without rows has none."""
    parts = []
    for model, _parent, parent_id in _kinds():
        for state in states:
            columns = [
                literal(model.review_type).label("kind"),
                model.id.label("id"),
                model.school_id.label("school_id"),
                parent_id.label("parent_id"),
                model.status.label("state"),
                model.review_state_at.label("since"),
            ]
            if counted:
                total = (
                    select(func.count())
                    .select_from(model)
                    .where(model.district_id == _DISTRICT, model.status == state)
                    .correlate(None)
                    .scalar_subquery()
                )
                columns.append(total.label("total"))
            parts.append(
                select(*columns)
                .where(model.district_id == _DISTRICT, model.status == state)
                .order_by(model.review_state_at, model.id)
                .limit(_LIMIT)
                .subquery()
                .select()
            )
    queue = union_all(*parts).subquery()
    stmt = select(
        queue.c.kind,
        queue.c.id,
        queue.c.school_id,
        _school_name(),
        func.coalesce(*(parent.title for _model, parent, _id in _kinds())),
        queue.c.state,
        queue.c.since,
        *([queue.c.total] if counted else []),
    ).join(School, School.id == queue.c.school_id)
    for model, parent, _id in _kinds():
        stmt = stmt.outerjoin(
            parent, (queue.c.kind == model.review_type) & (parent.id == queue.c.parent_id)
        )
    return stmt


def _queue_rows(district_id: int, states: tuple[str, ...], limit: int, counted: bool = False):
    return db.session.execute(
        _queue_statement(states, counted), {"district": district_id, "limit": limit}
    ).all()


def _records(rows) -> list[Record]:
    records = [Record(*row[:6], _aware(row[6])) for row in rows]
    return sorted(records, key=lambda r: (r.since is None, r.since or _EPOCH, r.id))


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def review_records(district_id: int) -> tuple[Listed, Listed]:
    """(waiting for review, returned and not yet answered): the oldest of each, and
    how many there are, in one query."""
    states = (ReviewState.SUBMITTED.value, ReviewState.RETURNED.value)
    rows = _queue_rows(district_id, states, LIST_LIMIT, counted=True)
    records = _records(rows)
    per_kind = {(row.kind, row.state): row.total for row in rows}
    totals = {state: sum(n for (_kind, s), n in per_kind.items() if s == state) for state in states}
    waiting, returned = (
        Listed([r for r in records if r.state == state][:LIST_LIMIT], totals[state])
        for state in states
    )
    return waiting, returned


def next_waiting(district_id: int, exclude: tuple[str, int] | None = None) -> Record | None:
    """The oldest record waiting for review other than ``exclude`` (kind, id): what a
    reviewer opens after an accept or a return."""
    for record in _records(_queue_rows(district_id, (ReviewState.SUBMITTED.value,), 2)):
        if (record.kind, record.id) != exclude:
            return record
    return None


@cache
def _deadline_statements():
    campaigns = select(
        literal("campaign"),
        Campaign.id,
        Campaign.title,
        Campaign.due_date,
        Campaign.expected_count - Campaign.submitted_count,
    ).where(
        Campaign.district_id == _DISTRICT,
        Campaign.due_date <= _HORIZON,
        (Campaign.due_date >= _TODAY) | (Campaign.submitted_count < Campaign.expected_count),
    )
    # Plans whose roadmaps are due: a roadmap neither submitted nor accepted is missing.
    missing = func.count(SchoolRoadmap.id).filter(
        SchoolRoadmap.status.in_([ReviewState.DRAFT.value, ReviewState.RETURNED.value])
    )
    plans = (
        select(literal("plan"), Plan.id, Plan.title, Plan.submit_by, missing)
        .join(SchoolRoadmap, SchoolRoadmap.plan_id == Plan.id, isouter=True)
        .where(
            Plan.district_id == _DISTRICT,
            Plan.status == PlanStatus.PUBLISHED.value,
            Plan.submit_by.is_not(None),
            Plan.submit_by <= _HORIZON,
        )
        .group_by(Plan.id, Plan.title, Plan.submit_by)
    )
    # Plan items due soon, with the schools that have not done them (kept per item and
    # due date as ``PlanItemDue.open_count``).
    items = (
        select(
            literal("item"),
            Plan.id,
            func.trim(func.coalesce(PlanItem.number, "") + " " + PlanItem.text),
            PlanItemDue.due_date,
            PlanItemDue.open_count,
        )
        .join(PlanItem, PlanItem.id == PlanItemDue.plan_item_id)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .where(
            PlanItem.district_id == _DISTRICT,
            Plan.status == PlanStatus.PUBLISHED.value,
            PlanItemDue.due_date >= _TODAY,
            PlanItemDue.due_date <= _HORIZON,
            PlanItemDue.open_count > 0,
        )
        .order_by(PlanItemDue.due_date, PlanItem.position)
        .limit(_LIMIT)
    )
    # Per plan, the schools with an item past its due date and not done (the roadmap
    # keeps its first open due date).
    overdue = (
        select(
            literal("roadmap_items"),
            Plan.id,
            Plan.title,
            func.min(SchoolRoadmap.first_open_due),
            func.count(),
        )
        .join(SchoolRoadmap, SchoolRoadmap.plan_id == Plan.id)
        .where(
            Plan.district_id == _DISTRICT,
            Plan.status == PlanStatus.PUBLISHED.value,
            SchoolRoadmap.first_open_due < _TODAY,
        )
        .group_by(Plan.id, Plan.title)
    )
    return union_all(
        campaigns.subquery().select(),
        plans.subquery().select(),
        items.subquery().select(),
        overdue.subquery().select(),
    )


def _deadlines(district_id: int, today: date) -> list[Deadline]:
    params = {
        "district": district_id,
        "today": today,
        "horizon": today + timedelta(days=HORIZON_DAYS),
        "limit": LIST_LIMIT,
    }
    out = []
    for kind, ident, title, due, missing in db.session.execute(_deadline_statements(), params):
        if isinstance(due, str):  # a literal-typed union column on SQLite
            due = date.fromisoformat(due)
        if kind == "plan" and not missing and due < today:
            continue  # every school submitted: nothing overdue
        out.append(Deadline(kind, ident, title, due, missing))
    return out


@cache
def _risk_statement():
    """The flagged schools of the latest year, most signs first: the markers are counted
    per school first, so each school's name is joined once rather than once a marker."""
    latest = (
        select(func.max(SchoolMarker.year))
        .where(SchoolMarker.district_id == _DISTRICT)
        .scalar_subquery()
    )
    signs = (
        select(
            SchoolMarker.year,
            SchoolMarker.school_id,
            func.count(SchoolMarker.id).label("n"),
        )
        .where(
            SchoolMarker.district_id == _DISTRICT,
            SchoolMarker.year == latest,
            SchoolMarker.flagged.is_(True),
        )
        .group_by(SchoolMarker.year, SchoolMarker.school_id)
        .subquery()
    )
    return (
        select(signs.c.year, School.id, _school_name(), signs.c.n, func.count().over())
        .join(School, School.id == signs.c.school_id)
        .order_by(signs.c.n.desc(), School.code)
        .limit(_LIMIT)
    )


def _risk(district_id: int) -> tuple[int | None, Listed]:
    """The schools flagged in the district's latest year, most signs first."""
    rows = db.session.execute(_risk_statement(), {"district": district_id, "limit": LIST_LIMIT})
    rows = rows.all()
    year = rows[0][0] if rows else None
    total = rows[0][4] if rows else 0
    return year, Listed([RiskSchool(sid, name, n) for _y, sid, name, n, _t in rows], total)


def district_home(district_id: int, today: date) -> Home:
    waiting, returned = review_records(district_id)
    deadlines = _deadlines(district_id, today)
    soon = sorted((d for d in deadlines if d.due >= today), key=lambda d: (d.due, d.title))
    overdue = sorted((d for d in deadlines if d.due < today), key=lambda d: (d.due, d.title))
    risk_year, risk = _risk(district_id)
    return Home(waiting, returned, soon, overdue, risk_year, risk)
