"""The builder's condition picker in Chromium: the methodist picks the question a new one
depends on by its text, and one of that question's answers; with scripts the answers
follow the question picked, without them a button brings them. Keys stay out of sight."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from intranet.auth.roles import Role
from tests.e2e.test_roadmap_cycle import flash, log_in, watch

pytestmark = pytest.mark.e2e

CHECKERS = ["школьная предметная комиссия", "муниципальная комиссия", "учитель класса"]


def a_form_with_two_questions(page: Page, make) -> None:
    make.user(Role.DISTRICT_ADMIN, login="admin_uo", full_name="Смирнова Ольга")
    log_in(page, "admin_uo")
    page.get_by_role("navigation").get_by_role("link", name="Формы").click()
    page.fill("#title", "Объективность ВПР")
    page.get_by_role("button", name="Создать").click()
    page.wait_for_url(re.compile(r"/forms/\d+$"))
    page.fill("#section-title", "Проведение")
    page.get_by_role("button", name="Добавить раздел").click()
    for kind, label in (
        ("да / нет", "Наблюдатели привлекаются"),
        ("один из списка", "Кто проверяет работы"),
    ):
        page.select_option("#type", label=kind)
        page.fill("#label", label)
        if kind == "один из списка":
            page.fill("#options", "\n".join(CHECKERS))
        page.get_by_role("button", name="Добавить вопрос").click()
        expect(flash(page)).to_contain_text(f"Вопрос «{label}» добавлен.")


def options(page: Page, selector: str) -> list[str]:
    return page.locator(f"{selector} option").all_inner_texts()


def test_condition_picker_follows_the_question_picked(page: Page, make):
    seen = watch(page)
    a_form_with_two_questions(page, make)
    # Only earlier yes/no and choice questions, by their text.
    assert options(page, "#show_if_field") == [
        "всегда",
        "1.1. Наблюдатели привлекаются",
        "1.2. Кто проверяет работы",
    ]
    expect(page.locator("#show_if_equals")).to_be_disabled()
    page.select_option("#type", label="целое число")
    page.fill("#label", "Число наблюдателей")
    page.select_option("#show_if_field", label="1.1. Наблюдатели привлекаются")
    expect(page.locator("#show_if_equals option")).to_have_text(["да", "нет"])
    page.select_option("#show_if_field", label="1.2. Кто проверяет работы")
    expect(page.locator("#show_if_equals option")).to_have_text(CHECKERS)
    page.select_option("#show_if_equals", label="муниципальная комиссия")
    # The picker's redraw did not touch what was typed beside it.
    expect(page.locator("#label")).to_have_value("Число наблюдателей")
    page.get_by_role("button", name="Добавить вопрос").click()
    expect(flash(page)).to_contain_text("Вопрос «Число наблюдателей» добавлен.")
    row = page.locator("#builder tbody tr").nth(2)
    expect(row).to_contain_text("Число наблюдателей")
    expect(row).to_contain_text(
        "если на «1.2. Кто проверяет работы» ответили «муниципальная комиссия»"
    )
    # Keys: out of sight until asked for, then made from the text.
    expect(page.locator("#builder code")).to_have_count(0)
    page.get_by_role("link", name="Показать ключи").click()
    expect(page.locator("#builder code")).to_have_text(
        ["nabliudateli_privlekaiutsia", "kto_proveriaet_raboty", "chislo_nabliudatelei"]
    )
    # Editing the dependent question offers only the questions above it, picked as saved.
    row.get_by_role("link", name="Изменить").click()
    expect(page.locator("#edit-show_if_field")).to_have_value("kto_proveriaet_raboty")
    expect(page.locator("#edit-show_if_equals")).to_have_value("муниципальная комиссия")
    page.select_option("#edit-show_if_field", label="1.1. Наблюдатели привлекаются")
    expect(page.locator("#edit-show_if_equals option")).to_have_text(["да", "нет"])
    page.get_by_role("button", name="Сохранить вопрос").click()
    expect(flash(page)).to_contain_text("Вопрос «Число наблюдателей» сохранён.")
    expect(page.locator("#builder tbody tr").nth(2)).to_contain_text(
        "если на «1.1. Наблюдатели привлекаются» ответили «да»"
    )
    assert seen["errors"] == []


def test_condition_picker_without_javascript(page_nojs: Page, make):
    page = page_nojs
    a_form_with_two_questions(page, make)
    page.select_option("#type", label="короткий текст")
    page.fill("#label", "Кто входит в комиссию")
    page.select_option("#show_if_field", label="1.2. Кто проверяет работы")
    page.get_by_role("button", name="Показать ответы выбранного вопроса").click()
    expect(page.locator("#show_if_equals option")).to_have_text(CHECKERS)
    expect(page.locator("#label")).to_have_value("Кто входит в комиссию")
    page.select_option("#show_if_equals", label="школьная предметная комиссия")
    page.get_by_role("button", name="Добавить вопрос").click()
    expect(flash(page)).to_contain_text("Вопрос «Кто входит в комиссию» добавлен.")
    expect(page.locator("#builder tbody tr").nth(2)).to_contain_text(
        "если на «1.2. Кто проверяет работы» ответили «школьная предметная комиссия»"
    )
