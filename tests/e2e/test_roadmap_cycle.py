"""The roadmap cycle in Chromium, as its users walk it, in Russian.

The district admin imports the order (.docx), corrects an item inline and publishes the
plan; a school reports progress with a file; the head submits, the district returns with
remarks, the head fixes and resubmits, the district accepts and compares the versions;
and the same edit works with JavaScript off.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.roadmaps import services
from intranet.roadmaps.models import Plan, SchoolRoadmap
from intranet.roadmaps.plan_import import parse_plan
from tests.fixtures.factories import PASSWORD
from tests.roadmaps import plan_fixtures as fx

pytestmark = pytest.mark.e2e

SEED_ITEMS = 20  # seed 000: 14 items in section 1, 6 in section 2
PUBLISH_QUESTION = (
    "Опубликовать план? Каждая организация получит свою дорожную карту, "
    "а план больше нельзя будет изменить."
)
SUBMIT_QUESTION = (
    "Отправить дорожную карту в управление образования? До проверки её нельзя будет изменить."
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


# ------------------------------------------------------------------------------ helpers


def watch(page: Page) -> dict[str, list]:
    """Console errors, uncaught exceptions, dialogs (accepted) and main-frame navigations."""
    seen: dict[str, list] = {"errors": [], "dialogs": [], "navigations": []}
    page.on(
        "console",
        lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: seen["errors"].append(f"pageerror: {exc}"))

    def on_dialog(dialog) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    page.on(
        "framenavigated",
        lambda frame: seen["navigations"].append(frame.url) if frame == page.main_frame else None,
    )
    return seen


def log_in(page: Page, login: str) -> None:
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def log_out(page: Page) -> None:
    page.click("button:has-text('Выйти')")
    page.wait_for_url("**/login")


def flash(page: Page):
    return page.locator("#messages")


def people(make):
    """A district with two schools, their staff and head, a reviewer and an admin."""
    admin = make.user(Role.DISTRICT_ADMIN, login="admin_uo", full_name="Смирнова Ольга")
    district = admin.district
    school = make.school(district, code="s001", short_name="СОШ № 1")
    make.school(district, code="s002", short_name="СОШ № 2")
    make.user(Role.SCHOOL_STAFF, school=school, login="zavuch1", full_name="Петрова Анна")
    make.user(Role.SCHOOL_HEAD, school=school, login="director1", full_name="Иванов Пётр")
    make.user(Role.DISTRICT_REVIEWER, district=district, login="metodist", full_name="Ковалёва")
    return {"district_id": district.id, "school_id": school.id}


def seed_plan(district_id: int, *, publish: bool) -> Plan:
    """Seed 000 (order № 216) saved as the importer saves it; published when asked."""
    parsed = parse_plan(fx.seed_000_docx(), "Приказ № 216.docx")
    plan = services.import_plan(
        None,
        district_id,
        parsed,
        {
            "title": parsed.title,
            "order_number": parsed.order_number,
            "order_date": parsed.order_date,
            "period_start": parsed.period[0],
            "period_end": parsed.period[1],
            "submit_by": date(2023, 9, 15),
        },
    )
    if publish:
        services.publish(None, plan)
    return plan


def school_roadmap(plan: Plan, school_id: int) -> dict:
    roadmap = db.session.scalar(
        select(SchoolRoadmap).where(
            SchoolRoadmap.plan_id == plan.id, SchoolRoadmap.school_id == school_id
        )
    )
    return {
        "id": roadmap.id,
        "items": {i.number: (i.id, i.uuid, i.text) for i in roadmap.items},
    }


def open_own_roadmap(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Моя организация").click()
    page.get_by_role("link", name="ПЛАН МЕРОПРИЯТИЙ", exact=False).click()
    page.wait_for_url("**/roadmaps/*")
    expect(page.locator("h1")).to_have_text("Дорожная карта: СОШ № 1")


def badge(page: Page):
    return page.locator("p.muted .badge").first


# -------------------------------------------------------------------------------- tests


def test_admin_imports_the_order_from_word(page, make, tmp_path):
    people(make)
    order = tmp_path / "Приказ № 216 от 31.08.2023.docx"
    order.write_bytes(fx.seed_000_docx())
    seen = watch(page)

    log_in(page, "admin_uo")
    page.get_by_role("navigation").get_by_role("link", name="Планы").click()
    expect(page.locator("h1")).to_have_text("Планы (дорожные карты)")
    expect(page.locator("table.grid tbody")).to_contain_text("Планов пока нет")
    page.get_by_role("link", name="Загрузить из приказа").click()
    page.wait_for_url("**/plans/import")
    page.set_input_files("input[type=file]", str(order))
    page.get_by_role("button", name="Прочитать файл").click()
    page.wait_for_url("**/plans/import/*")

    expect(page.locator("h1")).to_have_text(
        "Предварительный просмотр: Приказ № 216 от 31.08.2023.docx"
    )
    expect(page.locator("section.card")).to_contain_text(
        f"Найдено разделов: 2, мероприятий: {SEED_ITEMS}."
    )
    expect(page.locator("#order_number")).to_have_value("216")
    expect(page.locator("#order_date")).to_have_value("2023-08-31")
    expect(page.locator("#period_start")).to_have_value("2023-09-01")
    expect(page.locator("#period_end")).to_have_value("2024-08-31")
    expect(page.locator("#title")).to_have_value(
        "ПЛАН МЕРОПРИЯТИЙ («ДОРОЖНАЯ КАРТА») по повышению объективности оценочных процедур "
        "в общеобразовательных учреждениях Артемовского городского округа на 2023-2024 "
        "учебный год"
    )
    preview = page.locator("table.grid tbody")
    expect(preview.locator("tr.section-row")).to_have_count(2)
    expect(preview.locator("tr:not(.section-row)")).to_have_count(SEED_ITEMS)
    first = preview.locator("tr:not(.section-row)").first
    expect(first).to_contain_text("1.1")
    expect(first).to_contain_text("Осуществление анализа объективности")
    expect(first.locator(".parsed")).to_have_text("01.09.2023–30.09.2023")
    expect(preview.locator("tr.section-row").nth(1)).to_contain_text(
        "2. Меры по формированию у участников образовательных отношений"
    )

    page.fill("#submit_by", "2023-09-15")
    page.get_by_role("button", name="Сохранить план").click()
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    expect(flash(page)).to_contain_text(
        f"План загружен: мероприятий — {SEED_ITEMS}. Проверьте их и опубликуйте план."
    )
    expect(page.locator("h1")).to_contain_text("ПЛАН МЕРОПРИЯТИЙ («ДОРОЖНАЯ КАРТА»)")
    facts = page.locator("main > p.muted")
    expect(facts).to_contain_text("Приказ от 31.08.2023 № 216")
    expect(facts).to_contain_text("01.09.2023–31.08.2024")
    expect(facts).to_contain_text("15.09.2023")
    expect(facts.locator(".badge")).to_have_text("черновик")
    items = page.locator("table.items tbody")
    expect(items.locator("tr.section-row")).to_have_count(2)
    expect(items.locator("tr.section-row").first).to_contain_text(
        "1. Меры по повышению объективности оценки"
    )
    expect(items.locator("tr[id^=plan-item-]")).to_have_count(SEED_ITEMS)
    last = items.locator("tr[id^=plan-item-]").last
    expect(last).to_contain_text("2.6")
    expect(last).to_contain_text("«Пишем вместе ВПР")
    expect(last).to_contain_text("1 квартал 2024")
    expect(last.locator(".parsed")).to_have_text("01.01.2024–31.03.2024")
    expect(items.get_by_role("link", name="Изменить")).to_have_count(SEED_ITEMS)

    page.get_by_role("navigation").get_by_role("link", name="Планы").click()
    row = page.locator("table.grid tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("31.08.2023 № 216")
    expect(row).to_contain_text("черновик")
    assert seen["errors"] == []


def test_admin_edits_an_item_inline_then_publishes(page, make):
    ids = people(make)
    plan = seed_plan(ids["district_id"], publish=False)
    item = plan.items[1]  # 1.2, "сентябрь 2023"
    item_id, other_id = item.id, plan.items[5].id
    seen = watch(page)

    log_in(page, "admin_uo")
    page.get_by_role("navigation").get_by_role("link", name="Планы").click()
    page.get_by_role("link", name="ПЛАН МЕРОПРИЯТИЙ", exact=False).click()
    page.wait_for_url(f"**/plans/{plan.id}")
    url, navigations = page.url, len(seen["navigations"])
    row = page.locator(f"#plan-item-{item_id}")
    rows = page.locator("table.items tr[id^=plan-item-]")

    with page.expect_response(f"**/plans/{plan.id}/items/{item_id}/edit") as response:
        row.get_by_role("link", name="Изменить").click()
    assert response.value.request.headers.get("hx-request") == "true"
    expect(row).to_have_class("editing")
    form = row.locator("form")
    expect(form.locator("[name=text]")).to_have_value(
        "Проведение совещаний, семинаров по выработке единых подходов к анализу результатов "
        "процедур оценки качества образования и ГИА"
    )
    expect(form.locator("[name=deadline_text]")).to_have_value("сентябрь 2023")
    # Swapped in place: same address, no navigation, the other rows still there.
    assert page.url == url
    assert len(seen["navigations"]) == navigations
    expect(rows).to_have_count(SEED_ITEMS)
    expect(page.locator(f"#plan-item-{other_id}")).to_contain_text("1.6")
    expect(page.locator("tr.editing")).to_have_count(1)

    new_text = (
        "Проведение совещаний и семинаров по выработке единых подходов к анализу "
        "результатов ВПР и ГИА для заместителей директоров"
    )
    form.locator("[name=text]").fill(new_text)
    form.locator("[name=deadline_text]").fill("до 15 октября 2023")
    form.get_by_role("button", name="Сохранить").click()

    expect(row).not_to_have_class("editing")
    expect(row.locator("form textarea")).to_have_count(0)
    expect(row).to_contain_text(new_text)
    expect(row.locator(".deadline")).to_have_text("до 15 октября 2023")
    expect(row.locator(".parsed")).to_have_text("до 15.10.2023")
    assert page.url == url
    assert len(seen["navigations"]) == navigations
    expect(rows).to_have_count(SEED_ITEMS)

    page.reload()  # it was saved, not only drawn
    expect(row).to_contain_text(new_text)
    expect(row.locator(".parsed")).to_have_text("до 15.10.2023")

    # Cancel puts the row back as it was, still without leaving the page.
    navigations = len(seen["navigations"])
    page.locator(f"#plan-item-{other_id}").get_by_role("link", name="Изменить").click()
    expect(page.locator(f"#plan-item-{other_id}")).to_have_class("editing")
    page.locator(f"#plan-item-{other_id}").get_by_role("link", name="Отмена").click()
    expect(page.locator(f"#plan-item-{other_id}")).not_to_have_class("editing")
    expect(page.locator(f"#plan-item-{other_id}")).to_contain_text("1.6")
    assert len(seen["navigations"]) == navigations

    page.get_by_role("button", name="Опубликовать").click()
    expect(flash(page)).to_contain_text(
        "План опубликован: дорожные карты получили организаций — 2."
    )
    expect(page.locator("main > p.muted .badge")).to_have_text("опубликован")
    expect(page.get_by_role("link", name="Изменить")).to_have_count(0)
    expect(page.get_by_role("button", name="Опубликовать")).to_have_count(0)
    expect(row).to_contain_text(new_text)
    expect(page.get_by_role("link", name="Исполнение по организациям")).to_be_visible()
    assert seen["errors"] == []
    # Publishing cannot be undone: the button asks first (checked last, so that the steps
    # above run whatever happens to the question).
    assert seen["dialogs"] == [PUBLISH_QUESTION]


def test_school_reports_progress_with_a_file(page, make, tmp_path):
    ids = people(make)
    plan = seed_plan(ids["district_id"], publish=True)
    roadmap = school_roadmap(plan, ids["school_id"])
    item_id = roadmap["items"]["1.1"][0]
    pdf = tmp_path / "Справка_анализ_ВПР.pdf"
    pdf.write_bytes(PDF)
    seen = watch(page)

    log_in(page, "zavuch1")
    open_own_roadmap(page)
    expect(badge(page)).to_have_text("черновик")
    url, navigations = page.url, len(seen["navigations"])
    row = page.locator(f"#item-{item_id}")
    expect(row.locator(".status-planned")).to_have_text("запланировано")

    row.get_by_role("link", name="Изменить").click()
    expect(row).to_have_class("editing")
    row.locator("[name=status]").select_option(label="выполнено")
    note = "Проведён анализ результатов ВПР-2023: расхождений с отметками в журнале нет."
    row.locator("[name=progress_note]").fill(note)
    row.get_by_role("button", name="Сохранить").click()
    expect(row).not_to_have_class("editing")
    expect(row.locator(".status-done")).to_have_text("выполнено")
    expect(row).to_contain_text(note)
    expect(row).to_contain_text(date.today().strftime("%d.%m.%Y"))
    assert page.url == url
    assert len(seen["navigations"]) == navigations

    row.locator("summary", has_text="Прикрепить").click()
    row.locator("details input[type=file]").set_input_files(str(pdf))
    row.locator("details").get_by_role("button", name="Прикрепить").click()
    page.wait_for_url(f"**/roadmaps/{roadmap['id']}#item-{item_id}")
    expect(flash(page)).to_contain_text("Подтверждение добавлено к мероприятию 1.1.")
    link = row.locator(".evidence a", has_text="Справка_анализ_ВПР.pdf")
    expect(link).to_be_visible()
    expect(row.locator(".status-done")).to_have_text("выполнено")  # the progress is kept

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "Справка_анализ_ВПР.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    assert seen["errors"] == []


def test_submit_return_resubmit_accept_and_compare(page, make):
    ids = people(make)
    plan = seed_plan(ids["district_id"], publish=True)
    roadmap = school_roadmap(plan, ids["school_id"])
    item_id, item_uuid, _ = roadmap["items"]["1.2"]
    other_id = roadmap["items"]["1.3"][0]
    seen = watch(page)

    # The head submits.
    log_in(page, "director1")
    open_own_roadmap(page)
    page.get_by_role("button", name="Отправить в УО").click()
    expect(flash(page)).to_contain_text("Отправлено в управление образования (версия 1).")
    expect(badge(page)).to_have_text("на проверке")
    expect(page.locator("main")).to_contain_text("до проверки дорожная карта доступна только")
    expect(page.get_by_role("link", name="Изменить")).to_have_count(0)
    expect(page.get_by_role("button", name="Отправить в УО")).to_have_count(0)
    log_out(page)

    # The reviewer returns it with a remark on 1.2.
    log_in(page, "metodist")
    page.get_by_role("navigation").get_by_role("link", name="Организации").click()
    page.get_by_role("link", name="СОШ № 1").click()
    page.get_by_role("link", name="ПЛАН МЕРОПРИЯТИЙ", exact=False).click()
    expect(badge(page)).to_have_text("на проверке")
    remark = "Не указаны ответственные за проведение совещаний."
    reason = "Заполните ответственных по разделу 1."
    page.locator(f"#item-{item_id}").get_by_text("Замечание по мероприятию").click()
    page.locator(f"#item-{item_id} textarea[name='comment-{item_uuid}']").fill(remark)
    page.get_by_label("Что нужно исправить").fill(reason)
    page.get_by_role("button", name="Вернуть на доработку").click()
    expect(flash(page)).to_contain_text("Возвращено в ОО на доработку.")
    expect(badge(page)).to_have_text("возвращено")
    expect(page.get_by_role("button", name="Принять")).to_have_count(0)
    log_out(page)

    # The head sees why, fixes 1.2 and submits again.
    log_in(page, "director1")
    open_own_roadmap(page)
    expect(badge(page)).to_have_text("возвращено")
    note = page.locator(".review-note")
    expect(note).to_contain_text("Возвращено на доработку")
    expect(note).to_contain_text(reason)
    expect(note).to_contain_text("Ковалёва")
    row = page.locator(f"#item-{item_id}")
    expect(row.locator(".remark")).to_contain_text(f"Замечание: {remark}")
    expect(page.locator(f"#item-{other_id} .remark")).to_have_count(0)
    row.get_by_role("link", name="Изменить").click()
    expect(row).to_have_class("editing")
    responsible = "Заместитель директора по УВР Петрова А.С."
    row.locator("[name=responsible]").fill(responsible)
    row.locator("[name=status]").select_option(label="в работе")
    row.get_by_role("button", name="Сохранить").click()
    expect(row).not_to_have_class("editing")
    expect(row).to_contain_text(responsible)
    expect(row.locator(".status-in_progress")).to_have_text("в работе")
    page.get_by_role("button", name="Отправить в УО").click()
    expect(flash(page)).to_contain_text("Отправлено в управление образования (версия 2).")
    expect(badge(page)).to_have_text("на проверке")
    log_out(page)

    # The reviewer accepts and compares the versions.
    log_in(page, "metodist")
    page.get_by_role("navigation").get_by_role("link", name="Организации").click()
    page.get_by_role("link", name="СОШ № 1").click()
    page.get_by_role("link", name="ПЛАН МЕРОПРИЯТИЙ", exact=False).click()
    expect(page.locator(f"#item-{item_id}")).to_contain_text(responsible)
    page.get_by_label("Проверено, принять без замечаний").check()
    page.get_by_role("button", name="Принять").click()
    expect(flash(page)).to_contain_text("Принято.")
    expect(badge(page)).to_have_text("принято")
    expect(page.get_by_role("button", name="Принять")).to_have_count(0)

    page.get_by_role("link", name="Версии и проверка").click()
    expect(page.locator("h1")).to_have_text("Версии и проверка: СОШ № 1")
    expect(page.locator("select[name=a]")).to_have_value("1")
    expect(page.locator("select[name=b]")).to_have_value("2")
    page.get_by_role("button", name="Сравнить").click()
    page.wait_for_url("**/history?a=1&b=2")
    changes = page.locator("section.card", has_text="Изменения от версии 1 к версии 2")
    diff = changes.locator("table.diff tbody tr")
    expect(diff).to_have_count(2)
    who = diff.filter(has_text="Ответственные")
    expect(who).to_contain_text("1.2 Проведение совещаний, семинаров")
    expect(who.locator("ins")).to_have_text(responsible)
    status = diff.filter(has_text="Статус")
    expect(status.locator("del")).to_have_text("запланировано")
    expect(status.locator("ins")).to_have_text("в работе")
    history = page.locator("section.card", has_text="История проверки")
    expect(history).to_contain_text(reason)
    expect(history).to_contain_text(remark)

    # Accepted: the old return and its remarks are history now, not a red banner.
    page.get_by_role("link", name="К дорожной карте").click()
    expect(badge(page)).to_have_text("принято")
    expect(page.locator(".review-note")).to_have_count(0)
    expect(page.locator(f"#item-{item_id} .remark")).to_have_count(0)
    assert seen["errors"] == []
    # Each submission asked first (checked last, as in the publishing test).
    assert seen["dialogs"] == [SUBMIT_QUESTION, SUBMIT_QUESTION]


def test_roadmap_item_edit_without_javascript(page_nojs, make):
    page = page_nojs
    ids = people(make)
    plan = seed_plan(ids["district_id"], publish=True)
    roadmap = school_roadmap(plan, ids["school_id"])
    item_id = roadmap["items"]["1.3"][0]
    seen = watch(page)

    log_in(page, "zavuch1")
    open_own_roadmap(page)
    page.locator(f"#item-{item_id}").get_by_role("link", name="Изменить").click()
    page.wait_for_url(f"**/roadmaps/{roadmap['id']}/items/{item_id}/edit")
    expect(page.locator("h1")).to_have_text("СОШ № 1: мероприятие 1.3")
    form = page.locator(f"#item-{item_id} form")
    expect(form.locator("[name=deadline_text]")).to_have_value("в течение учебного года")
    form.locator("[name=status]").select_option(label="в работе")
    note = "Проведён семинар для учителей начальных классов, следующий — в декабре."
    form.locator("[name=progress_note]").fill(note)
    form.locator("[name=deadline_text]").fill("ноябрь 2023")
    form.get_by_role("button", name="Сохранить").click()

    page.wait_for_url(f"**/roadmaps/{roadmap['id']}#item-{item_id}")
    expect(flash(page)).to_contain_text("Мероприятие 1.3 сохранено.")
    row = page.locator(f"#item-{item_id}")
    expect(row.locator(".status-in_progress")).to_have_text("в работе")
    expect(row).to_contain_text(note)
    expect(row.locator(".deadline")).to_have_text("ноябрь 2023")
    expect(row.locator(".parsed")).to_have_text("01.11.2023–30.11.2023")
    assert seen["errors"] == []
