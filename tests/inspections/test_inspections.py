"""Templates and versions, campaigns, autosave with conflicts, review, history, dashboards,
notifications and every bad input: refused in Russian, nothing written."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.changelog.models import Change
from intranet.errors import Refused
from intranet.extensions import db
from intranet.inspections import builtin, services
from intranet.inspections.models import Notification, Submission
from intranet.review import services as review
from intranet.review.models import Version
from tests.inspections.conftest import SCHEMA, hx, launch, submission_of


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def changes(sub) -> list[Change]:
    db.session.expire_all()
    return db.session.scalars(
        select(Change)
        .where(Change.subject_type == "submission", Change.subject_id == sub.id)
        .where(Change.number.is_not(None))
        .order_by(Change.number)
    ).all()


def save(client, w, key, value, revision=0, **extra):
    data = {"_key": key, "revision": str(revision), **extra}
    if isinstance(value, list):
        data[key] = value
    else:
        data[key] = value
    return client.post(w.url("/save"), data=data, headers=hx())


def text(r) -> str:
    return r.get_data(as_text=True)


# -- templates ------------------------------------------------------------------------------


def test_published_version_never_changes_and_edit_makes_a_draft(insp):
    v1 = insp.template.latest
    with pytest.raises(Refused, match="Опубликованная версия"):
        services.save_schema(insp.admin, v1, {"sections": []})
    draft = services.editable_version(insp.admin, insp.template)
    assert draft.number == 2 and draft.is_draft and draft.schema == v1.schema
    services.add_section(insp.admin, draft, "Ещё раздел")
    assert fresh(v1).schema == SCHEMA


def test_a_key_cannot_change_type_between_versions(insp):
    draft = services.editable_version(insp.admin, insp.template)
    services.remove_field(insp.admin, draft, "note")
    with pytest.raises(Refused, match="другой тип"):
        services.add_field(insp.admin, draft, 0, {"key": "note", "type": "integer", "label": "x"})
    assert "note" not in {f["key"] for f in fresh(draft).fields}


def test_builder_pages_add_sections_fields_and_publish(client, insp, switch):
    switch(insp.admin)
    r = client.post("/forms/new", data={"title": "Проверка сайта"})
    assert r.status_code == 302
    tid = int(r.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/forms/{tid}/sections", data={"title": "Сайт"})
    r = client.post(
        f"/forms/{tid}/fields",
        data={"section": "0", "type": "yesno", "label": "Сайт есть"},
    )
    assert r.status_code == 302, text(r)
    r = client.post(
        f"/forms/{tid}/fields",
        data={
            "section": "0",
            "type": "table",
            "label": "Страницы",
            "columns-0-label": "Раздел",
            "columns-0-type": "text",
            "columns-1-label": "Есть",
            "columns-1-type": "yesno",
            "columns-2-label": "",
            "show_if_field": "sait_est",
            "show_if_equals": "yes",
        },
    )
    assert r.status_code == 302, text(r)
    # A forged type, a bad key typed and a condition on a missing question: refused.
    r = client.post(
        f"/forms/{tid}/fields",
        data={"section": "0", "key": "Bad key", "type": "yesno", "label": "x"},
    )
    assert r.status_code == 422 and "Латинские" in text(r)
    r = client.post(
        f"/forms/{tid}/fields", data={"section": "0", "key": "x", "type": "magic", "label": "x"}
    )
    assert r.status_code == 422
    r = client.post(
        f"/forms/{tid}/fields",
        data={"section": "0", "type": "text", "label": "y", "show_if_field": "nope"},
    )
    assert r.status_code == 422 and "которого нет в форме" in text(r)
    client.post(f"/forms/{tid}/publish")
    page = text(client.get(f"/forms/{tid}"))
    assert "опубликована" in page and "Страницы" in page
    from intranet.inspections.models import FormTemplate

    template = db.session.get(FormTemplate, tid)
    assert [f["key"] for f in template.latest.fields] == ["sait_est", "stranitsy"]
    assert template.latest.fields[1]["columns"] == [
        {"key": "razdel", "label": "Раздел", "type": "text"},
        {"key": "est", "label": "Есть", "type": "yesno"},
    ]
    assert not template.latest.is_draft


def _draft_keys(template_id):
    from intranet.inspections.models import FormTemplate

    db.session.expire_all()
    schema = db.session.get(FormTemplate, template_id).latest.schema
    return [[f["key"] for f in s["fields"]] for s in schema["sections"]]


def edit(client, template_id, question, **fields):
    """Post the builder's edit form of ``question`` (its fields are prefixed)."""
    data = {"section": "0", "key": question, "type": "integer", "label": "x"} | fields
    return client.post(
        f"/forms/{template_id}/fields/{question}", data={f"edit-{k}": v for k, v in data.items()}
    )


