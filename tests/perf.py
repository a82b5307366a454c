"""Benchmark: server time, SQL queries and page weight of the main pages.

    python -m tests.perf [--schools 300] [--repeat 30] [--database-url URL]

The database is ``--database-url``, else ``INTRANET_DATABASE_URL``, else a temporary SQLite
file.

Seeds a district (300 schools by default) in a throw-away database, then measures each
page in-process through the WSGI test client, asked as a browser asks over HTTP
(``Accept-Encoding: gzip, deflate``): median server time (and the ratio of its CPU time
in this process, steadier on a shared machine), SQL queries per request, the
raw HTML, and the bytes on the wire (status, headers, body as sent) of a first visit (the
page and every CSS and JS file it links) and of a repeated one (the page again, plus
whatever the browser may not keep: files without a long max-age are revalidated). A minimal Flask
page measured in the same run is the baseline, so the ratios hold on any machine.
Later capabilities add their pages to ``PAGES``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import io
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, render_template_string
from sqlalchemy import event

ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def count_queries(app: Flask, fn: Callable[[], object]) -> int:
    """Run ``fn`` and return how many SQL statements it sent."""
    from intranet.extensions import db

    with app.app_context():
        engine = db.engine
    seen = 0

    def before(*_args, **_kwargs):
        nonlocal seen
        seen += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return seen


# What a browser sends over plain HTTP (brotli and zstd are offered over HTTPS only).
BROWSER = {"Accept-Encoding": "gzip, deflate"}


def wire(response) -> int:
    """Bytes of a response on the wire: status line, headers and (compressed) body."""
    head = len(f"HTTP/1.1 {response.status}\r\n") + 2
    head += sum(len(f"{k}: {v}\r\n") for k, v in response.headers.items())
    return head + len(response.get_data())


def cached_for_good(response) -> bool:
    """A browser keeps this file without asking again (a long max-age)."""
    cache = response.headers.get("Cache-Control", "")
    match = re.search(r"max-age=(\d+)", cache)
    return "no-cache" not in cache and bool(match) and int(match.group(1)) >= 86_400


@dataclass
class Result:
    name: str
    median_ms: float
    ratio: float  # to the baseline page measured alongside
    cpu_ratio: float  # the same, in CPU time of this process
    queries: int
    html_kb: float  # the page's HTML, uncompressed
    first_kb: float  # on the wire, first visit: the page and every file it links
    repeat_kb: float  # on the wire, next visit: the page, and only files not kept


def _timed(client, url: str, headers) -> tuple[float, object]:
    start = time.perf_counter()
    response = client.get(url, headers={**BROWSER, **(headers or {})})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response


def _cpu(client, url: str, headers) -> float:
    """CPU seconds of this process for one request: on a machine shared with other work
    it stays put where the wall clock does not (the database's own time on PostgreSQL
    is not in it)."""
    start = time.process_time()
    response = client.get(url, headers={**BROWSER, **(headers or {})})
    spent = time.process_time() - start
    assert response.status_code == 200, (url, response.status_code)
    return spent


def visits(client, url: str, headers) -> tuple[int, int, int]:
    """Raw HTML bytes, and bytes on the wire for a first and a repeated visit: the page
    (never cached) and its linked files (none kept on the first; on the next, files
    with a long max-age are not asked for, others are revalidated by their ETag)."""
    page = client.get(url, headers={**BROWSER, **(headers or {})})
    raw = len(client.get(url, headers=headers or {}).get_data())
    first = repeat = wire(page)
    html = page.get_data()
    if page.headers.get("Content-Encoding") == "gzip":
        html = gzip.decompress(html)
    for asset in sorted(set(ASSET_RE.findall(html.decode("utf-8", "replace")))):
        response = client.get(asset, headers=BROWSER)
        first += wire(response)
        if not cached_for_good(response):
            conditional = {"If-None-Match": response.headers.get("ETag", "")}
            repeat += wire(client.get(asset, headers={**BROWSER, **conditional}))
        response.close()
    return raw, first, repeat


def measure(
    name: str, client, url: str, repeat: int, app: Flask | None, baseline=None, headers=None
) -> Result:
    """Median server time of ``url``; with ``baseline`` (a client of the minimal page),
    the two are requested in turn so that any drift of the machine hits both alike."""
    times, base_times, cpu, base_cpu = [], [], [], []
    # The cyclic garbage collector is off while timing: garbage one request leaves must
    # not be collected inside the next one's time (that would charge the baseline for
    # the heavy page's work). It runs between pages instead.
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            if baseline is not None:
                base_times.append(_timed(baseline, "/", None)[0])
                base_cpu.append(_cpu(baseline, "/", None))
            elapsed, _response = _timed(client, url, headers)
            times.append(elapsed)
            cpu.append(_cpu(client, url, headers))
    finally:
        gc.enable()
    queries = count_queries(app, lambda: client.get(url, headers=headers or {})) if app else 0
    raw, first, again = visits(client, url, headers)
    median = statistics.median(times) * 1000
    ratio = median / (statistics.median(base_times) * 1000) if base_times else 1.0
    cpu_ratio = statistics.median(cpu) / statistics.median(base_cpu) if base_cpu else 1.0
    return Result(name, median, ratio, cpu_ratio, queries, raw / 1024, first / 1024, again / 1024)


def baseline_app() -> Flask:
    app = Flask("baseline")

    @app.route("/")
    def index():
        return render_template_string(
            "<!doctype html><html><head><title>{{ t }}</title></head>"
            "<body><h1>{{ t }}</h1><p>{{ t }}</p></body></html>",
            t="Базовая страница",
        )

    return app


def seed(n_schools: int, tag: str = ""):
    """A district of ``n_schools`` schools with two users each, and a reviewer; ``tag``
    sets its logins apart from another seeded district's in the same database."""
    from intranet.auth.models import User
    from intranet.auth.roles import Role
    from intranet.extensions import db
    from intranet.schools.models import District, School

    district = District(name="Управление образования (бенчмарк)", short_name="УО")
    db.session.add(district)
    db.session.flush()
    schools = [
        School(
            district_id=district.id,
            code=f"b{tag}{n:04d}",
            name=f"Муниципальное бюджетное общеобразовательное учреждение «СОШ № {n}»",
            short_name=f"МБОУ СОШ № {n}",
            head_name=f"Директор {n}",
            email=f"s{n}@example.ru",
            phone=f"+7 900 000-{n:04d}",
            active=True,
        )
        for n in range(1, n_schools + 1)
    ]
    db.session.add_all(schools)
    db.session.flush()
    hashed = User(login="x", full_name="x", role="school_staff", district_id=district.id)
    hashed.set_password("bench-password-1")
    users = []
    for s in schools:
        for k, role in enumerate((Role.SCHOOL_HEAD, Role.SCHOOL_STAFF)):
            users.append(
                User(
                    login=f"{s.code}-{k}",
                    full_name=f"Сотрудник {s.code}",
                    role=role.value,
                    district_id=district.id,
                    school_id=s.id,
                    password_hash=hashed.password_hash,
                )
            )
    reviewer = User(
        login=f"bench-reviewer{tag}",
        full_name="Методист",
        role=Role.DISTRICT_REVIEWER.value,
        district_id=district.id,
        password_hash=hashed.password_hash,
    )
    admin = User(
        login=f"bench-admin{tag}",
        full_name="Администратор",
        role=Role.DISTRICT_ADMIN.value,
        district_id=district.id,
        password_hash=hashed.password_hash,
    )
    db.session.add_all([*users, reviewer, admin])
    db.session.commit()
    return district, schools[0]


