"""What the reviewer and the school see on a form's page (issue 13, items 6, 7 and 9):
the acceptance asks for a tick, a refused return keeps the remarks as typed, the autosave
answers with the list of required questions still without an answer, a plain post shows a
refused value as typed, and the history compares submitted versions by question text."""

from __future__ import annotations

import lxml.html
from sqlalchemy import select

from intranet.extensions import db
from intranet.inspections import services
from intranet.inspections.models import Submission
from intranet.review.models import ReviewEvent
from tests.fixtures.roadmaps import element
from tests.inspections.conftest import hx


def fresh(sub) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, sub.id)


def text(r) -> str:
    return r.get_data(as_text=True)


def actions_of(sub) -> list[str]:
    return db.session.scalars(
        select(ReviewEvent.action)
        .where(ReviewEvent.subject_type == "submission", ReviewEvent.subject_id == sub.id)
        .order_by(ReviewEvent.id)
    ).all()


def submitted(w) -> None:
    services.save_answer(w.staff, w.sub, "posted", "yes", 0)
    services.save_answer(w.staff, w.sub, "link", "https://school.ru/vsoko.pdf", 1)
    services.submit(w.head, fresh(w.sub))


# -- item 6: the review ------------------------------------------------------------------------


def test_review_page_closes_the_remark_boxes_and_sets_accept_apart(client, insp, login_as):
    submitted(insp)
    login_as(insp.reviewer)
    page = text(client.get(insp.url()))
    shown = element(page, "fw-link")
    box = shown.find(".//details")
    assert box is not None and box.get("open") is None
    assert box.find("summary").text_content() == "Замечание к вопросу"
    assert box.find(".//textarea").get("form") == "return-form"
    # The acceptance is its own form, outside the return's, with a required tick.
    accept = element(page, "accept")
    assert element(page, "review").find(".//*[@id='accept']") is None
    tick = accept.find(".//input[@name='confirmed']")
    assert tick is not None and tick.get("required") is not None


def test_accept_needs_the_tick_and_a_second_click_changes_nothing(client, insp, login_as):
    submitted(insp)
    login_as(insp.reviewer)
    r = client.post(insp.url("/accept"), follow_redirects=True)
    assert "Чтобы принять, отметьте «Проверено, принять без замечаний»" in text(r)
    assert fresh(insp.sub).status == "submitted" and actions_of(insp.sub) == ["submit"]
    r = client.post(insp.url("/accept"), data={"confirmed": "y"}, follow_redirects=True)
    assert "Принято." in text(r) and fresh(insp.sub).status == "accepted"
    # A double click (the page sent twice): refused with a message, one acceptance.
    r = client.post(insp.url("/accept"), data={"confirmed": "y"}, follow_redirects=True)
    assert "не ожидает проверки" in text(r)
    assert actions_of(insp.sub) == ["submit", "accept"]


def test_a_return_without_reason_keeps_every_remark_as_typed(client, insp, login_as):
    submitted(insp)
    login_as(insp.reviewer)
    r = client.post(
        insp.url("/return"), data={"reason": "  ", "comment-link": "Ссылка не открывается"}
    )
    assert r.status_code == 422
    page = text(r)
    assert "Не возвращено: укажите, что нужно исправить" in page
    box = element(page, "fw-link").find(".//details")
    assert box.get("open") is not None
    assert box.find(".//textarea").text == "Ссылка не открывается"
    # Questions without a remark stay closed.
    assert element(page, "fw-posted").find(".//details").get("open") is None
    assert fresh(insp.sub).status == "submitted" and actions_of(insp.sub) == ["submit"]
    # Given the reason, the same remark goes with the return.
    client.post(
        insp.url("/return"),
        data={"reason": "Исправьте ссылку", "comment-link": "Ссылка не открывается"},
    )
    assert actions_of(insp.sub) == ["submit", "return", "comment"]


# -- item 7: filling ---------------------------------------------------------------------------


def test_autosave_answers_with_the_required_list_and_the_mark(client, insp, login_as):
    login_as(insp.staff)
    page = text(client.get(insp.url()))
    assert "Ответы сохраняются сами" in page
    assert [a.text for a in element(page, "missing-list").iter("a")] == ["Положение размещено"]
    assert element(page, "mk-posted").text == "нет ответа"
    # «да»: the link becomes required; the list and the marks say so at once.
    r = text(
        client.post(
            insp.url("/save"),
            data={"_key": "posted", "posted": "yes", "revision": "0"},
            headers=hx("st-posted"),
        )
    )
    listed = element(r, "missing-list")
    assert listed.get("hx-swap-oob") == "true"
    assert [a.text for a in listed.iter("a")] == ["Ссылка"]
    assert not element(r, "mk-posted").text
    r = text(
        client.post(
            insp.url("/save"),
            data={"_key": "link", "link": "https://school.ru/a.pdf", "revision": "1"},
            headers=hx("st-link"),
        )
    )
    assert element(r, "missing-list").text_content().strip() == (
        "На все обязательные вопросы есть ответы."
    )
    assert element(r, "mk-link").get("hx-swap-oob") == "true" and not element(r, "mk-link").text
    # An answer to a question that is not required leaves the list as it is: not sent.
    r = text(
        client.post(
            insp.url("/save"),
            data={"_key": "count", "count": "7", "revision": "2"},
            headers=hx("st-count"),
        )
    )
    assert "сохранено" in r and element(r, "missing-list") is None
    # A refused value changes nothing, and the list is not sent.
    r = text(
        client.post(
            insp.url("/save"),
            data={"_key": "count", "count": "700", "revision": "3"},
            headers=hx("st-count"),
        )
    )
    assert "Не более 100" in r and element(r, "missing-list") is None


