"""School mode: a copy refuses every change of what the district owns, and nothing else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.audit.models import AuditEntry
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.schoolcopy import (
    DISTRICT_WRITE_ENDPOINTS,
    SCHOOL_WRITE_ENDPOINTS,
    DistrictOwned,
    message,
)
from tests import test_authorization as authz
from tests.fixtures.factories import login
from tests.test_authorization import _methods, _routes, _url

world = authz.world  # the same fixture: two districts, every role, their objects

REFUSAL = "изменяются только на сервере управления образования"


@pytest.fixture
def school_mode(app):
    app.config["MODE"] = "school"
    yield
    app.config["MODE"] = "district"


def _state() -> dict[str, int]:
    """Row counts of every table and the audit log: any write shows in one of them."""
    counts = {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in db.metadata.sorted_tables
        if t.name != "login_attempts"
    }
    counts["audit"] = db.session.scalar(select(func.max(AuditEntry.id))) or 0
    db.session.rollback()
    return counts


def test_every_write_route_is_classified(app):
    writes = {rule.endpoint for rule in _routes(app) if "POST" in rule.methods}
    unclassified = writes - DISTRICT_WRITE_ENDPOINTS - SCHOOL_WRITE_ENDPOINTS
    assert unclassified == set(), f"say whether a school copy may do these: {unclassified}"


def test_message_is_russian(app_ctx):
    assert REFUSAL in message()


def _refused_everywhere(app, client, world, user, endpoints):
    rules = [r for r in _routes(app) if r.endpoint in endpoints]
    if not rules:
        pytest.skip(f"{endpoints} is not a route of this build")
    for rule in rules:
        for method in _methods(rule):
            login(client, user)
            before = _state()
            with app.test_request_context():
                url = _url(rule, world["own"])
            data = {"title": "Новое", "name": "Новая школа", "code": "x1", "reason": "Исправить"}
            response = client.open(url, method=method, data=data if method == "POST" else None)
            where = (rule.rule, method, response.status_code)
            assert response.status_code == 403, where
            assert REFUSAL in response.get_data(as_text=True), where
            assert _state() == before, where


@pytest.mark.parametrize("endpoint", sorted(DISTRICT_WRITE_ENDPOINTS))
def test_district_write_pages_refuse_on_a_school_copy(app, client, world, school_mode, endpoint):
    # Even a district admin's account (none is enrolled on a copy, but one might be made
    # by hand) is refused: the copy is the school's, whoever logs in.
    _refused_everywhere(app, client, world, world["users"][Role.DISTRICT_ADMIN], [endpoint])


def test_school_head_meets_the_same_refusal(app, client, world, school_mode):
    head = world["users"][Role.SCHOOL_HEAD]
    _refused_everywhere(app, client, world, head, DISTRICT_WRITE_ENDPOINTS)


def test_menu_offers_no_district_writes_on_a_copy(app, client, world, school_mode):
    login(client, world["users"][Role.DISTRICT_ADMIN])
    page = client.get("/schools/").get_data(as_text=True)
    assert 'href="/users/"' not in page and 'href="/forms/"' not in page


def test_services_refuse_district_data_on_a_copy(app, make, world, school_mode):
    """The CLI and any other caller of the services meet the same refusal."""
    from intranet.auth import services as auth
    from intranet.inspections import services as inspections
    from intranet.inspections.models import Submission
    from intranet.review import services as review
    from intranet.roadmaps import services as roadmaps
    from intranet.schools import services as schools
    from intranet.schools.models import School
    from intranet.users import services as users

    admin = world["users"][Role.DISTRICT_ADMIN]
    staff = world["users"][Role.SCHOOL_STAFF]
    school = db.session.get(School, world["own"]["school_id"])
    submission = db.session.get(Submission, world["own"]["submission_id"])
    before = _state()
    attempts = [
        lambda: schools.create_school(admin, admin.district_id, {"code": "n1", "name": "Новая"}),
        lambda: schools.set_active(admin, school, False),
        lambda: roadmaps.create_plan(
            admin,
            admin.district_id,
            {"title": "П", "period_start": date(2025, 9, 1), "period_end": date(2026, 8, 31)},
        ),
        lambda: inspections.create_template(admin, admin.district_id, "Ф", "", {"sections": []}),
        lambda: auth.reset_password(admin, staff),
        lambda: users.update_user(
            admin,
            staff,
            login=staff.login,
            full_name="Другое имя",
            role=staff.role,
            school_id=staff.school_id,
            active=True,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(DistrictOwned):
            attempt()
        db.session.rollback()
    # A review decision, made on the record as a submitted one.
    head = world["users"][Role.SCHOOL_HEAD]
    inspections.save_answer(head, submission, "ok", "yes", submission.revision)
    inspections.submit(head, submission)
    before = _state()
    with pytest.raises(DistrictOwned):
        review.return_for_revision(admin, submission, "Исправьте", {})
    db.session.rollback()
    assert _state() == before


def test_school_work_goes_on_on_a_copy(app, make, world, school_mode):
    """What the school owns stays writable: roadmap progress, answers, submit, own password."""
    from intranet.auth import services as auth
    from intranet.inspections import services as inspections
    from intranet.inspections.models import Submission
    from intranet.review import services as review
    from intranet.roadmaps import services as roadmaps
    from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap

    head = world["users"][Role.SCHOOL_HEAD]
    item = db.session.get(RoadmapItem, world["own"]["roadmaps.item_id"])
    roadmaps.update_roadmap_item(
        head, item, {"status": "done", "progress_note": "Проведено"}, item.revision
    )
    roadmap = db.session.get(SchoolRoadmap, world["own"]["roadmap_id"])
    roadmaps.add_own_item(head, roadmap, {"text": "Своё мероприятие", "deadline_text": "май"})
    review.submit(head, roadmap)
    submission = db.session.get(Submission, world["own"]["submission_id"])
    inspections.save_answer(head, submission, "ok", "yes", submission.revision)
    inspections.submit(head, submission, today=date.today() + timedelta(days=1))
    auth.change_password(head, "new-password-123")
    db.session.expire_all()
    assert db.session.get(RoadmapItem, item.id).progress_note == "Проведено"
    assert db.session.get(Submission, submission.id).status == "submitted"
    assert head.check_password("new-password-123")


def test_commands_refuse_with_one_line_on_a_copy(app, make, runner):
    from intranet.auth.models import User

    school = make.school()
    staff = make.user(Role.SCHOOL_STAFF, school=school)
    login, password_hash = staff.login, staff.password_hash
    app.config["MODE"] = "school"
    before = _state()
    try:
        created = runner.invoke(
            args=[
                "users",
                "create",
                "new1",
                "--full-name",
                "Новый",
                "--role",
                "school_staff",
                "--school",
                school.code,
                "--district",
                str(school.district_id),
            ]
        )
        db.session.rollback()
        reset = runner.invoke(args=["users", "set-password", login])
    finally:
        db.session.rollback()
        app.config["MODE"] = "district"
    for result in (created, reset):
        assert result.exit_code != 0
        assert REFUSAL in result.output and "Traceback" not in result.output
    assert _state() == before
    assert db.session.scalar(select(User.password_hash).where(User.login == login)) == password_hash