def test_builder_edits_a_question_in_place_and_keeps_its_key(client, insp, switch):
    switch(insp.admin)
    tid = insp.template.id
    # The published version cannot be edited: only a new draft can.
    r = client.get(f"/forms/{tid}/fields/count/edit", follow_redirects=True)
    assert "Опубликованная версия не меняется" in text(r) and 'name="edit-label"' not in text(r)
    r = edit(client, tid, "count")
    assert r.status_code == 422 and "Опубликованная версия не меняется" in text(r)
    client.post(f"/forms/{tid}/draft")
    page = text(client.get(f"/forms/{tid}/fields/count/edit"))
    # The question opens in its place with what it holds now.
    assert 'name="edit-label"' in page and 'value="Наблюдателей"' in page
    assert 'name="edit-key"' in page and "readonly" in page
    label = "Число общественных наблюдателей"
    r = edit(client, tid, "count", label=label, min="0", max="50", required="y")
    assert r.status_code == 302, text(r)
    assert _draft_keys(tid)[0].index("count") == 2
    from intranet.inspections.models import FormTemplate

    fields = {f["key"]: f for f in db.session.get(FormTemplate, tid).latest.fields}
    assert fields["count"] == {
        "key": "count",
        "type": "integer",
        "label": label,
        "required": True,
        "min": 0,
        "max": 50,
    }
    # A key cannot be renamed, nor change type against the published version.
    r = edit(client, tid, "count", key="total")
    assert r.status_code == 422 and "Ключ не меняется" in text(r)
    r = edit(client, tid, "count", type="text")
    assert r.status_code == 422 and "count" in text(r)
    assert fields["count"]["type"] == "integer" and _draft_keys(tid)[0].index("count") == 2
    # Moved to the other section: it goes to that section's end.
    edit(client, tid, "count", section="1")
    assert _draft_keys(tid) == [["posted", "link", "share", "kinds", "note"], ["classes", "count"]]
    # A forged key is 404 for the edit page and for the save, which writes nothing.
    assert client.get(f"/forms/{tid}/fields/nope/edit").status_code == 404
    r = edit(client, tid, "nope", type="text")
    assert r.status_code == 404 and "nope" not in sum(_draft_keys(tid), [])


def test_builder_moves_questions_up_and_down_across_sections(client, insp, switch):
    switch(insp.admin)
    tid = insp.template.id
    published = insp.template.latest.schema
    client.post(f"/forms/{tid}/draft")

    def move(key, direction):
        return client.post(f"/forms/{tid}/fields/move", data={"key": key, "direction": direction})

    move("count", "up")
    assert _draft_keys(tid)[0][:3] == ["posted", "count", "link"]
    move("posted", "up")  # already first of the form: nothing moves
    assert _draft_keys(tid)[0][:3] == ["posted", "count", "link"]
    move("link", "up")
    assert _draft_keys(tid)[0][:3] == ["posted", "link", "count"]
    # Above the question it depends on, a question would never be shown: refused.
    r = move("link", "up")
    assert "идёт после него" in text(client.get(r.headers["Location"]))
    assert _draft_keys(tid)[0][:3] == ["posted", "link", "count"]
    move("note", "down")  # last of its section: first of the next
    assert _draft_keys(tid) == [["posted", "link", "count", "share", "kinds"], ["note", "classes"]]
    move("note", "up")
    assert _draft_keys(tid)[0][-1] == "note"
    r = move("forged", "down")
    assert "Такого вопроса нет" in text(client.get(r.headers["Location"]))
    # The published version did not change.
    db.session.expire_all()
    assert db.session.get(type(insp.template), tid).versions[0].schema == published


