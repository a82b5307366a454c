"""What people do on one side, run as its own process by tests/sync/test_two_processes.py.

``python -m tests.sync.twoproc_actions ACTION`` with the side's INTRANET_* environment;
prints one JSON object. Every action goes through the same services as the pages.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta

from sqlalchemy import select

PASSWORD = "school-pass-2025"
SCHEMA = {
    "sections": [
        {
            "title": "ВСОКО",
            "fields": [
                {"key": "order", "type": "text", "label": "Приказ о ВСОКО"},
                {"key": "observers", "type": "integer", "label": "Число наблюдателей"},
            ],
        }
    ]
}


def _user(login):
    from intranet.auth.models import User
    from intranet.extensions import db

    return db.session.scalar(select(User).where(User.login == login))


def _submission():
    from intranet.extensions import db
    from intranet.inspections.models import Submission
    from intranet.schools.models import School

    school = db.session.scalar(select(School).where(School.code == "s1"))
    return db.session.scalar(select(Submission).where(Submission.school_id == school.id))


def _roadmap():
    from intranet.extensions import db
    from intranet.roadmaps.models import SchoolRoadmap
    from intranet.schools.models import School

    school = db.session.scalar(select(School).where(School.code == "s1"))
    return db.session.scalar(select(SchoolRoadmap).where(SchoolRoadmap.school_id == school.id))


def seed() -> dict:
    """District: a school with a head, a published plan of two items, a launched form."""
    from intranet.auth.models import User
    from intranet.database import upgrade_database
    from intranet.extensions import db
    from intranet.inspections import services as inspections
    from intranet.roadmaps import services as roadmaps
    from intranet.schools.models import District, School

    upgrade_database()
    district = District(name="Управление образования", short_name="УО")
    db.session.add(district)
    db.session.flush()
    school = School(district_id=district.id, code="s1", name="СОШ № 1", short_name="СОШ № 1")
    other = School(district_id=district.id, code="s2", name="СОШ № 2", short_name="СОШ № 2")
    db.session.add_all([school, other])
    db.session.flush()
    people = [
        ("admin", "district_admin", None, "Администратор"),
        ("metodist", "district_reviewer", None, "Методист Орлова"),
        ("head1", "school_head", school.id, "Директор Белова"),
    ]
    for login, role, school_id, name in people:
        user = User(
            login=login, full_name=name, role=role, district_id=district.id, school_id=school_id
        )
        user.set_password(PASSWORD)
        db.session.add(user)
    db.session.commit()
    admin = _user("admin")
    plan = roadmaps.create_plan(
        admin,
        district.id,
        {
            "title": "Дорожная карта",
            "period_start": date(2025, 9, 1),
            "period_end": date(2026, 8, 31),
        },
    )
    for text in ("Проанализировать результаты ВПР", "Провести педсовет"):
        roadmaps.add_plan_item(admin, plan, {"text": text, "deadline_text": "в течение года"})
    roadmaps.publish(admin, plan)
    template = inspections.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    inspections.publish_version(admin, template.latest)
    inspections.launch_campaign(
        admin, template.latest, "Самообследование ВСОКО", date.today() + timedelta(days=10)
    )
    return {"ok": True}


def school_edit() -> dict:
    """Copy, offline: progress on a roadmap item, an own item, two answers, the submit."""
    from intranet.changelog.models import Change
    from intranet.extensions import db
    from intranet.inspections import services as inspections
    from intranet.review import services as review
    from intranet.roadmaps import services as roadmaps

    head = _user("head1")
    roadmap = _roadmap()
    item = roadmap.items[0]
    roadmaps.update_roadmap_item(
        head, item, {"status": "done", "progress_note": "Анализ проведён"}, item.revision
    )
    roadmaps.add_own_item(head, roadmap, {"text": "Своё мероприятие школы", "deadline_text": "май"})
    review.submit(head, _roadmap())
    submission = _submission()
    inspections.save_answer(head, submission, "order", "№ 12 от 01.09", submission.revision)
    submission = _submission()
    inspections.save_answer(head, submission, "observers", "3", submission.revision)
    inspections.submit(head, _submission())
    made = db.session.scalars(select(Change.uuid).where(Change.node_id.is_(None))).all()
    unsent = db.session.scalars(
        select(Change.uuid).where(Change.sync_state.in_(["unsent", "sent"]))
    ).all()
    return {"unsent": sorted(unsent), "all_local": len(made)}


def district_return() -> dict:
    from intranet.review import services as review

    submission = _submission()
    review.return_for_revision(
        _user("metodist"),
        submission,
        "Уточните приказ",
        {"order": "Нет даты приказа"},
    )
    return {"status": _submission().status}


def school_view() -> dict:
    """Copy: the form's state and the district's remarks, as the form page shows them."""
    from intranet.changelog.models import Change
    from intranet.extensions import db
    from intranet.review import services as review

    submission = _submission()
    comments = review.open_comments(submission)
    states = dict(
        db.session.execute(
            select(Change.uuid, Change.sync_state).where(Change.node_id.is_(None))
        ).all()
    )
    from intranet.inspections.services import notifications

    return {
        "notifications": [n.text for n in notifications(submission.school_id)],
        "status": submission.status,
        "comments": {str(k): [e.text for e in v] for k, v in comments.items()},
        "states": states,
    }


def school_resubmit() -> dict:
    from intranet.changelog.models import Change
    from intranet.extensions import db
    from intranet.inspections import services as inspections

    head = _user("head1")
    submission = _submission()
    inspections.save_answer(head, submission, "order", "№ 12 от 01.09.2025", submission.revision)
    inspections.submit(head, _submission())
    unsent = db.session.scalars(
        select(Change.uuid).where(Change.sync_state.in_(["unsent", "sent"]))
    ).all()
    return {"unsent": sorted(unsent)}


def district_accept() -> dict:
    from intranet.review import services as review

    review.accept(_user("metodist"), _submission())
    return {"status": _submission().status}


def district_state() -> dict:
    """District: what it holds of the school's changes, the form and the roadmap."""
    from intranet.changelog.models import Change
    from intranet.extensions import db

    submission = _submission()
    roadmap = _roadmap()
    uuids = db.session.scalars(select(Change.uuid)).all()
    return {
        "changes": uuids,
        "submission": {"status": submission.status, "answers": submission.answers},
        "roadmap": {
            "status": roadmap.status,
            "items": sorted((i.text, i.status, i.progress_note) for i in roadmap.items),
        },
    }


