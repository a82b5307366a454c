"""Responses that hold under an attacker's eye (issue 12, item 12): downloads are not
kept in caches, absurd ids and page numbers are 404 and not 500, the SQLite file is the
owner's only, and a file name cannot hide its real extension."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import select, text

from intranet import create_app
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.roadmaps import services as roadmaps
from intranet.roadmaps.models import Evidence
from tests.fixtures.roadmaps import text_of

PDF = b"%PDF-1.4\n%responses test\n"
HUGE = [2**31, 2**63, 2**64, 10**30]


def _evidence(published, name: str) -> Evidence:
    item = published.item("1.1")
    return roadmaps.add_evidence_file(published.staff, item, name, PDF)


def test_downloads_are_never_stored_by_a_cache(client, published, login_as):
    evidence = _evidence(published, "протокол.pdf")
    login_as(published.admin)
    downloads = [
        published.url(f"/evidence/{evidence.id}"),
        f"/plans/{published.plan.id}/execution.xlsx",
    ]
    for url in downloads:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    assert client.get("/schools/").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("huge", HUGE)
def test_ids_beyond_the_database_range_are_404(client, published, login_as, huge):
    login_as(published.admin)
    for url in [
        f"/schools/{huge}",
        f"/plans/{huge}",
        f"/plans/{huge}/execution.xlsx",
        f"/users/{huge}/edit",
        published.url(f"/items/{huge}"),
        published.url(f"/evidence/{huge}"),
        f"/schools/{published.school.id}/roadmaps/{huge}",
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("huge", HUGE + [-(2**64)])
def test_page_numbers_beyond_the_range_are_404(client, published, login_as, huge):
    login_as(published.admin)
    for url in [
        f"/schools/?page={huge}",
        f"/audit/?page={huge}",
        f"/audit/?school_id={huge}",
        f"/audit/?actor_id={huge}",
        f"/plans/{published.plan.id}/execution?page={huge}",
    ]:
        assert client.get(url).status_code == 404, url
    # A page past the last but within reason still shows the last one, as before.
    assert client.get("/schools/?page=999").status_code == 200


def test_the_sqlite_file_is_the_owners_only(tmp_path, monkeypatch):
    monkeypatch.setenv("INTRANET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("INTRANET_DATABASE_URL", raising=False)
    old = os.umask(0o022)
    try:
        app = create_app({"TESTING": True})
        with app.app_context():
            db.session.execute(text("CREATE TABLE probe (x INTEGER)"))
            db.session.commit()
            db.engine.dispose()
    finally:
        os.umask(old)
    made = [p for p in tmp_path.iterdir() if p.name.startswith("intranet.sqlite3")]
    assert made
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_evidence_names_lose_bidirectional_controls(client, published, login_as):
    # "photo_U+202Egpj.exe" shows as "photo_exe.jpg" in a file list.
    evidence = _evidence(published, "протокол\u202egpj.exe\u200f\u2066.pdf")
    db.session.expire_all()
    stored = db.session.scalar(select(Evidence.filename).where(Evidence.id == evidence.id))
    assert stored == "протоколgpj.exe.pdf"
    login_as(published.staff)
    page = text_of(client.get(published.url()))
    assert "\u202e" not in page and "протоколgpj.exe.pdf" in page
    response = client.get(published.url(f"/evidence/{evidence.id}"))
    assert "\u202e" not in response.headers["Content-Disposition"]
    assert "%E2%80%AE" not in response.headers["Content-Disposition"]


def test_absurd_ids_are_404_for_every_role(client, make, login_as):
    staff = make.user(Role.SCHOOL_STAFF)
    login_as(staff)
    assert client.get(f"/schools/{2**64}").status_code == 404


def test_evidence_names_stored_before_are_cleaned_by_the_migration(app, published):
    from flask_migrate import downgrade, upgrade

    evidence = _evidence(published, "акт.pdf")
    db.session.execute(
        text("UPDATE evidence SET filename = :n WHERE id = :i"),
        {"n": "акт\u202efdp.exe", "i": evidence.id},
    )
    db.session.commit()
    downgrade(revision="b24bc2481915")
    upgrade()
    db.session.expire_all()
    stored = db.session.scalar(select(Evidence.filename).where(Evidence.id == evidence.id))
    assert stored == "актfdp.exe"