def test_school_marks_its_notifications_read(client, insp, switch):
    switch(insp.staff)
    home = text(client.get(f"/schools/{insp.school.id}"))
    assert "Новая форма для заполнения" in home and "Отметить прочитанными" in home
    r = client.post(f"/schools/{insp.school.id}/forms/notifications/read", data={"back": "home"})
    assert r.headers["Location"].endswith(f"/schools/{insp.school.id}#school-forms")
    assert all(n.read_at for n in services.notifications(insp.school.id))
    assert "Отметить прочитанными" not in text(client.get(f"/schools/{insp.school.id}"))
    assert all(n.read_at is None for n in services.notifications(insp.sibling.id))
    # The district sees the school's notifications but does not mark them for it.
    with pytest.raises(Refused):
        services.mark_read(insp.reviewer, insp.school.id)


# -- campaigns ------------------------------------------------------------------------------


def test_launch_to_some_schools_notifies_them(insp, make):
    third = make.school(insp.district)
    campaign = launch(insp.admin, insp.template, school_ids=[third.id])
    assert [t.school_id for t in campaign.targets] == [third.id]
    texts = db.session.scalars(
        select(Notification.text).where(Notification.school_id == third.id)
    ).all()
    assert any("Новая форма" in t for t in texts)


def test_launch_refuses_draft_foreign_schools_and_past_dates(insp, make):
    foreign = make.school()
    with pytest.raises(Refused):
        launch(insp.admin, insp.template, school_ids=[foreign.id])
    with pytest.raises(Refused, match="в прошлом"):
        launch(insp.admin, insp.template, due=date.today() - timedelta(days=1))
    draft = services.editable_version(insp.admin, insp.template)
    with pytest.raises(Refused, match="Опубликуйте"):
        services.launch_campaign(insp.admin, draft, "x", date.today())
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 2


def test_locked_campaign_refuses_saves_until_reopened(insp):
    target = services.target_of(insp.sub)
    later = insp.campaign.locks_after + timedelta(days=1)
    with pytest.raises(Refused, match="закрыта"):
        services.save_answer(insp.staff, insp.sub, "posted", "yes", 0, today=later)
    assert changes(insp.sub) == []
    services.reopen(insp.admin, target, later)
    services.save_answer(insp.staff, insp.sub, "posted", "yes", 0, today=later)
    assert len(changes(insp.sub)) == 1


# -- filling --------------------------------------------------------------------------------


def test_autosave_answers_a_tiny_fragment_and_appends_a_change(client, insp, login_as):
    login_as(insp.staff)
    r = save(client, insp, "count", "12")
    assert r.status_code == 200 and len(r.get_data()) < 5000
    assert "сохранено" in text(r) and 'id="revision" value="1"' in text(r)
    r = save(client, insp, "note", "Всё хорошо", revision=1)
    first, second = changes(insp.sub)
    assert (first.field, first.value, first.parent_uuid) == ("count", "12", None)
    assert second.parent_uuid == first.uuid and second.uuid != first.uuid
    assert fresh(insp.sub).answers == {"count": "12", "note": "Всё хорошо"}


def test_a_save_racing_another_merges_both_and_keeps_the_chain(app, insp, monkeypatch):
    """Another person's save lands between this save's read and its write: the write is
    refused by its revision guard, read again and merged; both answers stay."""
    write = services._write_change
    raced = []

    def race_then_write(actor, submission, *args):
        if not raced:
            raced.append(True)
            with app.app_context():  # a second request, with its own session
                other = db.session.get(Submission, submission.id)
                services.save_answer(insp.staff2, other, "count", "7", 0)
        return write(actor, submission, *args)

    monkeypatch.setattr(services, "_write_change", race_then_write)
    saved = services.save_answer(insp.staff, insp.sub, "note", "Мой текст", 0)
    assert raced and saved.revision == 2
    assert fresh(insp.sub).answers == {"count": "7", "note": "Мой текст"}
    first, second = changes(insp.sub)
    assert (first.field, second.field) == ("count", "note")
    assert second.parent_uuid == first.uuid and fresh(insp.sub).head_uuid == second.uuid


