from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text

from intranet import create_app
from intranet.extensions import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("INTRANET_INSTANCE_PATH", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("INTRANET_") and key != "INTRANET_INSTANCE_PATH":
            monkeypatch.delenv(key)
    return tmp_path


def test_config_order_defaults_instance_environment_mapping(instance, monkeypatch):
    assert create_app().config["LOGIN_MAX_FAILURES"] == 5  # default
    (instance / "config.py").write_text(
        "LOGIN_MAX_FAILURES = 7\nLOGIN_LOCK_MINUTES = 30\nPROXY_COUNT = 0\n"
    )
    app = create_app()
    assert app.config["LOGIN_MAX_FAILURES"] == 7 and app.config["LOGIN_LOCK_MINUTES"] == 30
    monkeypatch.setenv("INTRANET_LOGIN_MAX_FAILURES", "9")
    app = create_app()
    assert app.config["LOGIN_MAX_FAILURES"] == 9 and app.config["LOGIN_LOCK_MINUTES"] == 30
    app = create_app({"LOGIN_MAX_FAILURES": 11})
    assert app.config["LOGIN_MAX_FAILURES"] == 11


def test_default_database_is_sqlite_in_the_instance_folder_with_wal_and_foreign_keys(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'intranet.sqlite3'}"
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_database_url_from_environment(instance, monkeypatch):
    monkeypatch.setenv("INTRANET_DATABASE_URL", "postgresql://u@db.example/intranet")
    assert (
        create_app().config["SQLALCHEMY_DATABASE_URI"]
        == "postgresql+psycopg://u@db.example/intranet"
    )


def test_no_connection_is_pinged_on_every_request(instance, monkeypatch):
    # Idle server connections are tested on their own (``ping_if_idle``); a test of every
    # connection taken from the pool was a round trip on every request.
    assert "pool_pre_ping" not in create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    monkeypatch.setenv("INTRANET_DATABASE_URL", "postgresql://u@db.example/intranet")
    assert "pool_pre_ping" not in create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_a_dead_idle_connection_is_replaced_before_a_request_uses_it(
    app, database_url, monkeypatch
):
    """A PostgreSQL restart kills the pool's connections: the next request, after the
    connection lay idle, gets a live one and its page, not an error."""
    from sqlalchemy import create_engine

    from intranet import extensions
    from intranet.settings import normalize_database_url

    if not database_url.startswith("postgresql"):
        pytest.skip("a SQLite file has no connection to lose")
    with app.app_context():
        db.engine.dispose()  # the pool now holds the one connection taken below
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()  # back to the pool, alive as far as the pool knows
    killer = create_engine(normalize_database_url(database_url))
    with killer.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()
    monkeypatch.setattr(extensions, "IDLE_BEFORE_PING", 0.0)
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
        assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    assert app.test_client().get("/login").status_code == 200


def test_times_are_shown_in_the_district_time_zone(instance):
    from datetime import UTC, datetime

    from intranet.i18n import local_time

    app = create_app()
    with app.app_context():
        late_evening_utc = datetime(2026, 11, 23, 21, 30, 5, tzinfo=UTC)
        assert local_time(late_evening_utc) == "24.11.2026 00:30"
        assert local_time(late_evening_utc.replace(tzinfo=None), "%H:%M:%S") == "00:30:05"
        assert local_time(None) == ""


def test_secret_key_is_generated_once_and_kept_private(instance, monkeypatch):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((instance / "secret_key").stat().st_mode)
    assert mode == 0o600
    monkeypatch.setenv("INTRANET_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"


def test_server_error_page_is_russian_and_reveals_nothing(instance):
    from intranet.auth.access import public

    app = create_app({"SECRET_KEY": "x", "TESTING": False})

    @public
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Ошибка сервера" in html and "Данные не изменены" in html
    assert "secret internals" not in html and "Traceback" not in html