def seed_plan(district, n_items: int = 40):
    """A published plan of ``n_items`` in 4 sections: every school gets a roadmap; a third
    of the items are done, a third in progress."""
    from datetime import date

    from sqlalchemy import select, update

    from intranet.extensions import db
    from intranet.roadmaps import services
    from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap

    plan = services.create_plan(
        None,
        district.id,
        {
            "title": "План мероприятий (бенчмарк)",
            "period_start": date(2025, 9, 1),
            "period_end": date(2026, 8, 31),
        },
    )
    sections = [services.add_section(None, plan, f"Раздел {n}") for n in range(1, 5)]
    months = ["сентябрь", "октябрь", "ноябрь", "декабрь", "январь", "февраль", "март", "апрель"]
    for n in range(n_items):
        services.add_plan_item(
            None,
            plan,
            {
                "section_id": sections[n * 4 // n_items].id,
                "number": f"{n * 4 // n_items + 1}.{n % (n_items // 4) + 1}",
                "text": f"Мероприятие {n + 1}: анализ результатов оценочных процедур",
                "deadline_text": months[n % len(months)] if n % 5 else "в течение учебного года",
                "responsible": "Руководители ОО",
            },
        )
    services.publish(None, plan)
    # Only this plan's items: a shared database may hold other districts' roadmaps.
    of_plan = RoadmapItem.roadmap_id.in_(
        select(SchoolRoadmap.id).where(SchoolRoadmap.plan_id == plan.id)
    )
    db.session.execute(
        update(RoadmapItem)
        .where(of_plan, RoadmapItem.id % 3 == 0)
        .values(status="done", done_on=date(2025, 12, 1))
    )
    db.session.execute(
        update(RoadmapItem).where(of_plan, RoadmapItem.id % 3 == 1).values(status="in_progress")
    )
    db.session.expire_all()
    for roadmap in db.session.scalars(
        select(SchoolRoadmap).where(SchoolRoadmap.plan_id == plan.id)
    ):
        services.refresh_progress(roadmap)
    services.recount_plan_items(plan)
    db.session.commit()
    return plan


def time_plan_import(app, client, repeat: int = 5) -> list[tuple[str, float]]:
    """Median seconds to parse a 200-item .docx, and to import it through the pages."""
    from intranet.roadmaps.plan_import import parse_plan
    from tests.roadmaps.plan_fixtures import build_docx, make_rows

    data = build_docx(make_rows(200))
    parse_times, ui_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        parsed = parse_plan(data, "plan.docx")
        parse_times.append(time.perf_counter() - start)
        assert len(parsed.items) == 200
        start = time.perf_counter()
        r = client.post(
            "/plans/import",
            data={"file": (io.BytesIO(data), "plan.docx")},
            content_type="multipart/form-data",
        )
        preview_url = r.headers["Location"]
        assert client.get(preview_url).status_code == 200
        fields = {"title": "План", "period_start": "2025-09-01", "period_end": "2026-08-31"}
        r = client.post(preview_url, data={**fields, "confirm": "1"})
        ui_times.append(time.perf_counter() - start)
        assert r.status_code == 302 and "/plans/" in r.headers["Location"], r.get_data(
            as_text=True
        )[-3000:]
    return [
        ("parse a 200-item .docx", statistics.median(parse_times)),
        ("import a 200-item .docx (upload, preview, save)", statistics.median(ui_times)),
    ]


JOURNAL_SHIFTS = (-1, 0, 0, 0, 0, 0, 0, 0, 0, 1)


def seed_vpr_years(district_id: int, years: int = 5, pupils: int = 40) -> int:
    """``years`` of ВПР (up to 2023) for every school of the district: 4 subjects x 2
    grades, ``pupils`` pupils per school and group, computed as an import would. Returns
    the number of pupils' rows."""
    import random

    from sqlalchemy import insert, select

    from intranet.extensions import db
    from intranet.objectivity import services
    from intranet.objectivity.models import MarkScale, VprImport, VprResult
    from intranet.schools.models import School

    rng = random.Random(5)
    school_ids = list(
        db.session.scalars(select(School.id).where(School.district_id == district_id))
    )
    subjects = ("Русский язык", "Математика", "История", "Биология")
    total = 0
    for year in range(2024 - years, 2024):
        batch = VprImport(district_id=district_id, kind="results", filename=f"vpr-{year}.xlsx")
        db.session.add(batch)
        for subject in subjects:
            for grade in (5, 6):
                db.session.add(
                    MarkScale(
                        district_id=district_id,
                        year=year,
                        subject=subject,
                        grade=grade,
                        min3=6,
                        min4=11,
                        min5=16,
                        max_score=20,
                    )
                )
        db.session.flush()
        rows = []
        for n, school_id in enumerate(school_ids):
            bias = 4 if n % 37 == 0 else 0  # a few schools look too good
            for subject in subjects:
                for grade in (5, 6):
                    for k in range(pupils):
                        score = max(0, min(20, int(rng.gauss(11 + bias, 4))))
                        mark = 5 if score >= 16 else 4 if score >= 11 else 3 if score >= 6 else 2
                        # Journals mostly agree with the work, as in a sound school.
                        journal = min(5, max(2, mark + rng.choice(JOURNAL_SHIFTS)))
                        rows.append(
                            {
                                "district_id": district_id,
                                "school_id": school_id,
                                "import_id": batch.id,
                                "year": year,
                                "subject": subject,
                                "grade": grade,
                                "class_name": f"{grade}А",
                                "participant": f"{school_id}-{k}",
                                "absent": k == pupils - 1,
                                "primary_score": None if k == pupils - 1 else score,
                                "mark": None if k == pupils - 1 else mark,
                                "journal_mark": journal,
                            }
                        )
        for start in range(0, len(rows), 20_000):
            db.session.execute(insert(VprResult), rows[start : start + 20_000])
        total += len(rows)
    db.session.commit()
    services.recompute(district_id)
    return total


def time_objectivity(district_id: int, repeat: int = 3) -> list[tuple[str, float]]:
    """A district's year of ВПР: 50 schools, 4 subjects x 2 grades, 25,000 pupil rows in
    eight .xlsx files as ФИС ОКО exports them. Median seconds to import them all (read,
    check, bulk insert, markers), and to compute every indicator of the year."""
    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.objectivity import importer, services
    from intranet.objectivity.models import MarkScale
    from intranet.schools.models import School
    from tests.objectivity.files import RESULT_HEADER, district_year, xlsx

    logins = list(
        db.session.scalars(
            select(School.code)
            .where(School.district_id == district_id)
            .order_by(School.code)
            .limit(50)
        )
    )
    subjects = ("Русский язык", "Математика", "История", "Биология")
    files = []
    for k, subject in enumerate(subjects):
        for grade in (5, 6):
            db.session.add(
                MarkScale(
                    district_id=district_id,
                    year=2024,
                    subject=subject,
                    grade=grade,
                    min3=6,
                    min4=11,
                    min5=16,
                    max_score=20,
                )
            )
            per_school = 25_000 // (len(logins) * 8) + (1 if k % 2 else 0)
            rows = [RESULT_HEADER, *district_year(logins, per_school, seed=k * 10 + grade)]
            files.append((xlsx(rows, title=f"ВПР 2024. {subject}, {grade} класс"), len(rows) - 1))
    db.session.commit()
    total_rows = sum(n for _, n in files)
    import_times, compute_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        for data, _n in files:
            parsed = importer.parse(district_id, data, "vpr.xlsx")
            assert parsed.valid, (parsed.errors, parsed.problems[:3])
            importer.apply(None, district_id, parsed, "vpr.xlsx")
        import_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        services.recompute(district_id, {2024})
        compute_times.append(time.perf_counter() - start)
    return [
        (f"import ВПР: 50 schools, 8 files, {total_rows} rows", statistics.median(import_times)),
        ("compute every objectivity indicator of that year", statistics.median(compute_times)),
    ]


def seed_inspections(
    district_id: int, n_campaigns: int = 12, n_fields: int = 60, typing_school: int | None = None
) -> dict:
    """Self-inspection forms: ``n_campaigns`` campaigns sent to every school, one of them of
    ``n_fields`` questions answered by every school (a table of 3 rows each) and sent by
    nine in ten (never by ``typing_school``, whose autosave is timed)."""
    import random
    from datetime import date, timedelta

    from sqlalchemy import select, update

    from intranet.extensions import db
    from intranet.inspections import services
    from intranet.inspections.models import Submission

    kinds = ["yesno", "integer", "decimal", "choice", "text", "url"]
    fields = []
    for n in range(n_fields - 1):
        kind = kinds[n % len(kinds)]
        spec = {"key": f"f{n}", "type": kind, "label": f"Вопрос {n + 1} самообследования"}
        if kind == "choice":
            spec["options"] = ["полностью", "частично", "нет"]
        fields.append(spec)
    fields.append(
        {
            "key": "classes",
            "type": "table",
            "label": "Классы",
            "columns": [
                {"key": "grade", "label": "Класс", "type": "text"},
                {"key": "pupils", "label": "Участников", "type": "integer"},
            ],
        }
    )
    schema = {"sections": [{"key": "s1", "title": "Раздел", "fields": fields}]}
    template = services.create_template(
        None, district_id, "Самообследование (бенчмарк)", "", schema
    )
    services.publish_version(None, template.latest)
    today = date.today()
    campaigns = [
        services.launch_campaign(None, template.latest, f"Кампания {n}", today + timedelta(days=n))
        for n in range(n_campaigns)
    ]
    rng = random.Random(1)
    values = {
        "yesno": lambda: rng.choice(["yes", "no"]),
        "integer": lambda: str(rng.randint(0, 50)),
        "decimal": lambda: f"{rng.randint(0, 100)},5",
        "choice": lambda: rng.choice(["полностью", "частично", "нет"]),
        "text": lambda: "Ответ школы",
        "url": lambda: "https://school.example.ru/doc.pdf",
    }
    big = campaigns[-1]
    subs = db.session.execute(
        select(Submission.id, Submission.school_id).where(Submission.campaign_id == big.id)
    ).all()
    for sid, school_id in subs:
        answers = {f["key"]: values[f["type"]]() for f in fields if f["type"] != "table"}
        answers["classes"] = [
            {"id": f"r{sid}-{k}", "grade": f"{k + 4}а", "pupils": str(20 + k)} for k in range(3)
        ]
        # Nine schools in ten have sent the form: the district's table shows their answers.
        sending = sid % 10 and school_id != typing_school
        sent = {"status": "submitted", "first_submitted_at": services.utcnow()} if sending else {}
        db.session.execute(
            update(Submission)
            .where(Submission.id == sid)
            .values(answers=answers, revision=60, **sent)
        )
    # Some states across the other campaigns, so the matrix shows every kind of cell.
    for n, c in enumerate(campaigns[:-1]):
        db.session.execute(
            update(Submission)
            .where(Submission.campaign_id == c.id, Submission.id % 4 == n % 4)
            .values(status="submitted", first_submitted_at=services.utcnow())
        )
    for c in campaigns:
        services.refresh_campaign_counts(c.id)
    db.session.commit()
    return {"campaign_id": big.id}


def time_inspections(app, reviewer, staff, ids: dict, baseline, repeat: int) -> list:
    """The consolidated .xlsx (seconds) and the autosave of one answer: server time,
    ratio to the baseline page, response bytes, SQL queries."""
    export_times = []
    for _ in range(5):
        start = time.perf_counter()
        r = reviewer.get(f"/campaigns/{ids['campaign_id']}/export.xlsx")
        export_times.append(time.perf_counter() - start)
        assert r.status_code == 200
    url = f"/schools/{ids['school_id']}/forms/{ids['submission_id']}/save"
    headers = {"HX-Request": "true", "HX-Target": "st-f1"}
    times, base_times = [], []
    body = b""
    # As for the pages (``measure``): no garbage collection inside a timed request.
    gc.collect()
    gc.disable()
    try:
        for n in range(repeat):
            base_times.append(_timed(baseline, "/", None)[0])
            data = {"_key": "f1", "f1": str(n % 50), "revision": "100000"}
            start = time.perf_counter()
            r = staff.post(url, data=data, headers=headers)
            times.append(time.perf_counter() - start)
            assert r.status_code == 200 and "error" not in r.get_data(as_text=True)
            body = r.get_data()
    finally:
        gc.enable()
    queries = count_queries(
        app,
        lambda: staff.post(
            url, data={"_key": "f1", "f1": "51", "revision": "100000"}, headers=headers
        ),
    )
    median = statistics.median(times) * 1000
    return [
        ("consolidated .xlsx (300 x 60)", statistics.median(export_times)),
        ("autosave median ms", median),
        ("autosave x base", median / (statistics.median(base_times) * 1000)),
        ("autosave response bytes", float(len(body))),
        ("autosave SQL queries", float(queries)),
    ]


# Pages served over HTTP by ``intranet serve`` with one worker process and with two.
HTTP_PAGES: list[tuple[str, str]] = [
    ("district school list", "/schools/"),
    ("school home", "/schools/{school_id}"),
    ("school roadmap (40 items)", "/schools/{school_id}/roadmaps/{roadmap_id}"),
    ("campaign matrix (300 x 12)", "/campaigns/"),
    ("consolidated table (300 x 60)", "/campaigns/{campaign_id}"),
]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(code: str, env: dict[str, str], port: int):
    """A server process running ``code`` (which serves on ``port``), once it answers."""
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return wait_until_answering(process, port, "/")


def wait_until_answering(process, port: int, path: str):
    """``process`` once its server answers ``path`` on ``port`` (killed after a minute)."""
    import http.client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server on port {port} did not start")


def _stop_server(process) -> None:
    import signal

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except Exception:
        process.kill()
        process.wait()


def _login_cookie(port: int) -> str:
    import http.client
    import urllib.parse

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode({"login": "bench-reviewer", "password": "bench-password-1"})
    conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    assert response.status == 302, f"HTTP login failed: {response.status}"
    cookies = [
        value.split(";", 1)[0]
        for key, value in response.getheaders()
        if key.lower() == "set-cookie"
    ]
    conn.close()
    return "; ".join(cookies)


def requests_per_second(port: int, path: str, cookie: str, seconds: float, clients: int) -> float:
    """Requests answered per second by ``clients`` keep-alive connections asking at once."""
    import http.client
    import threading

    headers = {**BROWSER, "Cookie": cookie} if cookie else dict(BROWSER)
    stop_at = time.monotonic() + seconds
    counts = [0] * clients

    def load(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop_at:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
            counts[k] += 1
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=load, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start)


def http_throughput(url: str, ids: dict, seconds: float, clients: int = 8) -> list[tuple]:
    """Requests per second over HTTP of the minimal page and of ``HTTP_PAGES``, served
    by ``intranet serve`` with one worker process and with two (8 threads each)."""
    import os as _os

    env = {
        **_os.environ,
        "INTRANET_DATABASE_URL": url,
        "INTRANET_SECRET_KEY": "bench",
        "INTRANET_WTF_CSRF_ENABLED": "false",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    rows: dict[str, dict[int, float]] = {}
    for workers in (1, 2):
        port = _free_port()
        base = _start_server(
            "from intranet.serving import serve; from tests.perf import baseline_app; "
            f"serve(baseline_app(), '127.0.0.1', {port}, 8, {workers})",
            env,
            port,
        )
        try:
            rps = requests_per_second(port, "/", "", seconds, clients)
            rows.setdefault("minimal Flask page", {})[workers] = rps
        finally:
            _stop_server(base)
        port = _free_port()
        app = _start_server(
            "from intranet import create_app; from intranet.serving import serve; "
            f"serve(create_app(), '127.0.0.1', {port}, 8, {workers})",
            env,
            port,
        )
        try:
            cookie = _login_cookie(port)
            for name, template in HTTP_PAGES:
                path = template.format(**ids)
                requests_per_second(port, path, cookie, 0.5, clients)  # warm up
                rps = requests_per_second(port, path, cookie, seconds, clients)
                rows.setdefault(name, {})[workers] = rps
        finally:
            _stop_server(app)
    base = rows["minimal Flask page"]
    return [
        (name, r[1], r[1] / base[1], r[2], r[2] / base[2], r[2] / r[1]) for name, r in rows.items()
    ]


# (name, url template, logged in, extra headers); later issues append their pages here.
PAGES: list[tuple[str, str, bool, dict[str, str]]] = [
    ("login page", "/login", False, {}),
    ("district school list", "/schools/", True, {}),
    ("district home (what waits, 300 schools)", "/district/", True, {}),
    (
        "school search (htmx fragment)",
        "/schools/?q=15",
        True,
        {"HX-Request": "true", "HX-Target": "school-list"},
    ),
    ("school home", "/schools/{school_id}", True, {}),
    ("plan execution by school (300 x 40)", "/plans/{plan_id}/execution", True, {}),
    ("plan execution by item (300 x 40)", "/plans/{plan_id}/execution/items", True, {}),
    ("school roadmap (40 items)", "/schools/{school_id}/roadmaps/{roadmap_id}", True, {}),
    ("campaign matrix (300 x 12)", "/campaigns/", True, {}),
    ("consolidated table (300 x 60)", "/campaigns/{campaign_id}", True, {}),
    ("school form to fill (60 fields)", "/schools/{school_id}/forms/{submission_id}", True, {}),
    ("risk list (5 years of ВПР)", "/objectivity/", True, {}),
    ("school analytics (5 years of ВПР)", "/objectivity/schools/{school_id}", True, {}),
]


def _bare_table_pdf(rows: list[list[str]]) -> bytes:
    """The baseline of the printed reports: the same rows in one plain ReportLab table
    (same font and page), nothing else."""
    from reportlab.lib import pagesizes
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    from intranet.documents.fonts import SERIF, register_fonts

    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=pagesizes.landscape(pagesizes.A4))
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), SERIF, 8)]))
    doc.build([table])
    return out.getvalue()