def test_a_save_that_keeps_losing_the_race_is_refused_in_russian(app, insp, monkeypatch):
    def always_raced(*args):
        raise services._Raced

    monkeypatch.setattr(services, "_write_change", always_raced)
    with pytest.raises(Refused, match="несколько человек"):
        services.save_answer(insp.staff, insp.sub, "note", "Мой текст", 0)
    assert changes(insp.sub) == [] and fresh(insp.sub).answers == {}


def test_every_kind_of_change_names_the_previous_one(insp):
    services.save_answer(insp.staff, insp.sub, "count", "1", 0)
    row = services.add_row(insp.staff, insp.sub, "classes")
    services.save_answer(insp.staff, insp.sub, f"classes.{row}.grade", "5а", 2)
    services.remove_row(insp.staff, insp.sub, "classes", row)
    chain = changes(insp.sub)
    assert [c.number for c in chain] == [1, 2, 3, 4]
    assert [c.parent_uuid for c in chain] == [None] + [c.uuid for c in chain[:-1]]
    assert fresh(insp.sub).head_uuid == chain[-1].uuid


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("count", "101", "Не более 100"),
        ("count", "3,5", "Введите целое число"),
        ("share", "abc", "Введите число"),
        ("posted", "maybe", "Ответьте «да» или «нет»"),
        ("kinds", ["ЕГЭ"], "Выберите из списка"),
        ("link", "not a url", "Это не адрес"),
        ("forged_key", "1", "Такого вопроса нет"),
        ("classes.nope.grade", "5а", "Такой строки"),
        ("classes", "x", "Такого вопроса нет"),
    ],
)
def test_bad_values_are_refused_beside_the_field(client, insp, login_as, key, value, message):
    login_as(insp.staff)
    r = save(client, insp, key, value)
    assert message in text(r), text(r)
    assert changes(insp.sub) == [] and fresh(insp.sub).answers == {}


def test_same_field_saved_by_another_is_refused_and_shows_their_value(client, insp, login_as):
    services.save_answer(insp.staff2, insp.sub, "note", "Их текст", 0)
    login_as(insp.staff)
    r = save(client, insp, "note", "Мой текст", revision=0)
    body = text(r)
    assert "Сидоров Иван" in body and "Их текст" in body and "Мой текст" in body
    assert r.headers["HX-Retarget"] == "#fw-note"
    assert fresh(insp.sub).answers["note"] == "Их текст" and len(changes(insp.sub)) == 1
    # A different field merges silently; the same field saved again on the new base wins.
    assert "сохранено" in text(save(client, insp, "count", "5", revision=0))
    r = save(client, insp, "note", "Мой текст", revision=0, _base="1")
    assert "сохранено" in text(r)
    assert fresh(insp.sub).answers == {"note": "Мой текст", "count": "5"}


def test_a_cell_merges_with_rows_added_meanwhile_but_not_with_the_same_cell(insp):
    row = services.add_row(insp.staff, insp.sub, "classes")
    page_revision = fresh(insp.sub).revision
    services.add_row(insp.staff2, fresh(insp.sub), "classes")  # someone adds a row
    saved = services.save_answer(
        insp.staff, fresh(insp.sub), f"classes.{row}.grade", "5а", page_revision
    )
    assert saved.revision == 3 and fresh(insp.sub).answers["classes"][0]["grade"] == "5а"
    services.save_answer(insp.staff2, fresh(insp.sub), f"classes.{row}.pupils", "25", 3)
    with pytest.raises(services.StaleField):  # the same cell, changed since the page
        services.save_answer(insp.staff, fresh(insp.sub), f"classes.{row}.pupils", "30", 3)
    assert fresh(insp.sub).answers["classes"][0]["pupils"] == "25"