def test_plain_post_shows_refused_values_as_typed_and_saves_the_rest(client, insp, login_as):
    login_as(insp.staff)
    r = client.post(
        insp.url("/save-all"),
        data={"revision": "0", "posted": "no", "count": "сто", "share": "120", "note": "Всё"},
    )
    assert r.status_code == 422
    page = text(r)
    summary = element(page, "error-summary")
    assert "Не сохранено ответов: 2" in summary.text_content()
    assert [a.text for a in summary.iter("a")] == ["Наблюдателей", "Доля"]
    assert element(page, "fw-count").find(".//input").get("value") == "сто"
    assert element(page, "fw-share").find(".//input").get("value") == "120"
    assert "целое" in element(page, "fw-count").text_content()
    assert fresh(insp.sub).answers == {"posted": "no", "note": "Всё"}
    # Corrected, it is saved and the browser is sent back to the page (no post on reload).
    r = client.post(insp.url("/save-all"), data={"revision": "2", "count": "7", "share": "12"})
    assert r.status_code == 302 and r.headers["Location"].endswith(insp.url())
    assert fresh(insp.sub).answers["count"] == "7"


def test_a_row_button_with_a_refused_answer_keeps_it_and_adds_no_row(client, insp, login_as):
    login_as(insp.staff)
    r = client.post(
        insp.url("/rows"), data={"revision": "0", "count": "много", "add_row": "classes"}
    )
    assert r.status_code == 422
    page = text(r)
    assert "Строка не изменена" in page
    assert element(page, "fw-count").find(".//input").get("value") == "много"
    assert "classes" not in (fresh(insp.sub).answers or {})


def test_someone_elses_newer_answer_is_kept_and_yours_is_repeated(client, insp, login_as):
    services.save_answer(insp.staff2, insp.sub, "note", "Их текст", 0)
    login_as(insp.staff)
    # A page rendered before that save posts another text for the same question.
    r = client.post(insp.url("/save-all"), data={"revision": "0", "note": "Мой текст"})
    assert r.status_code == 422
    shown = element(text(r), "fw-note")
    assert shown.find(".//textarea").text == "Их текст"
    assert "Вы ввели: «Мой текст»." in shown.text_content()
    assert fresh(insp.sub).answers["note"] == "Их текст"


# -- item 9: the history compares submitted versions -------------------------------------------


def test_history_compares_submitted_versions_by_question_text(client, insp, switch):
    submitted(insp)
    switch(insp.reviewer)
    client.post(insp.url("/return"), data={"reason": "Исправьте", "comment-link": "Старая"})
    services.save_answer(insp.staff, fresh(insp.sub), "link", "https://school.ru/new.pdf", 2)
    services.save_answer(insp.staff, fresh(insp.sub), "count", "5", 3)
    services.submit(insp.head, fresh(insp.sub))

    # The review page of the form sent again leads to what changed since.
    offered = [a.get("href") for a in lxml.html.fromstring(text(client.get(insp.url()))).iter("a")]
    assert insp.url("/history?va=1&vb=2#versions") in offered
    # Opened bare: the last two versions.
    page = text(client.get(insp.url("/history")))
    versions = element(page, "versions")
    shown = versions.text_content()
    assert "Изменения от версии 1 к версии 2" in shown
    assert "https://school.ru/vsoko.pdf" in shown and "https://school.ru/new.pdf" in shown
    rows = [[c.text_content() for c in tr.findall("td")] for tr in versions.iter("tr")]
    assert ["Ссылка", "https://school.ru/vsoko.pdf", "https://school.ru/new.pdf"] in rows
    assert ["Наблюдателей", "—", "5"] in rows
    # Keys are never shown: the review history and every save name the question.
    cells = [
        [c.text_content() for c in tr.findall("td")] for tr in lxml.html.fromstring(page).iter("tr")
    ]
    assert any(row[-2:] == ["Ссылка", "Старая"] for row in cells)  # the remark's question
    assert any(row[-1:] == ["Наблюдателей"] for row in cells)  # a save of «count»
    assert ">link<" not in page and ">count<" not in page

    # Version 1 with the answers as they are now (after an acceptance and an edit).
    client.post(insp.url("/accept"), data={"confirmed": "y"})
    services.save_answer(insp.staff, fresh(insp.sub), "count", "9", fresh(insp.sub).revision)
    page = text(client.get(insp.url("/history?va=2&vb=0")))
    versions = element(page, "versions")
    assert "Изменения от версии 2 к текущим ответам" in versions.text_content()
    rows = [[c.text_content() for c in tr.findall("td")] for tr in versions.iter("tr")]
    assert ["Наблюдателей", "5", "9"] in rows
    # In either order; a version that does not exist is 404.
    assert "Изменения от версии 1 к версии 2" in text(client.get(insp.url("/history?va=2&vb=1")))
    assert client.get(insp.url("/history?va=7&vb=1")).status_code == 404
    # The saves still compare too.
    assert "Изменения от сохранения 1 до сохранения 2" in text(
        client.get(insp.url("/history?a=1&b=2"))
    )
