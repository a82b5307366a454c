from __future__ import annotations

from sqlalchemy import select

from intranet.auth.models import LoginAttempt, User
from intranet.auth.roles import Role
from intranet.extensions import db
from tests.fixtures.app import csrf_token_from
from tests.fixtures.factories import PASSWORD, login

WRONG = "Неверный логин или пароль."


def test_login_lands_on_the_role_home(client, make):
    head = make.user(Role.SCHOOL_HEAD)
    response = login(client, head)
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith(f"/schools/{head.school_id}")
    reviewer = make.user(Role.DISTRICT_REVIEWER)
    client.post("/logout")
    login(client, reviewer)
    # District staff land on their home (what waits for them); the school list is a link.
    assert client.get("/").headers["Location"].endswith("/district/")


def test_login_is_case_insensitive_and_trims(client, make):
    make.user(login="ivanova")
    response = client.post("/login", data={"login": "  IVANOVA ", "password": PASSWORD})
    assert response.status_code == 302


def test_unknown_login_and_wrong_password_get_the_same_answer(client, make):
    user = make.user()
    wrong_password = client.post("/login", data={"login": user.login, "password": "nope"})
    unknown = client.post("/login", data={"login": "nobody", "password": "nope"})
    assert wrong_password.status_code == unknown.status_code == 200
    assert WRONG in wrong_password.get_data(as_text=True)
    assert WRONG in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


def test_inactive_user_cannot_log_in(client, make):
    user = make.user(active=False)
    response = login(client, user)
    assert WRONG in response.get_data(as_text=True)


def test_lockout_after_repeated_failures_even_with_the_right_password(app, client, make):
    user = make.user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"login": user.login, "password": "bad"})
    response = login(client, user)
    assert response.status_code == 429
    assert "Слишком много неудачных попыток входа под этим логином" in response.get_data(
        as_text=True
    )
    # An unknown login locks the same way, so lockout does not reveal which logins exist.
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"login": "ghost", "password": "bad"})
    assert client.post("/login", data={"login": "ghost", "password": "x"}).status_code == 429


def test_throttle_per_address(app, client, make):
    user = make.user()
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    try:
        for n in range(3):
            client.post("/login", data={"login": f"guess{n}", "password": "bad"})
        response = login(client, user)
        assert response.status_code == 429
        assert "с этого компьютера" in response.get_data(as_text=True)
        other = app.test_client()
        ok = other.post(
            "/login",
            data={"login": user.login, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
        )
        assert ok.status_code == 302
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 30


def test_success_resets_the_failure_count(app, client, make):
    user = make.user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post("/login", data={"login": user.login, "password": "bad"})
    assert login(client, user).status_code == 302
    client.post("/logout")
    client.post("/login", data={"login": user.login, "password": "bad"})
    assert login(client, user).status_code == 302
    attempts = db.session.scalars(select(LoginAttempt).where(LoginAttempt.login == user.login))
    assert sum(1 for a in attempts if a.succeeded) == 2


def test_next_is_followed_only_within_the_site(client, make):
    user = make.user(Role.DISTRICT_ADMIN)
    response = client.post(
        "/login", data={"login": user.login, "password": PASSWORD, "next": "/users/"}
    )
    assert response.headers["Location"] == "/users/"
    client.post("/logout")
    response = client.post(
        "/login", data={"login": user.login, "password": PASSWORD, "next": "//evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, make):
    user = make.user(Role.DISTRICT_REVIEWER)
    login(client, user)
    assert client.get("/schools/").status_code == 200
    response = client.post("/logout", follow_redirects=True)
    assert "Вы вышли из системы." in response.get_data(as_text=True)
    assert client.get("/schools/").status_code == 302


def test_password_change(client, make):
    user = make.user()
    login(client, user)
    page = client.post(
        "/account/password",
        data={"current": "wrong", "new": "short", "repeat": "other"},
    ).get_data(as_text=True)
    assert "Текущий пароль указан неверно." in page
    assert "Не менее 10 символов." in page
    assert "Пароли не совпадают." in page
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a-new-long-pass", "repeat": "a-new-long-pass"},
    )
    assert response.status_code == 302
    client.post("/logout")
    assert WRONG in login(client, user).get_data(as_text=True)
    assert login(client, user, "a-new-long-pass").status_code == 302


def test_one_time_password_must_be_changed_first(client, make):
    user = make.user(Role.DISTRICT_REVIEWER, must_change_password=True)
    response = login(client, user)
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/schools/").headers["Location"].endswith("/account/password")


def test_password_is_hashed_strongly(make):
    user = make.user()
    stored = db.session.get(User, user.id).password_hash
    assert PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_session_cookie_flags(client, make):
    user = make.user()
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookie_when_configured(app, client, make):
    user = make.user()
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        cookie = login(client, user).headers["Set-Cookie"]
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert "Secure" in cookie


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "HX-Request" in response.headers["Vary"]
    assert "<script>" not in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused_in_russian(client, make, csrf_on):
    user = make.user()
    response = client.post("/login", data={"login": user.login, "password": PASSWORD})
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_csrf_token_in_form_and_in_htmx_header(client, make, csrf_on):
    user = make.user(Role.DISTRICT_ADMIN)
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_from(page)
    response = client.post(
        "/login", data={"login": user.login, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    home = client.get("/schools/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in home
    header_token = home.split('"X-CSRFToken": "')[1].split('"')[0]
    # An HTMX request carries the token only in its header.
    school = make.school(user.district)
    refused = client.post(f"/schools/{school.id}/active", data={"active": "0"})
    assert refused.status_code == 400
    assert db.session.get(type(school), school.id).active is True
    accepted = client.post(
        f"/schools/{school.id}/active",
        data={"active": "0"},
        headers={"X-CSRFToken": header_token, "HX-Request": "true"},
    )
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[-1500:]
    db.session.expire_all()
    assert db.session.get(type(school), school.id).active is False
