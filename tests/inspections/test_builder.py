"""The form builder as a methodist uses it: keys made from the question's text and kept
out of sight, conditions and table columns chosen from lists in Russian, and a condition
that could never be true refused when saved, with and without JavaScript."""

from __future__ import annotations

import copy
import re

import pytest

from intranet.errors import Refused
from intranet.extensions import db
from intranet.inspections import schema as form_schema
from intranet.inspections import services
from intranet.inspections.models import FormTemplate
from intranet.review import services as review
from tests.inspections.conftest import SCHEMA, hx


def text(r) -> str:
    return r.get_data(as_text=True)


def draft_fields(template_id: int) -> dict[str, dict]:
    db.session.expire_all()
    return {f["key"]: f for f in db.session.get(FormTemplate, template_id).latest.fields}


@pytest.fixture
def draft(client, insp, switch):
    """The district admin on the builder of a new draft of the campaign's form."""
    switch(insp.admin)
    client.post(f"/forms/{insp.template.id}/draft")
    return insp.template.id


# -- keys ---------------------------------------------------------------------------------


def test_keys_are_made_from_the_text_and_unique():
    assert form_schema.make_key("Положение о ВСОКО размещено") == "polozhenie_o_vsoko_razmeshcheno"
    assert form_schema.make_key("Число наблюдателей, чел.") == "chislo_nabliudatelei_chel"
    long = "Положение о формах, периодичности и порядке текущего контроля успеваемости"
    key = form_schema.make_key(long)
    assert form_schema.KEY_RE.match(key) and len(key) <= 36 and not key.endswith("_")
    taken = {key}
    second = form_schema.make_key(long, taken)
    assert second == f"{key}_2" and form_schema.make_key(long, taken | {second}) == f"{key}_3"
    assert form_schema.make_key("5 классов") == "q_5_klassov"
    assert form_schema.make_key("???") == "q"
    assert form_schema.make_key("ID") == "id_2"  # a table row's own key


def test_a_new_question_gets_a_key_no_version_of_the_form_used(client, insp, draft):
    # Two questions with the same text: each its own key.
    r = client.post(
        f"/forms/{draft}/fields",
        data={"section": "0", "type": "textarea", "label": "Замечания"},
    )
    assert r.status_code == 302, text(r)
    r = client.post(
        f"/forms/{draft}/fields",
        data={"section": "0", "type": "integer", "label": "Замечания"},
    )
    assert r.status_code == 302, text(r)
    assert {"zamechaniia", "zamechaniia_2"} <= set(draft_fields(draft))
    # A key an earlier version gave to a question removed since is not given again.
    services.publish_version(insp.admin, db.session.get(FormTemplate, draft).latest)
    services.editable_version(insp.admin, db.session.get(FormTemplate, draft))
    later = db.session.get(FormTemplate, draft).latest
    services.remove_field(insp.admin, later, "zamechaniia_2")
    services.add_field(insp.admin, later, 0, {"type": "text", "label": "Замечания"})
    assert "zamechaniia_3" in draft_fields(draft)


def test_keys_stay_out_of_sight_unless_asked_for(client, insp, draft):
    page = text(client.get(f"/forms/{draft}"))
    assert "<code>posted</code>" not in page and "Показать ключи" in page
    # The condition is written with the question's text and the answer in Russian.
    assert "если на «1.1. Положение размещено» ответили «да»" in page
    assert 'name="key"' in page  # inside the closed «Ключ для выгрузок»
    assert re.search(r'<details class="keys">\s*<summary>Ключ для выгрузок', page)
    shown = text(client.get(f"/forms/{draft}?keys=1"))
    assert "<code>posted</code>" in shown and "Скрыть ключи" in shown
    assert '<details class="keys" open>' in shown


# -- conditions ---------------------------------------------------------------------------


def _with_condition(schema: dict, key: str, cond: dict) -> dict:
    schema = copy.deepcopy(schema)
    for f in form_schema.fields(schema):
        if f["key"] == key:
            f["show_if"] = cond
    return schema


