"""The change-log migration carries what a district already has: every saved answer
(answer_changes → changes, with its uuid, parent, number and author) and every evidence
file (evidence.data → blobs, one row per content), down and up again."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from intranet import create_app
from intranet.auth.roles import Role
from intranet.changelog import services as changelog
from intranet.changelog.models import Blob, Change
from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.inspections.models import Submission
from intranet.roadmaps import services as roadmaps
from intranet.roadmaps.models import Evidence, RoadmapItem
from tests.fixtures.app import TEST_SECRET, drop_everything
from tests.fixtures.factories import Factory

BEFORE = "cb0a1a0d8a29"  # the revision before the change log
PDF = b"%PDF-1.4\n% one file attached to two items\n%%EOF\n"


@pytest.fixture
def scratch(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        url = "sqlite:///" + str(tmp_path / "scratch.sqlite3")
    else:
        url = database_url
        drop_everything(url)
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if url == database_url:
        drop_everything(url)
        with app.app_context():
            upgrade()
            db.engine.dispose()


def _district_with_history():
    make = Factory()
    district = make.district()
    school = make.school(district)
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    staff = make.user(Role.SCHOOL_STAFF, school=school, full_name="Петрова Анна")
    schema = {
        "sections": [
            {
                "title": "Раздел",
                "fields": [
                    {"key": "count", "type": "integer", "label": "Сколько"},
                    {"key": "note", "type": "textarea", "label": "Замечания"},
                ],
            }
        ]
    }
    template = inspections.create_template(admin, district.id, "Форма", "", schema)
    inspections.publish_version(admin, template.latest)
    campaign = inspections.launch_campaign(
        admin, template.latest, "Кампания", date.today() + timedelta(days=5)
    )
    sub = db.session.scalar(select(Submission).where(Submission.campaign_id == campaign.id))
    inspections.save_answer(staff, sub, "count", "12", 0)
    inspections.save_answer(staff, sub, "note", "Без замечаний", 1)
    plan = roadmaps.create_plan(
        admin,
        district.id,
        {"title": "План", "period_start": date(2025, 9, 1), "period_end": date(2026, 8, 31)},
    )
    for n in (1, 2):
        roadmaps.add_plan_item(admin, plan, {"text": f"Мероприятие {n}", "deadline_text": ""})
    roadmaps.publish(admin, plan)
    items = db.session.scalars(select(RoadmapItem).order_by(RoadmapItem.id)).all()
    for item in items:
        roadmaps.add_evidence_file(staff, item, "акт.pdf", PDF)
    roadmaps.add_evidence_link(staff, items[0], "https://school.example/report")
    return sub


def _answer_changes():
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                Change.uuid,
                Change.parent_uuid,
                Change.subject_id,
                Change.number,
                Change.field,
                Change.value,
                Change.author_id,
                Change.author_name,
            )
            .where(Change.subject_type == "submission")
            .order_by(Change.id)
        )
    ]


def test_answers_and_files_are_carried_down_and_up(scratch):
    upgrade()
    sub = _district_with_history()
    answers = _answer_changes()
    assert [(a[3], a[4], a[5]) for a in answers] == [
        (1, "count", "12"),
        (2, "note", "Без замечаний"),
    ]
    assert answers[1][1] == answers[0][0]  # the second names the first as its parent
    db.session.commit()

    downgrade(revision=BEFORE)
    old = db.session.execute(
        text(
            "SELECT uuid, parent_uuid, submission_id, number, key, author_id, author_name"
            " FROM answer_changes ORDER BY number"
        )
    ).all()
    assert [tuple(r) for r in old] == [(a[0], a[1], a[2], a[3], a[4], a[6], a[7]) for a in answers]
    files = db.session.execute(text("SELECT sha256, data, url FROM evidence ORDER BY id")).all()
    assert [(bool(r.sha256), bytes(r.data) if r.data else None, r.url) for r in files] == [
        (True, PDF, ""),
        (True, PDF, ""),
        (False, None, "https://school.example/report"),
    ]
    db.session.commit()

    upgrade()
    db.session.expire_all()
    assert _answer_changes() == answers
    assert db.session.get(Submission, sub.id).head_uuid == answers[-1][0]
    assert len(db.session.scalars(select(Blob)).all()) == 1
    evidence = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
    assert [e.sha256 is None for e in evidence] == [False, False, True]
    assert changelog.blob(evidence[0].sha256) == PDF