def district_news() -> dict:
    """District: a second form sent to the schools (with a version the copy has never
    seen), the first one reopened for the school, a new account and a reset password."""
    from intranet.auth.services import reset_password
    from intranet.extensions import db
    from intranet.inspections import services as inspections
    from intranet.inspections.models import CampaignTarget
    from intranet.schools.models import School
    from intranet.users.services import create_user

    admin = _user("admin")
    schema = {
        "sections": [
            {"title": "Сайт", "fields": [{"key": "site", "type": "text", "label": "Адрес сайта"}]}
        ]
    }
    template = inspections.create_template(admin, admin.district_id, "Мониторинг сайта", "", schema)
    inspections.publish_version(admin, template.latest)
    inspections.launch_campaign(
        admin, template.latest, "Мониторинг сайта", date.today() + timedelta(days=20)
    )
    school = db.session.scalar(select(School).where(School.code == "s1"))
    target = db.session.scalar(
        select(CampaignTarget).where(
            CampaignTarget.school_id == school.id,
            CampaignTarget.campaign_id == _submission().campaign_id,
        )
    )
    inspections.reopen(admin, target, date.today() + timedelta(days=30))
    from intranet.roadmaps import services as roadmaps

    plan = roadmaps.create_plan(
        admin,
        admin.district_id,
        {
            "title": "План по НИКО",
            "period_start": date(2025, 9, 1),
            "period_end": date(2026, 8, 31),
        },
    )
    roadmaps.add_plan_item(admin, plan, {"text": "Провести НИКО", "deadline_text": "апрель"})
    roadmaps.publish(admin, plan)
    _, staff_password = create_user(
        admin, login="staff2", full_name="Учитель Ким", role="school_staff", school_id=school.id
    )
    head_password = reset_password(admin, _user("head1"))
    return {"staff2": staff_password, "head1": head_password}


def school_news() -> dict:
    """Copy: the forms it has, who can log in with which password."""
    import os

    from intranet.auth.services import LoginRefused, authenticate
    from intranet.extensions import db
    from intranet.inspections.models import Campaign, CampaignTarget

    passwords = json.loads(os.environ["TWOPROC_PASSWORDS"])
    logins = {}
    for login, password in passwords.items():
        try:
            logins[login] = authenticate(login, password, "127.0.0.1").login
        except LoginRefused:
            logins[login] = None
    try:
        authenticate("head1", PASSWORD, "127.0.0.2")
        old = True
    except LoginRefused:
        old = False
    from intranet.roadmaps.models import RoadmapItem

    return {
        "roadmap_items": sorted(db.session.scalars(select(RoadmapItem.text))),
        "campaigns": sorted(db.session.scalars(select(Campaign.title))),
        "reopened": [str(d) for d in db.session.scalars(select(CampaignTarget.reopened_until))],
        "logins": logins,
        "old_password_works": old,
    }


def edit_observers() -> dict:
    """Either side: the head changes one answer of the accepted form (reopening it)."""
    import os

    from intranet.inspections import services as inspections

    submission = _submission()
    inspections.save_answer(
        _user("head1"), submission, "observers", os.environ["TWOPROC_VALUE"], submission.revision
    )
    return {"answers": _submission().answers}


def district_resolve() -> dict:
    """District: a reviewer keeps the value in force for the field in conflict."""
    from intranet.changelog import conflicts
    from intranet.changelog.models import Conflict
    from intranet.extensions import db

    found = db.session.scalars(select(Conflict).where(Conflict.resolved_at.is_(None))).all()
    for conflict in found:
        conflicts.resolve(_user("metodist"), conflict, conflicts.CURRENT)
    return {"resolved": [c.field for c in found], "answers": _submission().answers}


def school_conflicts() -> dict:
    """Copy: the fields it shows «в конфликте», and the form's answers."""
    from intranet.changelog.conflicts import open_fields

    submission = _submission()
    fields = open_fields("submission", submission.school_id, [submission.id]).get(
        submission.id, set()
    )
    return {"in_conflict": sorted(fields), "answers": submission.answers}


def login_check() -> dict:
    """Copy: the school head logs in with the password set on the district server."""
    from intranet.auth.services import authenticate

    user = authenticate("head1", PASSWORD, "127.0.0.1")
    return {"login": user.login, "role": user.role}


ACTIONS = {
    f.__name__: f
    for f in (
        seed,
        school_edit,
        district_return,
        school_view,
        school_resubmit,
        district_accept,
        district_state,
        login_check,
        district_news,
        school_news,
        edit_observers,
        district_resolve,
        school_conflicts,
    )
}


def main() -> None:
    from intranet import create_app

    app = create_app()
    with app.app_context():
        result = ACTIONS[sys.argv[1]]()
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
