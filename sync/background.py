"""Sync in the background on a school copy: while the app serves, a daemon thread runs the
same sync as the button every ``SYNC_INTERVAL_SECONDS`` (300) and soon after a submit.

It starts with the first request the app serves (so commands such as ``intranet sync
now`` never start one), only in school mode with ``SYNC_DISTRICT_URL`` set and
``SYNC_BACKGROUND`` not false. "Soon after a submit" needs nothing from the submit
services or views: the change log writes a submit as one INSERT of a change whose field
is ``_submit``; an engine hook notes that on the connection, and when that connection
commits the thread is woken (a rolled-back submit wakes nothing). No link is normal: the
last result is kept for the «Синхронизация» page as «нет связи, повторим позже».
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from intranet.mixins import utcnow

log = logging.getLogger("intranet.sync")

_SUBMITTED = "sync_submitted"


@dataclass
class Last:
    at: datetime
    lines: list[str]
    link: bool
    ok: bool


class Syncer:
    def __init__(self) -> None:
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.last: Last | None = None
        self._lock = threading.Lock()

    def start(self, app: Flask) -> None:
        with self._lock:
            if self.thread is not None:
                return
            from intranet.extensions import db

            with app.app_context():
                _hook(db.engine)
            self.thread = threading.Thread(
                target=self._loop, args=(app,), name="intranet-sync", daemon=True
            )
            self.thread.start()

    def _loop(self, app: Flask) -> None:
        interval = float(app.config.get("SYNC_INTERVAL_SECONDS") or 300)
        delay = float(app.config.get("SYNC_FIRST_DELAY_SECONDS") or 5)
        while True:
            self.wake.wait(delay)
            self.wake.clear()
            # A submit usually comes with more saves: let them land first.
            time.sleep(float(app.config.get("SYNC_AFTER_SUBMIT_SECONDS") or 2))
            self.once(app)
            delay = interval

    def once(self, app: Flask) -> None:
        from intranet.extensions import db
        from sync.client import run_sync

        with app.app_context():
            try:
                report = run_sync(wait=1)
                self.last = Last(utcnow(), report.lines(), report.link, report.all_confirmed)
            except Exception:  # the thread must live on: logged, tried again next time
                log.exception("background sync failed")
                db.session.rollback()
            finally:
                db.session.remove()


syncer = Syncer()


def _submit_rows(multiparams, params) -> bool:
    from intranet.changelog.models import SUBMIT

    found = []
    for value in (multiparams, params):
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, dict):
                    found.append(item)
                elif isinstance(item, list | tuple):
                    found.extend(x for x in item if isinstance(x, dict))
    return any(row.get("field") == SUBMIT for row in found)


def _note_submit(conn, clauseelement, multiparams, params, execution_options, result):  # noqa: ARG001
    table = getattr(clauseelement, "table", None)
    if (
        getattr(clauseelement, "is_insert", False)
        and getattr(table, "name", "") == "changes"
        and _submit_rows(multiparams, params)
    ):
        conn.info[_SUBMITTED] = True


def _after_commit(conn) -> None:
    if conn.info.pop(_SUBMITTED, False):
        syncer.wake.set()


def _after_rollback(conn) -> None:
    conn.info.pop(_SUBMITTED, None)


def _hook(engine: Engine) -> None:
    """Listen for submits on this app's engine only, and only once the thread runs."""
    if not event.contains(engine, "commit", _after_commit):
        event.listen(engine, "after_execute", _note_submit)
        event.listen(engine, "commit", _after_commit)
        event.listen(engine, "rollback", _after_rollback)


def init_app(app: Flask) -> None:
    def wanted() -> bool:
        return (
            app.config.get("MODE") == "school"
            and bool(str(app.config.get("SYNC_DISTRICT_URL") or "").strip())
            and str(app.config.get("SYNC_BACKGROUND", True)).lower() not in ("0", "false", "no")
        )

    @app.before_request
    def _start_background_sync():
        if syncer.thread is None and wanted():
            syncer.start(app)
