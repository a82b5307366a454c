"""The review cycle of a school's roadmap: submit, return with remarks, resubmit, compare
versions, accept, reopen by editing; who may do what; review.diff."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from intranet.auth.roles import Role
from intranet.review import services as review
from intranet.review.models import ReviewAction, ReviewEvent, Version
from intranet.roadmaps import services
from intranet.roadmaps.models import Evidence, RoadmapItem
from tests.fixtures.app import csrf_token_from
from tests.fixtures.roadmaps import count, element, form_values, fresh, hx, row_text, text_of

READ_ONLY = "Отправлено на проверку: изменения невозможны, пока УО не вернёт документ."
ALREADY = "Уже отправлено"
PDF = b"%PDF-1.4\n%review test\n"


def versions_of(roadmap) -> list[Version]:
    from intranet.extensions import db

    db.session.expire_all()
    return db.session.scalars(
        select(Version)
        .where(Version.subject_type == "roadmap", Version.subject_id == roadmap.id)
        .order_by(Version.number)
    ).all()


def actions_of(roadmap) -> list[str]:
    from intranet.extensions import db

    return db.session.scalars(
        select(ReviewEvent.action)
        .where(ReviewEvent.subject_type == "roadmap", ReviewEvent.subject_id == roadmap.id)
        .order_by(ReviewEvent.id)
    ).all()


def edit(client, published, item, **changes):
    url = published.item_url(item, "/edit")
    target = hx(f"item-{item.id}")
    form = form_values(text_of(client.get(url, headers=target)), url)
    form.update(changes)
    return client.post(url, data=form, headers=target)


def test_staff_cannot_submit(client, published, login_as):
    login_as(published.staff)
    assert published.url("/submit") not in text_of(client.get(published.url()))
    response = client.post(published.url("/submit"))
    assert response.status_code == 403
    assert fresh(published.roadmap).status == "draft"
    assert versions_of(published.roadmap) == []


def test_the_head_submits_once_however_often_they_click(client, published, login_as):
    login_as(published.head)
    page = text_of(client.get(published.url()))
    assert published.url("/submit") in page and "Отправить в УО" in page

    response = client.post(published.url("/submit"), follow_redirects=True)
    html = text_of(response)
    assert "Отправлено в управление образования (версия 1)." in html
    assert "на проверке" in html
    assert fresh(published.roadmap).status == "submitted"
    [version] = versions_of(published.roadmap)
    assert uuid.UUID(version.uuid).version == 7
    assert version.parent_uuid is None and version.number == 1
    assert version.author_name == "Директор Белова"
    item = published.item("1.1")
    assert version.content[f"{item.uuid}.text"]["value"] == "Провести анализ результатов ВПР"

    again = client.post(published.url("/submit"), follow_redirects=True)
    assert ALREADY in text_of(again)
    assert len(versions_of(published.roadmap)) == 1
    assert actions_of(published.roadmap) == ["submit"]


def test_an_empty_roadmap_cannot_be_submitted(client, published, login_as):
    from intranet.extensions import db

    for item in list(published.roadmap.items):
        db.session.delete(item)
    db.session.commit()
    login_as(published.head)
    response = client.post(published.url("/submit"), follow_redirects=True)
    assert "В дорожной карте нет мероприятий." in text_of(response)
    assert fresh(published.roadmap).status == "draft"
    assert versions_of(published.roadmap) == []


def test_while_submitted_the_school_cannot_change_anything(client, published, login_as):
    item = published.item("1.1")
    own = services.add_own_item(published.staff, published.roadmap, {"text": "Открытый урок"})
    evidence = services.add_evidence_file(published.staff, item, "акт.pdf", PDF)
    review.submit(published.head, published.roadmap)
    login_as(published.staff)

    page = text_of(client.get(published.url()))
    assert (
        "Отправлено в управление образования: до проверки дорожная карта доступна только для чтения."
        in page
    )
    assert published.item_url(item, "/edit") not in page

    url = published.item_url(item, "/edit")
    refused = client.post(
        url,
        data={"text": "Изменено", "status": "done", "revision": str(fresh(item).revision)},
        headers=hx(f"item-{item.id}"),
    )
    assert READ_ONLY in text_of(refused)
    attempts = [
        client.post(
            published.url("/items/new"),
            data={"new-text": "Ещё одно", "new-status": "planned"},
            follow_redirects=True,
        ),
        client.post(published.item_url(own, "/delete"), follow_redirects=True),
        client.post(
            published.item_url(item, "/evidence"),
            data={"url": "https://school.example.ru/news/1"},
            follow_redirects=True,
        ),
        client.post(published.url(f"/evidence/{evidence.id}/delete"), follow_redirects=True),
    ]
    for response in attempts:
        assert READ_ONLY in text_of(response)
    item = fresh(item)
    assert (item.text, item.status) == ("Провести анализ результатов ВПР", "planned")
    assert count(RoadmapItem, RoadmapItem.roadmap_id == published.roadmap.id) == 3
    assert count(Evidence) == 1
    assert fresh(published.roadmap).status == "submitted"


def test_return_resubmit_compare_and_accept(client, published, login_as, client_of):
    item, other = published.item("1.1"), published.item("1.2")
    head = client_of(published.head)
    reviewer = client_of(published.reviewer)
    head.post(published.url("/submit"))
    [first] = versions_of(published.roadmap)

    # The reviewer sees the review box with a remark field beside each item.
    page = text_of(reviewer.get(published.url()))
    assert "Принять" in page and "Вернуть на доработку" in page
    assert f'name="comment-{item.uuid}"' in page
    returned = reviewer.post(
        published.url("/return"),
        data={
            "reason": "Не указаны ответственные",
            f"comment-{item.uuid}": "Укажите дату проведения анализа",
            f"comment-{other.uuid}": "",
        },
        follow_redirects=True,
    )
    assert "Возвращено в ОО на доработку." in text_of(returned)
    assert fresh(published.roadmap).status == "returned"

    # The school sees the reason on top and the remark beside that item only.
    login_as(published.staff)
    page = text_of(client.get(published.url()))
    assert "Возвращено на доработку" in page and "Не указаны ответственные" in page
    assert "Замечание: Укажите дату проведения анализа" in row_text(page, f"item-{item.id}")
    assert "Замечание" not in row_text(page, f"item-{other.id}")

    edit(
        client, published, item, school_text="Провести анализ ВПР до 1 ноября", responsible="Завуч"
    )
    head.post(published.url("/submit"))
    first_again, second = versions_of(published.roadmap)
    assert first_again.uuid == first.uuid
    assert (second.number, second.parent_uuid) == (2, first.uuid)
    assert second.uuid != first.uuid
    # Once resubmitted, the remarks of the return live on in the history only.
    assert "Укажите дату проведения анализа" not in text_of(client.get(published.url()))

    history = text_of(reviewer.get(published.url("/history")))
    assert "Изменения от версии 1 к версии 2" in history
    assert "Было" in history and "Стало" in history
    # The district's wording stays; the school's stands beside it, and is what changed.
    assert fresh(item).text == "Провести анализ результатов ВПР"
    assert "1.1 Провести анализ результатов ВПР — Формулировка школы" in history
    assert "<ins>Провести анализ ВПР до 1 ноября</ins>" in history
    assert "<ins>Завуч</ins>" in history
    assert "Обсудить результаты на педагогическом совете" not in history  # unchanged
    assert "Не указаны ответственные" in history  # the reason, in the review history
    same = text_of(reviewer.get(published.url("/history?a=2&b=1")))
    assert "Изменения от версии 1 к версии 2" in same
    assert reviewer.get(published.url("/history?a=1&b=7")).status_code == 404

    accepted = reviewer.post(
        published.url("/accept"), data={"confirmed": "y"}, follow_redirects=True
    )
    assert "Принято." in text_of(accepted)
    roadmap = fresh(published.roadmap)
    assert (roadmap.status, roadmap.changed_since_accepted) == ("accepted", False)
    assert actions_of(roadmap) == ["submit", "return", "comment", "submit", "accept"]
    page = text_of(client.get(published.url()))
    assert "принято" in page and "Не указаны ответственные" not in page


def test_an_edit_after_acceptance_reopens_the_roadmap(client, published, login_as, client_of):
    review.submit(published.head, published.roadmap)
    review.accept(published.reviewer, published.roadmap)
    login_as(published.staff)
    item = published.item("1.1")
    edit(client, published, item, status="in_progress", progress_note="Начали анализ")
    roadmap = fresh(published.roadmap)
    assert (roadmap.status, roadmap.changed_since_accepted) == ("draft", True)
    assert fresh(item).progress_note == "Начали анализ"
    assert actions_of(roadmap)[-1] == ReviewAction.REOPEN
    assert "изменено после принятия" in text_of(client.get(published.url()))
    district = client_of(published.reviewer)
    assert "изменено после принятия" in text_of(district.get(published.url("/history")))
    execution = text_of(district.get(f"/plans/{published.plan.id}/execution"))
    assert (
        '<span class="badge state-draft">черновик</span> '
        '<span class="badge state-changed">изменено после принятия</span>'
    ) in execution

    # A second edit does not reopen it again; the next acceptance clears the mark.
    edit(client, published, fresh(item), progress_note="Анализ закончен")
    assert actions_of(roadmap).count(ReviewAction.REOPEN) == 1
    review.submit(published.head, fresh(roadmap))
    assert versions_of(roadmap)[-1].number == 2
    district.post(published.url("/accept"), data={"confirmed": "y"})
    assert fresh(roadmap).changed_since_accepted is False


def test_return_without_a_reason_is_refused(client, published, login_as):
    review.submit(published.head, published.roadmap)
    login_as(published.reviewer)
    item = published.item("1.1")
    for reason in ("", "   "):
        response = client.post(
            published.url("/return"),
            data={"reason": reason, f"comment-{item.uuid}": "Замечание без причины"},
        )
        # The page again, with the remark as typed in its open box: nothing is lost.
        assert response.status_code == 422
        page = text_of(response)
        assert "Не возвращено: укажите, что нужно исправить" in page
        box = element(page, f"item-{item.id}").find(".//details")
        assert box.get("open") is not None
        assert box.find(".//textarea").text == "Замечание без причины"
    assert fresh(published.roadmap).status == "submitted"
    assert actions_of(published.roadmap) == ["submit"]


def test_only_a_submitted_roadmap_can_be_reviewed(client, published, login_as):
    login_as(published.reviewer)
    page = text_of(client.get(published.url()))
    assert "Принять" not in page
    accept = client.post(published.url("/accept"), data={"confirmed": "y"}, follow_redirects=True)
    assert "Документ не ожидает проверки" in text_of(accept)
    back = client.post(published.url("/return"), data={"reason": "Рано"}, follow_redirects=True)
    assert "Документ не ожидает проверки" in text_of(back)
    assert fresh(published.roadmap).status == "draft"
    assert actions_of(published.roadmap) == []


def test_a_school_cannot_review_its_own_roadmap(client, published, login_as):
    review.submit(published.head, published.roadmap)
    login_as(published.head)
    assert client.post(published.url("/accept"), data={"confirmed": "y"}).status_code == 403
    assert client.post(published.url("/return"), data={"reason": "Сами"}).status_code == 403
    assert fresh(published.roadmap).status == "submitted"


def test_a_reviewer_of_another_district_gets_404(client, published, login_as, make):
    review.submit(published.head, published.roadmap)
    login_as(make.user(Role.DISTRICT_REVIEWER))
    assert client.get(published.url()).status_code == 404
    assert client.get(published.url("/history")).status_code == 404
    assert client.post(published.url("/accept"), data={"confirmed": "y"}).status_code == 404
    assert client.post(published.url("/return"), data={"reason": "Чужое"}).status_code == 404
    assert fresh(published.roadmap).status == "submitted"
    assert actions_of(published.roadmap) == ["submit"]


def test_remarks_on_items_of_another_roadmap_are_dropped(client, published, login_as):
    review.submit(published.head, published.roadmap)
    foreign_item = published.item("1.1", published.sibling_roadmap)
    login_as(published.reviewer)
    client.post(
        published.url("/return"),
        data={"reason": "Доработать", f"comment-{foreign_item.uuid}": "Не сюда"},
    )
    assert actions_of(published.roadmap) == ["submit", "return"]


def test_history_before_any_submission(client, published, login_as):
    login_as(published.staff)
    html = text_of(client.get(published.url("/history")))
    assert "Ещё не отправлялась." in html
    assert client.get(published.url("/history?a=1")).status_code == 404


def test_submitting_without_a_csrf_token_is_refused(client, published, login_as, request):
    login_as(published.head)
    request.getfixturevalue("csrf_on")
    refused = client.post(published.url("/submit"))
    assert refused.status_code == 400
    assert "Форма устарела" in text_of(refused)
    assert fresh(published.roadmap).status == "draft"
    assert versions_of(published.roadmap) == []
    token = csrf_token_from(text_of(client.get(published.url())))
    client.post(published.url("/submit"), data={"csrf_token": token})
    assert fresh(published.roadmap).status == "submitted"


def test_returning_without_a_csrf_token_is_refused(client, published, login_as, request):
    review.submit(published.head, published.roadmap)
    login_as(published.reviewer)
    request.getfixturevalue("csrf_on")
    refused = client.post(published.url("/return"), data={"reason": "Доработать"})
    assert refused.status_code == 400
    assert fresh(published.roadmap).status == "submitted"


# --------------------------------------------------------------------------- review.diff


def _snap(**values):
    return {key: {"label": f"Поле {key}", "value": value} for key, value in values.items()}


def test_diff_lists_changed_added_and_removed_fields_in_order():
    old = _snap(**{"a.text": "Совещание", "a.status": "запланировано", "b.text": "Удалённое"})
    new = _snap(**{"a.text": "Совещание", "a.status": "выполнено", "c.text": "Новое"})
    new["a.status"]["label"] = "1.1 Совещание — Статус"
    changes = review.diff(old, new)
    assert [(c.key, c.label, c.before, c.after) for c in changes] == [
        ("a.status", "1.1 Совещание — Статус", "запланировано", "выполнено"),
        ("c.text", "Поле c.text", None, "Новое"),
        ("b.text", "Поле b.text", "Удалённое", None),
    ]


def test_diff_of_equal_snapshots_is_empty():
    snap = _snap(**{"a.text": "Совещание", "a.done_on": ""})
    assert review.diff(snap, {k: dict(v) for k, v in snap.items()}) == []
    assert review.diff({}, {}) == []


def test_diff_of_real_versions_names_the_item_and_field(published):
    item = published.item("1.1")
    services.add_evidence_file(published.staff, item, "протокол.pdf", PDF)
    first = review.submit(published.head, published.roadmap)
    review.return_for_revision(published.reviewer, published.roadmap, "Доработать")
    services.update_roadmap_item(
        published.staff, fresh(item), {"status": "in_progress"}, revision=None
    )
    second = review.submit(published.head, fresh(published.roadmap))
    changes = review.diff(first.content, second.content)
    assert [(c.key, c.before, c.after) for c in changes] == [
        (f"{item.uuid}.status", "запланировано", "в работе")
    ]
    assert changes[0].label == "1.1 Провести анализ результатов ВПР — Статус"
    assert first.content[f"{item.uuid}.evidence"]["value"] == "протокол.pdf"


def test_version_content_holds_evidence_and_progress(published):
    item = published.item("1.1")
    services.add_evidence_file(published.staff, item, "протокол.pdf", PDF)
    services.add_evidence_link(published.staff, fresh(item), "https://school.example.ru/a")
    version = review.submit(published.head, published.roadmap)
    assert version.content[f"{item.uuid}.evidence"]["value"] == (
        "протокол.pdf, https://school.example.ru/a"
    )


def test_the_reviewer_returns_with_the_form_of_the_page(client, published, login_as):
    """The remark fields sit in the table and belong to the return form by their
    ``form`` attribute; the reason field is in the form itself."""
    review.submit(published.head, published.roadmap)
    item = published.item("1.2")
    login_as(published.reviewer)
    page = text_of(client.get(published.url()))
    form = form_values(page, "/return")
    form["reason"] = "Уточнить сроки"
    remark = f"comment-{item.uuid}"
    assert f'name="{remark}" form="return-form"' in page
    form[remark] = "Назначьте дату педсовета"
    client.post(published.url("/return"), data=form)
    assert fresh(published.roadmap).status == "returned"
    assert actions_of(published.roadmap) == ["submit", "return", "comment"]
