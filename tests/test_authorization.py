"""Walk every route in the app as every role: nothing reaches production unclassified."""

from __future__ import annotations

import uuid

import pytest

from intranet.auth.access import access_of
from intranet.auth.roles import Role
from tests.fixtures.factories import login

ROLES = list(Role)
PARAMS_OWN = ("school_id", "user_id", "staged_id")


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def test_every_route_declares_its_access(app):
    unclassified = [
        rule.rule for rule in _routes(app) if access_of(app.view_functions[rule.endpoint]) is None
    ]
    assert unclassified == [], f"routes without an access rule: {unclassified}"


@pytest.fixture
def world(make):
    """Two districts; in ours two schools, a user of every role, and the objects they own."""
    ours = make.district()
    school = make.school(ours)
    other_school = make.school(ours)
    theirs = make.district()
    foreign_school = make.school(theirs)
    users = {role: make.user(role, school=school, district=ours) for role in ROLES}
    foreign_user = make.user(Role.SCHOOL_STAFF, school=foreign_school)
    sibling_user = make.user(Role.SCHOOL_STAFF, school=other_school)
    return {
        "school": school,
        "other_school": other_school,
        "foreign_school": foreign_school,
        "users": users,
        "foreign_user": foreign_user,
        "sibling_user": sibling_user,
    }


def _url(rule, values):
    from flask import url_for

    return url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})


def _own_values(world, role):
    return {
        "school_id": world["school"].id,
        "user_id": world["users"][Role.SCHOOL_STAFF].id,
        "staged_id": str(uuid.uuid4()),
    }


def _methods(rule):
    return sorted(m for m in rule.methods if m in ("GET", "POST"))


def test_anonymous_is_sent_to_login(app, client, world):
    for rule in _routes(app):
        kind, _ = access_of(app.view_functions[rule.endpoint])
        for method in _methods(rule):
            with app.test_request_context():
                url = _url(rule, _own_values(world, None))
            response = client.open(url, method=method)
            if kind == "public":
                assert response.status_code < 400, (rule.rule, method, response.status_code)
            else:
                assert response.status_code == 302, (rule.rule, method)
                assert "/login?next=" in response.headers["Location"], (rule.rule, method)


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_each_role_gets_exactly_what_it_may(app, client, world, role):
    user = world["users"][role]
    for rule in _routes(app):
        kind, allowed = access_of(app.view_functions[rule.endpoint])
        for method in _methods(rule):
            login(client, user)
            with app.test_request_context():
                url = _url(rule, _own_values(world, role))
            response = client.open(url, method=method)
            where = (rule.rule, method, role.value, response.status_code)
            if kind == "public" or role in allowed:
                assert response.status_code != 403, where
                assert response.status_code < 500, where
                location = response.headers.get("Location", "")
                assert "next=" not in location, where
            else:
                assert response.status_code == 403, where


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_objects_of_others_answer_404(app, client, world, role):
    """Another district's objects are invisible to everyone; a sibling school's to schools."""
    user = world["users"][role]
    foreign = {
        "school_id": world["foreign_school"].id,
        "user_id": world["foreign_user"].id,
    }
    sibling = {
        "school_id": world["other_school"].id,
        "user_id": world["sibling_user"].id,
    }
    checked = 0
    for rule in _routes(app):
        kind, allowed = access_of(app.view_functions[rule.endpoint])
        params = set(rule.arguments) & set(foreign)
        if not params or role not in allowed:
            continue
        for values in (foreign, sibling) if role.is_school else (foreign,):
            for method in _methods(rule):
                login(client, user)
                with app.test_request_context():
                    url = _url(rule, {**_own_values(world, role), **values})
                response = client.open(url, method=method)
                assert response.status_code == 404, (rule.rule, method, role.value)
                checked += 1
    assert checked > 0
