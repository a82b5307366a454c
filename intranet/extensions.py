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
        # Whatever it wrote was committed or rolled back by now (the pool's reset).
        connection_record.info.pop("wrote", None)


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


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
    """Mark the connection's transaction as one that wrote: anything but a plain read."""
    if conn.info.get("wrote"):
        return
    head = statement.lstrip()[:6].upper()
    reads = head == "SELECT" or (
        head.startswith("WITH")
        and context is not None
        and context.compiled is not None
        and not (context.isinsert or context.isupdate or context.isdelete)
    )
    if executemany or not reads:
        conn.info["wrote"] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn) -> None:
    conn.info.pop("wrote", None)


def end_read_only_transaction(exc: BaseException | None) -> None:
    """End a request's transaction that only read with a commit, not a rollback.

    The two are the same for a transaction that wrote nothing, but psycopg forgets every
    statement it prepared at a rollback: with one at the end of every request, PostgreSQL
    planned each page's queries anew every time. A transaction that wrote anything, or
    holds changes not yet flushed, or a request that failed, is left to the rollback of
    Flask-SQLAlchemy's teardown, as before.
    """
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    connection = session.connection()
    if connection.info.get("wrote"):
        return
    session.commit()


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
    # Registered after Flask-SQLAlchemy's teardown, so it runs before it (teardowns run
    # in reverse), while the session still holds the request's transaction.
    app.teardown_appcontext(end_read_only_transaction)
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
