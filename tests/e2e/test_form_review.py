"""Reviewing and filling a long form in Chromium: the 20-question ВСОКО checklist.

The reviewer's remark boxes stay closed until asked for, so the page is short; «Принять»
stands apart from the return and asks for confirmation. The school sees which required
questions are still without an answer as it answers, and without JavaScript a refused
value stays in its field, as typed, with the reason beside it and a summary on top.
Screenshots at 1280 and 390 px go to $INTRANET_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import builtin, services
from intranet.inspections.models import Submission
from tests.e2e.test_roadmap_cycle import flash, log_in, watch
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


def fresh(sub) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, sub.id)


def both_widths(page: Page, name: str) -> None:
    """Full-page screenshots at 1280 and 390 px (a head of school on a phone); at 390
    no question (nor the review's blocks) is wider than the screen."""
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-390")
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.qfield:not([hidden]), .card')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 390, widest
    page.set_viewport_size({"width": 1280, "height": 900})


def test_review_page_of_the_vsoko_form_is_short(page: Page, vsoko):
    """Before: every question carried an open remark box, 4,100 px for 20 questions."""
    _fill(vsoko)
    services.submit(vsoko["head"], vsoko["sub"])
    seen = watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "metodist")
    page.goto(_url(vsoko))
    expect(page.locator(".qfield")).to_have_count(20)
    assert height(page) < 2000, height(page)
    # Every remark box is closed; one opens on demand and its remark goes with the return.
    boxes = page.locator("details.remark-input")
    expect(boxes).to_have_count(20)
    expect(page.locator("details.remark-input[open]")).to_have_count(0)
    expect(page.locator("#fw-vsoko_url textarea")).to_be_hidden()
    both_widths(page, "review")

    # «Принять» is in a block of its own, below the return and apart from it.
    returned = page.locator("#review").bounding_box()
    accept = page.locator("#accept").bounding_box()
    assert accept["y"] >= returned["y"] + returned["height"] + 16
    expect(page.locator("#return-form").get_by_role("button", name="Принять")).to_have_count(0)
    # Pressed without the tick, nothing is sent: the box asks for it.
    page.get_by_role("button", name="Принять").click()
    assert page.evaluate(
        "document.querySelector('#accept input[name=confirmed]').validity.valueMissing"
    )
    assert fresh(vsoko["sub"]).status == "submitted"

    # The reviewer starts a return: forgets the reason; her remark stays as typed.
    page.locator("#fw-vsoko_url").get_by_text("Замечание к вопросу").click()
    page.locator("#fw-vsoko_url textarea").fill("Ссылка ведёт на старую редакцию")
    page.get_by_role("button", name="Вернуть на доработку").click()
    expect(flash(page)).to_contain_text("Не возвращено: укажите, что нужно исправить")
    expect(page.locator("#fw-vsoko_url details")).to_have_attribute("open", "")
    expect(page.locator("#fw-vsoko_url textarea")).to_have_value("Ссылка ведёт на старую редакцию")
    expect(page.locator("details.remark-input[open]")).to_have_count(1)
    assert fresh(vsoko["sub"]).status == "submitted"
    # She changes her mind: ticks and accepts instead; the remark goes nowhere.
    page.get_by_label("Проверено, принять без замечаний").check()
    page.get_by_role("button", name="Принять").click()
    expect(flash(page)).to_contain_text("Принято.")
    assert fresh(vsoko["sub"]).status == "accepted"
    expect(page.get_by_role("button", name="Принять")).to_have_count(0)
    assert [e for e in seen["errors"] if "422" not in e] == []