@pytest.mark.parametrize(
    ("key", "cond", "says"),
    [
        # «observers = да»: the answer typed as a word, never stored so.
        ("link", {"field": "posted", "equals": "да"}, "ждёт ответа «да», которого у вопроса"),
        ("link", {"field": "link", "equals": "yes"}, "не может зависеть от собственного"),
        ("posted", {"field": "link", "equals": "yes"}, "идёт после него"),
        ("note", {"field": "count", "equals": "5"}, "не отвечают «да/нет»"),
        ("note", {"field": "kinds", "equals": "НИКО"}, "ждёт ответа «НИКО»"),
        ("note", {"field": "gone", "equals": "yes"}, "которого нет в форме"),
    ],
)
def test_a_condition_that_can_never_be_true_is_refused(insp, key, cond, says):
    draft = services.editable_version(insp.admin, insp.template)
    with pytest.raises(Refused, match=says):
        services.save_schema(insp.admin, draft, _with_condition(SCHEMA, key, cond))
    assert draft_fields(insp.template.id)[key].get("show_if") == (
        {"field": "posted", "equals": "yes"} if key == "link" else None
    )


def test_a_condition_on_an_option_of_a_choice_is_kept(insp):
    draft = services.editable_version(insp.admin, insp.template)
    schema = _with_condition(SCHEMA, "note", {"field": "kinds", "equals": "ОГЭ"})
    services.save_schema(insp.admin, draft, schema)
    assert draft_fields(insp.template.id)["note"]["show_if"] == {"field": "kinds", "equals": "ОГЭ"}


def test_the_condition_picker_offers_earlier_questions_and_their_answers(client, insp, draft):
    page = text(client.get(f"/forms/{draft}/fields/note/edit"))
    picker = re.search(r'<select[^>]*id="edit-show_if_field".*?</select>', page, re.S).group(0)
    # Earlier yes/no and choice questions, by their text; never a number or a text one.
    assert re.findall(r"<option[^>]*>([^<]*)</option>", picker) == [
        "всегда",
        "1.1. Положение размещено",
        "1.5. Процедуры",
    ]
    assert 'hx-get="/forms/' in picker and 'hx-target="#edit-show_if_equals-box"' in picker
    # HTMX asks for the answers of the question picked: an option list, or «да» and «нет».
    r = client.get(
        f"/forms/{draft}/condition?prefix=edit&editing=note&edit-show_if_field=kinds",
        headers=hx("edit-show_if_equals-box"),
    )
    assert r.status_code == 200 and "<html" not in text(r)
    assert re.findall(r'<option value="([^"]*)">([^<]*)</option>', text(r)) == [
        ("ВПР", "ВПР"),
        ("ОГЭ", "ОГЭ"),
    ]
    r = client.get(f"/forms/{draft}/condition?show_if_field=posted", headers=hx())
    assert re.findall(r'<option value="([^"]*)">([^<]*)</option>', text(r)) == [
        ("yes", "да"),
        ("no", "нет"),
    ]
    # A later question is not offered for an earlier one.
    page = text(client.get(f"/forms/{draft}/fields/posted/edit"))
    picker = re.search(r'<select[^>]*id="edit-show_if_field".*?</select>', page, re.S).group(0)
    assert "Процедуры" not in picker


def test_without_javascript_the_answers_come_with_a_button_and_nothing_is_saved(
    client, insp, draft
):
    before = draft_fields(draft)
    data = {"section": "0", "type": "text", "label": "Какие ещё", "show_if_field": "kinds"}
    r = client.post(f"/forms/{draft}/fields", data=data | {"refresh_condition": "1"})
    assert r.status_code == 200 and draft_fields(draft) == before
    page = text(r)
    assert 'value="Какие ещё"' in page  # what was typed stays
    assert '<option value="ВПР">ВПР</option>' in page
    # Saved with an answer of another question (the list was not redrawn): asked again.
    r = client.post(f"/forms/{draft}/fields", data=data | {"show_if_equals": "yes"})
    assert r.status_code == 422 and "Выберите ответ, при котором вопрос показывается" in text(r)
    assert draft_fields(draft) == before
    r = client.post(f"/forms/{draft}/fields", data=data | {"show_if_equals": "ОГЭ"})
    assert r.status_code == 302, text(r)
    assert draft_fields(draft)["kakie_eshche"]["show_if"] == {"field": "kinds", "equals": "ОГЭ"}


