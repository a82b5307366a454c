"""The district plan through the browser: create, edit inline, import, publish."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from docx import Document
from sqlalchemy import select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.roadmaps.models import (
    Plan,
    PlanItem,
    PlanSection,
    PlanStatus,
    RoadmapItem,
    SchoolRoadmap,
)
from intranet.uploads.models import StagedUpload
from tests.fixtures.roadmaps import (
    EVENT,
    PAST,
    count,
    element,
    fill,
    form_values,
    fresh,
    hx,
    roadmap_of,
    row_text,
    text_of,
)
from tests.roadmaps import plan_fixtures as fx

PERIOD_ERROR = "Период заканчивается раньше, чем начинается."
PUBLISHED_ERROR = "План опубликован и больше не может быть изменён."
CONFLICT = "Пока вы редактировали, это мероприятие изменил другой пользователь."


@pytest.fixture
def admin(make, login_as):
    user = make.user(Role.DISTRICT_ADMIN, full_name="Администратор УО")
    login_as(user)
    return user


def three_items(plans, admin, **values):
    return plans.plan(
        admin,
        [
            {"number": "1", "text": "Первое мероприятие", "deadline_text": "сентябрь"},
            {"number": "2", "text": "Второе мероприятие", "deadline_text": PAST},
            {"number": "3", "text": "Третье мероприятие", "deadline_text": EVENT},
        ],
        **values,
    )


def shown_order(client, plan) -> list[str]:
    """Item texts in the order the plan page shows them."""
    html = text_of(client.get(f"/plans/{plan.id}"))
    rows = element(html, f"plan-item-{plan.items[0].id}").getparent()
    return [
        " ".join(tr.xpath("./td[2]")[0].text_content().split())
        for tr in rows.xpath("./tr[starts-with(@id, 'plan-item-')]")
    ]


def item_texts(plan) -> list[str]:
    return [i.text for i in fresh(plan).items]


# ----------------------------------------------------------------------- create, edit


def test_create_plan_refuses_a_period_that_ends_before_it_starts(client, admin):
    bad = client.post(
        "/plans/new",
        data={"title": "План", "period_start": "2026-09-01", "period_end": "2026-08-31"},
    )
    assert bad.status_code == 200
    assert PERIOD_ERROR in text_of(bad)
    assert count(Plan) == 0

    ok = client.post(
        "/plans/new",
        data={
            "title": "План мероприятий на 2026-2027 учебный год",
            "order_number": " 15-од ",
            "order_date": "2026-08-20",
            "period_start": "2026-09-01",
            "period_end": "2027-08-31",
        },
        follow_redirects=True,
    )
    html = text_of(ok)
    assert "План создан. Добавьте разделы и мероприятия, затем опубликуйте его." in html
    plan = db.session.scalar(select(Plan))
    assert plan.district_id == admin.district_id
    assert plan.status == PlanStatus.DRAFT
    assert plan.order_number == "15-од"
    assert "Приказ от 20.08.2026 № 15-од" in html
    # The list of plans names the order the same way.
    assert "Приказ от 20.08.2026 № 15-од" in text_of(client.get("/plans/"))
    assert "01.09.2026–31.08.2027" in html


def test_new_plan_requires_a_title_and_dates(client, admin):
    response = client.post("/plans/new", data={"title": "", "period_start": "", "period_end": ""})
    assert "Обязательное поле." in text_of(response)
    assert count(Plan) == 0


def test_edit_details_saves_them_and_rereads_month_deadlines(client, admin, plans):
    plan = plans.plan(admin, [{"text": "Совещание", "deadline_text": "сентябрь"}])
    assert plan.items[0].due_date == date(2025, 9, 30)
    form = form_values(text_of(client.get(f"/plans/{plan.id}/edit")), having="title")
    assert form["period_start"] == "2025-09-01"
    form.update(
        title="Новый план", order_number="99", period_start="2026-09-01", period_end="2027-08-31"
    )
    response = client.post(f"/plans/{plan.id}/edit", data=form, follow_redirects=True)
    assert "Изменения сохранены." in text_of(response)
    plan = fresh(plan)
    assert (plan.title, plan.order_number) == ("Новый план", "99")
    # "сентябрь" is read again within the new school year.
    assert plan.items[0].due_date == date(2026, 9, 30)

    refused = client.post(f"/plans/{plan.id}/edit", data={**form, "period_end": "2026-01-01"})
    assert PERIOD_ERROR in text_of(refused)
    assert fresh(plan).period_end == date(2027, 8, 31)


def test_add_a_section_and_items(client, admin, plans):
    plan = plans.plan(admin)
    assert "Мероприятий пока нет." in text_of(client.get(f"/plans/{plan.id}"))
    client.post(f"/plans/{plan.id}/sections/new", data={"title": "  1.  Организационные  меры "})
    section = db.session.scalar(select(PlanSection).where(PlanSection.plan_id == plan.id))
    assert section.title == "1. Организационные меры"

    page = text_of(client.get(f"/plans/{plan.id}"))
    new_item = form_values(page, "/items/new")  # what the page's "Add an item" form sends
    response = client.post(
        f"/plans/{plan.id}/items/new",
        data=fill(
            new_item,
            number="1.1",
            section_id=str(section.id),
            text="Провести совещание с руководителями ОО",
            deadline_text=PAST,
            responsible="Управление образования",
            result="Протокол совещания",
        ),
        follow_redirects=True,
    )
    html = text_of(response)
    assert "Мероприятие 1.1 добавлено." in html
    item = db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id))
    assert item.section_id == section.id and item.due_date == date(2025, 10, 15)
    assert item.schools_report is True  # ticked by default
    assert "1. Организационные меры" in html
    row = row_text(html, f"plan-item-{item.id}")
    assert "Провести совещание с руководителями ОО" in row
    assert "до 15.10.2025" in row and "Протокол совещания" in row

    # An item the schools do not report on is marked as the district's own.
    district_only = {k: v for k, v in new_item.items() if not k.endswith("schools_report")}
    client.post(
        f"/plans/{plan.id}/items/new", data=fill(district_only, text="Отчёт в министерство")
    )
    district_only = db.session.scalar(
        select(PlanItem).where(PlanItem.text == "Отчёт в министерство")
    )
    assert district_only.schools_report is False
    html = text_of(client.get(f"/plans/{plan.id}"))
    assert "только для УО" in row_text(html, f"plan-item-{district_only.id}")

    empty = client.post(
        f"/plans/{plan.id}/items/new", data=fill(new_item, text="  "), follow_redirects=True
    )
    assert "Обязательное поле." in text_of(empty)
    assert count(PlanItem, PlanItem.plan_id == plan.id) == 2
    unnamed = client.post(
        f"/plans/{plan.id}/sections/new", data={"title": ""}, follow_redirects=True
    )
    assert "Укажите название раздела." in text_of(unnamed)
    assert count(PlanSection) == 1


# ------------------------------------------------------------------------ inline edit


def test_inline_edit_returns_the_row_or_the_form_with_errors(client, admin, plans):
    plan = three_items(plans, admin)
    item = plan.items[0]
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    target = hx(f"plan-item-{item.id}")

    editor = text_of(client.get(url, headers=target))
    assert editor.lstrip().startswith(f'<tr id="plan-item-{item.id}" class="editing">')
    assert "<html" not in editor
    form = form_values(editor, url)
    assert form["text"] == "Первое мероприятие" and form["revision"] == "1"

    form["text"] = "Первое мероприятие, уточнённое"
    saved = client.post(url, data=form, headers=target)
    row = text_of(saved)
    assert saved.status_code == 200
    assert row.lstrip().startswith(f'<tr id="plan-item-{item.id}">')
    assert "<html" not in row and "<form" not in row.split("row-actions")[0]
    assert "Первое мероприятие, уточнённое" in row
    item = fresh(item)
    assert item.text == "Первое мероприятие, уточнённое" and item.revision == 2

    invalid = client.post(url, data={**form, "text": "", "revision": "2"}, headers=target)
    fragment = text_of(invalid)
    assert fragment.lstrip().startswith(f'<tr id="plan-item-{item.id}" class="editing">')
    assert "<html" not in fragment
    assert "Обязательное поле." in fragment
    assert fresh(item).text == "Первое мероприятие, уточнённое"

    # Cancel brings the plain row back.
    cancel = text_of(client.get(f"/plans/{plan.id}/items/{item.id}", headers=target))
    assert cancel.lstrip().startswith(f'<tr id="plan-item-{item.id}">')


def test_edit_without_htmx_is_a_page_and_saving_redirects(client, admin, plans):
    plan = three_items(plans, admin)
    item = plan.items[1]
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    page = text_of(client.get(url))
    assert "<html" in page and "Второе мероприятие" in page
    form = form_values(page, url)
    form["responsible"] = "Методический кабинет"
    response = client.post(url, data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/plans/{plan.id}#plan-item-{item.id}")
    assert "Мероприятие 2 сохранено." in text_of(client.get(f"/plans/{plan.id}"))
    assert fresh(item).responsible == "Методический кабинет"


def test_move_up_and_down_changes_the_order(client, admin, plans):
    plan = three_items(plans, admin)
    first, second, third = plan.items
    client.post(f"/plans/{plan.id}/items/{third.id}/move", data={"direction": "up"})
    assert item_texts(plan) == ["Первое мероприятие", "Третье мероприятие", "Второе мероприятие"]
    client.post(f"/plans/{plan.id}/items/{first.id}/move", data={"direction": "down"})
    assert item_texts(plan) == ["Третье мероприятие", "Первое мероприятие", "Второе мероприятие"]
    assert shown_order(client, plan) == item_texts(plan)
    # The first item cannot go higher, the last one lower.
    client.post(f"/plans/{plan.id}/items/{third.id}/move", data={"direction": "up"})
    client.post(f"/plans/{plan.id}/items/{second.id}/move", data={"direction": "down"})
    assert item_texts(plan) == ["Третье мероприятие", "Первое мероприятие", "Второе мероприятие"]
    assert [i.position for i in fresh(plan).items] == [1, 2, 3]


def test_renumber_numbers_items_within_their_sections(client, admin, plans):
    plan = plans.plan(
        admin,
        [
            {"number": "7", "text": "Совещание", "section": 0},
            {"number": "", "text": "Семинар", "section": 0},
            {"number": "а)", "text": "Мониторинг", "section": 1},
        ],
        sections=("1. Организация", "2. Контроль"),
    )
    response = client.post(f"/plans/{plan.id}/renumber", follow_redirects=True)
    assert [i.number for i in fresh(plan).items] == ["1.1", "1.2", "2.1"]
    html = text_of(response)
    for item, number in zip(fresh(plan).items, ["1.1", "1.2", "2.1"], strict=True):
        assert row_text(html, f"plan-item-{item.id}").startswith(number + " ")


def test_renumber_without_sections_counts_from_one(client, admin, plans):
    plan = three_items(plans, admin)
    client.post(f"/plans/{plan.id}/items/{plan.items[0].id}/move", data={"direction": "down"})
    client.post(f"/plans/{plan.id}/renumber")
    assert [(i.number, i.text) for i in fresh(plan).items] == [
        ("1", "Второе мероприятие"),
        ("2", "Первое мероприятие"),
        ("3", "Третье мероприятие"),
    ]


def test_moving_an_item_across_a_section_border_puts_it_in_that_section(client, admin, plans):
    """Moving the last item of a section down takes it into the section below; moving
    the first item of a section up must likewise take it into the section above, or it
    sits among the upper section's items while numbered (and headed) as its own."""
    plan = plans.plan(
        admin,
        [
            {"text": "Совещание", "section": 0},
            {"text": "Семинар", "section": 0},
            {"text": "Мониторинг", "section": 1},
        ],
        sections=("1. Организация", "2. Контроль"),
    )
    seminar, monitoring = plan.items[1], plan.items[2]
    client.post(f"/plans/{plan.id}/items/{seminar.id}/move", data={"direction": "down"})
    client.post(f"/plans/{plan.id}/renumber")
    assert [(i.number, i.text) for i in fresh(plan).items] == [
        ("1.1", "Совещание"),
        ("2.1", "Мониторинг"),
        ("2.2", "Семинар"),
    ]

    client.post(f"/plans/{plan.id}/items/{monitoring.id}/move", data={"direction": "up"})
    client.post(f"/plans/{plan.id}/renumber")
    html = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    # "Мониторинг" changed places with "Совещание", the last item of the section above.
    assert [(i.number, i.text) for i in fresh(plan).items] == [
        ("1.1", "Мониторинг"),
        ("1.2", "Совещание"),
        ("2.1", "Семинар"),
    ]
    # Each section heads the table once (the names also stand in the section select).
    headings = re.findall(r'<tr class="section-row"><td colspan="6">([^<]+)</td>', html)
    assert headings == ["1. Организация", "2. Контроль"]


