"""Double actions on a roadmap and a plan, as real parallel requests (issue 12, item 2):
ten clicks at once make one event, and every loser gets the page the winner left behind,
never a 500."""

from __future__ import annotations

from sqlalchemy import select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.review import services as review
from intranet.review.models import ReviewEvent, Version
from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap
from tests.fixtures.live import Session, clicks
from tests.fixtures.roadmaps import PUBLISHED_ITEMS, count, fresh

CLICKS = 10


def actions_of(roadmap) -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        select(ReviewEvent.action)
        .where(ReviewEvent.subject_type == "roadmap", ReviewEvent.subject_id == roadmap.id)
        .order_by(ReviewEvent.id)
    ).all()


def _clicks(sessions, path: str, data: dict | None = None):
    return clicks(sessions, path, data, CLICKS)


def _all_back_on(answers, path: str) -> None:
    assert [a.status for a in answers] == [302] * CLICKS, [a.status for a in answers]
    assert all(a.location.split("#")[0].endswith(path) for a in answers)


def test_parallel_returns_make_one_return(live_server, published):
    review.submit(published.head, published.roadmap)
    district = [
        Session(live_server).login(published.reviewer),
        Session(live_server).login(published.admin),
    ]
    answers = _clicks(district, published.url("/return"), {"reason": "Нет подтверждений"})
    _all_back_on(answers, published.url())
    assert actions_of(published.roadmap) == ["submit", "return"]
    assert fresh(published.roadmap).status == "returned"
    # What a loser sees next is the returned roadmap, as after the winner's click.
    page = district[1].get(published.url())
    assert page.status == 200 and "Нет подтверждений" in page.text


def test_parallel_accepts_make_one_acceptance(live_server, published):
    review.submit(published.head, published.roadmap)
    district = [
        Session(live_server).login(published.reviewer),
        Session(live_server).login(published.admin),
    ]
    answers = _clicks(district, published.url("/accept"), {"confirmed": "y"})
    _all_back_on(answers, published.url())
    assert actions_of(published.roadmap) == ["submit", "accept"]
    assert fresh(published.roadmap).status == "accepted"


def test_parallel_submits_make_one_version(live_server, published):
    heads = [Session(live_server).login(published.head) for _ in range(2)]
    answers = _clicks(heads, published.url("/submit"))
    _all_back_on(answers, published.url())
    assert actions_of(published.roadmap) == ["submit"]
    assert count(Version, Version.subject_id == published.roadmap.id) == 1
    assert fresh(published.roadmap).status == "submitted"


def test_parallel_publishes_give_each_school_one_roadmap(live_server, make, plans):
    district = make.district()
    schools = [make.school(district) for _ in range(3)]
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    plan = plans.plan(admin, PUBLISHED_ITEMS, sections=("1. Анализ результатов",))
    admins = [Session(live_server).login(admin) for _ in range(2)]
    answers = _clicks(admins, f"/plans/{plan.id}/publish")
    _all_back_on(answers, f"/plans/{plan.id}")
    roadmaps = db.session.scalars(
        select(SchoolRoadmap.school_id).where(SchoolRoadmap.plan_id == plan.id)
    ).all()
    assert sorted(roadmaps) == sorted(s.id for s in schools)
    assert count(RoadmapItem, RoadmapItem.school_id == schools[0].id) == len(PUBLISHED_ITEMS)
