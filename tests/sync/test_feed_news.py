"""A pull with nothing new skips comparing everything the school is sent, yet whatever
the district changes after it comes down on the next pull: a return, a reopening, a new
or changed account, a new form version, another computer's change of the school."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, select

from intranet.auth.models import User
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.inspections.models import CampaignTarget
from intranet.review import services as review
from sync import downstream, keys
from sync.bundle import read_bundle
from sync.exporter import export_for_school
from sync.importer import import_bundle
from sync.models import SyncNode
from tests.sync.conftest import enrol
from tests.sync.test_api import district_client


class Pulls:
    """One computer of the school pulling over HTTP, acknowledging what it received."""

    def __init__(self, world, live_server, app) -> None:
        self.remote = district_client(live_server, world.node)
        with app.app_context():
            self.public = keys.district_key().public_key()
        self.position = 0

    def news(self) -> list[dict]:
        """The records of the next pull (none: an empty answer); all of them acknowledged."""
        data = self.remote.pull(self.position, 0)
        if data is None:
            return []
        bundle = read_bundle(data, lambda _m: self.public)
        self.position = bundle.manifest["seq_to"]
        return [r for r in bundle.records if r["kind"] not in ("receipt", "history")]

    def drained(self) -> None:
        while self.news():
            pass
        assert self.news() == []


def _kinds(records: list[dict]) -> list[str]:
    return [r["kind"] for r in records]


def test_a_district_change_made_after_an_empty_pull_comes_down_on_the_next(
    world, live_server, app, make
):
    pulls = Pulls(world, live_server, app)
    pulls.drained()
    # The school's head submits on the district; the reviewer returns the form.
    inspections.save_answer(world.head, world.sub, "posted", "no", world.sub.revision)
    inspections.submit(world.head, world.sub)
    pulls.news()
    assert pulls.news() == []
    review.return_for_revision(world.reviewer, world.sub, "Нет даты приказа")
    returned = pulls.news()
    assert "review_event" in _kinds(returned)
    assert pulls.news() == []
    # A reopening for the school (a table without a time of change).
    target = db.session.scalar(
        select(CampaignTarget).where(
            CampaignTarget.campaign_id == world.campaign.id,
            CampaignTarget.school_id == world.school.id,
        )
    )
    inspections.reopen(world.admin, target, date.today() + timedelta(days=5))
    assert _kinds(pulls.news()) == ["campaign"]
    assert pulls.news() == []
    # A new account of the school, then its login disabled.
    user = make.user(Role.SCHOOL_STAFF, school=world.school, full_name="Новикова Ольга")
    assert [r["tables"]["users"][0]["uuid"] for r in pulls.news()] == [user.uuid]
    assert pulls.news() == []
    db.session.get(User, user.id).active = False
    db.session.commit()
    [disabled] = pulls.news()
    assert disabled["tables"]["users"][0]["active"] is False
    assert pulls.news() == []
    # Another computer of the school sends a change: it comes down to this one.
    other = enrol(world.school, "Завуч")
    change = world.change("count", "7", node=other)
    assert import_bundle(world.bundle([change], node=other)).status == "applied"
    assert [r["change"]["uuid"] for r in pulls.news()] == [change["uuid"]]
    assert pulls.news() == []


def test_writes_that_change_no_record_of_the_feed_leave_it_as_checked(world):
    export_for_school(world.school, world.node.id)
    seen = downstream._generation()
    # A login, the counters of answers, the school's answers themselves.
    world.staff.last_login_at = downstream.utcnow()
    world.campaign.submitted_count = 1
    db.session.commit()
    inspections.save_answer(world.staff, world.sub, "note", "Приказ № 2", world.sub.revision)
    assert downstream._generation() == seen
    # A due date moved is news for every school of the campaign.
    world.campaign.due_date = date.today() + timedelta(days=20)
    db.session.commit()
    assert downstream._generation() > seen


def test_an_empty_pull_reads_a_handful_of_rows_whatever_the_school_holds(world):
    export_for_school(world.school, world.node.id)
    node = db.session.get(SyncNode, world.node.id)
    node.acked_position = downstream.current_position(world.school)
    db.session.commit()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        exported = export_for_school(world.school, world.node.id, keep_empty=False)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert exported.records == 0 and exported.data == b""
    assert len(statements) <= 8, "\n".join(statements)
