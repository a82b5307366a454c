"""The self-inspection cycle in Chromium, in Russian: the district admin builds a form with
a table and a conditional question, publishes it and launches a campaign; the school fills
it with autosave; the head submits; the district returns it with a remark on a question;
the school fixes it and resubmits; the district accepts and downloads the .xlsx."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from intranet.auth.roles import Role
from tests.e2e.test_roadmap_cycle import flash, log_in, log_out, watch

pytestmark = pytest.mark.e2e


def people(make) -> None:
    admin = make.user(Role.DISTRICT_ADMIN, login="admin_uo", full_name="Смирнова Ольга")
    school = make.school(admin.district, code="s001", short_name="СОШ № 1")
    make.school(admin.district, code="s002", short_name="СОШ № 2")
    make.user(Role.SCHOOL_STAFF, school=school, login="zavuch1", full_name="Петрова Анна")
    make.user(Role.SCHOOL_HEAD, school=school, login="director1", full_name="Иванов Пётр")
    make.user(Role.DISTRICT_REVIEWER, district=admin.district, login="metodist")


def add_field(page: Page, section: str, key: str | None, kind: str, label: str, **extra) -> None:
    """Add a question through the builder's form: its type, the condition and the table's
    columns are chosen from lists; the key is typed only when given (under «Ключ для
    выгрузок»), else made from the text."""
    page.select_option("#section", label=section)
    page.select_option("#type", kind)
    page.fill("#label", label)
    if key:
        page.locator("#new-field details.keys summary").click()
        page.fill("#key", key)
    for name, value in extra.items():
        if name == "required":
            page.check("#required")
        elif name == "show_if":
            question, answer = value
            page.select_option("#show_if_field", label=question)
            # htmx brings the answers of the question chosen.
            expect(page.locator("#show_if_equals")).to_contain_text(answer)
            page.select_option("#show_if_equals", label=answer)
        elif name == "columns":
            page.locator("#new-field details.table-columns summary").click()
            for n, (column, column_type) in enumerate(value):
                page.fill(f"#columns-{n}-label", column)
                page.select_option(f"#columns-{n}-type", label=column_type)
        else:
            page.fill(f"#{name}", value)
    page.get_by_role("button", name="Добавить вопрос").click()
    expect(flash(page)).to_contain_text(f"Вопрос «{label}» добавлен.")


def head_submits(page: Page, form_url: str, version: int) -> None:
    log_in(page, "director1")
    page.goto(form_url)
    page.get_by_role("button", name="Отправить в УО").click()
    expect(flash(page)).to_contain_text(f"Отправлено в управление образования (версия {version}).")


def saved(page: Page, key: str):
    return page.locator(f"#st-{key}")


def test_whole_cycle(page: Page, make):
    people(make)
    seen = watch(page)

    # -- the district admin builds, publishes and launches
    log_in(page, "admin_uo")
    page.get_by_role("navigation").get_by_role("link", name="Формы").click()
    page.fill("#title", "Самообследование ВСОКО")
    page.get_by_role("button", name="Создать").click()
    page.wait_for_url(re.compile(r"/forms/\d+$"))
    page.fill("#section-title", "Документы")
    page.get_by_role("button", name="Добавить раздел").click()
    add_field(
        page, "Документы", "posted", "yesno", "Положение о ВСОКО размещено на сайте", required="1"
    )
    add_field(
        page,
        "Документы",
        "link",
        "url",
        "Ссылка на Положение",
        required="1",
        show_if=("1.1. Положение о ВСОКО размещено на сайте", "да"),
    )
    add_field(page, "Документы", "trained", "integer", "Учителей обучено", max="200")
    add_field(
        page,
        "Документы",
        "classes",
        "table",
        "Классы",
        columns=[("Класс", "короткий текст"), ("Участников", "целое число")],
    )
    # A question is corrected in its place and the table moved above it.
    page.locator("#bf-trained").get_by_role("link", name="Изменить").click()
    page.fill("#edit-label", "Учителей обучено оцениванию")
    page.get_by_role("button", name="Сохранить вопрос").click()
    expect(flash(page)).to_contain_text("Вопрос «Учителей обучено оцениванию» сохранён.")
    page.locator("#bf-classes").get_by_role("button", name="Выше").click()
    expect(page.locator("#builder tbody tr")).to_have_count(4)
    order = page.locator("#builder tbody tr[id]").evaluate_all("rows => rows.map(r => r.id)")
    assert order == ["bf-posted", "bf-link", "bf-classes", "bf-trained"]
    # The keys stay out of sight; the condition reads as the question and its answer.
    expect(page.locator("#builder code")).to_have_count(0)
    expect(page.locator("#bf-link")).to_contain_text(
        "если на «1.1. Положение о ВСОКО размещено на сайте» ответили «да»"
    )
    page.get_by_role("button", name="Опубликовать").click()
    expect(flash(page)).to_contain_text("Версия 1 опубликована.")
    assert any("Опубликовать эту версию" in d for d in seen["dialogs"])
    page.get_by_role("link", name="Запустить кампанию").click()
    page.fill("#due_date", (date.today() + timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Запустить").click()
    expect(flash(page)).to_contain_text("Кампания запущена: организаций — 2.")
    log_out(page)

    # -- the school fills with autosave
    log_in(page, "zavuch1")
    expect(page.locator("#school-forms")).to_contain_text("Новая форма для заполнения")
    page.locator("#school-forms").get_by_role("link", name="Самообследование ВСОКО").click()
    page.wait_for_url(re.compile(r"/forms/\d+$"))
    form_url = page.url
    expect(page.locator("#fw-link")).to_be_hidden()
    page.get_by_role("radio", name="да").check()
    expect(saved(page, "posted")).to_contain_text("сохранено")
    expect(page.locator("#fw-link")).to_be_visible()
    page.locator("#fw-trained input").fill("500")
    expect(saved(page, "trained")).to_contain_text("Не более 200")
    page.locator("#fw-trained input").fill("12")
    expect(saved(page, "trained")).to_contain_text("сохранено")
    page.locator("#fw-link input").fill("https://school1.ru/old.pdf")
    expect(saved(page, "link")).to_contain_text("сохранено")
    page.get_by_role("button", name="Добавить строку").click()
    # htmx binds the new row's inputs while it settles; type once it has.
    expect(page.locator("#fw-classes tbody input")).to_have_count(2)
    expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0)
    cell = page.locator("#fw-classes tbody tr").first.locator("input").first
    cell.fill("5а")
    expect(page.locator("#fw-classes .status").first).to_contain_text("сохранено")
    # Nothing typed is lost: a reload shows what was saved.
    page.reload()
    expect(page.locator("#fw-trained input")).to_have_value("12")
    expect(page.locator("#fw-classes tbody tr").first.locator("input").first).to_have_value("5а")
    log_out(page)

    # -- the head submits
    head_submits(page, form_url, 1)
    expect(page.locator("#fw-link input")).to_have_count(0)
    log_out(page)

    # -- the reviewer returns with a remark on one question
    log_in(page, "metodist")
    page.goto(form_url)
    page.locator("#fw-link").get_by_text("Замечание к вопросу").click()
    page.locator("#fw-link textarea").fill("Ссылка не открывается")
    page.fill("#reason", "Исправьте ссылку")
    page.get_by_role("button", name="Вернуть на доработку").click()
    expect(flash(page)).to_contain_text("Возвращено")
    log_out(page)

    # -- the school fixes it, the head resubmits
    log_in(page, "zavuch1")
    page.goto(form_url)
    expect(page.locator("#fw-link .remark")).to_contain_text("Ссылка не открывается")
    page.locator("#fw-link input").fill("https://school1.ru/vsoko.pdf")
    expect(saved(page, "link")).to_contain_text("сохранено")
    log_out(page)
    head_submits(page, form_url, 2)
    log_out(page)

    # -- the reviewer accepts, compares, exports
    log_in(page, "metodist")
    page.goto(form_url)
    page.get_by_label("Проверено, принять без замечаний").check()
    page.get_by_role("button", name="Принять").click()
    expect(flash(page)).to_contain_text("Принято")
    page.get_by_role("link", name="Версии и проверка").click()
    expect(page.locator("table.diff")).to_contain_text("https://school1.ru/vsoko.pdf")
    page.get_by_role("navigation").get_by_role("link", name="Кампании").click()
    expect(page.locator("table.matrix")).to_contain_text("1 / 2 (50%)")
    page.get_by_role("link", name="Самообследование ВСОКО").first.click()
    expect(page.locator("table.consolidated")).to_contain_text("https://school1.ru/vsoko.pdf")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать .xlsx").click()
    wb = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert wb.sheetnames == ["Ответы", "1. Классы", "Вопросы"]
    assert seen["errors"] == []


def test_school_fills_and_submits_without_javascript(page_nojs, make):
    """Old PCs with scripts off: every answer is saved by the «Сохранить» button, a table
    row is added, a bad value is shown beside its field, and the head submits."""
    from intranet.inspections import services
    from tests.inspections.conftest import SCHEMA

    page = page_nojs
    people(make)
    from intranet.auth.models import User
    from intranet.extensions import db

    admin = db.session.scalar(db.select(User).where(User.login == "admin_uo"))
    template = services.create_template(admin, admin.district_id, "Самообследование", "", SCHEMA)
    services.publish_version(admin, template.latest)
    services.launch_campaign(
        admin, template.latest, "Самообследование", date.today() + timedelta(days=10)
    )
    seen = watch(page)

    log_in(page, "zavuch1")
    page.locator("#school-forms").get_by_role("link", name="Самообследование").click()
    page.wait_for_url(re.compile(r"/forms/\d+$"))
    form_url = page.url
    page.locator("#fw-posted").get_by_role("radio", name="да").check()
    page.locator("#fw-count input").fill("500")
    page.locator("#fw-note textarea").fill("Наблюдатели были на всех ВПР")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    # The bad number is refused beside its field; the other answers are saved.
    expect(page.locator("#fw-count")).to_contain_text("Не более 100")
    page.goto(form_url)
    expect(page.locator("#fw-note textarea")).to_have_value("Наблюдатели были на всех ВПР")
    expect(page.locator("#fw-count input")).to_have_value("")
    # Without scripts the condition is applied on the next page: the link is asked now.
    page.locator("#fw-link input").fill("https://school1.ru/vsoko.pdf")
    page.locator("#fw-count input").fill("12")
    page.get_by_role("button", name="Добавить строку").click()
    expect(page.locator("#fw-classes tbody tr").first.locator("input")).to_have_count(2)
    # What was typed before the row was added was saved on the way.
    expect(page.locator("#fw-count input")).to_have_value("12")
    page.locator("#fw-classes tbody tr").first.locator("input").first.fill("5а")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(flash(page)).to_contain_text("Сохранено.")
    expect(page.locator("#fw-count input")).to_have_value("12")
    expect(page.locator("#fw-classes tbody tr").first.locator("input").first).to_have_value("5а")
    log_out(page)

    head_submits(page, form_url, 1)
    expect(page.locator("#fw-link")).to_contain_text("https://school1.ru/vsoko.pdf")
    # The one failed request was the refused number (422), answered with its message.
    assert [e for e in seen["errors"] if "422" not in e] == []
