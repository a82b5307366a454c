"""A methodist logs in, finds a school by typing, opens it and logs out, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intranet.auth.roles import Role
from tests.fixtures.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def district(make):
    reviewer = make.user(Role.DISTRICT_REVIEWER, login="metodist", full_name="Ковалёва Дарья")
    for n in range(1, 61):
        make.school(
            reviewer.district, code=f"s{n:03d}", short_name=f"СОШ № {n}", head_name=f"Директор {n}"
        )
    make.school(
        reviewer.district, code="g003", short_name="Гимназия № 3", head_name="Белова Наталья"
    )
    return reviewer


def test_login_search_as_you_type_and_logout(page, district):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/")
    assert "/login" in page.url
    page.fill("#login", "metodist")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Неверный логин или пароль."
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/district/")
    page.get_by_role("navigation").get_by_role("link", name="Организации", exact=True).click()
    page.wait_for_url("**/schools/")
    assert page.locator("h1").inner_text() == "Образовательные организации"
    assert "Показаны 1–50 из 61" in page.locator(".pager").inner_text()

    page.locator("#q").press_sequentially("гимн", delay=30)
    rows = page.locator("#school-list tbody tr")
    expect(rows).to_have_count(1)
    assert "Гимназия № 3" in page.locator("#school-list tbody").inner_text()
    assert (
        "q=%D0%B3%D0%B8%D0%BC%D0%BD" in page.url
    )  # the search is in the address, for back/forward
    page.locator("#q").fill("")
    page.locator("#q").dispatch_event("input")
    expect(rows).to_have_count(50)

    page.goto("/schools/?q=Белова")
    page.click("#school-list a:has-text('Гимназия № 3')")
    assert page.locator("h1").inner_text().startswith("Гимназия № 3")

    page.click("button:has-text('Выйти')")
    page.wait_for_url("**/login")
    assert "Вы вышли из системы." in page.content()
    page.goto("/schools/")
    assert "/login" in page.url
    assert errors == []


def test_everything_works_without_javascript(page_nojs, district):
    page = page_nojs
    page.goto("/login")
    page.fill("#login", "metodist")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/district/")
    page.get_by_role("navigation").get_by_role("link", name="Организации", exact=True).click()
    page.wait_for_url("**/schools/")
    page.fill("#q", "Белова")
    page.press("#q", "Enter")
    page.wait_for_url("**/schools/?q=*")
    assert page.locator("#school-list tbody tr").count() == 1
    page.click("button:has-text('Выйти')")
    page.wait_for_url("**/login")
