"""Benchmark rows of sync over the network (``python -m tests.perf --only syncnet``).

A district seeded with ``n`` schools (a published plan of 40 items, five forms) is served
by ``intranet serve`` in its own process on the given database; one school's copy is a
real copy (an app in school mode on its own SQLite file in this process) enrolled by code
over HTTP; the other schools are simulated by their nodes' keys. Measured side by side:

- a sync with nothing new: bytes on the wire both ways (counted by a TCP proxy: request
  and status lines, headers, bodies) and the district's own time (its Server-Timing);
- a school's week of work (40 roadmap items reported on, five forms filled and
  submitted): bytes up, and the wall time of the whole sync through a proxy throttled to
  256 kbit/s each way;
- ``n`` schools syncing at once (a push of 3 changes and a pull each, all released
  together): requests per second, p99 latency, and whether any change was lost or
  applied twice (counted in the district's database afterwards).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORM = {
    "sections": [
        {
            "title": "Раздел",
            "fields": [
                {"key": f"q{n}", "type": "text" if n % 2 else "integer", "label": f"Вопрос {n + 1}"}
                for n in range(8)
            ],
        }
    ]
}


def _seed(n_schools: int):
    """District side, in this process: schools, plan, forms, the simulated nodes."""
    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.inspections import services as inspections
    from intranet.mixins import new_uuid
    from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap
    from intranet.schools.models import School
    from sync import downstream, keys, nodes
    from sync.codes import create_code
    from sync.models import SyncNode
    from tests.perf import seed, seed_plan

    district, _first = seed(n_schools + 1)
    seed_plan(district, 40)
    template = inspections.create_template(None, district.id, "Форма недели", "", FORM)
    inspections.publish_version(None, template.latest)
    for n in range(5):
        inspections.launch_campaign(
            None, template.latest, f"Форма {n + 1}", date.today() + timedelta(days=10 + n)
        )
    schools = list(
        db.session.scalars(
            select(School).where(School.district_id == district.id).order_by(School.code)
        )
    )
    code = create_code(None, schools[0]).code
    senders = []
    for school in schools[1:]:
        key = keys.generate()
        node = nodes.enrol_node(school, new_uuid(), keys.public_text(key))
        position = downstream.refresh(school)
        db.session.get(SyncNode, node.id).acked_position = position
        items = db.session.execute(
            select(RoadmapItem.uuid, RoadmapItem.head_uuid)
            .join(SchoolRoadmap, SchoolRoadmap.id == RoadmapItem.roadmap_id)
            .where(SchoolRoadmap.school_id == school.id)
            .order_by(RoadmapItem.id)
            .limit(3)
        ).all()
        senders.append((school.code, node.id, key, items, position))
    db.session.commit()
    return district.uuid, schools[0].code, code, senders


def _serve(instance: Path, url: str, port: int, workers: int | None):

    env = {k: v for k, v in os.environ.items() if not k.startswith("INTRANET_")}
    env.update(
        INTRANET_INSTANCE_PATH=str(instance),
        INTRANET_DATABASE_URL=url,
        INTRANET_SECRET_KEY="bench",
        INTRANET_SYNC_MAX_CONCURRENT="64",
        INTRANET_SYNC_QUEUE_SECONDS="30",
    )
    args = [str(Path(sys.executable).parent / "intranet"), "serve", "--port", str(port)]
    args += ["--threads", "16"] + (["--workers", str(workers)] if workers else [])
    process = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    from tests.perf import wait_until_answering

    return wait_until_answering(process, port, "/api/sync/v1/hello")


def _week_of_work(head_login: str) -> None:
    """On the copy: 40 roadmap items reported on, five forms filled and submitted."""
    from sqlalchemy import select

    from intranet.auth.models import User
    from intranet.extensions import db
    from intranet.inspections import services as inspections
    from intranet.inspections.models import Submission
    from intranet.roadmaps import services as roadmaps
    from intranet.roadmaps.models import RoadmapItem

    head = db.session.scalar(select(User).where(User.login == head_login))
    for n, item_id in enumerate(
        db.session.scalars(select(RoadmapItem.id).order_by(RoadmapItem.id))
    ):
        item = db.session.get(RoadmapItem, item_id)
        roadmaps.update_roadmap_item(
            head,
            item,
            {
                "status": "done",
                "progress_note": f"Выполнено: пункт {n + 1}, протокол педсовета № {n + 3}",
            },
            item.revision,
        )
    for sub_id in db.session.scalars(select(Submission.id).order_by(Submission.id)):
        for n in range(8):
            sub = db.session.get(Submission, sub_id)
            value = "Ответ школы на вопрос" if n % 2 else str(10 + n)
            inspections.save_answer(head, sub, f"q{n}", value, sub.revision)
        inspections.submit(head, db.session.get(Submission, sub_id))


def _copy_app(folder: Path, district_url: str):
    from intranet import create_app

    app = create_app(
        {
            "MODE": "school",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(folder / "copy.sqlite3"),
            "SECRET_KEY": "bench-copy",
            "SYNC_BACKGROUND": False,
        }
    )
    app.instance_path = str(folder)
    return app


def _at_once(server: str, district_uuid: str, senders) -> dict:
    from datetime import UTC, datetime

    from sync.bundle import write_bundle
    from sync.client import DistrictClient
    from tests.perf import _sync_wire

    now = datetime.now(UTC).isoformat()
    jobs = []
    for code, node_id, key, items, position in senders:
        records = []
        for seq, (uuid, head) in enumerate(items, start=1):
            records.append(
                _sync_wire(
                    code,
                    node_id,
                    seq,
                    ("roadmap_item", uuid),
                    "progress_note",
                    f"Отчёт школы {code}",
                    head,
                    now,
                )
            )
        manifest = {
            "direction": "up",
            "district": district_uuid,
            "school": code,
            "node": node_id,
            "seq_from": 1,
            "seq_to": len(records),
            "feed_position": 0,
            "confirmed_seq": 0,
            "created_at": now,
        }
        jobs.append((node_id, key, write_bundle(manifest, records, {}, key), records, position))
    start = threading.Barrier(len(jobs) + 1)
    answers: list = [None] * len(jobs)
    latencies: list[float] = []
    retried = [0]
    lock = threading.Lock()

    def run(n: int) -> None:
        node_id, key, data, _records, position = jobs[n]
        client = DistrictClient(server, node_id, key, attempts=12, max_wait=300, timeout=120)
        start.wait()
        try:
            pushed = client.push(data)
            pulled = client.pull(position, 0)
            answers[n] = (pushed.get("status"), pulled is not None)
        except Exception as exc:  # counted as lost below
            answers[n] = ("error: " + str(exc)[:80], False)
        with lock:
            latencies.extend(t for _m, _p, status, t in client.log if status != 503)
            retried[0] += sum(1 for _m, _p, status, _t in client.log if status == 503)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    uuids = [r["uuid"] for job in jobs for r in job[3]]
    return {
        "answers": answers,
        "latencies": latencies,
        "wall": wall,
        "retried": retried[0],
        "uuids": uuids,
    }


def _counted(uuids: list[str]) -> tuple[int, int]:
    """(lost, doubled) among the changes sent: in the change log or in quarantine once."""
    from collections import Counter

    from sqlalchemy import select

    from intranet.changelog.models import Change
    from intranet.extensions import db
    from sync.models import SyncQuarantine

    seen: Counter[str] = Counter()
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        seen.update(db.session.scalars(select(Change.uuid).where(Change.uuid.in_(chunk))))
        seen.update(
            db.session.scalars(
                select(SyncQuarantine.change_uuid).where(SyncQuarantine.change_uuid.in_(chunk))
            )
        )
    lost = sum(1 for u in uuids if seen[u] == 0)
    doubled = sum(1 for u in uuids if seen[u] > 1)
    return lost, doubled


def run(database_url: str | None, n_schools: int = 300) -> list[tuple[str, float]]:
    from intranet import create_app
    from intranet.database import upgrade_database
    from intranet.extensions import db
    from sync import keys, nodes
    from sync.client import DistrictClient, enrol_by_code, run_sync
    from tests.perf import _free_port
    from tests.sync.netproxy import Proxy

    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name)
    (folder / "district").mkdir()
    (folder / "copy").mkdir()
    url = database_url or "sqlite:///" + str(folder / "district" / "district.sqlite3")
    district_app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    district_app.instance_path = str(folder / "district")
    with district_app.app_context():
        upgrade_database()
        district_uuid, first_code, code, senders = _seed(n_schools)
        db.engine.dispose()
    port = _free_port()
    server = _serve(folder / "district", url, port, None)
    rows: list[tuple[str, float]] = []
    try:
        base = f"http://127.0.0.1:{port}"
        copy = _copy_app(folder / "copy", base)
        with copy.app_context():
            enrol_by_code(base, code, "bench")
            _week_of_work(f"{first_code}-0")
            local = nodes.local()
            slow = Proxy(port, rate=256_000 / 8)
            client = DistrictClient(slow.url, local.node_id, keys.node_key())
            began = time.perf_counter()
            report = run_sync(client)
            week_s = time.perf_counter() - began
            assert report.all_confirmed, report.lines()
            week_up, week_down = slow.up, slow.down
            slow.close()
            quiet_up, quiet_down, quiet_ms = [], [], []
            for _n in range(7):
                plain = Proxy(port)
                client = DistrictClient(plain.url, local.node_id, keys.node_key())
                report = run_sync(client)
                assert report.all_confirmed and report.sent == 0, report.lines()
                quiet_up.append(plain.up)
                quiet_down.append(plain.down)
                quiet_ms.append(client.server_ms)
                plain.close()
            db.session.remove()
            db.engine.dispose()
        at_once = _at_once(base, district_uuid, senders)
        with district_app.app_context():
            lost, doubled = _counted(at_once["uuids"])
            db.engine.dispose()
        answers = at_once["answers"]
        failed = sum(
            1 for status, pulled in answers if status not in ("applied", "known") or not pulled
        )
        latencies = sorted(at_once["latencies"])
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        rows += [
            ("sync, nothing new: bytes up (B, not s)", statistics.median(quiet_up)),
            ("sync, nothing new: bytes down (B, not s)", statistics.median(quiet_down)),
            ("sync, nothing new: server time (ms, not s)", statistics.median(quiet_ms)),
            ("sync, week of work: bytes up (KB, not s)", week_up / 1024),
            ("sync, week of work: bytes down (KB, not s)", week_down / 1024),
            ("sync, week of work at 256 kbit/s", week_s),
            (f"{len(senders)} schools at once: wall", at_once["wall"]),
            (
                f"{len(senders)} schools at once: requests/s (not s)",
                len(latencies) / at_once["wall"],
            ),
            (f"{len(senders)} schools at once: p99 latency", p99),
            (f"{len(senders)} schools at once: 503 retried (n, not s)", at_once["retried"]),
            (f"{len(senders)} schools at once: failed syncs (n, not s)", failed),
            (f"{len(senders)} schools at once: changes lost (n, not s)", lost),
            (f"{len(senders)} schools at once: applied twice (n, not s)", doubled),
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        tmp.cleanup()
    return rows