def test_required_list_follows_the_answers(page: Page, vsoko):
    """With scripts: the list of required questions without an answer and the mark
    beside each question change as the school answers, without a reload."""
    seen = watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "zavuch1")
    page.goto(_url(vsoko))
    expect(page.get_by_text("Ответы сохраняются сами")).to_be_visible()
    items = page.locator("#missing-list li")
    expect(items).to_have_count(13)
    expect(page.locator("#mk-vsoko_regulation")).to_have_text("нет ответа")
    expect(page.locator("#missing-list")).to_contain_text("Положение о ВСОКО утверждено")

    page.locator("#fw-vsoko_regulation").get_by_role("radio", name="да").check()
    expect(page.locator("#st-vsoko_regulation")).to_contain_text("сохранено")
    expect(items).to_have_count(12)
    expect(page.locator("#missing-list")).not_to_contain_text("Положение о ВСОКО утверждено")
    expect(page.locator("#mk-vsoko_regulation")).to_have_text("")

    # «да» brings in a required link: it joins the list, and leaves it once given.
    page.locator("#fw-vsoko_posted").get_by_role("radio", name="да").check()
    expect(page.locator("#fw-vsoko_url")).to_be_visible()
    expect(items).to_have_count(12)
    expect(page.locator("#missing-list")).to_contain_text("Ссылка на Положение о ВСОКО")
    expect(page.locator("#mk-vsoko_url")).to_have_text("нет ответа")
    page.locator("#fw-vsoko_url input").fill("https://school.ru/vsoko.pdf")
    expect(page.locator("#st-vsoko_url")).to_contain_text("сохранено")
    expect(items).to_have_count(11)
    expect(page.locator("#mk-vsoko_url")).to_have_text("")
    # A value the form cannot take keeps the question on the list, with its reason.
    page.locator("#fw-trained_share input").fill("120")
    expect(page.locator("#st-trained_share")).to_contain_text("Не более 100")
    expect(page.locator("#missing-list")).to_contain_text("Доля учителей")
    both_widths(page, "fill")

    # The rest answered: the list says so.
    _fill(vsoko)
    page.reload()
    expect(page.locator("#missing-list")).to_have_text("На все обязательные вопросы есть ответы.")
    assert [e for e in seen["errors"] if "422" not in e] == []


def test_a_refused_value_stays_as_typed_without_javascript(page_nojs: Page, vsoko):
    """Scripts off: «Сохранить» posts everything; a refused value stays in its field as
    typed, with its reason beside it and a summary on top; the rest is saved. Saved, the
    page is fetched again (a reload does not post twice)."""
    page = page_nojs
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "zavuch1")
    page.goto(_url(vsoko))
    url = page.url
    # (Playwright's text search skips <noscript>: its paragraph is found by its class.)
    note = page.locator("noscript p.autosave-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Чтобы сохранить ответы, нажмите «Сохранить»")
    expect(page.locator("p.autosave-note[data-needs-js]")).to_be_hidden()
    page.locator("#fw-vsoko_regulation").get_by_role("radio", name="да").check()
    page.locator("#fw-trained_share input").fill("120,5")
    page.locator("#fw-measures textarea").fill("Перекрёстная проверка")
    page.get_by_role("button", name="Сохранить", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Не сохранено ответов: 1")
    expect(
        summary.get_by_role("link", name="Доля учителей, прошедших обучение по оцениванию, %")
    ).to_have_attribute("href", "#fw-trained_share")
    expect(page.locator("#fw-trained_share input")).to_have_value("120,5")
    expect(page.locator("#fw-trained_share .error")).to_contain_text("Не более 100")
    # The other answers are saved, and shown as saved.
    answers = fresh(vsoko["sub"]).answers
    assert answers["vsoko_regulation"] == "yes" and answers["measures"] == "Перекрёстная проверка"
    assert "trained_share" not in answers
    expect(page.locator("#fw-measures textarea")).to_have_value("Перекрёстная проверка")
    expect(page.locator("#missing-list")).not_to_contain_text("Положение о ВСОКО утверждено")
    shot(page, "fill-nojs-errors-1280")

    page.locator("#fw-trained_share input").fill("85")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(flash(page)).to_contain_text("Сохранено.")
    assert re.sub(r"#.*", "", page.url) == url  # redirected to the page itself
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#fw-trained_share input")).to_have_value("85")
    revision = fresh(vsoko["sub"]).revision
    page.reload()
    expect(page.locator("#fw-trained_share input")).to_have_value("85")
    assert fresh(vsoko["sub"]).revision == revision
