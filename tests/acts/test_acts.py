"""Control acts: composing from accepted data, requisites, issuing, immutability,
corrections, recommendations as roadmap measures, access."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from intranet.acts import services as acts
from intranet.acts.models import ActStatus, ControlAct, ImmutableAct
from intranet.errors import Refused
from intranet.extensions import db
from intranet.roadmaps import services as roadmaps
from intranet.roadmaps.models import RoadmapItem
from tests.acts.conftest import REQUISITES
from tests.fixtures.roadmaps import fill, form_values, fresh, text_of


def test_a_draft_is_prefilled_from_what_the_district_accepted(control, login_as):
    c = login_as(control.reviewer)
    page = c.get(control.url("/new"))
    assert page.status_code == 200
    html = text_of(page)
    assert "Самообследование 2026" in html and "версия 1" in html
    response = c.post(control.url("/new"), data={})
    assert response.status_code == 302
    act = db.session.scalars(select(ControlAct)).one()
    topics = [i["topic"] for i in act.items]
    assert "Положение о ВСОКО утверждено" in topics
    findings = {i["topic"]: i["finding"] for i in act.items}
    assert findings["Положение размещено на сайте"] == "fails"  # answered «нет»
    roadmap_item = next(i for i in act.items if i["topic"].startswith("Исполнение дорожной карты"))
    assert "Выполнено мероприятий: 1 из 2" in roadmap_item["note"]
    assert {s["kind"] for s in act.sources} == {"submission", "roadmap"}
    edit = c.get(response.headers["Location"])
    assert "Положение размещено на сайте" in text_of(edit)


def test_a_school_with_nothing_accepted_is_offered_a_documentary_control(control, login_as):
    c = login_as(control.reviewer)
    page = text_of(c.get(control.url("/new", school=control.sibling)))
    assert "nothing-accepted" in page and "с чистого листа" in page
    with pytest.raises(Refused):
        acts.create_draft(control.reviewer, control.sibling)
    response = c.post(control.url("/new", school=control.sibling), data={"scratch": "1"})
    assert response.status_code == 302
    act = db.session.scalars(select(ControlAct)).one()
    assert act.school_id == control.sibling.id and act.items == [] and act.sources == []
    assert act.control_form == "documentary"


def test_the_reviewer_edits_a_draft_through_the_page(control, login_as):
    act = acts.create_draft(control.reviewer, control.school)
    c = login_as(control.reviewer)
    url = control.act_url(act, "/edit")
    form = form_values(text_of(c.get(url)), "", having="order_number")
    form = fill(
        form,
        order_number="45-о",
        order_date="2026-03-01",
        period_start="2026-03-02",
        period_end="2026-03-06",
        conclusions="Выводы комиссии",
    )
    form["commission-0-post"] = "начальник отдела"
    form["recommendations-0-text"] = "Провести педсовет"
    form["recommendations-0-deadline"] = "2026-05-20"
    form["recommendations-0-responsible"] = "Заместитель директора"
    response = c.post(url, data=form)
    assert response.status_code == 302, text_of(response)
    act = fresh(act)
    assert act.order_number == "45-о" and act.order_date == date(2026, 3, 1)
    assert act.recommendations == [
        {
            "text": "Провести педсовет",
            "deadline": "2026-05-20",
            "responsible": "Заместитель директора",
        }
    ]
    assert act.revision == 2
    # bad input: a period that ends before it starts; nothing saved, the text kept
    form = form_values(text_of(c.get(url)), "", having="order_number")
    form = fill(form, period_end="2026-03-01", conclusions="Новые выводы")
    page = c.post(url, data=form)
    assert page.status_code == 200
    assert "Период заканчивается раньше" in text_of(page) or "раньше, чем начинается" in text_of(
        page
    )
    assert "Новые выводы" in text_of(page)
    assert fresh(act).conclusions == "Выводы комиссии"


def test_a_stale_draft_save_is_refused(control):
    act = acts.create_draft(control.reviewer, control.school)
    acts.save_draft(control.reviewer, act, dict(REQUISITES, items=act.items), act.revision)
    with pytest.raises(acts.StaleAct):
        acts.save_draft(control.reviewer, act, dict(REQUISITES, conclusions="x"), 1)


def test_missing_requisites_are_asked_for_before_issuing(control, login_as):
    act = acts.create_draft(control.reviewer, control.school)
    acts.save_draft(
        control.reviewer, act, dict(REQUISITES, order_number="", commission=[], items=act.items),
        act.revision,
    )  # fmt: skip
    c = login_as(control.reviewer)
    page = text_of(c.get(control.act_url(act, "/edit")))
    assert "номер приказа управления образования" in page
    assert "состав комиссии" in page
    response = c.post(control.act_url(act, "/issue"), follow_redirects=True)
    assert "Перед выдачей акта заполните" in text_of(response)
    act = fresh(act)
    assert act.status == ActStatus.DRAFT.value and act.seq is None


def test_issuing_numbers_acts_per_district_and_year(control, make, plans):
    first = control.issued()
    second = control.issued()
    year = acts.today_local().year
    assert (first.number, second.number) == (f"1-{year}", f"2-{year}")
    # another district counts on its own
    from intranet.auth.roles import Role

    other_school = make.school()
    other = make.user(Role.DISTRICT_REVIEWER, district=other_school.district)
    draft = acts.create_draft(other, other_school, from_scratch=True)
    data = dict(REQUISITES, items=[{"topic": "Сайт", "finding": "complies", "note": ""}])
    acts.save_draft(other, draft, data, draft.revision)
    assert acts.issue(other, draft).number == f"1-{year}"


def test_an_issued_act_never_changes(control, login_as):
    act = control.issued()
    with pytest.raises(Refused):
        acts.save_draft(control.reviewer, act, dict(REQUISITES, conclusions="Иначе"), act.revision)
    with pytest.raises(Refused):
        acts.issue(control.reviewer, act)
    act.conclusions = "Переписано"
    with pytest.raises(ImmutableAct):
        db.session.flush()
    db.session.rollback()
    c = login_as(control.reviewer)
    response = c.post(control.act_url(act, "/edit"), data={"conclusions": "x"})
    assert response.status_code == 302  # to the act, not saved
    assert fresh(act).conclusions == REQUISITES["conclusions"]
    response = c.post(control.act_url(act, "/delete"), follow_redirects=True)
    assert fresh(act) is not None


def test_a_correction_is_a_new_act_naming_the_one_it_replaces(control, login_as):
    act = control.issued()
    c = login_as(control.reviewer)
    response = c.post(control.act_url(act, "/correct"))
    assert response.status_code == 302
    draft = db.session.scalars(select(ControlAct).where(ControlAct.replaces_id == act.id)).one()
    assert draft.status == ActStatus.DRAFT.value and draft.items == act.items
    acts.save_draft(
        control.reviewer, draft, dict(REQUISITES, items=draft.items, conclusions="Уточнённые выводы"),
        draft.revision,
    )  # fmt: skip
    corrected = acts.issue(control.reviewer, fresh(draft))
    assert corrected.seq == act.seq + 1
    assert corrected.content["replaces"]["number"] == act.number
    old = fresh(act)
    assert old.status == ActStatus.ISSUED.value and old.stored_content_matches()
    page = text_of(c.get(control.act_url(old)))
    assert f"Заменён актом № {corrected.number}" in page


def test_recommendations_become_measures_of_the_school_roadmap(control):
    act = control.issued()
    items = db.session.scalars(
        select(RoadmapItem).where(RoadmapItem.id.in_(act.measure_item_ids))
    ).all()
    assert len(items) == 1
    item = items[0]
    assert item.roadmap_id == control.roadmap.id
    assert item.section == "По результатам контроля"
    assert item.text == "Разместить положение о ВСОКО на официальном сайте"
    assert item.due_date == date(2026, 6, 1)
    assert act.number in item.result
    # the school reports on it like any other measure
    roadmaps.update_roadmap_item(
        control.head, item, {"status": "done", "progress_note": "Размещено"}, item.revision
    )
    # ... and the next control sees it
    filled = acts.prefill(control.school)
    followup = [i for i in filled.items if act.number in i["topic"]]
    assert followup and followup[0]["finding"] == "complies"
    assert "Размещено" in followup[0]["note"]


def test_schools_see_their_issued_acts_and_no_drafts(control, login_as, client_of):
    issued = control.issued()
    draft = control.draft()
    c = login_as(control.head)
    page = text_of(c.get(control.url()))
    assert f"№ {issued.number}" in page and "Проект акта" not in page
    assert c.get(control.act_url(draft)).status_code == 404
    assert c.get(control.act_url(draft, ".pdf")).status_code == 404
    assert c.get(control.act_url(issued, ".pdf")).status_code == 200
    # another school's act answers 404, even with its own school's address
    other = client_of(control.sibling_head)
    assert other.get(control.act_url(issued)).status_code == 404
    forged = f"/schools/{control.sibling.id}/acts/{issued.id}"
    assert other.get(forged).status_code == 404
    assert other.get(f"/acts/{issued.uuid}/check?h={issued.content_hash}").status_code == 404
    # a school cannot compose or issue
    assert c.get(control.url("/new")).status_code == 403
    assert c.post(control.act_url(draft, "/issue")).status_code == 403


def test_the_check_address_tells_whether_the_stored_act_matches(control, login_as):
    act = control.issued()
    c = login_as(control.reviewer)
    url = f"/acts/{act.uuid}/check?h={act.content_hash}"
    page = text_of(c.get(url))
    assert "совпадает с напечатанным" in page
    page = text_of(c.get(f"/acts/{act.uuid}/check?h={'0' * 64}"))
    assert "не совпадает с суммой этого акта" in page
    # someone edits the stored act behind the intranet's back
    content = dict(act.content, conclusions="Нарушений не выявлено")
    import json

    db.session.execute(
        text("UPDATE control_acts SET content = :c WHERE id = :id"),
        {"c": json.dumps(content, ensure_ascii=False), "id": act.id},
    )
    db.session.commit()
    page = text_of(c.get(url))
    assert "НЕ совпадает" in page
    assert not fresh(act).stored_content_matches()


def test_district_list_and_print_of_a_year(control, login_as):
    act = control.issued()
    c = login_as(control.reviewer)
    page = text_of(c.get(f"/acts/?year={act.year}"))
    assert f"№ {act.number}" in page
    response = c.get(f"/acts/print?year={act.year}")
    assert response.mimetype == "application/pdf"
    response = c.get("/acts/print?year=1999", follow_redirects=True)
    assert "В 1999 году акты не выдавались" in text_of(response)


def test_the_school_page_leads_to_its_acts(control, login_as, client_of):
    c = login_as(control.reviewer)
    page = text_of(c.get(f"/schools/{control.school.id}"))
    assert control.url() in page and control.url("/new") in page
    c = client_of(control.head)
    page = text_of(c.get(f"/schools/{control.school.id}"))
    assert control.url() in page and control.url("/new") not in page


def test_the_qr_address_is_the_configured_public_one(control, login_as, app):
    act = control.draft()
    c = login_as(control.reviewer)
    app.config["PUBLIC_URL"] = "https://portal.uo.example/"
    try:
        c.post(control.act_url(act, "/issue"))
    finally:
        app.config["PUBLIC_URL"] = ""
    act = fresh(act)
    assert act.is_issued and act.check_base_url == "https://portal.uo.example"


def test_the_school_is_told_of_an_issued_act(control, client_of):
    act = control.issued()
    page = text_of(client_of(control.head).get(f"/schools/{control.school.id}"))
    assert f"выдан акт проверки № {act.number}" in page
    assert "Рекомендации акта внесены в дорожную карту" in page