def _peak_mb(fn: Callable[[], object]) -> float:
    """Peak Python memory (tracemalloc) while ``fn`` runs, in MB."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def time_reports(plan_id: int, repeat: int = 5) -> list[tuple[str, float]]:
    """The consolidated report on 300 schools (median seconds, against a bare ReportLab
    table of the same rows built in turn with it, and peak memory), and all 300 roadmaps
    of the plan written into one file (seconds, peak memory)."""
    from datetime import date

    from intranet.extensions import db
    from intranet.reports import data
    from intranet.reports.documents import DistrictReportDocument, RoadmapDocument
    from intranet.roadmaps.models import Plan

    plan = db.session.get(Plan, plan_id)
    today = date(2026, 1, 10)

    def report() -> bytes:
        return DistrictReportDocument(data.plan_report(plan, today)).render()

    found = data.plan_report(plan, today)
    rows = [["№", "Код", "Школа", "Состояние", "Выполнено", "%", "Просрочено", "Акты", "Риск"]]
    rows += [
        [str(n), x.code, x.name, x.state, f"{x.done} / {x.items}", f"{x.completion:.0%}",
         str(x.overdue), "", ""]
        for n, x in enumerate(found.lines, start=1)
    ]  # fmt: skip
    report()  # fonts registered, templates warm, as in a running server
    times, base_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        _bare_table_pdf(rows)
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        report()
        times.append(time.perf_counter() - start)
    median, base = statistics.median(times), statistics.median(base_times)
    report_mb = _peak_mb(report)
    db.session.expire_all()

    def all_roadmaps() -> int:
        with tempfile.TemporaryFile() as out:
            return RoadmapDocument.for_plan(plan).write(out)

    start = time.perf_counter()
    pages = all_roadmaps()
    roadmaps_s = time.perf_counter() - start
    db.session.expire_all()
    roadmaps_mb = _peak_mb(all_roadmaps)
    cli_s, cli_rss = _print_in_a_process(plan_id)
    return [
        (f"consolidated report PDF ({len(found.lines)} schools)", median),
        ("  bare ReportLab table of the same rows", base),
        ("  report x bare table", median / base),
        ("  report peak memory MB", report_mb),
        (f"all roadmaps of the plan, one PDF ({pages} pages)", roadmaps_s),
        ("  all roadmaps peak memory MB", roadmaps_mb),
        ("all roadmaps by `intranet print roadmaps`", cli_s),
        ("  that process's peak RSS MB (Python, app, fonts)", cli_rss),
    ]


def _print_in_a_process(plan_id: int) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of ``intranet print roadmaps`` run as its own
    process on the benchmark's database: the whole interpreter, not Python objects only."""
    import os
    import resource
    import subprocess

    from intranet.extensions import db

    url = db.engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "INTRANET_DATABASE_URL": url, "INTRANET_INSTANCE_PATH": tmp}
        code = "import sys; from intranet.cli import main; sys.exit(main())"
        args = ["print", "roadmaps", "--plan", str(plan_id), "--out", f"{tmp}/all.pdf"]
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code, *args], env=env, check=True, capture_output=True
        )
        seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def time_act(district_id: int, repeat: int = 20) -> list[tuple[str, float]]:
    """A control act of usual size (3 members, 20 items checked, 3 recommendations):
    median seconds to render its PDF, against a bare ReportLab table of its items built
    in turn with it, and its size in KB (fonts embedded as subsets)."""
    from datetime import date

    from reportlab.platypus import SimpleDocTemplate, Table
    from sqlalchemy import select

    from intranet.acts import services as acts
    from intranet.acts.documents import ControlActDocument
    from intranet.auth.models import User
    from intranet.documents.fonts import SERIF, register_fonts
    from intranet.extensions import db
    from intranet.schools.models import School

    reviewer = db.session.scalar(select(User).where(User.login == "bench-reviewer"))
    school = db.session.scalar(select(School).where(School.district_id == district_id))
    draft = acts.create_draft(reviewer, school, from_scratch=True)
    note = "Комиссия изучила документы на сайте и протоколы педагогических советов. " * 2
    items = [
        {"topic": f"Вопрос № {n}: локальный акт о ВСОКО и его исполнение",
         "finding": ("complies", "partly", "fails")[n % 3], "note": note}
        for n in range(1, 21)
    ]  # fmt: skip
    data = {
        "order_number": "45-о", "order_date": date(2026, 3, 1),
        "period_start": date(2026, 3, 2), "period_end": date(2026, 3, 6),
        "commission": [{"name": f"Член комиссии {n}", "post": "методист ИМЦ"} for n in range(3)],
        "items": items, "conclusions": "Выводы комиссии. " * 20,
        "recommendations": [
            {"text": f"Рекомендация {n}", "deadline": date(2026, 6, 1), "responsible": "Директор"}
            for n in range(3)
        ],
        "head_name": "Директор школы",
    }  # fmt: skip
    act = acts.issue(reviewer, acts.save_draft(reviewer, draft, data, draft.revision))
    rows = [["№", "Вопрос", "Результат", "Примечание"]]
    rows += [[str(n), i["topic"], i["finding"], i["note"]] for n, i in enumerate(items, 1)]

    def bare() -> bytes:
        register_fonts()
        out = io.BytesIO()
        table = Table(rows, repeatRows=1)
        table.setStyle([("FONT", (0, 0), (-1, -1), SERIF, 10)])
        SimpleDocTemplate(out).build([table])
        return out.getvalue()

    def render() -> bytes:
        return ControlActDocument([act], base_url="http://intranet.local").render()

    size = len(render())  # fonts registered, as in a running server
    times, base_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        bare()
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    median, base = statistics.median(times), statistics.median(base_times)
    return [
        ("control act PDF (20 items)", median),
        ("  act x bare table of its items", median / base),
        ("  act PDF size KB", size / 1024),
    ]


