"""The district staff's home: what waits for review, deadlines, overdue schools, returns
and the risk zone, each line leading where the work is done; query count independent of
the number of schools; «следующая на проверке» on the review pages."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.mixins import utcnow
from intranet.objectivity.models import SchoolMarker
from intranet.review import services as review
from intranet.review.models import ReviewEvent
from intranet.roadmaps.models import SchoolRoadmap
from tests.fixtures.roadmaps import PAST, element, text_of
from tests.inspections.conftest import SCHEMA, launch, submission_of
from tests.perf import count_queries

ITEMS = [
    {"number": "1", "text": "Провести анализ результатов ВПР", "deadline_text": PAST},
    {"number": "2", "text": "Обсудить на педсовете", "deadline_text": "по итогам ВПР"},
]


def _district(make, plans, n_schools: int, code: str):
    """A district with ``n_schools`` schools, a published plan and a form campaign due in
    five days; the first school's head submits both, the second's is returned."""
    admin = make.user(Role.DISTRICT_ADMIN, full_name="Администратор")
    district = admin.district
    schools = [
        make.school(district, code=f"{code}{n:03d}", short_name=f"СОШ № {n}")
        for n in range(1, n_schools + 1)
    ]
    plan = plans.plan(
        admin, ITEMS, title="Дорожная карта ВПР", submit_by=date.today() + timedelta(days=3)
    )
    roadmaps = plans.publish(admin, plan)
    template = inspections.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    inspections.publish_version(admin, template.latest)
    campaign = launch(admin, template, due=date.today() + timedelta(days=5))
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district, full_name="Методист")
    heads = [make.user(Role.SCHOOL_HEAD, school=s) for s in schools[:2]]
    review.submit(heads[0], roadmaps[schools[0].id])
    review.submit(heads[1], roadmaps[schools[1].id])
    review.return_for_revision(reviewer, roadmaps[schools[1].id], "Нет сроков")
    sub = submission_of(campaign, schools[0])
    inspections.save_all(heads[0], sub, {"posted": "no", "count": "3"}, sub.revision)
    inspections.submit(heads[0], sub)
    return {
        "district": district,
        "reviewer": reviewer,
        "schools": schools,
        "plan": plan,
        "campaign": campaign,
        "roadmaps": roadmaps,
        "sub": sub,
    }


def _age(subject, days: int) -> None:
    """Pretend a record's review events, and so its last change of state, happened
    ``days`` ago."""
    at = utcnow() - timedelta(days=days)
    db.session.execute(
        update(ReviewEvent)
        .where(
            ReviewEvent.subject_type == subject.review_type, ReviewEvent.subject_id == subject.id
        )
        .values(at=at)
    )
    db.session.execute(
        update(type(subject)).where(type(subject).id == subject.id).values(review_state_at=at)
    )
    db.session.commit()


def test_district_staff_land_on_their_home_and_keep_the_school_list(client, make, login_as):
    reviewer = make.user(Role.DISTRICT_REVIEWER)
    login_as(reviewer)
    assert client.get("/").headers["Location"].endswith("/district/")
    page = text_of(client.get("/district/"))
    assert 'href="/schools/"' in page  # the school list, from the menu
    assert "Ничего не ждёт проверки." in page


def test_the_home_is_for_district_staff_only(client, make, login_as):
    school_head = make.user(Role.SCHOOL_HEAD)
    login_as(school_head)
    assert client.get("/district/").status_code == 403
    assert client.get("/").headers["Location"].endswith(f"/schools/{school_head.school_id}")


def test_what_waits_oldest_first_with_how_long(client, make, plans, login_as):
    world = _district(make, plans, 3, "w")
    roadmap = world["roadmaps"][world["schools"][0].id]
    _age(roadmap, 2)
    _age(world["sub"], 6)
    login_as(world["reviewer"])
    html = text_of(client.get("/district/"))
    waiting = element(html, "waiting").text_content()
    assert "Ждут проверки 2" in " ".join(waiting.split())
    form_at = waiting.index("СОШ № 1: форма «Самообследование»")
    roadmap_at = waiting.index("СОШ № 1: дорожная карта «Дорожная карта ВПР»")
    assert form_at < roadmap_at  # six days waiting comes before two
    assert "6 дн." in waiting and "2 дн." in waiting
    links = [a.get("href") for a in element(html, "waiting").iter("a")]
    assert links == [
        f"/schools/{world['sub'].school_id}/forms/{world['sub'].id}",
        f"/schools/{roadmap.school_id}/roadmaps/{roadmap.id}",
    ]


def test_returns_not_yet_answered(client, make, plans, login_as):
    world = _district(make, plans, 3, "r")
    returned = world["roadmaps"][world["schools"][1].id]
    login_as(world["reviewer"])
    html = text_of(client.get("/district/"))
    block = element(html, "returned")
    assert "СОШ № 2: дорожная карта «Дорожная карта ВПР»" in block.text_content()
    assert [a.get("href") for a in block.iter("a")] == [
        f"/schools/{returned.school_id}/roadmaps/{returned.id}"
    ]
    assert "СОШ № 2" not in element(html, "waiting").text_content()


def test_deadlines_of_two_weeks_and_overdue_schools(client, make, plans, login_as):
    world = _district(make, plans, 3, "d")
    login_as(world["reviewer"])
    html = text_of(client.get("/district/"))
    soon = " ".join(element(html, "soon").text_content().split())
    due_form = (date.today() + timedelta(days=5)).strftime("%d.%m.%Y")
    due_plan = (date.today() + timedelta(days=3)).strftime("%d.%m.%Y")
    # Three schools got the form, one submitted; of three roadmaps one waits, one returned.
    assert f"{due_form} — форма «Самообследование»: не отправили — 2 ОО" in soon
    assert f"{due_plan} — дорожные карты «Дорожная карта ВПР»: не отправили — 2 ОО" in soon
    assert soon.index(due_plan) < soon.index(due_form)
    hrefs = [a.get("href") for a in element(html, "soon").iter("a")]
    assert f"/campaigns/{world['campaign'].id}" in hrefs
    overdue = " ".join(element(html, "overdue").text_content().split())
    # Item 1 was due on 15.10.2025 and no school has done it.
    assert "с 15.10.2025 — дорожные карты «Дорожная карта ВПР»: просрочены мероприятия — 3 ОО" in (
        overdue
    )
    hrefs = [a.get("href") for a in element(html, "overdue").iter("a")]
    assert f"/plans/{world['plan'].id}/execution?overdue=1" in hrefs


def test_risk_zone_lists_the_schools_flagged_in_the_latest_year(client, make, plans, login_as):
    world = _district(make, plans, 3, "k")
    district, schools = world["district"], world["schools"]
    for school, year, flagged in (
        (schools[0], 2024, True),
        (schools[1], 2023, True),  # an older year: not in the zone now
        (schools[2], 2024, False),
    ):
        db.session.add(
            SchoolMarker(
                district_id=district.id,
                school_id=school.id,
                year=year,
                subject="Математика",
                grade=5,
                code="fioko_high",
                flagged=flagged,
            )
        )
    db.session.commit()
    login_as(world["reviewer"])
    block = element(text_of(client.get("/district/")), "risk")
    text = " ".join(block.text_content().split())
    assert "Зона риска, 2024 1" in text
    assert "СОШ № 1: признаков необъективности — 1" in text
    assert "СОШ № 2" not in text and "СОШ № 3" not in text
    assert f"/objectivity/schools/{schools[0].id}?year=2024" in [
        a.get("href") for a in block.iter("a")
    ]


def test_home_queries_do_not_grow_with_the_number_of_schools(app, client, make, plans, login_as):
    few = _district(make, plans, 3, "f")
    many = _district(make, plans, 20, "m")
    counts = []
    for world in (few, many):
        login_as(world["reviewer"])
        assert client.get("/district/").status_code == 200
        counts.append(count_queries(app, lambda: client.get("/district/")))
    assert counts[0] == counts[1]


def test_review_pages_offer_the_next_one_waiting(client, make, plans, login_as):
    world = _district(make, plans, 3, "n")
    roadmap = world["roadmaps"][world["schools"][0].id]
    sub = world["sub"]
    _age(sub, 4)  # the form waits longest
    login_as(world["reviewer"])
    roadmap_url = f"/schools/{roadmap.school_id}/roadmaps/{roadmap.id}"
    # While it waits for review, the page offers nothing else.
    assert "Следующая на проверке" not in text_of(client.get(roadmap_url))
    response = client.post(roadmap_url + "/accept", data={"confirmed": "y"}, follow_redirects=True)
    html = text_of(response)
    assert "Принято." in html
    nxt = element(html, "next-review")
    assert "СОШ № 1: форма «Самообследование»" in nxt.text_content()
    assert [a.get("href") for a in nxt.iter("a")] == [f"/schools/{sub.school_id}/forms/{sub.id}"]
    # The form returned, nothing else waits: no offer.
    response = client.post(
        f"/schools/{sub.school_id}/forms/{sub.id}/return",
        data={"reason": "Уточните ответы"},
        follow_redirects=True,
    )
    html = text_of(response)
    assert "Возвращено в ОО на доработку." in html
    assert "Следующая на проверке" not in html
    db.session.expire_all()
    assert db.session.get(SchoolRoadmap, roadmap.id).status == "accepted"


def test_a_long_queue_shows_the_oldest_and_says_how_many(
    client, make, plans, login_as, monkeypatch
):
    from intranet.home import services as home

    world = _district(make, plans, 4, "q")
    heads = [make.user(Role.SCHOOL_HEAD, school=s) for s in world["schools"][2:]]
    for head, school in zip(heads, world["schools"][2:], strict=True):
        review.submit(head, world["roadmaps"][school.id])
    monkeypatch.setattr(home, "LIST_LIMIT", 2)
    login_as(world["reviewer"])
    block = element(text_of(client.get("/district/")), "waiting")
    # Four waiting: three roadmaps and a form; the two longest waiting are listed.
    assert len(block.xpath(".//tbody/tr")) == 2
    assert "Показаны 2 самых давних из 4." in " ".join(block.text_content().split())


def test_review_keeps_when_a_record_entered_its_state(make, plans):
    world = _district(make, plans, 2, "t")
    waiting = world["roadmaps"][world["schools"][0].id]
    returned = world["roadmaps"][world["schools"][1].id]
    events = {
        e.subject_id: e.at
        for e in db.session.scalars(
            select(ReviewEvent)
            .where(ReviewEvent.subject_type == "roadmap")
            .order_by(ReviewEvent.id)
        )
    }
    assert db.session.get(SchoolRoadmap, waiting.id).review_state_at == events[waiting.id]
    assert db.session.get(SchoolRoadmap, returned.id).review_state_at == events[returned.id]
    review.accept(world["reviewer"], waiting)
    assert db.session.get(SchoolRoadmap, waiting.id).review_state_at > events[waiting.id]
