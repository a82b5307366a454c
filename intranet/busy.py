"""A write that meets a busy database waits and tries again; at worst the user is told
«не сохранено, повторите» (503) and the page retries. Never a 500, never a lost answer.

SQLite (a school's copy, a small district) has one writer at a time. A writer waits for
the lock up to ``busy_timeout`` (see ``extensions``), but in WAL mode a transaction that
has read before another writer committed cannot write at all ("database is locked" at
once, without waiting): only starting the request again helps. PostgreSQL answers the
same way to a serialization failure, a deadlock or a lock timeout.
"""

from __future__ import annotations

import time
from functools import wraps

from flask import Flask, make_response, request
from sqlalchemy.exc import DBAPIError, OperationalError

from intranet.extensions import db
from intranet.i18n import gettext as _

# Serialization failure, deadlock, lock not available.
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
#: How long a request keeps trying before it answers «не сохранено, повторите».
RETRY_SECONDS = 8.0
#: Seconds the page waits before it sends the same save again.
RETRY_AFTER = 2


def is_busy(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


def retry_when_busy(view):
    """Run ``view`` again from the start (after a rollback) while the database is busy,
    for up to ``RETRY_SECONDS``. Only for views that read nothing but the form and do
    everything again from scratch (autosaves)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.05
        while True:
            try:
                return view(*args, **kwargs)
            except DBAPIError as exc:
                if not is_busy(exc) or time.monotonic() + delay > deadline:
                    raise
                db.session.rollback()
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    return wrapper


def init_app(app: Flask) -> None:
    @app.errorhandler(OperationalError)
    def busy(exc: OperationalError):
        if not is_busy(exc):
            raise exc  # the usual 500, logged
        db.session.rollback()
        message = _("Not saved, try again: the server is busy.")
        if request.headers.get("HX-Request"):
            response = make_response(f'<p class="flash flash-error">{message}</p>', 503)
        else:
            from intranet.web import render_error

            response = make_response(*render_error(503, message))
        response.headers["Retry-After"] = str(RETRY_AFTER)
        response.headers["Cache-Control"] = "no-store"
        return response