def test_delete_an_item(client, admin, plans):
    plan = three_items(plans, admin)
    doomed = plan.items[1]
    response = client.post(f"/plans/{plan.id}/items/{doomed.id}/delete", follow_redirects=True)
    assert "Второе мероприятие" not in text_of(response)
    assert count(PlanItem, PlanItem.id == doomed.id) == 0
    assert item_texts(plan) == ["Первое мероприятие", "Третье мероприятие"]


def test_stale_edit_is_refused_and_shows_the_other_users_text(
    client, admin, plans, make, client_of
):
    plan = three_items(plans, admin)
    item = plan.items[0]
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    target = hx(f"plan-item-{item.id}")
    colleague = client_of(make.user(Role.DISTRICT_ADMIN, district=admin.district))
    mine = form_values(text_of(client.get(url, headers=target)), url)
    theirs = form_values(text_of(colleague.get(url, headers=target)), url)

    theirs["text"] = "Вариант коллеги"
    assert colleague.post(url, data=theirs, headers=target).status_code == 200
    mine["text"] = "Мой вариант"
    refused = client.post(url, data=mine, headers=target)
    html = text_of(refused)
    assert CONFLICT in html
    assert "Вариант коллеги" in row_text(html, f"plan-item-{item.id}")
    assert form_values(html, url)["text"] == "Мой вариант"  # my text is kept in the form
    assert fresh(item).text == "Вариант коллеги"
    assert fresh(item).revision == 2


