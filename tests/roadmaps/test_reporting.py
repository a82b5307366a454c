"""A school reports on an item in one short form; a district measure keeps the district's
wording, the school's stands beside it and travels as a change like every other field;
what the pages show is short and says what it is about (issue 13, items 8 and 9)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.changelog.models import Change
from intranet.errors import Refused
from intranet.extensions import db
from intranet.review import services as review
from intranet.roadmaps import services
from intranet.roadmaps.models import Evidence
from intranet.text import link_labels, shorten
from tests.changelog.test_merge import NODE_A, Copy, accounted
from tests.fixtures.roadmaps import element, form_values, fresh, hx, row_text, text_of

PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"


def _changes(item) -> list[tuple[str, object]]:
    rows = db.session.scalars(
        select(Change)
        .where(Change.subject_type == "roadmap_item", Change.subject_id == item.id)
        .order_by(Change.id)
    )
    return [(c.field, c.value) for c in rows]


# -- «Отметить выполнение» -------------------------------------------------------------------


def test_the_row_offers_a_short_mark_done_form(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.1")
    page = text_of(client.get(published.url()))
    url = published.item_url(item, "/done")
    form = form_values(page, url)
    # Only the report: no measure text, deadline or responsible to wade through.
    assert set(form) == {"csrf_token", "revision", "done_on", "progress_note", "url"}
    assert form["done_on"] == date.today().isoformat()
    assert "Отметить выполнение" in row_text(page, f"item-{item.id}")


def test_mark_done_without_javascript_posts_and_redirects(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.1")
    url = published.item_url(item, "/done")
    form = form_values(text_of(client.get(published.url())), url)
    form.update(done_on="2025-10-10", progress_note="Проведён анализ по классам")
    form["file"] = (__import__("io").BytesIO(PDF), "Протокол педсовета.pdf")
    form["url"] = "https://school1.ru/docs/analiz.pdf"

    response = client.post(url, data=form, content_type="multipart/form-data")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(published.url(f"#item-{item.id}"))
    page = text_of(client.get(published.url()))
    assert "Мероприятие 1.1 отмечено выполненным." in page
    shown = row_text(page, f"item-{item.id}")
    assert "выполнено" in shown and "10.10.2025" in shown
    assert "Проведён анализ по классам" in shown
    assert "Протокол педсовета.pdf" in shown and "school1.ru/docs/analiz.pdf" in shown
    item = fresh(item)
    assert (item.status, item.done_on) == ("done", date(2025, 10, 10))
    # One edit of the change log: the fields, then both pieces of evidence, in one chain.
    fields = [f for f, _ in _changes(item)]
    assert fields == ["status", "done_on", "progress_note", "evidence.add", "evidence.add"]
    assert fresh(published.roadmap).done_count == 1
    assert fresh(published.plan.items[0]).done_count == 1


def test_mark_done_with_htmx_gives_the_row_back(client, published, login_as):
    login_as(published.head)
    item = published.item("1.2")
    url = published.item_url(item, "/done")
    form = form_values(text_of(client.get(published.url())), url)
    form.update(progress_note="Педсовет проведён 12.11")

    html = text_of(client.post(url, data=form, headers=hx(f"item-{item.id}")))

    assert html.lstrip().startswith(f'<tr id="item-{item.id}"') and "<html" not in html
    shown = row_text(html, f"item-{item.id}")
    assert "выполнено" in shown and "Педсовет проведён 12.11" in shown
    assert "Отметить выполнение" not in shown  # done: the short form is not offered again
    assert fresh(item).done_on == date.today()


def test_bad_input_leaves_the_item_as_it_was_and_says_why(client, published, login_as):
    login_as(published.staff)
    item = published.item("1.1")
    url = published.item_url(item, "/done")
    form = form_values(text_of(client.get(published.url())), url)

    # Without JavaScript: a page with the short form, what was typed and the reason.
    page = text_of(client.post(url, data={**form, "progress_note": "", "url": "school1.ru"}))
    assert "Напишите, что сделано." in page
    assert element(page, f"item-{item.id}").xpath(".//details[@open]")
    assert form_values(page, url)["url"] == "school1.ru"
    # With htmx: the row, its short form open, the reason beside the field.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    html = text_of(
        client.post(
            url,
            data={**form, "progress_note": "Сделано", "done_on": tomorrow},
            headers=hx(f"item-{item.id}"),
        )
    )
    assert "Дата выполнения не может быть в будущем." in html
    assert form_values(html, url)["progress_note"] == "Сделано"
    bad_link = text_of(
        client.post(
            url,
            data={**form, "progress_note": "Сделано", "url": "ftp://school1.ru/x"},
            headers=hx(f"item-{item.id}"),
        )
    )
    assert "Это не адрес сайта" in bad_link
    bad_file = client.post(
        url,
        data={
            **form,
            "progress_note": "Сделано",
            "file": (__import__("io").BytesIO(b"MZ"), "a.exe"),
        },
        content_type="multipart/form-data",
    )
    assert "Прикрепите файл PDF, DOCX, XLSX или изображение" in text_of(bad_file)
    item = fresh(item)
    assert (item.status, item.progress_note, item.revision) == ("planned", "", 1)
    assert _changes(item) == [] and db.session.scalars(select(Evidence)).all() == []


def test_only_the_school_marks_its_items_done(client, published, login_as, make):
    from intranet.auth.roles import Role

    item = published.item("1.1")
    url = published.item_url(item, "/done")
    data = {"progress_note": "Взлом"}
    login_as(make.user(Role.DISTRICT_REVIEWER, district=published.district))
    assert client.post(url, data=data).status_code == 403
    login_as(published.sibling_staff)
    assert client.post(url, data=data).status_code in (403, 404)
    assert fresh(item).status == "planned"


def test_a_submitted_roadmap_cannot_be_marked(client, published, login_as):
    item = published.item("1.1")
    review.submit(published.head, published.roadmap)
    login_as(published.staff)
    page = text_of(client.get(published.url()))
    assert published.item_url(item, "/done") not in page
    answer = client.post(
        published.item_url(item, "/done"), data={"progress_note": "Сделано"}, follow_redirects=True
    )
    assert "доступна только для чтения" in text_of(answer)
    assert fresh(item).status == "planned"


# -- the school's wording ----------------------------------------------------------------------


def test_the_school_words_a_district_measure_beside_it_and_the_reviewer_sees_both(
    client, published, login_as, client_of
):
    login_as(published.staff)
    item = published.item("1.1")
    url = published.item_url(item, "/edit")
    editor = text_of(client.get(url))
    form = form_values(editor, url)
    # The district's words are shown, not offered for editing.
    assert "text" not in form and "number" not in form
    assert "Формулировка управления образования" in editor
    form["school_text"] = "Анализ ВПР по 4–8 классам с разбором заданий"
    assert client.post(url, data=form).status_code == 302
    item = fresh(item)
    assert item.text == "Провести анализ результатов ВПР"
    assert item.school_text == "Анализ ВПР по 4–8 классам с разбором заданий"
    assert _changes(item) == [("school_text", "Анализ ВПР по 4–8 классам с разбором заданий")]

    # A crafted post cannot reword the district's measure, nor can any other way in.
    client.post(url, data={**form, "text": "Своими словами", "revision": "2"})
    assert fresh(item).text == "Провести анализ результатов ВПР"
    with pytest.raises(Refused, match="изменить нельзя"):
        services.update_roadmap_item(published.staff, fresh(item), {"text": "Иначе"}, None)
    assert fresh(item).text == "Провести анализ результатов ВПР"

    review.submit(published.head, published.roadmap)
    reviewer = client_of(published.reviewer)
    page = text_of(reviewer.get(published.url()))
    row = element(page, f"item-{item.id}")
    district = " ".join(row.xpath('.//*[@class="district-wording"]')[0].text_content().split())
    school = " ".join(row.xpath('.//*[@class="school-wording"]')[0].text_content().split())
    assert district == "Формулировка управления образования Провести анализ результатов ВПР"
    assert school == "Формулировка школы Анализ ВПР по 4–8 классам с разбором заданий"


def test_an_own_measure_has_one_wording(client, published, login_as):
    own = services.add_own_item(published.staff, published.roadmap, {"text": "Открытый урок"})
    login_as(published.staff)
    url = published.item_url(own, "/edit")
    form = form_values(text_of(client.get(url)), url)
    assert form["text"] == "Открытый урок" and "school_text" not in form


def test_the_schools_wording_travels_from_a_copy_and_the_districts_does_not_change(published):
    item = published.item("1.1")
    pc = Copy(published.school, NODE_A, published.staff)
    worded = pc.change("roadmap_item", item, "school_text", "Своими словами школы")
    reworded = pc.change("roadmap_item", item, "text", "Переписано на копии")

    outcomes = [(w, pc.apply(w)) for w in (worded, reworded)]

    assert [o.status for _, o in outcomes] == ["applied", "quarantined"]
    assert "изменить нельзя" in outcomes[1][1].reason
    item = fresh(item)
    assert (item.school_text, item.text) == (
        "Своими словами школы",
        "Провести анализ результатов ВПР",
    )
    accounted(outcomes)


# -- what the pages show ----------------------------------------------------------------------


def test_links_show_their_site_and_the_end_of_the_address():
    assert link_labels(["https://www.school1.ru/"]) == ["school1.ru"]
    assert link_labels(["https://school1.ru/sveden/document/docs/plan.pdf"]) == [
        "school1.ru/…/docs/plan.pdf"
    ]
    # Two links to one site are told apart, however alike their ends.
    assert link_labels(
        ["https://school1.ru/2024/docs/plan.pdf", "https://school1.ru/2025/docs/plan.pdf"]
    ) == ["school1.ru/2024/docs/plan.pdf", "school1.ru/2025/docs/plan.pdf"]
    assert link_labels(["https://school1.ru/news?id=5", "https://school1.ru/news?id=6"]) == [
        "school1.ru/news?id=5",
        "school1.ru/news?id=6",
    ]
    assert link_labels(["https://school1.ru/%D0%BF%D0%BB%D0%B0%D0%BD.pdf"]) == [
        "school1.ru/план.pdf"
    ]


def test_text_is_cut_at_a_word():
    text = "Провести анализ результатов ВПР по каждому классу и предмету"
    assert shorten(text, 40) == "Провести анализ результатов ВПР по…"
    assert shorten(text, 200) == text


def test_evidence_links_on_the_roadmap_are_told_apart(client, published, login_as):
    item = published.item("1.1")
    for url in ("https://school1.ru/a/docs/plan.pdf", "https://school1.ru/b/docs/plan.pdf"):
        services.add_evidence_link(published.staff, item, url)
    login_as(published.reviewer)
    row = element(text_of(client.get(published.url())), f"item-{item.id}")
    shown = [a.text_content() for a in row.xpath('.//div[@class="evidence"]/a')]
    assert shown == ["school1.ru/a/docs/plan.pdf", "school1.ru/b/docs/plan.pdf"]


def test_columns_empty_in_every_row_are_not_drawn(client, published, login_as, plans):
    # The published plan has no responsible and no expected result anywhere.
    login_as(published.reviewer)
    page = text_of(client.get(f"/plans/{published.plan.id}"))
    import lxml.html

    doc = lxml.html.fromstring(page)
    headers = [" ".join(th.text_content().split()) for th in doc.xpath("//table//thead//th")]
    assert headers == ["№", "Мероприятие", "Срок"]
    assert {len(tr.xpath("./td")) for tr in doc.xpath("//table/tbody/tr[@id]")} == {3}
    # The reviewer's roadmap: no responsible, no evidence yet, no edit column.
    doc = lxml.html.fromstring(text_of(client.get(published.url())))
    headers = [" ".join(th.text_content().split()) for th in doc.xpath("//table//thead//th")]
    assert headers == ["№", "Мероприятие", "Срок", "Выполнение"]
    assert doc.xpath('//tr[@class="section-row"]/td/@colspan') == ["4"]
    # Once one item has a responsible person, the column is drawn for all.
    item = published.item("1.2")
    services.update_roadmap_item(published.staff, item, {"responsible": "Завуч"}, item.revision)
    doc = lxml.html.fromstring(text_of(client.get(published.url())))
    headers = [" ".join(th.text_content().split()) for th in doc.xpath("//table//thead//th")]
    assert headers == ["№", "Мероприятие", "Срок", "Ответственные", "Выполнение"]


def test_the_history_names_the_item_of_every_remark_and_change(client, published, login_as):
    long_text = (
        "Провести анализ результатов ВПР по каждому классу и предмету с выявлением "
        "дефицитов и планом их устранения"
    )
    own = services.add_own_item(published.staff, published.roadmap, {"text": long_text})
    review.submit(published.head, published.roadmap)
    review.return_for_revision(
        published.reviewer,
        published.roadmap,
        "Уточните сроки",
        comments={own.uuid: "Укажите классы"},
    )
    services.update_roadmap_item(published.staff, own, {"responsible": "Завуч"}, None)
    review.submit(published.head, published.roadmap)
    login_as(published.reviewer)
    page = text_of(client.get(published.url("/history")))
    text = " ".join(lxml_text(page).split())
    assert (
        "Мероприятие С.1 Провести анализ результатов ВПР по каждому классу и…: Укажите классы"
        in text
    )
    # The change is named by its item, cut at a word with «…».
    assert "С.1 Провести анализ результатов ВПР по каждому классу и… — Ответственные" in text


def lxml_text(html: str) -> str:
    import lxml.html

    return lxml.html.fromstring(html).text_content()


def test_the_printed_roadmap_leaves_out_empty_columns_and_shows_both_wordings(published):
    from intranet.reports.documents import RoadmapDocument
    from tests.fixtures.pdf import pdf_text

    item = published.item("1.1")
    services.update_roadmap_item(
        published.staff, item, {"school_text": "Анализ по параллелям"}, item.revision
    )
    db.session.refresh(published.roadmap)
    text = pdf_text(RoadmapDocument.single(published.roadmap).render())
    # The plan has no responsible and no expected result: neither column is drawn.
    assert "Мероприятие" in text and "Ответственные" not in text and "Результат" not in text
    assert "Провести анализ результатов ВПР" in text
    assert "Формулировка школы: Анализ по параллелям" in text
