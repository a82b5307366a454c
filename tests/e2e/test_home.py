"""A methodist's day in Chromium: she lands on her home, sees what waits, opens the
oldest, accepts it and goes on to the next one waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.mixins import utcnow
from intranet.review import services as review
from intranet.review.models import ReviewEvent
from intranet.roadmaps.models import SchoolRoadmap
from tests.fixtures.factories import PASSWORD
from tests.fixtures.roadmaps import PAST

pytestmark = pytest.mark.e2e


@pytest.fixture
def day(make, plans):
    admin = make.user(Role.DISTRICT_ADMIN, full_name="Администратор")
    district = admin.district
    schools = [make.school(district, code=f"h{n}", short_name=f"СОШ № {n}") for n in (1, 2)]
    plan = plans.plan(
        admin, [{"number": "1", "text": "Анализ ВПР", "deadline_text": PAST}], title="План ВПР"
    )
    roadmaps = plans.publish(admin, plan)
    for n, school in enumerate(schools):
        head = make.user(Role.SCHOOL_HEAD, school=school)
        review.submit(head, roadmaps[school.id])
        # The second school submitted three days before the first.
        at = utcnow() - timedelta(days=1 + 2 * n)
        db.session.execute(
            update(ReviewEvent)
            .where(ReviewEvent.subject_id == roadmaps[school.id].id)
            .values(at=at)
        )
        db.session.execute(
            update(SchoolRoadmap)
            .where(SchoolRoadmap.id == roadmaps[school.id].id)
            .values(review_state_at=at)
        )
    db.session.commit()
    make.user(Role.DISTRICT_REVIEWER, district=district, login="metodist_day", full_name="Орлова")


def test_a_methodist_works_down_her_home(page, day):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    page.fill("#login", "metodist_day")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/district/")
    expect(page.locator("h1")).to_have_text("Сегодня")
    rows = page.locator("#waiting tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("СОШ № 2: дорожная карта «План ВПР»")
    expect(rows.nth(0)).to_contain_text("3 дн.")
    expect(rows.nth(1)).to_contain_text("СОШ № 1")
    expect(page.locator("#overdue")).to_contain_text("просрочены мероприятия — 2 ОО")
    page.screenshot(path="/tmp/day-home-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/day-home-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    rows.nth(0).get_by_role("link").click()
    page.wait_for_url("**/roadmaps/*")
    page.get_by_label("Проверено, принять без замечаний").check()
    page.get_by_role("button", name="Принять").click()
    expect(page.locator("#messages")).to_contain_text("Принято.")
    nxt = page.locator("#next-review")
    expect(nxt).to_contain_text("Следующая на проверке")
    nxt.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("СОШ № 1")
    expect(page.locator("#next-review")).to_have_count(0)

    page.goto("/district/")
    expect(page.locator("#waiting tbody tr")).to_have_count(1)
    page.get_by_role("navigation").get_by_role("link", name="Организации", exact=True).click()
    page.wait_for_url("**/schools/")
    assert errors == []
