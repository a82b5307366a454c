from __future__ import annotations

from sqlalchemy import func, select

from intranet.audit.models import AuditEntry
from intranet.audit.services import acting
from intranet.auth.roles import Role
from intranet.extensions import db


def entries(entity: str):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    ).all()


def test_every_write_is_logged_with_actor_and_before_after(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN, login="boss")
    school = make.school(admin.district, code="s1", name="Школа", phone="1")
    login_as(admin)
    client.post(f"/schools/{school.id}/edit", data={"code": "s1", "name": "Школа", "phone": "2"})
    update = entries("school")[-1]
    assert update.action == "update"
    assert update.actor_login == "boss" and update.actor_id == admin.id
    assert update.before == {"phone": "1"} and update.after == {"phone": "2"}
    assert update.school_id == school.id and update.district_id == admin.district_id
    created = entries("school")[0]
    assert created.action == "create" and created.after["name"] == "Школа"
    assert created.actor_login == "system"  # made by the factory outside a request


def test_passwords_never_reach_the_log(make):
    user = make.user()
    with acting(None):
        user.set_password("another-secret-1")
        db.session.commit()
    logged = entries("user")
    assert all("another-secret" not in str(e.before) + str(e.after) for e in logged)
    assert logged[-1].after == {"password_hash": "***"}


def test_delete_is_logged_with_the_last_values(make):
    school = make.school(code="gone")
    db.session.delete(school)
    db.session.commit()
    last = entries("school")[-1]
    assert last.action == "delete" and last.before["code"] == "gone" and last.after is None


def test_admin_reads_the_log_filtered_by_school_and_user(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    one = make.school(admin.district, code="one", name="Первая")
    two = make.school(admin.district, code="two", name="Вторая")
    # A code no random token can contain (the page carries a CSRF token).
    other_district = make.school(code="дальн-01", name="Дальняя")
    login_as(admin)
    client.post(f"/schools/{one.id}/edit", data={"code": "one", "name": "Первая школа"})
    client.post(f"/schools/{two.id}/edit", data={"code": "two", "name": "Вторая школа"})
    html = client.get("/audit/").get_data(as_text=True)
    assert "Первая школа" in html and "Вторая школа" in html
    assert "Дальняя" not in html  # another district's log is invisible
    only_one = client.get(f"/audit/?school_id={one.id}").get_data(as_text=True)
    assert "Первая школа" in only_one and "Вторая школа" not in only_one
    by_admin = client.get(f"/audit/?actor_id={admin.id}").get_data(as_text=True)
    assert "Первая школа" in by_admin and "изменение" in by_admin
    assert other_district.code not in by_admin


def test_publishing_a_plan_is_one_entry_that_traces_every_created_record(
    client, make, plans, login_as
):
    from intranet.audit.services import created_by
    from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap

    admin = make.user(Role.DISTRICT_ADMIN, login="planner")
    for n in range(3):
        make.school(admin.district, code=f"p{n}")
    plan = plans.plan(
        admin, [{"number": f"1.{n}", "text": f"Мероприятие {n}"} for n in range(1, 5)]
    )
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    plans.publish(admin, plan)

    written = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id).offset(before)).all()
    assert [e.action for e in written if e.entity in ("roadmap", "roadmap_item")] == []
    bulk = [e for e in written if e.action == "bulk_create"]
    assert len(bulk) == 1
    entry = bulk[0]
    assert (entry.entity, entry.entity_id) == ("plan", str(plan.id))
    assert entry.actor_login == "planner" and entry.district_id == admin.district_id
    assert entry.after["count"] == 3 + 3 * 4
    assert entry.after["created"] == {"roadmap": 3, "roadmap_item": 12}
    for item_id in db.session.scalars(select(RoadmapItem.id)):
        assert created_by(admin.district_id, "roadmap_item", item_id).id == entry.id
    for roadmap_id in db.session.scalars(select(SchoolRoadmap.id)):
        assert created_by(admin.district_id, "roadmap", roadmap_id).id == entry.id
    # A record made on its own still has its own entry, now with its id.
    own = created_by(admin.district_id, "plan", plan.id)
    assert own.action == "create" and own.after["title"] == plan.title

    login_as(admin)
    html = client.get("/audit/").get_data(as_text=True)
    assert "публикация плана" in html and "создано записей: 15" in html


def test_launching_a_campaign_is_one_entry_for_its_schools(make, plans):
    from datetime import date, timedelta

    from intranet.audit.services import created_by
    from intranet.inspections import services as forms
    from intranet.inspections.models import Submission

    admin = make.user(Role.DISTRICT_ADMIN)
    for n in range(4):
        make.school(admin.district, code=f"c{n}")
    schema = {
        "sections": [
            {"key": "s", "title": "Р", "fields": [{"key": "q", "type": "yesno", "label": "Вопрос"}]}
        ]
    }
    template = forms.create_template(admin, admin.district_id, "Форма", "", schema)
    forms.publish_version(admin, template.latest)
    campaign = forms.launch_campaign(
        admin, template.latest, "Кампания", date.today() + timedelta(days=5)
    )
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.entity == "submission")
        )
        == 0
    )
    entry = created_by(admin.district_id, "submission", db.session.scalar(select(Submission.id)))
    assert entry.action == "bulk_create" and entry.entity_id == str(campaign.id)
    assert entry.after["created"] == {"campaign_target": 4, "submission": 4}
