from __future__ import annotations

from openpyxl import Workbook
from sqlalchemy import func, select

from intranet.auth.models import User
from intranet.extensions import db
from intranet.schools.models import School


def test_demo_fills_a_district_once_and_prints_passwords_once(runner, app_ctx):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "shown once" in result.output
    schools = db.session.scalars(select(School)).all()
    assert len(schools) >= 12
    assert all("«" in s.name for s in schools)
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"school_staff", "school_head", "district_reviewer", "district_admin"}
    for login in ("admin", "metodist", "director1", "secretary1"):
        assert login in result.output
    from intranet.roadmaps.models import Plan, RoadmapItem, SchoolRoadmap

    plan = db.session.scalar(select(Plan))
    assert plan.status == "published" and len(plan.items) >= 9
    assert db.session.scalar(select(func.count(SchoolRoadmap.id))) == len(schools)
    assert (
        db.session.scalar(select(func.count(RoadmapItem.id)).where(RoadmapItem.status == "done"))
        == 2
    )
    from datetime import date

    from intranet.objectivity.services import schools_at_risk

    year = date.today().year if date.today().month >= 5 else date.today().year - 1
    at_risk = schools_at_risk(plan.district_id, year)
    assert "sch0103" in [s.code for s in schools if s.id in at_risk]
    again = runner.invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0
    assert "already there" in again.output
    assert db.session.scalar(select(func.count(School.id))) == len(schools)


def test_demo_passwords_work(app, runner, app_ctx):
    output = runner.invoke(args=["demo", "--no-serve"]).output
    line = next(row for row in output.splitlines() if row.strip().startswith("metodist"))
    password = line.split()[-1]
    client = app.test_client()
    assert (
        client.post("/login", data={"login": "metodist", "password": password}).status_code == 302
    )
    assert "СОШ № 1" in client.get("/schools/").get_data(as_text=True)


def test_users_and_schools_commands(runner, app_ctx, tmp_path):
    assert runner.invoke(args=["districts", "create", "УО Тестового района"]).exit_code == 0
    wb = Workbook()
    wb.active.append(["Код", "Наименование"])
    wb.active.append(["t1", "МБОУ «СОШ № 1»"])
    path = tmp_path / "schools.xlsx"
    wb.save(path)
    dry = runner.invoke(args=["schools", "import", str(path), "--dry-run"])
    assert "would add 1" in dry.output
    assert db.session.scalar(select(func.count(School.id))) == 0
    done = runner.invoke(args=["schools", "import", str(path)])
    assert done.exit_code == 0 and "added 1" in done.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "head1",
            "--full-name",
            "Иванов И. И.",
            "--role",
            "school_head",
            "--school",
            "t1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "one-time password" in result.output
    user = db.session.scalar(select(User).where(User.login == "head1"))
    assert user.school.code == "t1" and user.must_change_password
    bad = runner.invoke(
        args=[
            "users",
            "create",
            "x1",
            "--full-name",
            "X",
            "--role",
            "school_head",
            "--school",
            "nope",
        ]
    )
    assert bad.exit_code != 0 and "no school with code nope" in bad.output
    reset = runner.invoke(args=["users", "set-password", "HEAD1"])
    assert reset.exit_code == 0 and "one-time password" in reset.output


def test_schools_import_refuses_a_bad_file(runner, app_ctx, tmp_path):
    runner.invoke(args=["districts", "create", "УО"])
    path = tmp_path / "bad.csv"
    path.write_bytes("Код;Наименование\n;Без кода\n".encode("cp1251"))
    result = runner.invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 2
    assert db.session.scalar(select(func.count(School.id))) == 0