def test_a_condition_saved_wrong_before_is_shown_and_refused_until_fixed(client, insp, draft):
    """«observers = да», typed before the builder had lists: the question never showed."""
    version = db.session.get(FormTemplate, draft).latest
    schema = _with_condition(version.schema, "link", {"field": "posted", "equals": "да"})
    version.schema = schema
    db.session.commit()
    page = text(client.get(f"/forms/{draft}/fields/link/edit"))
    assert "если на «1.1. Положение размещено» ответили «да»" in page
    data = {"section": "0", "type": "url", "label": "Ссылка", "show_if_field": "posted"}
    r = client.post(
        f"/forms/{draft}/fields/link",
        data={f"edit-{k}": v for k, v in (data | {"show_if_equals": "yes"}).items()},
    )
    assert r.status_code == 302, text(r)
    assert draft_fields(draft)["link"]["show_if"] == {"field": "posted", "equals": "yes"}


# -- table columns ------------------------------------------------------------------------


def test_table_columns_are_typed_from_a_list_and_keep_their_keys(client, insp, draft):
    page = text(client.get(f"/forms/{draft}/fields/classes/edit"))
    types = re.search(r'<select[^>]*name="edit-columns-1-type".*?</select>', page, re.S).group(0)
    assert '<option selected value="integer">целое число</option>' in types
    assert "да / нет" in types and "один из списка" in types
    data = {
        "section": "1",
        "type": "table",
        "label": "Классы",
        "columns-0-key": "grade",
        "columns-0-label": "Класс (буква)",
        "columns-0-type": "text",
        "columns-1-key": "pupils",
        "columns-1-label": "Участников",
        "columns-1-type": "integer",
        "columns-2-label": "Кто проверял",
        "columns-2-type": "choice",
        "columns-2-options": "учитель; комиссия",
    }
    edit = {f"edit-{k}": v for k, v in data.items()}
    # One more column row, without scripts: the form comes back, nothing saved.
    r = client.post(f"/forms/{draft}/fields/classes", data=edit | {"more_columns": "1"})
    assert r.status_code == 200 and 'name="edit-columns-3-label"' in text(r)
    assert len(draft_fields(draft)["classes"]["columns"]) == 2
    r = client.post(f"/forms/{draft}/fields/classes", data=edit)
    assert r.status_code == 302, text(r)
    assert draft_fields(draft)["classes"]["columns"] == [
        {"key": "grade", "label": "Класс (буква)", "type": "text"},
        {"key": "pupils", "label": "Участников", "type": "integer"},
        {
            "key": "kto_proverial",
            "label": "Кто проверял",
            "type": "choice",
            "options": ["учитель", "комиссия"],
        },
    ]
    # A choice column without options is refused, naming the table and the column.
    r = client.post(
        f"/forms/{draft}/fields/classes",
        data=edit | {"edit-columns-2-options": ""},
    )
    assert r.status_code == 422
    assert "Таблица «Классы»: для столбца «Кто проверял» нужны варианты." in text(r)


# -- pages a school or a reviewer reads -----------------------------------------------------


def test_history_and_remarks_name_questions_by_their_text(client, insp, login_as):
    for key, value in (("posted", "yes"), ("link", "https://a.ru/x")):
        services.save_answer(insp.staff, insp.sub, key, value, insp.sub.revision)
    services.submit(insp.head, insp.sub)
    review.return_for_revision(insp.reviewer, insp.sub, "Исправьте", {"link": "Не открывается"})
    for user in (insp.reviewer, insp.staff):
        client = login_as(user)
        page = text(client.get(insp.url("/history")))
        cells = re.findall(r"<td>([^<]*)</td>", page)
        assert "Ссылка" in cells and "Положение размещено" in cells
        assert "link" not in cells and "posted" not in cells
        client.post("/logout")