def _sync_wire(
    school_code: str,
    node_id: str,
    seq: int,
    subject: tuple[str, str],
    field,
    value,
    parent,
    saved_at: str,
) -> dict:
    from intranet.mixins import new_uuid

    return {
        "kind": "change",
        "seq": seq,
        "uuid": new_uuid(),
        "parent_uuid": parent,
        "school": school_code,
        "subject_type": subject[0],
        "subject_uuid": subject[1],
        "field": field,
        "value": value,
        "author_login": f"{school_code}-1",
        "author_name": "Петрова Анна Сергеевна",
        "saved_at": saved_at,
        "node_id": node_id,
    }


def _time_proof(district_id: int, senders, make_round, rounds: int) -> list[tuple[str, float]]:
    """The proof of agreement inside the import: the same 100 bundles of 10 changes, each
    carrying the school's digest in full (compared on import); the district's digest of
    one school; and the data of the sync dashboard for these 100 schools' computers."""
    from sqlalchemy import select

    from intranet.auth.models import User
    from intranet.extensions import db
    from sync import dashboard, digest
    from sync.bundle import DIGEST, read_bundle, write_bundle
    from sync.importer import import_bundle

    with_proof = []
    for r in range(rounds):
        bundles, _rows = make_round(100 + r)
        digests = {s[0].id: digest.dump(digest.compute(s[0].id)) for s in senders}
        signed = []
        for (school, _node_id, key, *_rest), data in zip(senders, bundles, strict=True):
            bundle = read_bundle(data, lambda _m, key=key: key.public_key())
            signed.append(
                write_bundle(
                    bundle.manifest,
                    bundle.records,
                    {},
                    key,
                    extra={DIGEST: digests[school.id]},
                )
            )
        db.session.commit()
        start = time.perf_counter()
        for data in signed:
            assert import_bundle(data).counts.get("applied") == 10
        with_proof.append(time.perf_counter() - start)
    school = senders[0][0]
    compute = []
    for _ in range(5):
        start = time.perf_counter()
        digest.compute(school.id)
        compute.append(time.perf_counter() - start)
    admin = db.session.scalar(
        select(User).where(User.district_id == district_id, User.role == "district_admin")
    )
    board = []
    for _ in range(5):
        start = time.perf_counter()
        dashboard.overview(admin)
        board.append(time.perf_counter() - start)
    return [
        (
            "sync import: 100 bundles, 1,000 changes, each with its digest",
            statistics.median(with_proof),
        ),
        ("digest of one school (compute)", statistics.median(compute)),
        ("sync dashboard data: 100 schools' computers", statistics.median(board)),
    ]