def test_after_a_conflict_saving_again_overwrites(client, admin, plans, make, client_of):
    """The conflict message says "Save again to overwrite": the form it shows must carry
    the current revision, so that saving it again succeeds."""
    plan = three_items(plans, admin)
    item = plan.items[0]
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    target = hx(f"plan-item-{item.id}")
    colleague = client_of(make.user(Role.DISTRICT_ADMIN, district=admin.district))
    mine = form_values(text_of(client.get(url, headers=target)), url)
    theirs = form_values(text_of(colleague.get(url, headers=target)), url)
    colleague.post(url, data={**theirs, "text": "Вариант коллеги"}, headers=target)
    conflict = text_of(client.post(url, data={**mine, "text": "Мой вариант"}, headers=target))
    assert CONFLICT in conflict

    assert form_values(conflict, url)["revision"] == str(fresh(item).revision)
    again = client.post(url, data=form_values(conflict, url), headers=target)
    assert CONFLICT not in text_of(again)
    assert fresh(item).text == "Мой вариант"


def test_deadline_correction_is_stored_as_corrected_and_shown(client, admin, plans):
    plan = plans.plan(admin, [{"number": "1", "text": "Анализ ВПР", "deadline_text": EVENT}])
    item = plan.items[0]
    assert item.due_date is None
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    target = hx(f"plan-item-{item.id}")
    form = form_values(text_of(client.get(url, headers=target)), url)

    half = client.post(
        url,
        data={**form, "deadline_kind": "window", "deadline_start": "2025-11-01"},
        headers=target,
    )
    assert "Укажите первый и последний день." in text_of(half)
    assert fresh(item).deadline_corrected is False

    row = text_of(
        client.post(
            url,
            data={**form, "deadline_kind": "date", "deadline_end": "2025-12-20"},
            headers=target,
        )
    )
    item = fresh(item)
    assert item.deadline_corrected is True
    assert item.deadline["kind"] == "date"
    assert item.due_date == date(2025, 12, 20)
    assert item.deadline_text == EVENT  # the words as written stay
    shown = row_text(row, f"plan-item-{item.id}")
    assert EVENT in shown and "до 20.12.2025" in shown and "исправлено" in shown


