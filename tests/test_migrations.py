"""The migrations are the schema: one head, head equals the models, downgrade works."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from intranet import create_app
from intranet.extensions import db
from intranet.settings import normalize_database_url
from tests.fixtures.app import TEST_SECRET, drop_everything


def _script(app):
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_there_is_one_head(app):
    with app.app_context():
        assert len(_script(app).get_heads()) == 1


@pytest.fixture
def scratch_app(database_url, tmp_path):
    """An app on a database of its own: empty for SQLite; for PostgreSQL the suite's
    database, emptied before and rebuilt after (other tests rely on it)."""
    if database_url.startswith("sqlite"):
        url = "sqlite:///" + str(tmp_path / "scratch.sqlite3")
    else:
        url = database_url
        drop_everything(url)
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": url})
    yield app, url
    if url == database_url:
        with app.app_context():
            db.engine.dispose()
        drop_everything(url)
        with app.app_context():
            upgrade()
            db.engine.dispose()


def test_upgrade_gives_exactly_the_models_schema_and_downgrade_removes_it(scratch_app):
    app, url = scratch_app
    with app.app_context():
        upgrade()
        engine = create_engine(normalize_database_url(url))
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        upgrade()
        assert {"schools", "users", "audit_entries"} <= set(inspect(engine).get_table_names())
        engine.dispose()
        db.engine.dispose()


def test_districts_made_before_the_rules_moved_get_the_default_rules(scratch_app):
    """Districts created when the rules page still wrote the defaults get them from the
    migration; a district that already has rules keeps exactly its own."""
    from sqlalchemy import text

    app, url = scratch_app
    with app.app_context():
        upgrade(revision="78d3b2724de5")
        engine = create_engine(normalize_database_url(url))
        with engine.begin() as conn:
            for name in ("Без правил", "Со своим правилом"):
                conn.execute(
                    text(
                        "INSERT INTO districts (uuid, name, short_name, created_at, updated_at)"
                        " VALUES (:u, :n, '', :t, :t)"
                    ),
                    {"u": name, "n": name, "t": "2026-09-01 00:00:00"},
                )
            own = conn.execute(
                text("SELECT id FROM districts WHERE name = 'Со своим правилом'")
            ).scalar()
            conn.execute(
                text(
                    "INSERT INTO objectivity_rules (district_id, code, kind, title, source,"
                    " version, threshold, min_participants, subject, active, created_at,"
                    " updated_at) VALUES (:d, 'mine', 'share5_above', 'Моё', 'УО', 3, 0.4, 10,"
                    " '', :a, :t, :t)"
                ),
                {"d": own, "a": True, "t": "2026-09-01 00:00:00"},
            )
        upgrade()
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.name, r.code FROM objectivity_rules r"
                    " JOIN districts d ON d.id = r.district_id ORDER BY d.name, r.code"
                )
            ).all()
        engine.dispose()
        db.engine.dispose()
    codes = {}
    for name, code in rows:
        codes.setdefault(name, []).append(code)
    assert codes == {
        "Без правил": ["big_gap", "lowered", "raised", "share2", "share5"],
        "Со своим правилом": ["mine"],
    }
