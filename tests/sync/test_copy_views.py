"""The school copy's «Синхронизация» page, its badges, and the district's enrolment button."""

from __future__ import annotations

import io
import zipfile

import pytest

from intranet.auth.roles import Role
from intranet.extensions import db
from tests.fixtures.factories import login


@pytest.fixture
def school_mode(app):
    app.config["MODE"] = "school"
    yield
    app.config["MODE"] = "district"


@pytest.fixture
def copy(app, published):
    """The published district as a school's copy would hold it, enrolled as one node."""
    from sync import keys, nodes

    assert published.head  # people are made by the district, before the copy exists
    nodes.init_local(
        published.school.id,
        "11111111-2222-3333-4444-555555555555",
        keys.public_text(keys.generate()),
    )
    db.session.commit()
    app.config["MODE"] = "school"
    yield published
    app.config["MODE"] = "district"


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_sync_page_shows_what_waits_and_the_badges_follow_the_exchange(client, copy):
    from intranet.roadmaps import services

    head = copy.head
    item = copy.item("1.1")
    services.update_roadmap_item(
        head, item, {"status": "in_progress", "progress_note": "Начато"}, item.revision
    )
    login(client, head)
    page = _page(client, "/sync/copy")
    assert "Синхронизация" in page and "Ждут отправки в управление образования (" in page
    assert "не отправлено" in page
    # Each waiting change says what it touched, as the roadmap names it.
    assert "Провести анализ результатов ВПР — Что сделано" in page
    assert "Скачать пакет для управления образования" in page
    # The menu offers the page on a copy.
    assert page.count('href="/sync/copy"') == 1
    roadmap = _page(client, copy.url())
    assert roadmap.count('class="badge sync-unsent"') == 1  # the one item edited

    # The same button as «intranet sync export»: a signed bundle to save on a stick.
    response = client.post("/sync/copy/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert {"manifest.json", "manifest.sig", "changes.ndjson"} <= set(names)
    roadmap = _page(client, copy.url())
    assert 'class="badge sync-sent"' in roadmap and "отправлено" in roadmap


def test_a_bad_district_bundle_is_refused_with_a_message_and_changes_nothing(client, copy):
    login(client, copy.head)
    before = _page(client, "/sync/copy")
    response = client.post(
        "/sync/copy/import",
        data={"bundle": (io.BytesIO(b"not a zip at all"), "bundle.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Пакет отклонён" in text
    assert "ни разу" in before and "ни разу" in text  # still never imported
    response = client.post("/sync/copy/import", data={}, follow_redirects=True)
    assert "Выберите файл." in response.get_data(as_text=True)


def test_the_sync_page_is_the_copys_only(client, published):
    login(client, published.head)
    assert client.get("/sync/copy").status_code == 404  # the district server has none


def test_the_district_admin_downloads_an_enrolment_file_from_the_school_page(
    client, published, client_of
):
    from sync.enrol import read_enrolment
    from sync.models import SyncNode

    login(client, published.admin)
    page = _page(client, f"/schools/{published.school.id}")
    assert "Скачать файл подключения копии" in page
    response = client.post(f"/sync/schools/{published.school.id}/enrol")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    bundle = read_enrolment(response.data)
    assert bundle.manifest["school"] == published.school.code
    tables = {r["table"] for r in bundle.records}
    assert {"schools", "school_roadmaps", "roadmap_items", "plans"} <= tables
    assert db.session.get(SyncNode, bundle.manifest["node"]) is not None
    # A reviewer may not enrol.
    reviewer = client_of(published.reviewer)
    assert reviewer.post(f"/sync/schools/{published.school.id}/enrol").status_code == 403


def test_school_staff_see_no_enrolment_button(client, published, make):
    staff = make.user(Role.SCHOOL_STAFF, school=published.school)
    login(client, staff)
    assert "Скачать файл подключения копии" not in _page(client, f"/schools/{published.school.id}")
