from __future__ import annotations

from sqlalchemy import select

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
