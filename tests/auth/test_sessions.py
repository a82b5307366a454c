"""Sessions that really end, a throttle and lockout that hold, no login oracle, no open
redirect (issue 12, items 7-11)."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import lxml.html
import pytest
from sqlalchemy import select

from intranet.auth.models import LoginAttempt
from intranet.auth.roles import Role
from intranet.extensions import db
from tests.fixtures.factories import PASSWORD, login

WRONG = "Неверный логин или пароль."
LOCKED = "Слишком много неудачных попыток входа под этим логином"
THROTTLED = "с этого компьютера"
OTP_RE = re.compile(r'<code class="otp" id="otp">([^<]+)</code>')


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _replay(app, cookie: str):
    """Another browser that only has the copied cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def _is_login_page(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_a_copied_session(app, make):
    user = make.user(Role.DISTRICT_REVIEWER)
    browser = app.test_client()
    login(browser, user)
    copied = _session_cookie(browser)
    assert _replay(app, copied).get("/schools/").status_code == 200
    browser.post("/logout")
    assert _is_login_page(_replay(app, copied).get("/schools/"))


def test_logout_ends_every_session_of_the_user(app, make):
    user = make.user(Role.DISTRICT_REVIEWER)
    office, home = app.test_client(), app.test_client()
    login(office, user)
    login(home, user)
    office.post("/logout")
    assert _is_login_page(home.get("/schools/"))


def test_password_change_ends_other_sessions_and_keeps_this_one(app, make):
    user = make.user(Role.DISTRICT_REVIEWER)
    here, elsewhere = app.test_client(), app.test_client()
    login(elsewhere, user)
    copied = _session_cookie(elsewhere)
    login(here, user)
    response = here.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a-new-long-pass", "repeat": "a-new-long-pass"},
    )
    assert response.status_code == 302
    assert here.get("/schools/").status_code == 200
    assert _is_login_page(elsewhere.get("/schools/"))
    assert _is_login_page(_replay(app, copied).get("/schools/"))


def test_admin_reset_ends_the_users_sessions(app, make):
    admin = make.user(Role.DISTRICT_ADMIN)
    staff = make.user(Role.SCHOOL_STAFF, district=admin.district)
    victim = app.test_client()
    login(victim, staff)
    copied = _session_cookie(victim)
    boss = app.test_client()
    login(boss, admin)
    assert boss.post(f"/users/{staff.id}/reset-password").status_code == 200
    assert _is_login_page(victim.get(f"/schools/{staff.school_id}"))
    assert _is_login_page(_replay(app, copied).get(f"/schools/{staff.school_id}"))


def test_deactivation_ends_sessions_for_good(app, make):
    admin = make.user(Role.DISTRICT_ADMIN)
    staff = make.user(Role.SCHOOL_STAFF, district=admin.district)
    victim = app.test_client()
    login(victim, staff)
    copied = _session_cookie(victim)
    boss = app.test_client()
    login(boss, admin)
    form = {"login": staff.login, "full_name": staff.full_name, "role": "school_staff"}
    form["school_id"] = staff.school_id
    boss.post(f"/users/{staff.id}/edit", data=form)  # the box unticked: deactivated
    boss.post(f"/users/{staff.id}/edit", data={**form, "active": "y"})  # and back again
    assert _is_login_page(_replay(app, copied).get(f"/schools/{staff.school_id}"))
    # The account itself works again with its password.
    assert login(app.test_client(), staff).status_code == 302


def test_address_throttle_counts_failures_whatever_else_the_address_did(app, client, make):
    user = make.user()
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 5
    try:
        for round_ in range(2):
            for n in range(2):
                client.post("/login", data={"login": f"guess{round_}{n}", "password": "bad"})
            # The attacker's own account logs in between the guesses.
            assert login(client, user).status_code == 302
            client.post("/logout")
        assert client.post("/login", data={"login": "guess5", "password": "bad"}).status_code == 200
        response = client.post("/login", data={"login": "guess6", "password": "bad"})
        assert response.status_code == 429
        assert THROTTLED in response.get_data(as_text=True)
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 30


