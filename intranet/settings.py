"""Configuration in the documented order: defaults, instance file, environment, caller."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy.engine import make_url

DEFAULTS: dict[str, Any] = {
    # Empty means "SQLite file in the instance folder"; see init_config.
    "DATABASE_URL": "",
    # Engine options (idle server connections are tested: extensions.ping_if_idle).
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
    # A working day from login; not re-sent with every response (slow links).
    "SESSION_REFRESH_EACH_REQUEST": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_SSL_STRICT": False,
    # Forms translate WTForms' messages themselves (intranet.forms.Form).
    "WTF_I18N_ENABLED": False,
    "BABEL_DEFAULT_LOCALE": "ru",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Moscow",
    # Lockout: this many failures for one login within the window lock it for the window.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    # Throttle: this many failures from one address within the window refuse the address.
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,
    "PROXY_COUNT": 0,
    "SCHOOLS_PAGE_SIZE": 50,
    # The address people reach the intranet at (e.g. https://portal.uo.local), printed in
    # a control act's QR code; empty: the address of the request that issued the act.
    "PUBLIC_URL": "",
    # "district": the district server; "school": a school's offline copy, bound to the one
    # school it was enrolled for, that changes only what the school owns (intranet.schoolcopy).
    "MODE": "district",
    # Pages and static files are compressed (Flask-Compress); downloads sent as streams
    # (evidence files, exports) keep their length, so a slow link shows their progress.
    "COMPRESS_STREAMS": False,
}

MODES = ("district", "school")


def init_config(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("INTRANET")
    if config:
        app.config.update(config)

    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config["DATABASE_URL"]
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(Path(app.instance_path) / "intranet.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(url)
    _private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    # A connection to a server can die with the server's restart: one that lay idle in the
    # pool is tested before use (``intranet.database.ping_if_idle``). A SQLite file
    # cannot go away.

    mode = str(app.config["MODE"]).strip().lower()
    if mode not in MODES:
        raise RuntimeError(f"INTRANET_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    app.config["MODE"] = mode

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app)


def normalize_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (it holds password hashes
    and every school's evidence); SQLite gives its WAL and shared-memory files the same
    mode. A file that exists already is left as it is: its mode is the owner's choice."""
    if not url.startswith("sqlite"):
        return
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # e.g. no such folder: SQLite will say so itself when it connects
    os.close(fd)


def _instance_secret(app: Flask) -> str:
    """Generate the key once and keep it, so sessions survive a restart without a secret in git."""
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def is_school_copy() -> bool:
    """Whether this app is a school's offline copy (``INTRANET_MODE=school``)."""
    return current_app.config.get("MODE") == "school"