def test_editing_a_corrected_item_again_keeps_the_correction(client, admin, plans):
    """The edit form must show the correction, so that saving another change (here the
    responsible) through that form does not silently throw the correction away."""
    plan = plans.plan(admin, [{"number": "1", "text": "Анализ ВПР", "deadline_text": EVENT}])
    item = plan.items[0]
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    target = hx(f"plan-item-{item.id}")
    form = form_values(text_of(client.get(url, headers=target)), url)
    client.post(
        url, data={**form, "deadline_kind": "date", "deadline_end": "2025-12-20"}, headers=target
    )
    assert fresh(item).deadline_corrected is True

    form = form_values(text_of(client.get(url, headers=target)), url)
    assert form["deadline_kind"] == "date" and form["deadline_end"] == "2025-12-20"
    client.post(url, data={**form, "responsible": "Заместитель директора"}, headers=target)
    item = fresh(item)
    assert item.responsible == "Заместитель директора"
    assert item.deadline_corrected is True and item.due_date == date(2025, 12, 20)


# ---------------------------------------------------------------------- who may edit


def test_items_of_a_published_plan_can_no_longer_be_changed(client, admin, plans, make):
    make.school(admin.district)
    plan = three_items(plans, admin)
    plans.publish(admin, plan)
    item = plan.items[0]
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    page = text_of(client.get(f"/plans/{plan.id}"))
    assert url not in page and "Опубликовать" not in page and "опубликован" in page

    form = {"text": "Изменено после публикации", "revision": "1", "schools_report": "y"}
    html = text_of(client.post(url, data=form, headers=hx(f"plan-item-{item.id}")))
    assert PUBLISHED_ERROR in html
    for response in (
        client.post(
            f"/plans/{plan.id}/items/new", data={"new-text": "Новое"}, follow_redirects=True
        ),
        client.post(f"/plans/{plan.id}/items/{item.id}/delete", follow_redirects=True),
        client.post(
            f"/plans/{plan.id}/items/{item.id}/move",
            data={"direction": "down"},
            follow_redirects=True,
        ),
        client.post(f"/plans/{plan.id}/renumber", follow_redirects=True),
    ):
        assert PUBLISHED_ERROR in text_of(response)
    details = client.post(
        f"/plans/{plan.id}/edit",
        data={"title": "Другой", "period_start": "2025-09-01", "period_end": "2026-08-31"},
    )
    assert PUBLISHED_ERROR in text_of(details)
    plan = fresh(plan)
    assert item_texts(plan) == ["Первое мероприятие", "Второе мероприятие", "Третье мероприятие"]
    assert plan.title != "Другой"
    assert [i.revision for i in plan.items] == [1, 1, 1]