class _ScryptCalls:
    """Counts the password hashes computed (werkzeug's scrypt), parameters included."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[tuple] = []
        real = hashlib.scrypt

        def counting(password, *, salt, n, r, p, maxmem=0, dklen=64):
            self.calls.append((n, r, p, dklen))
            return real(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)

        monkeypatch.setattr(hashlib, "scrypt", counting)


def test_an_unknown_login_costs_the_same_hash_as_a_known_one(client, make, monkeypatch):
    user = make.user()
    inactive = make.user(active=False)
    client.post("/login")  # warm up: anything computed once is not a login's cost
    client.post("/login", data={"login": "nobody-warmup", "password": "x"})
    scrypt = _ScryptCalls(monkeypatch)
    client.post("/login", data={"login": user.login, "password": "wrong"})
    known = list(scrypt.calls)
    scrypt.calls.clear()
    client.post("/login", data={"login": "nobody-at-all", "password": "wrong"})
    unknown = list(scrypt.calls)
    scrypt.calls.clear()
    client.post("/login", data={"login": inactive.login, "password": PASSWORD})
    assert known and unknown == known
    assert scrypt.calls == known


def _lock(app, client, login_name: str, address: str = "127.0.0.1") -> None:
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post(
            "/login",
            data={"login": login_name, "password": "bad"},
            environ_base={"REMOTE_ADDR": address},
        )


def test_admin_reset_lifts_the_lockout(app, client, make):
    admin = make.user(Role.DISTRICT_ADMIN)
    staff = make.user(Role.SCHOOL_STAFF, district=admin.district)
    _lock(app, client, staff.login)
    locked = login(client, staff)
    assert locked.status_code == 429 and LOCKED in locked.get_data(as_text=True)
    boss = app.test_client()
    login(boss, admin)
    html = boss.post(f"/users/{staff.id}/reset-password").get_data(as_text=True)
    password = OTP_RE.search(html).group(1)
    assert login(client, staff, password).status_code == 302


def test_a_stranger_cannot_lock_a_user_out_of_every_address(app, client, make):
    user = make.user()
    _lock(app, client, user.login, address="203.0.113.9")
    stranger = client.post(
        "/login",
        data={"login": user.login, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert stranger.status_code == 429  # the guessing address is slowed down
    owner = app.test_client().post(
        "/login",
        data={"login": user.login, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert owner.status_code == 302


def _hidden_next(html: str) -> str:
    found = lxml.html.fromstring(html).xpath('//input[@name="next"]')
    return found[0].get("value") or "" if found else ""


def _browser_location(location: str) -> str:
    # What a browser makes of a Location: tabs and newlines inside a URL are dropped.
    return "".join(c for c in location if c not in "\t\r\n")


@pytest.mark.parametrize(
    "query",
    [
        "/%09/evil.example/",
        "/%0a/evil.example/",
        "/%0d%0a/evil.example/",
        "/%5c/evil.example/",
        "/%20/evil.example/",
        "%2f%2fevil.example/",
        "https://evil.example/",
    ],
)
def test_next_cannot_leave_the_site(client, make, query):
    user = make.user(Role.DISTRICT_ADMIN)
    page = client.get(f"/login?next={query}")
    assert page.status_code == 200
    target = _hidden_next(page.get_data(as_text=True))
    response = client.post(
        "/login", data={"login": user.login, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    location = _browser_location(response.headers["Location"])
    assert urlsplit(location).netloc == ""
    assert not location.startswith("//")
    assert urlsplit(location).scheme == ""


def test_next_of_this_site_is_still_followed(client, make):
    user = make.user(Role.DISTRICT_ADMIN)
    response = client.post(
        "/login",
        data={"login": user.login, "password": PASSWORD, "next": "/schools/?q=школа&page=2"},
    )
    assert response.headers["Location"].startswith("/schools/?q=")
    assert response.headers["Location"].endswith("&page=2")


def test_every_attempt_is_kept(client, make):
    user = make.user()
    client.post("/login", data={"login": user.login, "password": "bad"})
    login(client, user)
    attempts = db.session.scalars(select(LoginAttempt).where(LoginAttempt.login == user.login))
    assert [a.succeeded for a in attempts] == [False, True]