def time_sync(district_id: int, rounds: int = 3) -> tuple[list, list]:
    """Import of school bundles: 100 schools x 10 changes (1,000 changes) through the whole
    import (checks, one transaction per bundle, the change log's merge, receipts); the
    same bundles again; and a raw SQLAlchemy Core insert of the same 1,000 rows (one
    transaction per school) as the baseline timed alongside. Then bundle sizes."""
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import Column, MetaData, Table, select

    from intranet.changelog.models import Change
    from intranet.extensions import db
    from intranet.inspections import services
    from intranet.inspections.models import Submission
    from intranet.mixins import new_uuid
    from intranet.schools.models import District, School
    from sync import digest, keys, nodes
    from sync.bundle import DIGEST, write_bundle
    from sync.exporter import export_for_school
    from sync.importer import import_bundle
    from sync.models import SyncNode

    district = db.session.get(District, district_id)
    fields = [{"key": f"f{n}", "type": "text", "label": f"Вопрос {n}"} for n in range(10)]
    template = services.create_template(
        None,
        district_id,
        "Синхронизация (бенчмарк)",
        "",
        {"sections": [{"key": "s", "title": "Р", "fields": fields}]},
    )
    services.publish_version(None, template.latest)
    campaign = services.launch_campaign(
        None, template.latest, "Кампания синхронизации", date.today() + timedelta(days=30)
    )
    schools = list(
        db.session.scalars(
            select(School).where(School.district_id == district_id).order_by(School.code).limit(100)
        )
    )
    subs = {
        s.school_id: s
        for s in db.session.scalars(select(Submission).where(Submission.campaign_id == campaign.id))
    }
    senders = []
    for school in schools:
        key = keys.generate()
        node = nodes.enrol_node(school, new_uuid(), keys.public_text(key))
        senders.append([school, node.id, key, 0, subs[school.id].head_uuid])
    db.session.commit()
    now = datetime.now(UTC).isoformat()

    def make_round(r: int) -> tuple[list[bytes], list[dict]]:
        bundles, rows = [], []
        for sender in senders:
            school, node_id, key, seq, parent = sender
            records = []
            for n in range(10):
                seq += 1
                record = _sync_wire(
                    school.code,
                    node_id,
                    seq,
                    ("submission", subs[school.id].uuid),
                    f"f{n}",
                    f"Ответ {r}-{n}: мероприятие проведено, протокол размещён на сайте",
                    parent,
                    now,
                )
                parent = record["uuid"]
                records.append(record)
            sender[3], sender[4] = seq, parent
            manifest = {
                "direction": "up",
                "district": district.uuid,
                "school": school.code,
                "node": node_id,
                "seq_from": seq - 9,
                "seq_to": seq,
            }
            bundles.append(write_bundle(manifest, records, {}, key))
            rows.append(records)
        return bundles, rows

    scratch = Table(
        "bench_raw_changes", MetaData(), *[Column(c.name, c.type) for c in Change.__table__.columns]
    )
    scratch.create(db.engine)
    first, again, raw = [], [], []
    for r in range(rounds):
        bundles, rows = make_round(r)
        db.session.commit()
        start = time.perf_counter()
        for data in bundles:
            result = import_bundle(data)
            assert result.counts.get("applied") == 10, result
        first.append(time.perf_counter() - start)
        start = time.perf_counter()
        for data in bundles:
            assert import_bundle(data).status == "known"
        again.append(time.perf_counter() - start)
        start = time.perf_counter()
        for (school, node_id, *_rest), records in zip(senders, rows, strict=True):
            with db.engine.begin() as conn:
                conn.execute(
                    scratch.insert(),
                    [
                        {
                            "uuid": rec["uuid"],
                            "parent_uuid": rec["parent_uuid"],
                            "district_id": district_id,
                            "school_id": school.id,
                            "subject_type": "submission",
                            "subject_id": subs[school.id].id,
                            "subject_uuid": rec["subject_uuid"],
                            "number": n + 1 + r * 10,
                            "applied": True,
                            "field": rec["field"],
                            "value": rec["value"],
                            "author_id": None,
                            "author_login": rec["author_login"],
                            "author_name": rec["author_name"],
                            "saved_at": datetime.now(UTC),
                            "received_at": datetime.now(UTC),
                            "node_id": node_id,
                            "sync_state": "confirmed",
                        }
                        for n, rec in enumerate(records)
                    ],
                )
        raw.append(time.perf_counter() - start)
    scratch.drop(db.engine)
    t_first, t_again, t_raw = (statistics.median(x) for x in (first, again, raw))
    operations = [
        ("sync import: 100 bundles, 1,000 changes", t_first),
        ("sync import: the same bundles again", t_again),
        ("raw Core insert of the same 1,000 rows", t_raw),
        (f"sync import / raw insert (ratio, not s): {t_first / t_raw:.1f}x", t_first / t_raw),
    ]
    operations += _time_proof(district_id, senders, make_round, rounds)

    # Sizes: a typical school's week (40 roadmap items reported on, five filled forms of
    # 30 answers) as the copy sends it, and exports with nothing new.
    school, node_id, key = senders[0][0], senders[0][1], senders[0][2]
    records, seq = [], 0
    for i in range(40):
        item = ("roadmap_item", new_uuid())
        parent = new_uuid()
        for field, value in (
            ("status", "done"),
            ("done_on", "2025-10-15"),
            (
                "result",
                f"Проведено совещание с педагогами по объективности оценивания, пункт {i + 1}; "
                "протокол № 12 от 15.10.2025, приказ размещён на официальном сайте школы",
            ),
            ("progress_note", "Выполнено в срок, ответственный — заместитель директора по УВР"),
            (
                "evidence.add",
                {"uuid": new_uuid(), "url": f"https://school.example/docs/{i + 1}.pdf"},
            ),
        ):
            seq += 1
            record = _sync_wire(school.code, node_id, seq, item, field, value, parent, now)
            parent = record["uuid"]
            records.append(record)
    for _form in range(5):
        subject = ("submission", new_uuid())
        parent = new_uuid()
        for n in range(30):
            seq += 1
            value = ["да", "нет", "12", "87.5", "Наблюдатели присутствовали во всех аудиториях"][
                n % 5
            ]
            record = _sync_wire(school.code, node_id, seq, subject, f"q{n}", value, parent, now)
            parent = record["uuid"]
            records.append(record)
        seq += 1
        records.append(_sync_wire(school.code, node_id, seq, subject, "_submit", None, parent, now))
    manifest = {
        "direction": "up",
        "district": district.uuid,
        "school": school.code,
        "node": node_id,
        "seq_from": 1,
        "seq_to": seq,
        "feed_position": 0,
        "confirmed_seq": 0,
        "created_at": now,
    }
    # Each carries the copy's digest, as a copy sends it: in full with new work, only its
    # root when nothing changed since the district's last digest agreed.
    full = digest.compute(school.id)
    typical = write_bundle(
        manifest, records, {}, key, extra={DIGEST: digest.dump({**full, "position": 0})}
    )
    # The district's bundle once the school has applied the last one (its receipts and
    # every downstream record), then the copy's empty answer with its root: they agree.
    last = export_for_school(school).manifest["seq_to"]
    node = db.session.get(SyncNode, node_id)
    node.confirmed_seq = node.applied_seq
    node.acked_position = last
    root_only = {"root": node.digest_sent["root"], "records": None, "position": last}
    empty_up = write_bundle(
        {**manifest, "seq_from": seq + 1, "confirmed_seq": seq, "feed_position": last},
        [],
        {},
        key,
        extra={DIGEST: digest.dump(root_only)},
    )
    digest.check_on_district(node, school, root_only, last)
    db.session.commit()
    empty_down = export_for_school(school).data
    sizes = [
        (f"school bundle: 40 items reported on + 5 forms ({len(records)} changes)", len(typical)),
        ("school export with nothing new", len(empty_up)),
        ("district export with nothing new", len(empty_down)),
        ("a school's digest in full (digest.json)", len(digest.dump(full))),
    ]
    return operations, sizes


