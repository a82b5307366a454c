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


def _published_plan(make, district, schools):
    """A published plan of ``district`` with one item, a roadmap for each school and a
    file attached to the first school's item."""
    from datetime import date

    from intranet.roadmaps import services

    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    plan = services.create_plan(
        admin,
        district.id,
        {"title": "План", "period_start": date(2025, 9, 1), "period_end": date(2026, 8, 31)},
    )
    services.add_plan_item(admin, plan, {"text": "Мероприятие", "deadline_text": "сентябрь"})
    services.publish(admin, plan)
    roadmaps = {r.school_id: r for r in _roadmaps(plan)}
    staff = make.user(Role.SCHOOL_STAFF, school=schools[0])
    item = roadmaps[schools[0].id].items[0]
    evidence = services.add_evidence_file(staff, item, "акт.pdf", b"%PDF-1.4 test")
    return plan, roadmaps, evidence


def _roadmaps(plan):
    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.roadmaps.models import SchoolRoadmap

    return db.session.scalars(select(SchoolRoadmap).where(SchoolRoadmap.plan_id == plan.id))


def _campaign(make, district, schools):
    """A published form of ``district`` sent to ``schools``: (template, campaign,
    {school id: submission})."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.inspections import services
    from intranet.inspections.models import Submission

    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    schema = {
        "sections": [
            {"title": "Раздел", "fields": [{"key": "ok", "type": "yesno", "label": "Да?"}]}
        ]
    }
    template = services.create_template(admin, district.id, "Форма", "", schema)
    services.publish_version(admin, template.latest)
    campaign = services.launch_campaign(
        admin, template.latest, "Кампания", date.today() + timedelta(days=5)
    )
    subs = db.session.scalars(select(Submission).where(Submission.campaign_id == campaign.id))
    return template, campaign, {s.school_id: s for s in subs}


def _act(make, district, school):
    """An issued control act on ``school`` (from scratch: nothing accepted yet)."""
    from datetime import date

    from intranet.acts import services

    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district)
    act = services.create_draft(reviewer, school, from_scratch=True)
    data = {
        "order_number": "1",
        "order_date": date(2026, 3, 1),
        "period_start": date(2026, 3, 2),
        "period_end": date(2026, 3, 3),
        "commission": [{"name": "Орлова", "post": "методист"}],
        "items": [{"topic": "Сайт", "finding": "complies"}],
        "conclusions": "Выводы",
        "head_name": "Директор",
    }
    act = services.save_draft(reviewer, act, data, act.revision)
    act = services.issue(reviewer, act)
    return {"act_id": act.id, "uuid": act.uuid}


def _form_values(forms, school):
    template, campaign, subs = forms
    return {
        "template_id": template.id,
        "campaign_id": campaign.id,
        "submission_id": subs[school.id].id,
        "key": "ok",  # a question of the form
    }


@pytest.fixture
def world(make):
    """Two districts; in ours two schools, a user of every role, and the objects they own."""
    ours = make.district()
    school = make.school(ours)
    other_school = make.school(ours)
    theirs = make.district()
    foreign_school = make.school(theirs)
    users = {role: make.user(role, school=school, district=ours) for role in ROLES}
    plan, roadmaps, evidence = _published_plan(make, ours, [school, other_school])
    far_plan, far_roadmaps, far_evidence = _published_plan(make, theirs, [foreign_school])
    forms = _campaign(make, ours, [school, other_school])
    far_forms = _campaign(make, theirs, [foreign_school])

    def values(school, user, plan, roadmap, evidence):
        return {
            "school_id": school.id,
            "user_id": user.id,
            "staged_id": str(uuid.uuid4()),
            "plan_id": plan.id,
            "plans.item_id": plan.items[0].id,
            "roadmap_id": roadmap.id,
            "roadmaps.item_id": roadmap.items[0].id,
            "evidence_id": evidence.id,
            "sync_api.sha": "0" * 64,
            "sync_api.number": 0,
        }

    sibling_roadmap = roadmaps[other_school.id]
    own_vpr, far_vpr = _objectivity(ours), _objectivity(theirs)
    return {
        "own": values(school, users[Role.SCHOOL_STAFF], plan, roadmaps[school.id], evidence)
        | own_vpr
        | _form_values(forms, school)
        | _sync(school)
        | _conflict(forms[2][school.id])
        | _act(make, ours, school),
        "foreign": values(
            foreign_school,
            make.user(Role.SCHOOL_STAFF, school=foreign_school),
            far_plan,
            far_roadmaps[foreign_school.id],
            far_evidence,
        )
        | far_vpr
        | _form_values(far_forms, foreign_school)
        | _sync(foreign_school)
        | _conflict(far_forms[2][foreign_school.id])
        | _act(make, theirs, foreign_school),
        # Another school of the same district: its roadmap, not the district's plan.
        "sibling": {
            "school_id": other_school.id,
            "user_id": make.user(Role.SCHOOL_STAFF, school=other_school).id,
            "roadmap_id": sibling_roadmap.id,
            "roadmaps.item_id": sibling_roadmap.items[0].id,
            "submission_id": forms[2][other_school.id].id,
        }
        | _act(make, ours, other_school),
        "users": users,
    }


def _objectivity(district):
    """A mark scale and the default rules of ``district``: the objectivity routes' objects."""
    from intranet.extensions import db
    from intranet.objectivity import services
    from intranet.objectivity.models import MarkScale

    scale = MarkScale(
        district_id=district.id,
        year=2024,
        subject="Математика",
        grade=5,
        min3=6,
        min4=11,
        min5=16,
        max_score=20,
    )
    db.session.add(scale)
    rule = services.rules(district.id)[0]
    db.session.commit()
    return {"scale_id": scale.id, "rule_id": rule.id}


