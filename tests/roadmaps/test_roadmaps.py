"""A school's roadmap through the browser: inline edits, own items, evidence; the
district's view of execution and its Excel export; CSRF on the school's forms."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from intranet.auth.roles import Role
from intranet.review import services as review
from intranet.roadmaps import services
from intranet.roadmaps.models import Evidence, RoadmapItem
from tests.fixtures.app import csrf_token_from
from tests.fixtures.roadmaps import (
    EVENT,
    PAST,
    count,
    element,
    fill,
    form_values,
    fresh,
    hx,
    row_text,
    text_of,
)
from tests.perf import count_queries

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
WRONG_TYPE = "Прикрепите файл PDF, DOCX, XLSX или изображение"
CONFLICT = "Пока вы редактировали, это мероприятие изменил другой пользователь."


def edit(client, published, item, **changes):
    """Open the inline editor of ``item`` as HTMX does, change fields, save."""
    url = published.item_url(item, "/edit")
    target = hx(f"item-{item.id}")
    form = form_values(text_of(client.get(url, headers=target)), url)
    form.update(changes)
    return client.post(url, data=form, headers=target)


def attach(client, published, item, data: bytes | None = None, filename="", url=""):
    payload = {"url": url}
    if data is not None:
        payload["file"] = (io.BytesIO(data), filename)
    return client.post(
        published.item_url(item, "/evidence"),
        data=payload,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def evidence_of(item) -> list[Evidence]:
    return fresh(item).evidence


# ------------------------------------------------------------------------ inline edit


def test_staff_edit_an_item_inline(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.2")
    url = published.item_url(item, "/edit")
    target = hx(f"item-{item.id}")

    editor = text_of(client.get(url, headers=target))
    assert editor.lstrip().startswith(f'<tr id="item-{item.id}" class="editing">')
    assert "<html" not in editor

    row = edit(
        client,
        published,
        item,
        school_text="Обсудить результаты ВПР на педсовете",
        deadline_text="до 20.11.2025",
        responsible="Заместитель директора по УВР",
        status="in_progress",
        progress_note="Подготовлен доклад",
    )
    html = text_of(row)
    assert html.lstrip().startswith(f'<tr id="item-{item.id}"')
    assert "<html" not in html and 'class="editing"' not in html
    shown = row_text(html, f"item-{item.id}")
    for text in (
        "Обсудить результаты ВПР на педсовете",
        "до 20.11.2025",
        "Заместитель директора по УВР",
        "в работе",
        "Подготовлен доклад",
    ):
        assert text in shown
    # A district measure keeps the district's words; the school's stand beside them.
    assert (
        "Формулировка управления образования Обсудить результаты на педагогическом совете" in shown
    )
    assert "Формулировка школы Обсудить результаты ВПР на педсовете" in shown
    item = fresh(item)
    assert item.text == "Обсудить результаты на педагогическом совете"
    assert item.school_text == "Обсудить результаты ВПР на педсовете"
    assert item.due_date == date(2025, 11, 20)
    assert item.responsible == "Заместитель директора по УВР"
    assert (item.status, item.progress_note, item.revision) == (
        "in_progress",
        "Подготовлен доклад",
        2,
    )

    invalid = text_of(edit(client, published, item, done_on="2999-01-01"))
    assert invalid.lstrip().startswith(f'<tr id="item-{item.id}" class="editing">')
    assert "Дата выполнения не может быть в будущем." in invalid
    assert fresh(item).done_on is None


def test_edit_without_htmx_is_a_page_and_saving_redirects(client, published, login_as):
    login_as(published.head)
    item = published.item("1.1")
    url = published.item_url(item, "/edit")
    page = text_of(client.get(url))
    assert "<html" in page
    form = form_values(page, url)
    form["responsible"] = "Директор"
    response = client.post(url, data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(published.url(f"#item-{item.id}"))
    assert "Мероприятие 1.1 сохранено." in text_of(client.get(published.url()))
    assert fresh(item).responsible == "Директор"


def test_done_without_a_date_is_done_today(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.1")
    row = text_of(edit(client, published, item, status="done", done_on=""))
    item = fresh(item)
    assert (item.status, item.done_on) == ("done", date.today())
    shown = row_text(row, f"item-{item.id}")
    assert "выполнено" in shown and date.today().strftime("%d.%m.%Y") in shown


def test_a_done_date_in_the_future_is_refused(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.1")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    html = text_of(edit(client, published, item, status="done", done_on=tomorrow))
    assert "Дата выполнения не может быть в будущем." in html
    item = fresh(item)
    assert (item.status, item.done_on, item.revision) == ("planned", None, 1)


def test_overdue_items_are_marked_until_done(client, published, login_as):
    login_as(published.staff)
    past, event = published.item("1.1"), published.item("1.2")
    page = text_of(client.get(published.url()))
    assert "просрочено" in row_text(page, f"item-{past.id}")
    assert "просрочено" not in row_text(page, f"item-{event.id}")
    assert "overdue" in element(page, f"item-{past.id}").get("class")

    edit(client, published, past, status="done", done_on="2025-10-10")
    page = text_of(client.get(published.url()))
    assert "просрочено" not in row_text(page, f"item-{past.id}")
    # Back in progress, it is late again.
    edit(client, published, past, status="in_progress", done_on="")
    assert "просрочено" in row_text(text_of(client.get(published.url())), f"item-{past.id}")


def test_stale_edit_of_a_roadmap_item_is_refused(client, published, login_as, client_of):
    login_as(published.staff)
    head = client_of(published.head)
    item = published.item("1.1")
    url = published.item_url(item, "/edit")
    target = hx(f"item-{item.id}")
    mine = form_values(text_of(client.get(url, headers=target)), url)
    theirs = form_values(text_of(head.get(url, headers=target)), url)
    head.post(url, data={**theirs, "progress_note": "Сделал директор"}, headers=target)

    html = text_of(
        client.post(url, data={**mine, "progress_note": "Сделал учитель"}, headers=target)
    )
    assert CONFLICT in html and "Сделал директор" in html
    assert form_values(html, url)["progress_note"] == "Сделал учитель"
    assert fresh(item).progress_note == "Сделал директор"

    # "Save again to overwrite": the form shown must carry the revision now saved.
    assert form_values(html, url)["revision"] == str(fresh(item).revision)
    again = client.post(url, data=form_values(html, url), headers=target)
    assert CONFLICT not in text_of(again)
    assert fresh(item).progress_note == "Сделал учитель"


@pytest.mark.parametrize("role", [Role.DISTRICT_REVIEWER, Role.DISTRICT_ADMIN])
def test_district_staff_cannot_edit_a_schools_items(client, published, login_as, make, role):
    login_as(make.user(role, district=published.district))
    item = published.item("1.1")
    attempts = [
        client.post(published.item_url(item, "/edit"), data={"text": "Взлом", "status": "done"}),
        client.post(published.url("/items/new"), data={"new-text": "Взлом"}),
        client.post(published.item_url(item, "/evidence"), data={"url": "https://x.ru"}),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403]
    assert fresh(item).text == "Провести анализ результатов ВПР"
    assert count(RoadmapItem, RoadmapItem.roadmap_id == published.roadmap.id) == 2
    assert count(Evidence) == 0


# ------------------------------------------------------------------------- own items


def test_staff_add_an_own_item_with_the_form_of_the_page(client, published, login_as):
    login_as(published.staff)
    page = text_of(client.get(published.url()))
    form = form_values(page, "/items/new")  # exactly what the page's form sends
    form = fill(form, text="Открытый урок по математике", deadline_text=EVENT)
    response = client.post(published.url("/items/new"), data=form, follow_redirects=True)
    html = text_of(response)
    assert "Неверный вариант." not in html  # the form has no status field to choose from
    assert "Мероприятие С.1 добавлено." in html
    own = published.item("С.1")
    assert own is not None and own.is_own
    assert own.section == "Собственные мероприятия ОО" and own.status == "planned"
    assert "Собственные мероприятия ОО" in html
    assert "Открытый урок по математике" in row_text(html, f"item-{own.id}")

    empty = client.post(
        published.url("/items/new"), data=fill(form, text=""), follow_redirects=True
    )
    assert "Обязательное поле." in text_of(empty)
    assert count(RoadmapItem, RoadmapItem.roadmap_id == published.roadmap.id) == 3


def test_own_items_can_be_deleted_plan_items_cannot(client, published, login_as):
    own = services.add_own_item(
        published.staff, published.roadmap, {"text": "Открытый урок по математике"}
    )
    assert own.number == "С.1"
    login_as(published.staff)
    html = text_of(client.get(published.url()))
    plan_item = published.item("1.1")
    assert published.item_url(own, "/delete") in html
    assert published.item_url(plan_item, "/delete") not in html

    refused = client.post(published.item_url(plan_item, "/delete"), follow_redirects=True)
    assert "Удалить можно только собственные мероприятия ОО." in text_of(refused)
    assert count(RoadmapItem, RoadmapItem.id == plan_item.id) == 1

    deleted = client.post(published.item_url(own, "/delete"), follow_redirects=True)
    assert "Мероприятие удалено." in text_of(deleted)
    assert "Открытый урок по математике" not in text_of(deleted)
    assert count(RoadmapItem, RoadmapItem.id == own.id) == 0


# -------------------------------------------------------------------------- evidence


def test_a_pdf_is_attached_and_downloaded_back(client, published, login_as, client_of):
    login_as(published.staff)
    item = published.item("1.1")
    html = text_of(attach(client, published, item, PDF, "Протокол педсовета.pdf"))
    assert "Подтверждение добавлено к мероприятию 1.1." in html
    [evidence] = evidence_of(item)
    assert (evidence.filename, evidence.size) == ("Протокол педсовета.pdf", len(PDF))
    link = published.url(f"/evidence/{evidence.id}")
    assert link in html and "Протокол педсовета.pdf" in row_text(html, f"item-{item.id}")

    for reader in (client, client_of(published.reviewer)):
        download = reader.get(link)
        assert download.status_code == 200
        assert download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment")

    deleted = client.post(published.url(f"/evidence/{evidence.id}/delete"), follow_redirects=True)
    assert link not in text_of(deleted)
    assert evidence_of(item) == []


def test_a_link_is_attached_and_opens(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.2")
    html = text_of(attach(client, published, item, url="https://school.example.ru/news/42"))
    assert "Подтверждение добавлено к мероприятию 1.2." in html
    [evidence] = evidence_of(item)
    assert "https://school.example.ru/news/42" in html
    opened = client.get(published.url(f"/evidence/{evidence.id}"))
    assert opened.status_code == 302
    assert opened.headers["Location"] == "https://school.example.ru/news/42"

    bad = attach(client, published, item, url="javascript:alert(1)")
    assert "Это не адрес сайта (https://...)." in text_of(bad)
    nothing = attach(client, published, item)
    assert "Выберите файл или укажите ссылку." in text_of(nothing)
    assert len(evidence_of(item)) == 1


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "программа.exe"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "акт.pdf"),
        ("Просто текст, не PDF".encode(), "акт.pdf"),
        ("Просто текст".encode(), "заметки.txt"),
        (b"PK\x03\x04" + b"\x00" * 60, "архив.zip"),
    ],
    ids=["exe", "exe-named-pdf", "text-named-pdf", "txt", "zip"],
)
def test_files_that_are_not_documents_are_refused(client, published, login_as, data, filename):
    login_as(published.staff)
    item = published.item("1.1")
    html = text_of(attach(client, published, item, data, filename))
    assert WRONG_TYPE in html
    assert count(Evidence) == 0
    assert fresh(item).revision == 1


def test_a_file_over_10_mb_is_refused(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.1")
    big = PDF + b"0" * (10 * 1024 * 1024 - len(PDF) + 1)
    html = text_of(attach(client, published, item, big, "скан.pdf"))
    assert "Файл больше 10 МБ." in html
    assert count(Evidence) == 0


def test_the_same_file_twice_is_refused(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.1")
    attach(client, published, item, PDF, "акт.pdf")
    html = text_of(attach(client, published, item, PDF, "акт (копия).pdf"))
    assert "Этот файл уже прикреплён." in html
    assert [e.filename for e in evidence_of(item)] == ["акт.pdf"]


def test_another_schools_roadmap_item_and_evidence_answer_404(client, published, login_as):
    theirs = published.item("1.1", published.sibling_roadmap)
    their_file = services.add_evidence_file(published.sibling_staff, theirs, "их.pdf", PDF)
    login_as(published.staff)
    own = published.roadmap
    sibling = published.sibling_roadmap
    mine = f"/schools/{own.school_id}/roadmaps/{own.id}"
    responses = {
        "their roadmap": client.get(published.url(roadmap=sibling)),
        "their roadmap under our school": client.get(
            f"/schools/{own.school_id}/roadmaps/{sibling.id}"
        ),
        "their history": client.get(published.url("/history", roadmap=sibling)),
        "their item in our roadmap": client.get(f"{mine}/items/{theirs.id}/edit"),
        "edit their item": client.post(
            f"{mine}/items/{theirs.id}/edit", data={"text": "Взлом", "status": "done"}
        ),
        "edit via their url": client.post(
            published.item_url(theirs, "/edit"), data={"text": "Взлом", "status": "done"}
        ),
        "add to their roadmap": client.post(
            published.url("/items/new", roadmap=sibling), data={"new-text": "Взлом"}
        ),
        "attach to their item": client.post(
            f"{mine}/items/{theirs.id}/evidence", data={"url": "https://x.ru"}
        ),
        "their file": client.get(f"{mine}/evidence/{their_file.id}"),
        "their file via their url": client.get(
            published.url(f"/evidence/{their_file.id}", roadmap=sibling)
        ),
        "delete their file": client.post(f"{mine}/evidence/{their_file.id}/delete"),
    }
    assert {k: r.status_code for k, r in responses.items()} == dict.fromkeys(responses, 404)
    theirs = fresh(theirs)
    assert (theirs.text, theirs.status, theirs.revision) == (
        "Провести анализ результатов ВПР",
        "planned",
        2,  # the file attached above
    )
    assert [e.id for e in theirs.evidence] == [their_file.id]
    assert count(RoadmapItem, RoadmapItem.roadmap_id == sibling.id) == 2
    assert fresh(sibling).status == "draft"


# ------------------------------------------------------------------ district execution


@pytest.fixture
def execution(make, plans):
    """Three schools of a published plan, each at a different stage:

    A: 1.1 done, 1.2 in progress, an own item with no due date; submitted.
    B: nothing done (1.1 overdue); draft.
    C: 1.1 in progress (still overdue), 1.2 done; accepted.
    """
    admin = make.user(Role.DISTRICT_ADMIN)
    district = admin.district
    schools = [make.school(district, code=f"oo-{c}", short_name=f"Школа {c}") for c in "abc"]
    plan = plans.plan(
        admin,
        [
            {"number": "1.1", "text": "Анализ результатов ВПР", "deadline_text": PAST},
            {"number": "1.2", "text": "Педсовет по итогам ВПР", "deadline_text": EVENT},
            {"number": "1.3", "text": "Отчёт в министерство", "schools_report": False},
        ],
    )
    roadmaps = [r for _, r in sorted(plans.publish(admin, plan).items())]
    heads = [make.user(Role.SCHOOL_HEAD, school=s) for s in schools]
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district)

    def set_status(k, number, status, done_on=None):
        item = next(i for i in roadmaps[k].items if i.number == number)
        services.update_roadmap_item(
            heads[k], item, {"status": status, "done_on": done_on}, revision=None
        )

    set_status(0, "1.1", "done", date(2025, 10, 1))
    set_status(0, "1.2", "in_progress")
    services.add_own_item(heads[0], roadmaps[0], {"text": "Открытый урок", "deadline_text": EVENT})
    review.submit(heads[0], roadmaps[0])
    set_status(2, "1.1", "in_progress")
    set_status(2, "1.2", "done", date(2025, 11, 1))
    review.submit(heads[2], roadmaps[2])
    review.accept(reviewer, roadmaps[2])
    return {"plan": plan, "schools": schools, "reviewer": reviewer, "admin": admin}


def _table_rows(html: str, index: int) -> list[list[str]]:
    import lxml.html

    table = lxml.html.fromstring(html).xpath("//table")[index]
    return [
        [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        for tr in table.xpath("./tbody/tr")
    ]


EXPECTED_SCHOOLS = [
    ["oo-a", "Школа a", "на проверке", "3", "1", "1", "0"],
    ["oo-b", "Школа b", "черновик", "2", "0", "0", "1"],
    ["oo-c", "Школа c", "принято", "2", "1", "1", "1"],
]


def test_execution_counts_per_school_and_per_item(client, execution, login_as):
    login_as(execution["reviewer"])
    plan = execution["plan"]
    html = text_of(client.get(f"/plans/{plan.id}/execution"))
    assert "Исполнение по организациям" in html
    assert _table_rows(html, 0) == EXPECTED_SCHOOLS
    by_item = text_of(client.get(f"/plans/{plan.id}/execution/items"))
    assert "Исполнение по мероприятиям" in by_item
    # The district-only item 1.3 is no school's business.
    assert _table_rows(by_item, 0) == [
        ["1.1", "Анализ результатов ВПР", "15.10.2025", "1 / 3", "2"],
        ["1.2", "Педсовет по итогам ВПР", "—", "1 / 3", "0"],
    ]


def test_execution_is_paged_by_school(app, client, execution, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "SCHOOLS_PAGE_SIZE", 2)
    login_as(execution["reviewer"])
    url = f"/plans/{execution['plan'].id}/execution"
    first = text_of(client.get(url))
    assert [r[0] for r in _table_rows(first, 0)] == ["oo-a", "oo-b"]
    assert "Страница 1 из 2" in first
    second = text_of(client.get(url + "?page=2"))
    assert [r[0] for r in _table_rows(second, 0)] == ["oo-c"]
    assert "Страница 2 из 2" in second
    past = text_of(client.get(url + "?page=9"))  # past the last: the last
    assert [r[0] for r in _table_rows(past, 0)] == ["oo-c"]
    assert "Страница 2 из 2" in past
    # Filters count before paging: one page of two schools with overdue items.
    overdue = text_of(client.get(url + "?overdue=1"))
    assert [r[0] for r in _table_rows(overdue, 0)] == ["oo-b", "oo-c"]
    assert "Страница" not in overdue


def test_execution_filters_by_state_and_overdue(client, execution, login_as):
    login_as(execution["reviewer"])
    url = f"/plans/{execution['plan'].id}/execution"
    codes = lambda html: [row[0] for row in _table_rows(html, 0)]  # noqa: E731
    assert codes(text_of(client.get(url + "?status=submitted"))) == ["oo-a"]
    assert codes(text_of(client.get(url + "?status=accepted"))) == ["oo-c"]
    assert codes(text_of(client.get(url + "?overdue=1"))) == ["oo-b", "oo-c"]
    assert codes(text_of(client.get(url + "?status=draft&overdue=1"))) == ["oo-b"]
    none = text_of(client.get(url + "?status=returned"))
    assert "Нет подходящих организаций." in none
    # An unknown state is ignored rather than matching nothing.
    assert codes(text_of(client.get(url + "?status=bogus"))) == ["oo-a", "oo-b", "oo-c"]


def test_execution_xlsx_holds_the_same_numbers(client, execution, login_as):
    login_as(execution["admin"])
    plan = execution["plan"]
    response = client.get(f"/plans/{plan.id}/execution.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    # Read by position, so the numbers are checked whatever the sheets are called.
    schools, items = load_workbook(io.BytesIO(response.data)).worksheets
    assert schools["A1"].value == plan.title
    assert [list(r) for r in schools.iter_rows(min_row=3, values_only=True)] == [
        [code, name, state, *map(int, numbers)] for code, name, state, *numbers in EXPECTED_SCHOOLS
    ]
    rows = [list(r) for r in items.iter_rows(min_row=3, values_only=True)]
    assert [r[:2] + r[3:] for r in rows] == [
        ["1.1", "Анализ результатов ВПР", 3, 1, 2],
        ["1.2", "Педсовет по итогам ВПР", 3, 1, 0],
    ]
    assert rows[0][2].date() == date(2025, 10, 15) and rows[1][2] is None

    filtered = client.get(f"/plans/{plan.id}/execution.xlsx?overdue=1").data
    sheet = load_workbook(io.BytesIO(filtered)).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=3, values_only=True)] == ["oo-b", "oo-c"]


def test_execution_xlsx_sheets_are_organisations_and_measures(client, execution, login_as):
    login_as(execution["admin"])
    data = client.get(f"/plans/{execution['plan'].id}/execution.xlsx").data
    assert load_workbook(io.BytesIO(data)).sheetnames == ["Организации", "Мероприятия"]


def test_execution_is_for_district_staff_only(client, execution, login_as, make):
    plan = execution["plan"]
    login_as(make.user(Role.SCHOOL_HEAD, school=execution["schools"][0]))
    assert client.get(f"/plans/{plan.id}/execution").status_code == 403
    assert client.get(f"/plans/{plan.id}/execution.xlsx").status_code == 403


def test_execution_queries_do_not_grow_with_the_number_of_schools(
    app, client, make, plans, login_as
):
    admin = make.user(Role.DISTRICT_ADMIN)
    items = [
        {"number": "1", "text": "Анализ ВПР", "deadline_text": PAST},
        {"number": "2", "text": "Педсовет", "deadline_text": EVENT},
    ]
    for _ in range(3):
        make.school(admin.district)
    few = plans.plan(admin, items)
    plans.publish(admin, few)
    for _ in range(17):
        make.school(admin.district)
    many = plans.plan(admin, items)
    roadmaps = plans.publish(admin, many)
    assert len(roadmaps) == 20
    login_as(make.user(Role.DISTRICT_REVIEWER, district=admin.district))
    for plan in (few, many):
        assert client.get(f"/plans/{plan.id}/execution").status_code == 200
    queries_few = count_queries(app, lambda: client.get(f"/plans/{few.id}/execution"))
    queries_many = count_queries(app, lambda: client.get(f"/plans/{many.id}/execution"))
    assert queries_many == queries_few
    xlsx_few = count_queries(app, lambda: client.get(f"/plans/{few.id}/execution.xlsx"))
    xlsx_many = count_queries(app, lambda: client.get(f"/plans/{many.id}/execution.xlsx"))
    assert xlsx_many == xlsx_few


# ------------------------------------------------------------------------------- CSRF


def test_editing_an_item_without_a_csrf_token_is_refused(client, published, login_as, request):
    login_as(published.staff)
    request.getfixturevalue("csrf_on")
    item = published.item("1.1")
    url = published.item_url(item, "/edit")
    target = hx(f"item-{item.id}")
    form = form_values(text_of(client.get(url, headers=target)), url)
    token = form.pop("csrf_token")
    refused = client.post(url, data={**form, "status": "done"}, headers=target)
    assert refused.status_code == 400
    assert "Форма устарела" in text_of(refused)
    assert fresh(item).status == "planned"
    # The same post with the token goes through.
    ok = client.post(url, data={**form, "status": "done", "csrf_token": token}, headers=target)
    assert ok.status_code == 200
    assert fresh(item).status == "done"


def test_attaching_evidence_without_a_csrf_token_is_refused(client, published, login_as, request):
    login_as(published.staff)
    request.getfixturevalue("csrf_on")
    item = published.item("1.1")
    refused = client.post(
        published.item_url(item, "/evidence"),
        data={"file": (io.BytesIO(PDF), "акт.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert count(Evidence) == 0
    token = csrf_token_from(text_of(client.get(published.url())))
    client.post(
        published.item_url(item, "/evidence"),
        data={"file": (io.BytesIO(PDF), "акт.pdf"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert count(Evidence) == 1