_READ = r"""
import gc, io, json, sys, time
sys.path.insert(0, sys.argv[3])
from intranet import create_app, tabular
what, path = sys.argv[1], sys.argv[2]
url = "sqlite:///" + path + ".sqlite3"
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
app.test_request_context().push()
data = open(path, "rb").read()
if what == "vpr-import":
    from intranet.extensions import db
    from intranet.objectivity import importer
    from intranet.schools.models import District, School
    db.create_all()
    district = District(name="d", short_name="d")
    db.session.add(district)
    db.session.flush()
    db.session.add_all(
        School(district_id=district.id, code=f"b{k:04d}", name=f"s{k}", active=True)
        for k in range(1, 301)
    )
    db.session.commit()
gc.collect()
def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak (VmHWM) starts again from what the process holds now
base = status_kb("VmRSS")
start = time.perf_counter()
if what == "calamine":
    n = sum(1 for _ in tabular.iter_rows(data, "vpr.xlsx", 60_100))
elif what == "openpyxl":
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
elif what == "plan":
    from intranet.roadmaps.plan_import import parse_plan
    n = len(parse_plan(data, "plan.xlsx").items)
elif what == "vpr-import":
    parsed = importer.parse(district.id, data, "vpr.xlsx")
    assert parsed.valid, (parsed.errors, parsed.problems[:2])
    importer.apply(None, district.id, parsed, "vpr.xlsx")
    n = len(parsed.rows)
seconds = time.perf_counter() - start
peak = (status_kb("VmHWM") - base) / 1024
print(json.dumps({"rows": n, "seconds": seconds, "peak_mb": peak}))
"""


