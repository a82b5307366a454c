"""The copy's «Синхронизировать» button when there is no link, and the background sync
woken by a submit (the whole way to a live district: tests/sync/test_network.py)."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import event

from intranet.extensions import db
from tests.fixtures.factories import login
from tests.sync.test_copy_views import copy  # noqa: F401 (fixture)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def district_url(app):
    app.config["SYNC_DISTRICT_URL"] = f"http://127.0.0.1:{_closed_port()}"
    app.config["SYNC_BACKGROUND"] = False
    yield app.config["SYNC_DISTRICT_URL"]
    app.config.pop("SYNC_DISTRICT_URL")
    app.config.pop("SYNC_BACKGROUND")


def test_no_link_is_said_calmly_and_nothing_changes(client, copy, district_url):  # noqa: F811
    from intranet.roadmaps import services
    from sync.status import copy_status

    item = copy.item("1.1")
    services.update_roadmap_item(
        copy.head, item, {"status": "in_progress", "progress_note": "Начато"}, item.revision
    )
    login(client, copy.head)
    page = client.get("/sync/copy").get_data(as_text=True)
    assert "Синхронизировать" in page and district_url in page
    before = copy_status()["changes"]
    answer = client.post("/sync/copy/now", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "Нет связи, повторим позже." in page
    assert "flash-error" not in page
    db.session.expire_all()
    # The change waits for the next sync (it went into a bundle that never left).
    after = copy_status()["changes"]
    assert sum(after.values()) == sum(before.values())
    assert after.get("confirmed", 0) == before.get("confirmed", 0)


def test_without_a_district_address_the_page_offers_no_button(client, copy):  # noqa: F811
    login(client, copy.head)
    page = client.get("/sync/copy").get_data(as_text=True)
    assert "Синхронизировать" not in page
    assert "Скачать пакет для управления образования" in page


def test_a_submit_wakes_the_background_sync_and_a_rolled_back_one_does_not(copy):  # noqa: F811
    from intranet.review import services as review
    from sync import background

    background._hook(db.engine)
    try:
        background.syncer.wake.clear()
        roadmap = copy.roadmap
        # Submitted but rolled back: nothing to send, nothing woken.
        review.submit(copy.head, roadmap, commit=False)
        db.session.rollback()
        assert not background.syncer.wake.is_set()
        # Submitted and committed: the background sync wakes at once.
        roadmap = db.session.get(type(roadmap), roadmap.id)
        review.submit(copy.head, roadmap)
        assert background.syncer.wake.is_set()
    finally:
        for name, fn in (
            ("after_execute", background._note_submit),
            ("commit", background._after_commit),
            ("rollback", background._after_rollback),
        ):
            event.remove(db.engine, name, fn)
        background.syncer.wake.clear()
