"""How a request's transaction ends: one that only read ends with a commit (psycopg keeps
its prepared statements, which a rollback throws away); one that wrote anything it did
not commit, or left changes unflushed, or failed, is still rolled back."""

import pytest
from sqlalchemy import select, text, update

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.schools.models import School
from tests.fixtures.factories import login


def _name(app, school_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(School.name).where(School.id == school_id))


def test_a_write_left_uncommitted_is_rolled_back(app, make):
    school = make.school(name="Школа до")
    with app.app_context():
        db.session.execute(update(School).where(School.id == school.id).values(name="Чужая"))
        db.session.scalar(select(School.name).where(School.id == school.id))  # then a read
    assert _name(app, school.id) == "Школа до"


def test_a_change_not_yet_flushed_is_not_saved(app, make):
    school = make.school(name="Школа до")
    with app.app_context():
        db.session.get(School, school.id).name = "Чужая"
    assert _name(app, school.id) == "Школа до"


def test_a_failed_request_writes_nothing(app, make):
    school = make.school(name="Школа до")
    with pytest.raises(RuntimeError), app.app_context():
        db.session.execute(update(School).where(School.id == school.id).values(name="Чужая"))
        raise RuntimeError("the view failed")
    assert _name(app, school.id) == "Школа до"


def test_a_committed_write_then_a_read_keeps_the_write(app, make):
    school = make.school(name="Школа до")
    with app.app_context():
        db.session.execute(update(School).where(School.id == school.id).values(name="Новая"))
        db.session.commit()
        db.session.scalar(select(School.name).where(School.id == school.id))
    assert _name(app, school.id) == "Новая"


def test_postgresql_keeps_the_pages_statements_prepared(app, make, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite prepares nothing across requests")
    reviewer = make.user(Role.DISTRICT_REVIEWER)
    client = app.test_client()
    login(client, reviewer)
    db.session.close()  # the test's own session gives its connection back
    with app.app_context():
        db.engine.dispose()  # one connection serves the requests below, one after another
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        assert client.get("/schools/").status_code == 200
    with app.app_context():
        prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared >= 2
