from __future__ import annotations

import re

from sqlalchemy import select

from intranet.auth.models import User
from intranet.auth.roles import Role
from intranet.extensions import db

OTP_RE = re.compile(r'<code class="otp" id="otp">([^<]+)</code>')


def test_admin_creates_a_school_user_and_sees_the_password_once(app, client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    school = make.school(admin.district)
    login_as(admin)
    response = client.post(
        "/users/new",
        data={
            "login": "Petrova",
            "full_name": " Петрова  Анна ",
            "role": "school_staff",
            "school_id": school.id,
        },
    )
    html = response.get_data(as_text=True)
    password = OTP_RE.search(html).group(1)
    assert "он показывается только один раз" in html
    user = db.session.scalar(select(User).where(User.login == "petrova"))
    assert user.full_name == "Петрова Анна" and user.school_id == school.id
    assert user.must_change_password is True
    assert password not in user.password_hash
    # The password is not shown anywhere again.
    assert password not in client.get(f"/users/{user.id}/edit").get_data(as_text=True)
    assert password not in client.get("/users/").get_data(as_text=True)
    # The new user logs in with it and must choose their own.
    fresh = app.test_client()
    response = fresh.post("/login", data={"login": "petrova", "password": password})
    assert response.headers["Location"].endswith("/account/password")


def test_user_form_refuses_bad_input_in_russian(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    foreign_school = make.school()
    taken = make.user(Role.DISTRICT_REVIEWER, district=admin.district)
    login_as(admin)
    cases = [
        (
            {"login": "ok.login", "full_name": "Ф", "role": "school_head", "school_id": 0},
            "Для сотрудника ОО нужно указать организацию.",
        ),
        (
            {
                "login": "ok.login",
                "full_name": "Ф",
                "role": "school_head",
                "school_id": foreign_school.id,
            },
            "Неверный вариант.",
        ),
        (
            {"login": taken.login, "full_name": "Ф", "role": "district_reviewer"},
            "Этот логин уже занят.",
        ),
        (
            {"login": "кириллица", "full_name": "Ф", "role": "district_reviewer"},
            "Только латинские буквы",
        ),
        ({"login": "ok.login", "full_name": "Ф", "role": "superuser"}, "Неверный вариант."),
    ]
    before = db.session.scalar(select(db.func.count(User.id)))
    for data, message in cases:
        html = client.post("/users/new", data=data).get_data(as_text=True)
        assert message in html, message
    assert db.session.scalar(select(db.func.count(User.id))) == before


def test_reset_password_shows_a_new_one_time_password(app, client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    staff = make.user(Role.SCHOOL_STAFF, district=admin.district)
    login_as(admin)
    html = client.post(f"/users/{staff.id}/reset-password").get_data(as_text=True)
    password = OTP_RE.search(html).group(1)
    fresh = app.test_client()
    assert (
        fresh.post(
            "/login", data={"login": staff.login, "password": "correct-horse-42"}
        ).status_code
        == 200
    )
    assert (
        fresh.post("/login", data={"login": staff.login, "password": password}).status_code == 302
    )


def test_deactivate_and_role_change(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    staff = make.user(Role.SCHOOL_STAFF, district=admin.district)
    login_as(admin)
    client.post(
        f"/users/{staff.id}/edit",
        data={
            "login": staff.login,
            "full_name": staff.full_name,
            "role": "school_head",
            "school_id": staff.school_id,
        },
    )
    db.session.expire_all()
    staff = db.session.get(User, staff.id)
    assert staff.role == "school_head" and staff.active is False  # unchecked box = deactivated
    self_demote = client.post(
        f"/users/{admin.id}/edit",
        data={
            "login": admin.login,
            "full_name": admin.full_name,
            "role": "district_reviewer",
            "active": "y",
        },
    ).get_data(as_text=True)
    assert "Нельзя деактивировать себя" in self_demote


def test_deactivated_user_is_logged_out(app, make):
    admin = make.user(Role.DISTRICT_ADMIN)
    staff = make.user(Role.SCHOOL_STAFF, district=admin.district)
    victim = app.test_client()
    victim.post("/login", data={"login": staff.login, "password": "correct-horse-42"})
    assert victim.get(f"/schools/{staff.school_id}").status_code == 200
    boss = app.test_client()
    boss.post("/login", data={"login": admin.login, "password": "correct-horse-42"})
    boss.post(
        f"/users/{staff.id}/edit",
        data={
            "login": staff.login,
            "full_name": staff.full_name,
            "role": "school_staff",
            "school_id": staff.school_id,
        },
    )
    assert victim.get(f"/schools/{staff.school_id}").status_code == 302


def test_user_list_filters_by_school_and_hides_other_districts(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN, full_name="Админ")
    a = make.user(Role.SCHOOL_STAFF, district=admin.district, full_name="Сотрудник А")
    b = make.user(Role.SCHOOL_STAFF, district=admin.district, full_name="Сотрудник Б")
    outsider = make.user(Role.SCHOOL_STAFF, full_name="Чужой Сотрудник")
    login_as(admin)
    html = client.get("/users/").get_data(as_text=True)
    assert a.full_name in html and b.full_name in html and outsider.full_name not in html
    filtered = client.get(f"/users/?school_id={a.school_id}").get_data(as_text=True)
    assert a.full_name in filtered and b.full_name not in filtered