def vpr_workbook(path: Path, n_rows: int = 60_000) -> None:
    """A year of ВПР as ФИС ОКО exports it: a title line, a header, 12 task columns."""
    import random

    from openpyxl import Workbook

    rng = random.Random(1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Результаты")
    ws.append(["ВПР 2024. Математика, 5 класс"])
    tasks = [str(i) for i in range(1, 13)]
    ws.append(
        ["Логин ОО", "Класс", "Код участника", "Вариант", *tasks]
        + ["Первичный балл", "Отметка", "Отметка по журналу", "Отсутствовал"]
    )
    for k in range(n_rows):
        score = max(0, min(20, int(rng.gauss(11, 4))))
        mark = 5 if score >= 16 else 4 if score >= 11 else 3 if score >= 6 else 2
        journal = min(5, max(2, mark + rng.choice((-1, 0, 0, 0, 1))))
        marks = [rng.choice((0, 1, 1, 2)) for _ in tasks]
        ws.append(
            [f"b{k % 300 + 1:04d}", f"5{'АБВГ'[k % 4]}", f"{k + 1:06d}", 1 + k % 2, *marks]
            + [score, mark, journal, ""]
        )
    wb.save(path)


def plan_workbook(path: Path, target: int = 5_000_000) -> None:
    """A district's plan on its first sheet, then sheets of reference data until the file
    is about ``target`` bytes, ten times that unpacked (within the 50 MB zip guard), as the
    4.7 MB workbook of issue 12."""
    import random

    from openpyxl import load_workbook

    from tests.roadmaps.plan_fixtures import build_xlsx, make_rows

    wb = load_workbook(io.BytesIO(build_xlsx(make_rows(200))))
    rng = random.Random(2)
    words = [
        "анализ",
        "результатов",
        "оценочных",
        "процедур",
        "мониторинг",
        "объективности",
        "ВПР",
        "ОГЭ",
    ]
    letters = "абвгдежзиклмнопрстуфхцчшщэюя"
    size = 0
    while size < target * 0.9:
        ws = wb.create_sheet(f"Данные {len(wb.worksheets)}")
        for r in range(2000):
            text = [
                " ".join(rng.choice(words) for _ in range(rng.randint(2, 5)))
                + " "
                + "".join(rng.choice(letters) for _ in range(rng.randint(4, 30)))
                for _ in range(5)
            ]
            ws.append([r + 1, *text, rng.random() * 100, rng.randint(1, 10**6)])
        out = io.BytesIO()
        wb.save(out)
        size = len(out.getvalue())
    path.write_bytes(out.getvalue())


def _child(what: str, path: Path) -> dict:
    import json
    import subprocess

    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", _READ, what, str(path), root], capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"{what}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_spreadsheets() -> list[tuple[str, float]]:
    """The spreadsheet imports side by side, each in a fresh process: seconds and peak MB
    above the process's base. Targets (issue 12): a 5 MB plan workbook under 5 s and
    200 MB; a 60,000-row ВПР file under 60 MB."""
    out: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        vpr, plan = Path(tmp) / "vpr.xlsx", Path(tmp) / "plan.xlsx"
        vpr_workbook(vpr)
        plan_workbook(plan)
        mb = plan.stat().st_size / 1e6
        for label, what, path in (
            ("read ВПР 60,000 rows: calamine (ours)", "calamine", vpr),
            ("read ВПР 60,000 rows: openpyxl read-only", "openpyxl", vpr),
            ("import ВПР 60,000 rows (parse, write)", "vpr-import", vpr),
            (f"parse a {mb:.1f} MB plan workbook", "plan", plan),
        ):
            got = _child(what, path)
            out.append((f"{label}, s", got["seconds"]))
            out.append((f"{label}, peak MB", got["peak_mb"]))
    return out


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def time_evidence_download(database_url: str | None, megabytes: int = 50) -> list:
    """Download a ``megabytes`` MB evidence file through the page (in-process, read as a
    browser reads it, piece by piece): seconds, and the peak memory above what the
    process held before, as resident memory (Linux: VmHWM, reset first) and as Python
    objects (tracemalloc). Streamed from the database, both stay at a few MB."""
    import hashlib

    from sqlalchemy import select

    from intranet import create_app
    from intranet.changelog import services as changelog
    from intranet.changelog.services import Origin
    from intranet.database import upgrade_database
    from intranet.extensions import db
    from intranet.roadmaps.models import RoadmapItem
    from intranet.roadmaps.services import attach_file

    tmp = tempfile.TemporaryDirectory()
    url = database_url or "sqlite:///" + str(Path(tmp.name) / "bench.sqlite3")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    app.instance_path = tmp.name
    with app.app_context():
        upgrade_database()
        # Beside the pages' district when given a database: logins of its own.
        district, school = seed(3, tag="e")
        seed_plan(district, n_items=4)
        item = db.session.scalar(
            select(RoadmapItem)
            .where(RoadmapItem.school_id == school.id)
            .order_by(RoadmapItem.id)
            .limit(1)
        )
        data = os.urandom(megabytes * 2**20)
        digest = hashlib.sha256(data).hexdigest()
        changelog.store_blob(data, digest)
        del data
        evidence = attach_file(
            item,
            {
                "sha256": digest,
                "filename": "скан.pdf",
                "content_type": "application/pdf",
                "size": megabytes * 2**20,
            },
            Origin.of(None),
        )
        db.session.commit()
        path = f"/schools/{school.id}/roadmaps/{item.roadmap_id}/evidence/{evidence.id}"
        db.session.remove()
    client = app.test_client()
    r = client.post("/login", data={"login": "bench-reviewere", "password": "bench-password-1"})
    assert r.status_code == 302, "benchmark login failed"

    def download() -> None:
        response = client.get(path, buffered=False)
        assert response.status_code == 200, response.status_code
        got, size = hashlib.sha256(), 0
        for piece in response.response:
            got.update(piece)
            size += len(piece)
        response.close()
        assert size == megabytes * 2**20 and got.hexdigest() == digest, "download differs"

    download()  # warm: the same pages of the database file are cached for both runs
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) starts again from what the process holds now
    base = _rss_kb("VmRSS")
    start = time.perf_counter()
    download()
    seconds = time.perf_counter() - start
    rss = (_rss_kb("VmHWM") - base) / 1024
    python = _peak_mb(download)
    with app.app_context():
        db.engine.dispose()
    tmp.cleanup()
    name = f"download {megabytes} MB evidence"
    return [
        (f"{name}, s", seconds),
        (f"{name}, peak RSS MB above base", rss),
        (f"{name}, peak Python MB (tracemalloc)", python),
    ]


SECTIONS = ("pages", "http", "operations")


def run(
    n_schools: int,
    repeat: int,
    database_url: str | None,
    sections: tuple[str, ...] = SECTIONS,
    http_seconds: float = 3.0,
    vpr_pupils: int = 40,
) -> tuple[list[Result], list, list]:
    from intranet import create_app
    from intranet.database import upgrade_database

    tmp = tempfile.TemporaryDirectory()
    url = database_url or "sqlite:///" + str(Path(tmp.name) / "bench.sqlite3")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        upgrade_database()
        district, school = seed(n_schools)
        school_id = school.id
        district_id = district.id
        plan = seed_plan(district)
        ids = {
            "school_id": school_id,
            "plan_id": plan.id,
            "roadmap_id": _roadmap_id(plan.id, school_id),
        }
        ids |= seed_inspections(district_id, typing_school=school_id)
        ids["submission_id"] = _submission_id(ids["campaign_id"], school_id)
        ids["vpr_rows"] = seed_vpr_years(district_id, pupils=vpr_pupils)
        gather_statistics()

    baseline = baseline_app().test_client()
    results: list[Result] = []
    http_rows: list[tuple] = []
    operations: list[tuple[str, float]] = []
    anon = app.test_client()
    user = app.test_client()
    # No app context around requests: each request must get its own, as in production.
    r = user.post("/login", data={"login": "bench-reviewer", "password": "bench-password-1"})
    assert r.status_code == 302, "benchmark login failed"
    admin = app.test_client()
    r = admin.post("/login", data={"login": "bench-admin", "password": "bench-password-1"})
    assert r.status_code == 302, "benchmark admin login failed"
    if "pages" in sections:
        results.append(measure("baseline (minimal Flask page)", baseline, "/", repeat, None))
        for name, template, logged_in, headers in PAGES:
            client = user if logged_in else anon
            results.append(
                measure(name, client, template.format(**ids), repeat, app, baseline, headers)
            )
    if "http" in sections:
        http_rows = http_throughput(url, ids, http_seconds)
    if "operations" not in sections:
        with app.app_context():
            from intranet.extensions import db

            db.engine.dispose()
        tmp.cleanup()
        return results, http_rows, operations
    operations += time_plan_import(app, admin)
    staff = app.test_client()
    r = staff.post("/login", data={"login": "b0001-1", "password": "bench-password-1"})
    assert r.status_code == 302, "benchmark school login failed"
    operations += time_inspections(app, user, staff, ids, baseline, repeat)
    with app.app_context():
        operations += time_objectivity(district_id)
    operations += time_spreadsheets()
    operations += time_evidence_download(database_url)
    with app.app_context():
        operations += time_act(district_id)
    with app.app_context():
        operations += time_reports(ids["plan_id"])
    with app.app_context():
        sync_operations, sync_sizes = time_sync(district_id)
        operations += sync_operations
        operations += [(f"{name} (KB, not s)", size / 1024) for name, size in sync_sizes]
    with app.app_context():
        from intranet.extensions import db

        db.engine.dispose()
    tmp.cleanup()
    return results, http_rows, operations