def _sync(school):
    """An enrolled school computer and a quarantined change of ``school``."""
    import json

    from intranet.extensions import db
    from sync import keys, nodes
    from sync.models import SyncQuarantine

    node = nodes.enrol_node(school, str(uuid.uuid4()), keys.public_text(keys.generate()))
    item = SyncQuarantine(
        district_id=school.district_id,
        school_id=school.id,
        node_id=node.id,
        kind="change",
        reason="Неизвестная запись",
        raw=json.dumps(
            {
                "kind": "change",
                "uuid": str(uuid.uuid4()),
                "parent_uuid": None,
                "school": school.code,
                "subject_type": "submission",
                "subject_uuid": str(uuid.uuid4()),  # a form the district does not know
                "field": "ok",
                "value": "yes",
                "author_login": "",
                "author_name": "",
                "saved_at": "2026-01-01T00:00:00+00:00",
                "node_id": node.id,
            }
        ).encode(),
    )
    db.session.add(item)
    db.session.commit()
    return {"node_id": node.id, "sync.item_id": item.id}


def _conflict(submission):
    """A conflict on a question of ``submission``: a school computer's value against the
    district's, both kept."""
    from intranet.changelog.models import Change, Conflict
    from intranet.extensions import db
    from intranet.mixins import new_uuid

    sides = [
        Change(
            uuid=new_uuid(),
            district_id=submission.district_id,
            school_id=submission.school_id,
            subject_type="submission",
            subject_id=submission.id,
            subject_uuid=submission.uuid,
            number=number,
            applied=number is not None,
            field="ok",
            value=value,
        )
        for number, value in ((1, "yes"), (None, "no"))
    ]
    db.session.add_all(sides)
    db.session.flush()
    conflict = Conflict(
        district_id=submission.district_id,
        school_id=submission.school_id,
        subject_type="submission",
        subject_id=submission.id,
        field="ok",
        current_id=sides[0].id,
        incoming_id=sides[1].id,
    )
    db.session.add(conflict)
    db.session.commit()
    return {"conflict_id": conflict.id}


def _value(values, rule, name):
    blueprint = rule.endpoint.split(".")[0]
    return values.get(f"{blueprint}.{name}", values.get(name))


def _url(rule, values, fallback=None):
    from flask import url_for

    args = {}
    for name in rule.arguments:
        value = _value(values, rule, name)
        args[name] = value if value is not None else _value(fallback, rule, name)
    return url_for(rule.endpoint, **args)


def _methods(rule):
    return sorted(m for m in rule.methods if m in ("GET", "POST"))


def test_anonymous_is_sent_to_login(app, client, world):
    for rule in _routes(app):
        kind, _ = access_of(app.view_functions[rule.endpoint])
        for method in _methods(rule):
            with app.test_request_context():
                url = _url(rule, world["own"])
            response = client.open(url, method=method)
            if kind == "public":
                assert response.status_code < 400, (rule.rule, method, response.status_code)
            elif kind == "machine":
                # A school computer's route: unsigned, it is refused, never sent to log in.
                assert 400 <= response.status_code < 500, (rule.rule, method, response.status_code)
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
                url = _url(rule, world["own"])
            response = client.open(url, method=method)
            where = (rule.rule, method, role.value, response.status_code)
            if kind == "machine":
                # A session proves nothing to a school computer's route.
                assert response.status_code in (400, 401, 403, 404, 405, 415), where
                assert "Set-Cookie" not in response.headers, where
            elif kind == "public" or role in allowed:
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
    checked = 0
    for rule in _routes(app):
        kind, allowed = access_of(app.view_functions[rule.endpoint])
        if role not in allowed:
            continue
        cases = [world["foreign"]]
        if role.is_school:
            cases.append(world["sibling"])
        for values in cases:
            # Only routes that name an object of this kind of case.
            named = [n for n in rule.arguments if _value(values, rule, n) is not None]
            if not named or "staged_id" in rule.arguments:
                continue
            for method in _methods(rule):
                login(client, user)
                with app.test_request_context():
                    url = _url(rule, values, world["own"])
                response = client.open(url, method=method)
                assert response.status_code == 404, (url, method, role.value, response.status_code)
                checked += 1
    assert checked > 0
