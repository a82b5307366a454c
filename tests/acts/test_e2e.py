"""A control act composed, previewed, issued and read in Chromium without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_roadmap_cycle import flash, log_in, log_out
from tests.fixtures.pdf import pdf_text

pytestmark = pytest.mark.e2e


def test_reviewer_composes_and_issues_an_act_without_javascript(control, page_nojs: Page):
    page = page_nojs
    log_in(page, control.reviewer.login)
    page.goto(f"/schools/{control.school.id}")
    page.click("text=Составить акт")
    page.click("button:has-text('Составить проект')")
    expect(page.locator("h1")).to_contain_text("Проект акта")
    # nothing but the prefill yet: the missing requisites are listed, no «Выдать» button
    expect(page.locator("#missing")).to_contain_text("номер приказа")
    expect(page.locator("#issue button:has-text('Выдать')")).to_have_count(0)
    page.fill("#order_number", "45-о")
    page.fill("#order_date", "2026-03-01")
    page.fill("#period_start", "2026-03-02")
    page.fill("#period_end", "2026-03-06")
    page.fill("#commission-0-post", "начальник отдела")
    page.fill("#conclusions", "Организация выполняет требования частично.")
    page.fill("#recommendations-0-text", "Разместить положение о ВСОКО на сайте")
    page.fill("#recommendations-0-deadline", "2026-06-01")
    page.fill("#recommendations-0-responsible", "Директор")
    page.click("button:has-text('Сохранить проект')")
    expect(flash(page)).to_contain_text("Проект сохранён")
    expect(page.locator("#missing")).to_have_count(0)
    page.click("#issue button:has-text('Выдать')")
    expect(flash(page)).to_contain_text("выдан")
    with page.expect_download() as download:
        page.click("text=Скачать (PDF)")
    path = download.value.path()
    assert "Организация выполняет требования частично." in pdf_text(path.read_bytes())
    assert download.value.suggested_filename.startswith("Акт_1-")
    log_out(page)
    log_in(page, control.head.login)
    page.goto(f"/schools/{control.school.id}/acts")
    expect(page.locator("#acts")).to_contain_text("№ 1-")
