"""Extensions, created unbound and bound to the app in ``init_app``."""

from __future__ import annotations

import time

from flask import Flask
from flask_babel import Babel
from flask_compress import Compress
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()
compress = Compress()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # noqa: ARG001
    # Only SQLite needs this: foreign keys are off by default and WAL lets readers
    # work while the school's secretary saves.
    if _is_sqlite(dbapi_connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        # synchronous stays FULL: with NORMAL a power cut on a school PC could undo
        # the last saves that were already shown as «сохранено».
        cur.close()


# A server's connection that lay idle this long is tested before a request uses it: after
# a restart of PostgreSQL the pool's connections are dead, and the first request on each
# would fail. A busy server's connections are never idle that long, so they are not
# tested at all (``pool_pre_ping`` tested every one, a round trip on every request).
IDLE_BEFORE_PING = 10.0


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Pool, "checkin")
def _idle_from_now(dbapi_connection, connection_record) -> None:
    if connection_record is not None:
        connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:  # noqa: ARG001
    """SQLAlchemy's pessimistic disconnect handling, for idle connections only: a dead
    one raises ``DisconnectionError``, and the pool replaces it and tries again."""
    since = connection_record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_BEFORE_PING or _is_sqlite(dbapi_connection):
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:
        raise DisconnectionError("the idle connection no longer answers") from exc


def _locale() -> str:
    return "ru"


def _install_i18n(app: Flask) -> None:
    """Templates translate through the catalogue kept by ``intranet.i18n`` (Flask-Babel's
    own template callables look the locale up again for every string) and show times
    with its ``local_time``."""
    from intranet import i18n

    # One locale, one catalogue per app: a string translated once is kept (a page of rows
    # asks for the same few labels on every row).
    translated: dict[str, str] = {}

    def gettext(string: str) -> str:
        text = translated.get(string)
        if text is None:
            text = translated[string] = i18n.catalogue().ugettext(string)
        return text

    app.jinja_env.install_gettext_callables(
        gettext=gettext,
        ngettext=lambda s, p, n: i18n.catalogue().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters["localtime"] = i18n.local_time
    from intranet import text

    # «Школа1.рф/…/docs/plan.pdf» for a list of addresses; a cut at a word with «…».
    app.jinja_env.filters["link_labels"] = text.link_labels
    app.jinja_env.filters["shorten"] = text.shorten


def init_app(app: Flask) -> None:
    from pathlib import Path

    db.init_app(app)
    # Compressed whenever the browser accepts it, whatever proxy is (or is not) in front:
    # a 300-school table is 490 KB of HTML and 27 KB gzipped. Registered first, so its
    # after_request runs last, on the finished response.
    compress.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    _install_i18n(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