def test_table_rows_are_added_filled_and_removed(client, insp, login_as):
    login_as(insp.staff)
    r = client.post(insp.url("/rows"), data={"add_row": "classes"}, headers=hx())
    assert r.status_code == 200
    row_id = fresh(insp.sub).answers["classes"][0]["id"]
    assert "сохранено" in text(save(client, insp, f"classes.{row_id}.grade", "5а", revision=1))
    assert "целое" in text(save(client, insp, f"classes.{row_id}.pupils", "много", revision=2))
    save(client, insp, f"classes.{row_id}.pupils", "25", revision=2)
    assert fresh(insp.sub).answers["classes"] == [{"id": row_id, "grade": "5а", "pupils": "25"}]
    client.post(insp.url("/rows"), data={"remove_row": f"classes.{row_id}"}, headers=hx())
    assert fresh(insp.sub).answers["classes"] == []
    assert services.answers_at(fresh(insp.sub), 3)["classes"][0]["pupils"] == "25"


def test_conditional_field_appears_after_the_save(client, insp, login_as):
    login_as(insp.staff)
    assert 'id="fw-link" hidden' in text(client.get(insp.url()))
    r = save(client, insp, "posted", "yes")
    assert 'id="fw-link" hx-swap-oob="outerHTML"' in text(r)
    assert 'id="fw-link" hidden' not in text(client.get(insp.url()))


