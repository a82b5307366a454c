"""A long ВПР import in one process while schools autosave in another: every save is
written or answered «не сохранено, повторите» (and then written on retry), never a 500,
and none is lost. On SQLite, where one writer locks out every other, this is the test
that the import writes in short transactions and that the saves wait and retry."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.inspections.models import Submission
from intranet.objectivity.importer import BATCH_ROWS
from intranet.objectivity.models import VprResult
from tests.fixtures.live import Session
from tests.inspections.conftest import SCHEMA, launch, submission_of
from tests.objectivity.files import RESULT_HEADER, district_year, xlsx

ROOT = Path(__file__).resolve().parent.parent.parent
PUPILS = 25_000
# The import, as the district's admin runs it in another process; it also reports the
# most rows that one transaction of it wrote (how long it held SQLite's single lock).
IMPORT = """
import json, sys
sys.path.insert(0, {root!r})
from sqlalchemy import event
from intranet import create_app
from intranet.extensions import db
from intranet.objectivity import importer
app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "SECRET_KEY": "x"}})
with app.app_context():
    written, largest = [0], [0]
    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            written[0] += max(cursor.rowcount, 0)
    def commit(conn):
        largest[0] = max(largest[0], written[0])
        written[0] = 0
    event.listen(db.engine, "after_cursor_execute", count)
    event.listen(db.engine, "commit", commit)
    data = open({path!r}, "rb").read()
    parsed = importer.parse({district}, data, "vpr.xlsx")
    assert parsed.valid, (parsed.errors, parsed.problems[:3])
    print("parsed", flush=True)
    batch = importer.apply(None, {district}, parsed, "vpr.xlsx")
    print(json.dumps({{"rows": batch.rows, "largest": largest[0]}}), flush=True)
"""


def _save(session: Session, url: str, value: int) -> tuple[int, str]:
    answer = session.post(
        url,
        {"_key": "count", "count": str(value), "revision": "1000000"},
        headers={"HX-Request": "true", "HX-Target": "st-count"},
    )
    return answer.status, answer.text


def test_autosaves_of_other_schools_during_a_long_import(live_server, make, database_url, tmp_path):
    district = make.district()
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    imported = [make.school(district) for _ in range(25)]
    filling = [make.school(district) for _ in range(4)]
    staff = [make.user(Role.SCHOOL_STAFF, school=s) for s in filling]
    template = inspections.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    inspections.publish_version(admin, template.latest)
    campaign = launch(admin, template)
    subs = [
        (sub.id, f"/schools/{sub.school_id}/forms/{sub.id}/save")
        for sub in (submission_of(campaign, s) for s in filling)
    ]
    rows = [RESULT_HEADER, *district_year([s.code for s in imported], PUPILS // len(imported))]
    path = tmp_path / "vpr.xlsx"
    path.write_bytes(xlsx(rows, title="ВПР 2024. Математика, 5 класс"))
    db.session.commit()
    sessions = [Session(live_server).login(u) for u in staff]

    script = IMPORT.format(root=str(ROOT), url=database_url, path=str(path), district=district.id)
    importer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert importer.stdout.readline().strip() == "parsed", importer.stderr.read()[-3000:]

    answers: list[tuple[int, str]] = []
    last_saved: dict[int, int] = {}
    lock = threading.Lock()

    def autosave(session: Session, sub: tuple[int, str]) -> None:
        # As the page does: a new value on every change; on «не сохранено, повторите»
        # the same value again after Retry-After. Bounded in count and time.
        deadline = time.monotonic() + 300
        n = 0
        while importer.poll() is None and n < 2000 and time.monotonic() < deadline:
            n += 1
            value = n % 100  # the field takes 0 to 100
            for _attempt in range(30):
                status, body = _save(session, sub[1], value)
                with lock:
                    answers.append((status, body))
                if status != 503:
                    break
                time.sleep(0.2)
            if status == 200:
                assert 'class="saved"' in body, body
                last_saved[sub[0]] = value

    threads = [
        threading.Thread(target=autosave, args=(s, sub))
        for s, sub in zip(sessions, subs, strict=True)
    ]
    for t in threads:
        t.start()
    out, err = importer.communicate(timeout=600)
    for t in threads:
        t.join(timeout=120)
    assert importer.returncode == 0, err[-3000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["rows"] == PUPILS
    # Written in short transactions, not one: the schools' saves wait a moment at most.
    assert report["largest"] <= BATCH_ROWS, report

    statuses = {status for status, _body in answers}
    assert statuses <= {200, 503}, [a for a in answers if a[0] not in (200, 503)][:3]
    for status, body in answers:
        if status == 503:
            assert "Не сохранено, повторите: сервер занят." in body
    assert len(answers) > 20, "the saves did not overlap the import"
    # None lost: each form holds the last value its page was told was saved.
    db.session.expire_all()
    for sub_id, _url in subs:
        held = db.session.scalar(select(Submission.answers).where(Submission.id == sub_id))
        assert int(held["count"]) == last_saved[sub_id]
    assert db.session.scalar(select(func.count(VprResult.id))) == PUPILS


HOLD = """
import sys, time
from sqlalchemy import create_engine, text
sys.path.insert(0, {root!r})
from intranet.settings import normalize_database_url
engine = create_engine(normalize_database_url({url!r}))
with engine.connect() as conn:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.execute(text("LOCK TABLE submissions IN EXCLUSIVE MODE"))
    print("locked", flush=True)
    time.sleep({seconds})
    conn.commit()
"""


def test_a_save_that_cannot_be_written_in_time_is_answered_retry_never_500(
    live_server, make, database_url
):
    """A write lock held longer than a save can wait (an import on a slow school PC):
    each save waits, then answers «не сохранено, повторите» (503, Retry-After), and the
    page's retry writes it once the lock is gone. Nothing is lost, nothing is a 500."""
    from tests.inspections.conftest import SCHEMA, launch, submission_of

    district = make.district()
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    schools = [make.school(district) for _ in range(3)]
    staff = [make.user(Role.SCHOOL_STAFF, school=s) for s in schools]
    template = inspections.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    inspections.publish_version(admin, template.latest)
    campaign = launch(admin, template)
    urls = {
        sub.id: f"/schools/{sub.school_id}/forms/{sub.id}/save"
        for sub in (submission_of(campaign, s) for s in schools)
    }
    db.session.commit()
    sessions = [Session(live_server).login(u) for u in staff]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(root=str(ROOT), url=database_url, seconds=12)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked", holder.stderr.read()[-2000:]
    answers: list[tuple[int, str, str]] = []

    def autosave(session: Session, url: str, value: int) -> None:
        for _attempt in range(10):  # as static/app.js: the same value after Retry-After
            status, body = _save(session, url, value)
            answers.append((status, body, ""))
            if status != 503:
                return
            time.sleep(2)

    threads = [
        threading.Thread(target=autosave, args=(session, url, 40 + n))
        for n, (session, url) in enumerate(zip(sessions, urls.values(), strict=True))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    holder.communicate(timeout=60)
    assert {a[0] for a in answers} <= {200, 503}, [a[:2] for a in answers if a[0] != 200][:3]
    for status, body, _ in answers:
        if status == 503:
            assert "Не сохранено, повторите: сервер занят." in body
    if db.engine.dialect.name == "sqlite":
        assert any(a[0] == 503 for a in answers)  # the lock outlasted the wait
    db.session.expire_all()
    for n, sub_id in enumerate(urls):
        held = db.session.scalar(select(Submission.answers).where(Submission.id == sub_id))
        assert int(held["count"]) == 40 + n
