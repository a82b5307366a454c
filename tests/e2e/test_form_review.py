"""Reviewing and filling a long form in Chromium: the 20-question ВСОКО checklist.

The reviewer's remark boxes stay closed until asked for, so the page is short; «Принять»
stands apart from the return and asks for confirmation. The school sees which required
questions are still without an answer as it answers, and without JavaScript a refused
value stays in its field, as typed, with the reason beside it and a summary on top.
Screenshots at 1280 and 390 px go to $INTRANET_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from intranet.auth.roles import Role
from intranet.inspections import builtin, services
from tests.e2e.test_roadmap_cycle import log_in
from tests.inspections.conftest import submission_of

pytestmark = pytest.mark.e2e

# The answers of the built-in ВСОКО form that make every required question answered
# (the «да» of a controlling question brings in its link or its count).
ANSWERS = {
    "vsoko_regulation": "yes",
    "vsoko_posted": "yes",
    "vsoko_url": "https://school.ru/docs/vsoko.pdf",
    "control_regulation": "yes",
    "control_posted": "yes",
    "control_url": "https://school.ru/docs/control.pdf",
    "vpr_regulation": "yes",
    "approved_on": "2025-08-30",
    "observers": "yes",
    "observers_schedule": "yes",
    "observers_count": "12",
    "video_admin": "yes",
    "video_check": "no",
    "no_conflict": "yes",
    "checking": "школьная предметная комиссия",
    "criteria": "yes",
    "trained_share": "85",
    "analysis": "yes",
    "procedures": ["ВПР", "ОГЭ"],
    "measures": "Перекрёстная проверка работ учителями параллели; наблюдатели из родителей.",
}


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("INTRANET_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def vsoko(make):
    admin = make.user(Role.DISTRICT_ADMIN, login="admin_uo", full_name="Смирнова Ольга")
    school = make.school(admin.district, code="s001", short_name="СОШ № 1")
    staff = make.user(Role.SCHOOL_STAFF, school=school, login="zavuch1", full_name="Петрова Анна")
    head = make.user(Role.SCHOOL_HEAD, school=school, login="director1", full_name="Иванов Пётр")
    make.user(
        Role.DISTRICT_REVIEWER, district=admin.district, login="metodist", full_name="Орлова Е."
    )
    template = next(
        t for t in builtin.install(admin, admin.district_id) if t.title.endswith("ВСОКО")
    )
    campaign = services.launch_campaign(
        admin, template.latest, "Самообследование ВСОКО", date.today() + timedelta(days=10)
    )
    sub = submission_of(campaign, school)
    return {"admin": admin, "staff": staff, "head": head, "sub": sub, "school": school}


def _fill(world) -> None:
    sub = world["sub"]
    specs = sub.specs
    for key, value in ANSWERS.items():
        assert key in specs, key
        services.save_answer(world["staff"], sub, key, value, sub.revision)


def _url(world, suffix: str = "") -> str:
    sub = world["sub"]
    return f"/schools/{sub.school_id}/forms/{sub.id}{suffix}"


def height(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_review_page_of_the_vsoko_form_is_short(page: Page, vsoko):
    _fill(vsoko)
    services.submit(vsoko["head"], vsoko["sub"])
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "metodist")
    page.goto(_url(vsoko))
    print("REVIEW HEIGHT", height(page))
    shot(page, "review-1280")
