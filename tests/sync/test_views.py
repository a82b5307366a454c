"""District screens: each school's computers (revoke) and the quarantine (release)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import select

from intranet.audit.models import AuditEntry
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.i18n import local_time
from intranet.inspections.models import Campaign, CampaignTarget, Submission
from sync.importer import import_bundle
from sync.models import SyncNode, SyncQuarantine
from tests.fixtures.factories import login
from tests.sync.conftest import assert_nothing_lost, enrol


def test_the_admin_sees_each_schools_computers_and_revokes_one(world, client):
    login(client, world.admin)
    import_bundle(world.bundle([world.change("note", "с компьютера секретаря")]))
    page = client.get("/sync/nodes").get_data(as_text=True)
    assert "Компьютеры школ" in page
    assert world.school.code in page and "Секретарь" in page
    assert world.node.id[:8] in page
    assert "пока нет" in page  # the sibling's computer has sent nothing yet
    response = client.post(f"/sync/nodes/{world.node.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    node = db.session.get(SyncNode, world.node.id)
    assert node.revoked_at is not None and node.revoked_by_id == world.admin.id
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "sync_node", AuditEntry.actor_login == world.admin.login
        )
    ).one()
    assert entry.action == "update" and "revoked_at" in entry.after
    page = client.get("/sync/nodes").get_data(as_text=True)
    assert "Отозван" in page


def test_a_reviewer_and_a_school_get_403(world, client, make):
    for user in (world.reviewer, world.staff, make.user(Role.SCHOOL_HEAD, school=world.school)):
        client.post("/logout")
        login(client, user)
        assert client.get("/sync/nodes").status_code == 403
        assert client.get("/sync/quarantine").status_code == 403
        assert client.post(f"/sync/nodes/{world.node.id}/revoke").status_code == 403
    assert db.session.get(SyncNode, world.node.id).revoked_at is None


def test_another_districts_computer_and_quarantine_answer_404(world, client, make):
    far = make.school(make.district())
    far_node = enrol(far)
    item = SyncQuarantine(
        district_id=far.district_id, school_id=far.id, kind="change", reason="x", raw=b"{}"
    )
    db.session.add(item)
    db.session.commit()
    login(client, world.admin)
    assert client.post(f"/sync/nodes/{far_node.id}/revoke").status_code == 404
    assert client.post(f"/sync/quarantine/{item.id}/release").status_code == 404
    assert far.code not in client.get("/sync/nodes").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SyncNode, far_node.id).revoked_at is None


def _lock(world):
    campaign = db.session.get(Campaign, world.campaign.id)
    campaign.due_date = date.today() - timedelta(days=3)
    campaign.grace_days = 0
    db.session.commit()


def test_a_change_for_a_locked_campaign_waits_in_quarantine_until_reopened(world, client):
    _lock(world)
    change = world.change("note", "после закрытия")
    result = import_bundle(world.bundle([change]))
    assert result.counts["quarantined"] == 1
    item = db.session.scalars(select(SyncQuarantine)).one()
    assert item.change_uuid == change["uuid"]
    assert json.loads(item.raw)["value"] == "после закрытия"
    assert_nothing_lost(world)

    login(client, world.admin)
    page = client.get("/sync/quarantine").get_data(as_text=True)
    assert "после закрытия" in page and item.reason in page
    saved = local_time(datetime.fromisoformat(change["saved_at"]), "%d.%m.%Y %H:%M")
    assert f"сохранено {saved}" in page  # the school's time, readable
    # The cause is still there: nothing changes, the reason is said.
    client.post(f"/sync/quarantine/{item.id}/release")
    db.session.expire_all()
    assert db.session.get(SyncQuarantine, item.id).released_at is None
    assert "Причина не устранена" in client.get("/sync/quarantine").get_data(as_text=True)

    target = db.session.scalars(
        select(CampaignTarget).where(CampaignTarget.school_id == world.school.id)
    ).one()
    target.reopened_until = date.today() + timedelta(days=5)
    db.session.commit()
    client.post(f"/sync/quarantine/{item.id}/release")
    db.session.expire_all()
    released = db.session.get(SyncQuarantine, item.id)
    assert released.released_at is not None and released.released_by_id == world.admin.id
    assert db.session.get(Submission, world.sub.id).answers["note"] == "после закрытия"
    assert assert_nothing_lost(world) == {"applied": 1}


def test_a_revoked_computers_bundle_is_listed_and_can_be_released_whole(world, client):
    from sync import nodes

    nodes.revoke(world.admin, db.session.get(SyncNode, world.node.id))
    records = [world.change("note", "найденный ноутбук"), world.change("count", "2")]
    assert import_bundle(world.bundle(records)).status == "quarantined"
    item = db.session.scalars(select(SyncQuarantine)).one()
    login(client, world.admin)
    page = client.get("/sync/quarantine").get_data(as_text=True)
    assert "Пакет целиком (изменений: 2)" in page and "отозван" in page
    assert "найденный ноутбук" not in db.session.get(Submission, world.sub.id).answers.values()
    client.post(f"/sync/quarantine/{item.id}/release")
    db.session.expire_all()
    assert db.session.get(SyncQuarantine, item.id).released_at is not None
    answers = db.session.get(Submission, world.sub.id).answers
    assert answers["note"] == "найденный ноутбук" and answers["count"] == "2"
    assert assert_nothing_lost(world) == {"applied": 2}
    assert "Карантин пуст." in client.get("/sync/quarantine").get_data(as_text=True)