def test_plain_post_without_javascript_saves_every_field(client, insp, login_as):
    login_as(insp.staff)
    r = client.post(
        insp.url("/save-all"),
        data={"revision": "0", "posted": "no", "count": "7", "_multi": "kinds", "kinds": "ВПР"},
    )
    assert r.status_code == 302
    assert fresh(insp.sub).answers == {"posted": "no", "count": "7", "kinds": ["ВПР"]}
    r = client.post(insp.url("/save-all"), data={"revision": "3", "count": "700"})
    assert r.status_code == 422 and "Не более 100" in text(r)
    assert fresh(insp.sub).answers["count"] == "7"
    # Empty fields posted with the page are not "answers": nothing is written for them.
    client.post(insp.url("/save-all"), data={"revision": "3", "note": "", "link": ""})
    assert len(changes(insp.sub)) == 3
    # «Добавить строку» without scripts: what was typed is saved, then the row is added.
    r = client.post(
        insp.url("/rows"), data={"revision": "3", "count": "8", "note": "", "add_row": "classes"}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#fw-classes")
    answers = fresh(insp.sub).answers
    assert answers["count"] == "8" and len(answers["classes"]) == 1 and "note" not in answers


# -- review ---------------------------------------------------------------------------------


def fill_required(w):
    services.save_answer(w.staff, w.sub, "posted", "yes", 0)
    services.save_answer(w.staff, w.sub, "link", "https://school.ru/vsoko.pdf", 1)


def test_missing_required_blocks_submit(client, insp, login_as):
    login_as(insp.head)
    r = client.post(insp.url("/submit"), follow_redirects=True)
    assert "Сначала ответьте на обязательные вопросы" in text(r) and "Положение размещено" in text(
        r
    )
    assert fresh(insp.sub).status == "draft"


def test_cycle_submit_return_fix_resubmit_accept_reopen(client, insp, switch):
    fill_required(insp)
    switch(insp.head)
    client.post(insp.url("/submit"))
    client.post(insp.url("/submit"))  # a double submit makes one version
    assert db.session.scalar(select(func.count()).select_from(Version)) == 1
    sub = fresh(insp.sub)
    assert sub.status == "submitted" and sub.first_submitted_at is not None
    # Read-only while submitted.
    switch(insp.staff)
    r = save(client, insp, "note", "x", revision=2)
    assert "Отправлено на проверку" in text(r) and "note" not in fresh(insp.sub).answers
    switch(insp.reviewer)
    r = client.post(
        insp.url("/return"),
        data={"reason": "Неверная ссылка", "comment-link": "Ссылка не открывается"},
    )
    assert fresh(insp.sub).status == "returned"
    switch(insp.staff)
    page = text(client.get(insp.url()))
    assert "Ссылка не открывается" in page and "Неверная ссылка" in page
    assert any("возвращена" in n.text for n in services.notifications(insp.school.id))
    save(client, insp, "link", "https://school.ru/new.pdf", revision=2)
    switch(insp.head)
    client.post(insp.url("/submit"))
    switch(insp.reviewer)
    client.post(insp.url("/accept"), data={"confirmed": "y"})
    assert fresh(insp.sub).status == "accepted"
    versions = db.session.scalars(select(Version).order_by(Version.number)).all()
    assert [v.number for v in versions] == [1, 2] and versions[1].parent_uuid == versions[0].uuid
    page = text(client.get(insp.url("/history?a=2&b=3")))
    assert "https://school.ru/vsoko.pdf" in page and "https://school.ru/new.pdf" in page
    # An edit after acceptance reopens it as "changed since accepted".
    switch(insp.staff)
    r = save(client, insp, "count", "3", revision=3)
    assert "сохранено" in text(r)
    sub = fresh(insp.sub)
    assert sub.status == "draft" and sub.changed_since_accepted


def test_foreign_submissions_and_other_schools_are_404_and_write_nothing(
    client, insp, login_as, make
):
    login_as(insp.staff)
    r = client.post(
        insp.url("/save", insp.sibling_sub), data={"_key": "count", "count": "1", "revision": "0"}
    )
    assert r.status_code == 404
    r = client.post(
        f"/schools/{insp.school.id}/forms/{insp.sibling_sub.id}/save",
        data={"_key": "count", "count": "1"},
    )
    assert r.status_code == 404
    assert changes(insp.sibling_sub) == [] and changes(insp.sub) == []


def test_history_compares_any_two_saves(insp):
    services.save_answer(insp.staff, insp.sub, "count", "1", 0)
    services.save_answer(insp.staff, insp.sub, "note", "a", 1)
    services.save_answer(insp.staff, insp.sub, "count", "2", 2)
    diff = {c.key: (c.before, c.after) for c in services.compare(fresh(insp.sub), 1, 3)}
    assert diff == {"count": ("1", "2"), "note": (None, "a")}


# -- notifications and dashboards ------------------------------------------------------------


def test_deadline_in_three_days_is_notified_once_on_the_home_page(client, insp, login_as):
    near = launch(insp.admin, insp.template, due=date.today() + timedelta(days=2))
    login_as(insp.staff)
    for _ in range(2):
        page = text(client.get(f"/schools/{insp.school.id}"))
    assert "Самообследование" in page
    keys = db.session.scalars(
        select(Notification.dedupe_key).where(Notification.school_id == insp.school.id)
    ).all()
    sub = submission_of(near, insp.school)
    assert keys.count(f"due:{sub.id}") == 1 and f"due:{insp.sub.id}" not in keys


def test_matrix_states_and_rates(client, insp, switch):
    fill_required(insp)
    services.submit(insp.head, insp.sub)
    switch(insp.reviewer)
    result = services.matrix(insp.district.id, date.today())
    stats = result.campaigns[0]
    assert (stats.expected, stats.submitted, stats.on_time, stats.overdue) == (2, 1, 1, 0)
    assert result.cell(insp.school.id, insp.campaign.id)[0] == "submitted"
    assert result.cell(insp.sibling.id, insp.campaign.id)[0] == "not_started"
    later = insp.campaign.due_date + timedelta(days=1)
    assert (
        services.matrix(insp.district.id, later).cell(insp.sibling.id, insp.campaign.id)[0]
        == "late"
    )
    page = text(client.get("/campaigns/"))
    assert "1 / 2 (50%)" in page and "на проверке" in page


def test_matrix_cell_follows_the_whole_review_cycle(client, insp, switch):
    def cell(today=None):
        db.session.expire_all()
        return services.matrix(insp.district.id, today or date.today()).cell(
            insp.school.id, insp.campaign.id
        )

    after_due = insp.campaign.due_date + timedelta(days=1)
    assert cell()[0] == "not_started" and cell(after_due)[0] == "late"
    services.save_answer(insp.staff, insp.sub, "count", "1", 0)
    assert cell()[0] == "draft" and cell(after_due)[0] == "late"
    fill_required(insp)
    services.submit(insp.head, insp.sub)
    assert cell()[:1] == ("submitted",) and cell(after_due)[0] == "submitted"
    review.return_for_revision(insp.reviewer, insp.sub, "Исправьте", {})
    assert cell(after_due)[0] == "returned"
    services.submit(insp.head, fresh(insp.sub))
    review.accept(insp.reviewer, fresh(insp.sub))
    assert cell(after_due)[0] == "accepted" and cell()[2] is False
    sub = fresh(insp.sub)
    services.save_answer(insp.staff, sub, "count", "2", sub.revision)
    # Reopened by an edit: a draft again, marked as changed since accepted, never "late".
    state, sub_id, changed = cell(after_due)
    assert (state, sub_id, changed) == ("draft", insp.sub.id, True)
    switch(insp.reviewer)
    page = text(client.get("/campaigns/"))
    href = f"/schools/{insp.school.id}/forms/{insp.sub.id}"
    assert f'<td class="cell cell-draft"><a href="{href}">черновик</a> *</td>' in page


def test_consolidated_table_and_xlsx(client, insp, switch):
    fill_required(insp)
    services.save_answer(insp.staff, insp.sub, "count", "10", 2)
    row = services.add_row(insp.staff, insp.sub, "classes")
    services.save_answer(insp.staff, insp.sub, f"classes.{row}.grade", "5а", 4)
    services.submit(insp.head, insp.sub)
    switch(insp.reviewer)
    page = text(client.get(f"/campaigns/{insp.campaign.id}"))
    assert "да: 1 из 1 ответивших (100\u00a0%)" in page and "5а" in page
    assert "среднее 10, медиана 10 (ответили: 1)" in page
    r = client.get(f"/campaigns/{insp.campaign.id}/export.xlsx")
    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames[0] == "Ответы" and wb.sheetnames[-1] == "Вопросы"
    assert len(wb.sheetnames) == 3
    rows = list(wb["Ответы"].values)
    assert 10 in rows[2] and rows[-1][0].startswith("Итого по отправившим форму: 1 из 2")
    assert "5а" in list(wb[wb.sheetnames[1]].values)[2]


def test_builtin_forms_install_and_validate(insp):
    made = builtin.install(insp.admin, insp.district.id)
    assert [t.title for t in made] == ["Самообследование ВСОКО", "Объективность проведения ВПР"]
    keys = {f["key"] for f in made[0].latest.fields}
    assert {
        "vsoko_posted",
        "vsoko_url",
        "control_posted",
        "observers",
        "video_check",
        "no_conflict",
        "criteria",
        "analysis",
    } <= keys
    assert builtin.install(insp.admin, insp.district.id) == []


def _queries(client, url) -> int:
    from sqlalchemy import event

    seen = []

    def before(*_args, **_kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return len(seen)


def test_matrix_and_consolidated_queries_do_not_grow_with_schools(client, insp, make, switch):
    switch(insp.reviewer)
    urls = ("/campaigns/", f"/campaigns/{insp.campaign.id}")
    before = [_queries(client, u) for u in urls]
    for _ in range(5):
        make.school(insp.district)
    launch(insp.admin, insp.template)
    campaign = launch(insp.admin, insp.template)
    urls = ("/campaigns/", f"/campaigns/{campaign.id}")
    assert [_queries(client, u) for u in urls] == before


def test_builder_preview_shows_the_form_as_a_school_sees_it_and_saves_nothing(client, insp, switch):
    switch(insp.admin)
    assert "Предпросмотр" in text(client.get(f"/forms/{insp.template.id}"))
    page = text(client.get(f"/forms/{insp.template.id}/preview"))
    assert "так форму увидит школа" in page and "<fieldset disabled" in page
    for label in ("Положение размещено", "Наблюдателей", "Процедуры", "Классы", "Участников"):
        assert label in page
    # The conditional question is shown, with its condition written out.
    assert 'id="fw-link" hidden' not in page
    assert "только если на вопрос «Положение размещено» дан ответ «да»" in page
    assert "hx-post" not in page and "/save" not in page
    assert db.session.scalar(select(func.count()).select_from(Change)) == 0
    switch(insp.reviewer)
    assert client.get(f"/forms/{insp.template.id}/preview").status_code == 403


def test_versions_are_named_in_russian_not_v1(client, insp, switch):
    switch(insp.admin)
    form_page = text(client.get("/campaigns/new"))
    assert "Самообследование (версия 1)" in form_page
    page = text(client.get(f"/campaigns/{insp.campaign.id}"))
    assert "Самообследование, версия 1" in page
    for html in (form_page, page):
        assert not re.search(r"\bv\d", html)