@pytest.mark.parametrize("role", [Role.DISTRICT_REVIEWER, Role.SCHOOL_HEAD, Role.SCHOOL_STAFF])
def test_reviewers_and_schools_cannot_edit_a_plan(client, make, plans, login_as, role):
    admin = make.user(Role.DISTRICT_ADMIN)
    school = make.school(admin.district)
    plan = three_items(plans, admin)
    plans.publish(admin, plan)
    # Published, so everyone here may read it; a draft stays the admin's own.
    draft = three_items(plans, admin, title="Черновик")
    login_as(make.user(role, school=school, district=admin.district))
    assert client.get(f"/plans/{plan.id}").status_code == 200
    item = plan.items[0]
    for target in (plan, draft):
        first = target.items[0]
        attempts = [
            client.get("/plans/new"),
            client.post("/plans/new", data={"title": "Чужой план"}),
            client.post(f"/plans/{target.id}/edit", data={"title": "Взлом"}),
            client.post(
                f"/plans/{target.id}/items/{first.id}/edit",
                data={"text": "Взлом", "revision": "1"},
            ),
            client.post(f"/plans/{target.id}/items/new", data={"new-text": "Взлом"}),
            client.post(f"/plans/{target.id}/items/{first.id}/delete"),
            client.post(f"/plans/{target.id}/renumber"),
            client.post(f"/plans/{target.id}/publish"),
            client.get("/plans/import"),
        ]
        assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert fresh(item).text == "Первое мероприятие"
    assert fresh(draft).status == PlanStatus.DRAFT
    assert count(Plan) == 2
    assert "Изменить" not in text_of(client.get(f"/plans/{plan.id}"))


