"""The counts each roadmap keeps for the district's table always equal a fresh count."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, func, select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.roadmaps import services
from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap


def fresh_counts(plan_id: int, today: date) -> dict[int, tuple[int, int, int, int]]:
    done = RoadmapItem.status == "done"
    rows = db.session.execute(
        select(
            RoadmapItem.roadmap_id,
            func.count(RoadmapItem.id),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((RoadmapItem.status == "in_progress", 1), else_=0)),
            func.sum(case(((RoadmapItem.due_date < today) & ~done, 1), else_=0)),
        )
        .join(SchoolRoadmap, SchoolRoadmap.id == RoadmapItem.roadmap_id)
        .where(SchoolRoadmap.plan_id == plan_id)
        .group_by(RoadmapItem.roadmap_id)
    )
    return {r[0]: tuple(int(x) for x in r[1:]) for r in rows}


def fresh_item_counts(plan_id: int, today: date) -> dict[int, tuple[int, int, int]]:
    from intranet.roadmaps.models import PlanItem

    done = RoadmapItem.status == "done"
    rows = db.session.execute(
        select(
            RoadmapItem.plan_item_id,
            func.count(RoadmapItem.id),
            func.sum(case((done, 1), else_=0)),
            func.sum(case(((RoadmapItem.due_date < today) & ~done, 1), else_=0)),
        )
        .join(PlanItem, PlanItem.id == RoadmapItem.plan_item_id)
        .where(PlanItem.plan_id == plan_id)
        .group_by(RoadmapItem.plan_item_id)
    )
    return {r[0]: tuple(int(x) for x in r[1:]) for r in rows}


def kept_item_counts(plan, today: date) -> dict[int, tuple[int, int, int]]:
    return {
        r.plan_item_id: (r.schools, r.done, r.overdue)
        for r in services.execution_by_item(plan, today)
    }


def kept_counts(plan, today: date) -> dict[int, tuple[int, int, int, int]]:
    page = services.execution_by_school(plan, today, per_page=None)
    return {r.roadmap_id: (r.items, r.done, r.in_progress, r.overdue) for r in page.schools}


def test_counts_follow_every_change(make):
    admin = make.user(Role.DISTRICT_ADMIN)
    school, other = make.school(admin.district), make.school(admin.district)
    staff = make.user(Role.SCHOOL_STAFF, school=school)
    plan = services.create_plan(
        admin,
        admin.district_id,
        {"title": "План", "period_start": date(2024, 9, 1), "period_end": date(2025, 8, 31)},
    )
    for text, deadline in (("А", "сентябрь 2024"), ("Б", "май 2025"), ("В", "по графику")):
        services.add_plan_item(admin, plan, {"text": text, "deadline_text": deadline})
    services.publish(admin, plan)
    today = date(2024, 12, 1)
    assert kept_counts(plan, today) == fresh_counts(plan.id, today)

    roadmap = db.session.scalar(select(SchoolRoadmap).where(SchoolRoadmap.school_id == school.id))
    first, second = roadmap.items[0], roadmap.items[1]
    services.update_roadmap_item(staff, first, {"status": "in_progress"}, None)
    assert kept_counts(plan, today)[roadmap.id] == (3, 0, 1, 1)  # А is late in December
    services.update_roadmap_item(
        staff, first, {"status": "done", "done_on": date(2024, 9, 20)}, None
    )
    own = services.add_own_item(staff, roadmap, {"text": "Своё", "deadline_text": "ноябрь 2024"})
    assert kept_counts(plan, today)[roadmap.id] == (4, 1, 0, 1)  # the own item is late now
    services.update_roadmap_item(
        staff, second, {"deadline_text": "октябрь 2024", "status": "planned"}, None
    )
    assert kept_counts(plan, today)[roadmap.id] == (4, 1, 0, 2)
    services.delete_own_item(staff, own)
    assert kept_counts(plan, today) == fresh_counts(plan.id, today)
    # The per-item table keeps its own counts; they too equal a fresh count, on any day.
    for day in (today, date(2024, 9, 2), date(2025, 7, 1)):
        assert kept_item_counts(plan, day) == fresh_item_counts(plan.id, day)
    services.update_roadmap_item(staff, second, {"status": "done", "done_on": today}, None)
    services.update_roadmap_item(staff, first, {"status": "planned"}, None)
    for day in (today, date(2025, 7, 1)):
        assert kept_item_counts(plan, day) == fresh_item_counts(plan.id, day)
    # A rebuild from scratch gives the same counts.
    services.recount_plan_items(plan)
    db.session.commit()
    for day in (today, date(2025, 7, 1)):
        assert kept_item_counts(plan, day) == fresh_item_counts(plan.id, day)
    # Overdue is a matter of the day it is read.
    assert kept_counts(plan, date(2024, 9, 2))[roadmap.id][3] == 0
    assert kept_counts(plan, date(2025, 6, 1) + timedelta(days=1))[roadmap.id][3] == 1
    # Both schools are late with something in December (the other has not touched «А»).
    late = services.execution_by_school(plan, today, overdue_only=True, per_page=None)
    assert {r.school_id for r in late.schools} == {school.id, other.id}
    early = services.execution_by_school(plan, date(2024, 9, 2), overdue_only=True, per_page=None)
    assert early.schools == []