def _submission_id(campaign_id: int, school_id: int) -> int:
    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.inspections.models import Submission

    return db.session.scalar(
        select(Submission.id).where(
            Submission.campaign_id == campaign_id, Submission.school_id == school_id
        )
    )


def _roadmap_id(plan_id: int, school_id: int) -> int:
    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.roadmaps.models import SchoolRoadmap

    return db.session.scalar(
        select(SchoolRoadmap.id).where(
            SchoolRoadmap.plan_id == plan_id, SchoolRoadmap.school_id == school_id
        )
    )


def gather_statistics() -> None:
    """What a live server has: PostgreSQL's planner statistics of the seeded tables (its
    autovacuum gathers them some time after a bulk load; a benchmark that measures
    right after seeding would time plans made on default estimates). SQLite gathers
    none unless asked, and nothing asks on a school's PC: it stays as it is."""
    from sqlalchemy import text

    from intranet.extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _in_a_fresh_district(database_url: str | None, n_schools: int, timed: Callable):
    """Seed ``n_schools`` in a fresh database (a temporary SQLite file unless given) and
    return what ``timed(district)`` measures; the run's keys stay in a temporary folder."""
    from intranet import create_app
    from intranet.database import upgrade_database
    from intranet.extensions import db

    tmp = tempfile.TemporaryDirectory()
    url = database_url or "sqlite:///" + str(Path(tmp.name) / "bench.sqlite3")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    app.instance_path = tmp.name
    with app.app_context():
        upgrade_database()
        district, _school = seed(n_schools)
        result = timed(district)
        db.engine.dispose()
    tmp.cleanup()
    return result


def _only_objectivity(database_url: str | None) -> int:
    _print_operations(_in_a_fresh_district(database_url, 50, lambda d: time_objectivity(d.id)))
    return 0


def _only_acts(database_url: str | None) -> int:
    _print_operations(_in_a_fresh_district(database_url, 3, lambda d: time_act(d.id)))
    return 0


def _only_sync(database_url: str | None) -> int:
    operations, sizes = _in_a_fresh_district(database_url, 100, lambda d: time_sync(d.id))
    _print_operations(operations)
    print()
    print(f"{'bundle':<60} {'bytes':>9}")
    for name, size in sizes:
        print(f"{name:<60} {size:>9}")
    return 0


def _only_syncnet(n_schools: int, database_url: str | None) -> int:
    """Sync over the network (tests/sync/netbench.py): a real copy and a served district."""
    from tests.sync.netbench import run as run_syncnet

    print(f"schools: {n_schools}, district database: {'given' if database_url else 'SQLite'}")
    _print_operations(run_syncnet(database_url, n_schools))
    return 0


def _only_reports(n_schools: int, database_url: str | None) -> int:
    operations = _in_a_fresh_district(
        database_url, n_schools, lambda d: time_reports(seed_plan(d).id)
    )
    print(f"schools: {n_schools}")
    _print_operations(operations)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("INTRANET_DATABASE_URL") or None,
        help="default: INTRANET_DATABASE_URL, else a temporary SQLite file",
    )
    parser.add_argument(
        "--only",
        help=(
            "run only these rows, comma-separated: pages, http, operations; "
            "or one of objectivity, acts, reports, sync, syncnet, spreadsheets, evidence"
        ),
    )
    parser.add_argument(
        "--vpr-pupils", type=int, default=40, help="per school, subject, grade and year"
    )
    parser.add_argument(
        "--http-seconds", type=float, default=3.0, help="load time per page and worker count"
    )
    args = parser.parse_args(argv)
    if args.only == "objectivity":
        return _only_objectivity(args.database_url)
    if args.only == "acts":
        return _only_acts(args.database_url)
    if args.only == "reports":
        return _only_reports(args.schools, args.database_url)
    if args.only == "sync":
        return _only_sync(args.database_url)
    if args.only == "syncnet":
        return _only_syncnet(args.schools, args.database_url)
    if args.only == "spreadsheets":
        _print_operations(time_spreadsheets())
        return 0
    if args.only == "evidence":
        _print_operations(time_evidence_download(args.database_url))
        return 0
    sections = tuple(args.only.split(",")) if args.only else SECTIONS
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    results, http_rows, operations = run(
        args.schools, args.repeat, args.database_url, sections, args.http_seconds, args.vpr_pupils
    )
    rows = args.schools * 8 * 5 * args.vpr_pupils
    print(f"schools: {args.schools}, requests per page: {args.repeat}, ВПР rows: {rows}")
    if results:
        print(
            f"{'page':<42} {'median ms':>10} {'x base':>7} {'x base CPU':>10} {'SQL':>5} "
            f"{'HTML KB':>8} {'first visit KB':>15} {'repeat KB':>10}"
        )
    for r in results:
        print(
            f"{r.name:<42} {r.median_ms:>10.2f} {r.ratio:>7.1f} {r.cpu_ratio:>10.1f} "
            f"{r.queries:>5} {r.html_kb:>8.1f} {r.first_kb:>15.1f} {r.repeat_kb:>10.1f}"
        )
    if http_rows:
        print()
        print("over HTTP, intranet serve, 8 keep-alive clients: requests per second")
        print(
            f"{'page':<42} {'1 worker':>9} {'x min':>6} {'2 workers':>10} {'x min':>6} {'2 / 1':>6}"
        )
    for name, one, one_ratio, two, two_ratio, gain in http_rows:
        print(
            f"{name:<42} {one:>9.1f} {one_ratio:>6.2f} {two:>10.1f} {two_ratio:>6.2f} {gain:>6.2f}"
        )
    if operations:
        print()
        print(f"{'operation':<50} {'median s':>9}")
    for name, seconds in operations:
        print(f"{name:<50} {seconds:>9.3f}")
    return 0


def _print_operations(operations) -> None:
    print(f"{'operation':<50} {'median s':>9}")
    for name, seconds in operations:
        print(f"{name:<50} {seconds:>9.3f}")


if __name__ == "__main__":
    sys.exit(main())