def test_school_users_see_only_published_plans(client, make, plans, login_as, client_of):
    admin = make.user(Role.DISTRICT_ADMIN)
    school = make.school(admin.district)
    published = three_items(plans, admin, title="Опубликованный план")
    plans.publish(admin, published)
    draft = three_items(plans, admin, title="Черновик плана")
    staff = make.user(Role.SCHOOL_STAFF, school=school)

    login_as(staff)
    listing = text_of(client.get("/plans/"))
    assert "Опубликованный план" in listing and "Черновик плана" not in listing
    assert "Наша дорожная карта" in listing
    assert client.get(f"/plans/{published.id}").status_code == 200
    assert client.get(f"/plans/{draft.id}").status_code == 404

    reviewer = client_of(make.user(Role.DISTRICT_REVIEWER, district=admin.district))
    assert "Черновик плана" in text_of(reviewer.get("/plans/"))
    assert reviewer.get(f"/plans/{draft.id}").status_code == 200


def test_another_districts_plan_answers_404(client, admin, make, plans):
    foreign_admin = make.user(Role.DISTRICT_ADMIN)
    foreign = three_items(plans, foreign_admin, title="Чужой план")
    item = foreign.items[0]
    assert client.get(f"/plans/{foreign.id}").status_code == 404
    assert "Чужой план" not in text_of(client.get("/plans/"))
    response = client.post(
        f"/plans/{foreign.id}/items/{item.id}/edit", data={"text": "Взлом", "revision": "1"}
    )
    assert response.status_code == 404
    assert client.post(f"/plans/{foreign.id}/publish").status_code == 404
    assert fresh(item).text == "Первое мероприятие"
    assert fresh(foreign).status == PlanStatus.DRAFT


def test_an_item_of_another_plan_answers_404(client, admin, plans):
    one = three_items(plans, admin)
    other = three_items(plans, admin)
    stray = other.items[0]
    url = f"/plans/{one.id}/items/{stray.id}"
    assert client.get(url + "/edit").status_code == 404
    assert client.post(url + "/edit", data={"text": "Взлом", "revision": "1"}).status_code == 404
    assert client.post(url + "/delete").status_code == 404
    assert fresh(stray).text == "Первое мероприятие"


# ------------------------------------------------------------------------------ import

IMPORT_ROWS = [
    fx.Section("1. Организационные меры"),
    ("1.1.", "Провести совещание руководителей ОО", "сентябрь 2025", "Управление образования"),
    ("1.2.", "Утвердить школьные дорожные карты", "до 15.10.2025", "Руководители ОО"),
    fx.Section("2. Работа с педагогами"),
    ("2.1.", "Семинар для учителей по объективной оценке", "в течение учебного года", "ИМЦ"),
]
IMPORT_BEFORE = [
    "ПРИКАЗ",
    "12.08.2025",
    "№ 77-од",
    "Об утверждении плана мероприятий («дорожной карты») по повышению объективности "
    "оценочных процедур на 2025-2026 учебный год",
]


