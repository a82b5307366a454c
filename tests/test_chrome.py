"""The page's frame (menu, brand, linked files) is rendered once per role, school and
mode and reused: each user must still see exactly their own menu, in any order of
requests, in one app."""

import re

import pytest

from intranet.auth.roles import Role
from tests.fixtures.factories import login


def _menu(html: str) -> list[str]:
    nav = html[html.index('<nav class="menu"') : html.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


def _who(html: str) -> str:
    return re.search(r'class="who-name"[^>]*>([^<]+)<', html).group(1)


@pytest.fixture
def people(make):
    district = make.district()
    one, two = make.school(district), make.school(district)
    return {
        "admin": make.user(Role.DISTRICT_ADMIN, district=district, full_name="Админ Анна"),
        "methodist": make.user(
            Role.DISTRICT_REVIEWER, district=district, full_name="Методист Мария"
        ),
        "staff one": make.user(Role.SCHOOL_STAFF, school=one, full_name="Секретарь Первой"),
        "staff two": make.user(Role.SCHOOL_STAFF, school=two, full_name="Секретарь Второй"),
        "schools": (one.id, two.id),
    }


def test_each_user_sees_their_own_menu_whoever_came_before(app, people):
    one, two = people["schools"]
    seen = {}
    # Twice round, so the second visit of each is served from what the others left.
    for _round in range(2):
        for who in ("admin", "methodist", "staff one", "staff two"):
            client = app.test_client()
            login(client, people[who])
            html = client.get("/plans/").get_data(as_text=True)
            seen.setdefault(who, []).append((_menu(html), _who(html)))
    for who, visits in seen.items():
        assert visits[0] == visits[1], who

    admin, methodist = seen["admin"][0][0], seen["methodist"][0][0]
    assert "/users/" in admin and "/audit/" in admin and "/forms/" in admin
    assert "/users/" not in methodist and "/forms/" not in methodist
    assert "/schools/" in methodist and "/conflicts/" in methodist

    staff_one, staff_two = seen["staff one"][0][0], seen["staff two"][0][0]
    assert f"/schools/{one}" in staff_one and f"/schools/{two}" not in staff_one
    assert f"/schools/{two}" in staff_two and f"/schools/{one}" not in staff_two
    assert "/users/" not in staff_one

    assert [visit[1] for visit in seen["staff two"]] == ["Секретарь Второй"] * 2
    assert seen["admin"][0][1] == "Админ Анна"


def test_a_copy_and_the_district_server_show_their_own_menu(app, people, monkeypatch):
    client = app.test_client()
    login(client, people["admin"])
    district = _menu(client.get("/plans/").get_data(as_text=True))
    monkeypatch.setitem(app.config, "MODE", "school")
    copy = _menu(client.get("/plans/").get_data(as_text=True))
    assert "/users/" in district and "/forms/" in district
    assert "/users/" not in copy and "/forms/" not in copy


def test_an_anonymous_page_has_no_menu_and_links_the_hashed_files(app, client):
    html = client.get("/login").get_data(as_text=True)
    assert '<nav class="menu"' not in html
    assert re.search(r'href="/static/app\.[0-9a-f]+\.css"', html), html[:800]
    assert 'class="brand" href="/login"' in html
