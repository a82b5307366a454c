"""Benchmark: server time, SQL queries and page weight of the main pages.

    python -m tests.perf [--schools 300] [--repeat 30] [--database-url URL]

Seeds a district (300 schools by default) in a throw-away database, then measures each
page in-process through the WSGI test client: median server time, SQL queries per
request, and first-load weight (HTML + linked CSS and JS, each gzipped). A minimal Flask
page measured in the same run is the baseline, so the ratios hold on any machine.
Later capabilities add their pages to ``PAGES``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import io
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


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


@dataclass
class Result:
    name: str
    median_ms: float
    ratio: float  # to the baseline page measured alongside
    queries: int
    html_kb: float
    first_load_kb: float


def _timed(client, url: str, headers) -> tuple[float, object]:
    start = time.perf_counter()
    response = client.get(url, headers=headers or {})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response


def measure(
    name: str, client, url: str, repeat: int, app: Flask | None, baseline=None, headers=None
) -> Result:
    """Median server time of ``url``; with ``baseline`` (a client of the minimal page),
    the two are requested in turn so that any drift of the machine hits both alike."""
    times, base_times = [], []
    response = None
    # The cyclic garbage collector is off while timing: garbage one request leaves must
    # not be collected inside the next one's time (that would charge the baseline for
    # the heavy page's work). It runs between pages instead.
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            if baseline is not None:
                base_times.append(_timed(baseline, "/", None)[0])
            elapsed, response = _timed(client, url, headers)
            times.append(elapsed)
    finally:
        gc.enable()
    body = response.get_data()
    queries = count_queries(app, lambda: client.get(url, headers=headers or {})) if app else 0
    assets = 0
    for asset in sorted(set(ASSET_RE.findall(body.decode("utf-8", "replace")))):
        asset_response = client.get(asset)
        assets += gz(asset_response.get_data())
        asset_response.close()
    median = statistics.median(times) * 1000
    ratio = median / (statistics.median(base_times) * 1000) if base_times else 1.0
    return Result(name, median, ratio, queries, gz(body) / 1024, (gz(body) + assets) / 1024)


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


def seed(n_schools: int):
    """A district of ``n_schools`` schools with two users each, and a reviewer."""
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
            code=f"b{n:04d}",
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
        login="bench-reviewer",
        full_name="Методист",
        role=Role.DISTRICT_REVIEWER.value,
        district_id=district.id,
        password_hash=hashed.password_hash,
    )
    admin = User(
        login="bench-admin",
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
    db.session.execute(
        update(RoadmapItem)
        .where(RoadmapItem.id % 3 == 0)
        .values(status="done", done_on=date(2025, 12, 1))
    )
    db.session.execute(
        update(RoadmapItem).where(RoadmapItem.id % 3 == 1).values(status="in_progress")
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


def seed_inspections(district_id: int, n_campaigns: int = 12, n_fields: int = 60) -> dict:
    """Self-inspection forms: ``n_campaigns`` campaigns sent to every school, one of them of
    ``n_fields`` questions answered by every school (a table of 3 rows each)."""
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
    for sid, _school in subs:
        answers = {f["key"]: values[f["type"]]() for f in fields if f["type"] != "table"}
        answers["classes"] = [
            {"id": f"r{sid}-{k}", "grade": f"{k + 4}а", "pupils": str(20 + k)} for k in range(3)
        ]
        db.session.execute(
            update(Submission).where(Submission.id == sid).values(answers=answers, revision=60)
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
]


def run(n_schools: int, repeat: int, database_url: str | None) -> tuple[list[Result], list]:
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
        ids |= seed_inspections(district_id)
        ids["submission_id"] = _submission_id(ids["campaign_id"], school_id)

    baseline = baseline_app().test_client()
    results = [measure("baseline (minimal Flask page)", baseline, "/", repeat, None)]
    anon = app.test_client()
    user = app.test_client()
    # No app context around requests: each request must get its own, as in production.
    r = user.post("/login", data={"login": "bench-reviewer", "password": "bench-password-1"})
    assert r.status_code == 302, "benchmark login failed"
    admin = app.test_client()
    r = admin.post("/login", data={"login": "bench-admin", "password": "bench-password-1"})
    assert r.status_code == 302, "benchmark admin login failed"
    for name, template, logged_in, headers in PAGES:
        client = user if logged_in else anon
        results.append(
            measure(name, client, template.format(**ids), repeat, app, baseline, headers)
        )
    operations = time_plan_import(app, admin)
    staff = app.test_client()
    r = staff.post("/login", data={"login": "b0001-1", "password": "bench-password-1"})
    assert r.status_code == 302, "benchmark school login failed"
    operations += time_inspections(app, user, staff, ids, baseline, repeat)
    with app.app_context():
        operations += time_objectivity(district_id)
    with app.app_context():
        from intranet.extensions import db

        db.engine.dispose()
    tmp.cleanup()
    return results, operations


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


def _only_objectivity(database_url: str | None) -> int:
    from intranet import create_app
    from intranet.database import upgrade_database

    tmp = tempfile.TemporaryDirectory()
    url = database_url or "sqlite:///" + str(Path(tmp.name) / "bench.sqlite3")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade_database()
        district, _school = seed(50)
        operations = time_objectivity(district.id)
        from intranet.extensions import db

        db.engine.dispose()
    tmp.cleanup()
    print(f"{'operation':<50} {'median s':>9}")
    for name, seconds in operations:
        print(f"{name:<50} {seconds:>9.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--only", choices=["objectivity"], help="run only these rows")
    args = parser.parse_args(argv)
    if args.only == "objectivity":
        return _only_objectivity(args.database_url)
    results, operations = run(args.schools, args.repeat, args.database_url)
    print(f"schools: {args.schools}, requests per page: {args.repeat}")
    print(
        f"{'page':<34} {'median ms':>10} {'x base':>7} {'SQL':>5} {'HTML gz KB':>11} {'first load gz KB':>17}"
    )
    for r in results:
        print(
            f"{r.name:<42} {r.median_ms:>10.2f} {r.ratio:>7.1f} {r.queries:>5} "
            f"{r.html_kb:>11.1f} {r.first_load_kb:>17.1f}"
        )
    print()
    print(f"{'operation':<50} {'median s':>9}")
    for name, seconds in operations:
        print(f"{name:<50} {seconds:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
