"""In Chromium: an autosave that meets a database locked longer than it can wait shows
«Не сохранено, повторите», and the page sends it again by itself until it is saved."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services as inspections
from tests.e2e.test_roadmap_cycle import log_in, watch
from tests.inspections.conftest import SCHEMA, launch, submission_of
from tests.objectivity.test_busy_import import HOLD, ROOT

pytestmark = pytest.mark.e2e


def test_the_page_retries_a_save_the_busy_server_could_not_write(page: Page, make, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL makes a save wait for a lock instead of refusing it")
    admin = make.user(Role.DISTRICT_ADMIN, login="admin_uo")
    school = make.school(admin.district, code="s001", short_name="СОШ № 1")
    make.user(Role.SCHOOL_STAFF, school=school, login="zavuch1", full_name="Петрова Анна")
    template = inspections.create_template(
        admin, school.district_id, "Самообследование", "", SCHEMA
    )
    inspections.publish_version(admin, template.latest)
    sub = submission_of(launch(admin, template), school)
    url = f"/schools/{school.id}/forms/{sub.id}"
    sub_id = sub.id
    db.session.commit()
    seen = watch(page)
    log_in(page, "zavuch1")
    page.goto(url)

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(root=str(ROOT), url=database_url, seconds=14)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked", holder.stderr.read()[-2000:]
        page.locator("#fw-count input").fill("17")
        page.locator("#fw-count input").dispatch_event("change")
        status = page.locator("#st-count")
        expect(status).to_contain_text("Не сохранено, повторите", timeout=20_000)
        expect(status).to_contain_text("сохранено", timeout=30_000)
        expect(status).not_to_contain_text("Не сохранено", timeout=30_000)
    finally:
        holder.communicate(timeout=60)
    db.session.expire_all()
    from intranet.inspections.models import Submission

    assert db.session.get(Submission, sub_id).answers["count"] in ("17", 17)
    assert not [e for e in seen["errors"] if "503" not in e], seen["errors"]