def upload(client, data: bytes, filename: str):
    return client.post(
        "/plans/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_import_a_docx_preview_then_confirm(client, admin):
    response = upload(client, fx.build_docx(IMPORT_ROWS, before=IMPORT_BEFORE), "Приказ 77.docx")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert count(Plan) == 0

    preview = text_of(client.get(preview_url))
    assert "Предварительный просмотр: Приказ 77.docx" in preview
    assert "Найдено разделов: 2, мероприятий: 3." in preview
    for text in ("Провести совещание руководителей ОО", "Семинар для учителей", "до 15.10.2025"):
        assert text in preview
    form = form_values(preview, having="title")
    assert form["order_number"] == "77-од"
    assert form["order_date"] == "2025-08-12"
    assert (form["period_start"], form["period_end"]) == ("2025-09-01", "2026-08-31")

    form.update(confirm="1", title="Дорожная карта 2025-2026")
    saved = client.post(preview_url, data=form)
    assert saved.status_code == 302
    plan = db.session.scalar(select(Plan))
    assert saved.headers["Location"].endswith(f"/plans/{plan.id}")
    assert "План загружен: мероприятий — 3." in text_of(client.get(saved.headers["Location"]))
    assert plan.status == PlanStatus.DRAFT and plan.district_id == admin.district_id
    assert plan.title == "Дорожная карта 2025-2026"  # the user's correction wins
    assert (plan.order_number, plan.order_date) == ("77-од", date(2025, 8, 12))
    assert [s.title for s in plan.sections] == ["1. Организационные меры", "2. Работа с педагогами"]
    assert [(i.number, i.section.title[:2]) for i in plan.items] == [
        ("1.1", "1."),
        ("1.2", "1."),
        ("2.1", "2."),
    ]
    assert plan.items[1].due_date == date(2025, 10, 15)
    assert plan.items[0].responsible == "Управление образования"
    # The staged file is gone: the same preview cannot be confirmed twice.
    assert count(StagedUpload) == 0
    assert client.post(preview_url, data=form).status_code == 404
    assert count(Plan) == 1


def _docx_without_table() -> bytes:
    doc = Document()
    for text in ("ПРИКАЗ", "31.08.2025 № 216", "Об утверждении плана"):
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b" " * (5 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("make_data", "filename", "message"),
    [
        (_docx_without_table, "prikaz.docx", "В файле не найдена таблица плана"),
        (lambda: b"%PDF-1.4\n%test\n", "prikaz.docx", "Файл PDF не поддерживается"),
        (_zip_bomb, "bomb.docx", "Файл отклонён: при распаковке он занимает больше 50 МБ"),
        (
            lambda: b"%PDF-1.4\n%test\n",
            "prikaz.pdf",
            "Принимаются только файлы .docx, .xlsx, .xls, .ods и .csv.",
        ),
        (lambda: b"", "empty.docx", "Файл пуст."),
    ],
    ids=["docx-without-table", "pdf-named-docx", "zip-bomb", "pdf", "empty"],
)
def test_a_file_that_is_not_a_plan_is_refused_in_russian(
    client, admin, make_data, filename, message
):
    response = upload(client, make_data(), filename)
    assert response.status_code == 200
    html = text_of(response)
    assert message in html
    assert "Импорт плана" in html or "Прочитать файл" in html  # still the upload page
    assert count(StagedUpload) == 0
    assert count(Plan) == 0


def test_a_staged_file_of_another_admin_answers_404(client, admin, make, client_of):
    preview_url = upload(client, fx.build_docx(IMPORT_ROWS, before=IMPORT_BEFORE), "p.docx")
    preview_url = preview_url.headers["Location"]
    colleague = client_of(make.user(Role.DISTRICT_ADMIN, district=admin.district))
    assert colleague.get(preview_url).status_code == 404
    confirm = {
        "confirm": "1",
        "title": "План",
        "period_start": "2025-09-01",
        "period_end": "2026-08-31",
    }
    assert colleague.post(preview_url, data=confirm).status_code == 404
    assert count(Plan) == 0
    assert count(StagedUpload) == 1
    assert client.get("/plans/import/not-a-staged-id").status_code == 404


def test_nothing_is_saved_when_the_confirmation_is_invalid(client, admin):
    preview_url = upload(client, fx.build_docx(IMPORT_ROWS, before=IMPORT_BEFORE), "p.docx")
    preview_url = preview_url.headers["Location"]
    form = form_values(text_of(client.get(preview_url)), having="title")

    backwards = client.post(preview_url, data={**form, "confirm": "1", "period_end": "2025-01-01"})
    assert backwards.status_code == 200
    assert PERIOD_ERROR in text_of(backwards)
    untitled = client.post(preview_url, data={**form, "confirm": "1", "title": ""})
    assert "Обязательное поле." in text_of(untitled)
    # "Re-read the deadlines" is not a confirmation.
    client.post(preview_url, data={**form, "refresh": "1"})
    assert count(Plan) == 0 and count(PlanItem) == 0 and count(PlanSection) == 0
    assert count(StagedUpload) == 1


# ----------------------------------------------------------------------------- publish


def test_publish_gives_each_active_school_its_roadmap(client, admin, make, plans):
    first = make.school(admin.district)
    second = make.school(admin.district)
    closed = make.school(admin.district)
    closed.active = False
    db.session.commit()
    foreign = make.school()
    plan = plans.plan(
        admin,
        [
            {"number": "1.1", "text": "Для школ", "deadline_text": PAST, "section": 0},
            {"number": "1.2", "text": "Только для УО", "schools_report": False, "section": 0},
            {"number": "2.1", "text": "Тоже для школ", "deadline_text": EVENT, "section": 1},
        ],
        sections=("1. Организация", "2. Контроль"),
    )
    response = client.post(f"/plans/{plan.id}/publish", follow_redirects=True)
    assert "План опубликован: дорожные карты получили организаций — 2." in text_of(response)
    plan = fresh(plan)
    assert plan.status == PlanStatus.PUBLISHED and plan.published_at is not None
    assert roadmap_of(plan, closed) is None and roadmap_of(plan, foreign) is None
    for school in (first, second):
        roadmap = roadmap_of(plan, school)
        assert roadmap.status == "draft" and roadmap.district_id == admin.district_id
        assert [(i.number, i.text, i.section) for i in roadmap.items] == [
            ("1.1", "Для школ", "1. Организация"),
            ("2.1", "Тоже для школ", "2. Контроль"),
        ]
        assert roadmap.items[0].due_date == date(2025, 10, 15)
        assert roadmap.items[0].plan_item_id == plan.items[0].id
        assert all(i.school_id == school.id for i in roadmap.items)
    assert count(RoadmapItem) == 4


def test_publishing_twice_is_refused(client, admin, make, plans):
    make.school(admin.district)
    plan = three_items(plans, admin)
    client.post(f"/plans/{plan.id}/publish")
    make.school(admin.district)  # a school opened since then gets nothing twice over
    again = client.post(f"/plans/{plan.id}/publish", follow_redirects=True)
    assert PUBLISHED_ERROR in text_of(again)
    assert count(SchoolRoadmap) == 1
    assert count(RoadmapItem) == 3


def test_a_plan_without_items_cannot_be_published(client, admin, make, plans):
    make.school(admin.district)
    plan = plans.plan(admin)
    response = client.post(f"/plans/{plan.id}/publish", follow_redirects=True)
    assert "В плане нет мероприятий." in text_of(response)
    assert fresh(plan).status == PlanStatus.DRAFT
    assert count(SchoolRoadmap) == 0


def test_a_workbook_is_read_once_per_upload(client, admin):
    """The preview, shown again on every change of the period, works from what was read
    at the upload: the file itself is not read again (here it could not be)."""
    response = upload(client, fx.build_xlsx(IMPORT_ROWS, before=IMPORT_BEFORE), "plan.xlsx")
    preview_url = response.headers["Location"]
    staged = db.session.scalar(select(StagedUpload))
    staged.data = b"not a workbook any more"
    db.session.commit()
    preview = text_of(client.get(preview_url))
    assert "Найдено разделов: 2, мероприятий: 3." in preview and "до 15.10.2025" in preview
    form = form_values(preview, having="title")
    # Another period: the deadlines are read against it again, still without the file.
    form.update(period_start="2026-09-01", period_end="2027-08-31")
    again = text_of(client.post(preview_url, data=form))
    assert "до 15.10.2025" in again and "Семинар для учителей" in again
    form.update(confirm="1", title="Дорожная карта")
    assert client.post(preview_url, data=form).status_code == 302
    plan = db.session.scalar(select(Plan))
    assert plan.items[1].due_date == date(2025, 10, 15) and len(plan.items) == 3


def test_import_preview_fills_the_schools_deadline_from_the_order(client, admin):
    response = upload(client, fx.seed_000_docx(), "Приказ № 216.docx")
    form = form_values(text_of(client.get(response.headers["Location"])), having="title")
    # «Руководителям ... до 15 сентября 2023 года: ... Разработать планы («дорожные карты»)»
    assert form["submit_by"] == "2023-09-15"
    assert (form["order_number"], form["order_date"]) == ("216", "2023-08-31")
