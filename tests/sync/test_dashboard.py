"""The district's sync dashboard (issue #10, item 6): per school and computer the last
contact, what is pending, conflicts and quarantine, computers quiet for N days, and the
data check — schools needing attention first, in a constant number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event

from intranet.extensions import db
from intranet.mixins import utcnow
from sync.importer import import_bundle
from sync.models import SyncNode, SyncQuarantine
from tests.fixtures.factories import login
from tests.sync.conftest import enrol


def _queries(client, url) -> tuple[int, str]:
    seen = []

    def before(*_args, **_kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def _more_schools(world, make, n: int) -> None:
    for _ in range(n):
        school = make.school(world.district)
        node = enrol(school)
        row = db.session.get(SyncNode, node.id)
        row.last_bundle_at = utcnow() - timedelta(days=2)
        row.digest_state = "agree"
    db.session.commit()


def test_the_dashboard_reads_14_or_28_schools_in_the_same_number_of_queries(world, client, make):
    _more_schools(world, make, 12)  # with the world's two: 14
    login(client, world.admin)
    fourteen, page = _queries(client, "/sync/nodes")
    assert page.count('<section class="card" id="school-') == 14
    _more_schools(world, make, 14)
    twenty_eight, page = _queries(client, "/sync/nodes")
    assert page.count('<section class="card" id="school-') == 28
    assert twenty_eight == fourteen


def _order(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<section class="card" id="school-(\d+)"', page)]


def test_schools_needing_attention_come_first_then_quiet_ones(world, client, make):
    fine = make.school(world.district)
    fine_node = db.session.get(SyncNode, enrol(fine).id)
    fine_node.last_bundle_at = utcnow() - timedelta(days=1)
    fine_node.digest_state = "agree"
    differ = make.school(world.district)
    differ_node = db.session.get(SyncNode, enrol(differ).id)
    differ_node.last_bundle_at = utcnow()
    differ_node.digest_state = "differ"
    differ_node.digest_diff = [
        {
            "key": "submission:x",
            "reason": "values",
            "fields": ["a:count"],
            "label": "форма «Самообследование»: ответ на вопрос «Наблюдателей»",
            "reason_text": "значения различаются",
        }
    ]
    # The world's school: a change held in quarantine; its sibling: never synced (quiet).
    db.session.add(
        SyncQuarantine(
            district_id=world.district.id,
            school_id=world.school.id,
            kind="change",
            reason="x",
            raw=b"{}",
        )
    )
    db.session.get(SyncNode, world.node.id).last_bundle_at = utcnow()
    db.session.commit()
    login(client, world.admin)
    _count, page = _queries(client, "/sync/nodes")
    order = _order(page)
    attention = sorted([world.school.id, differ.id], key=lambda i: _code(world, differ, i))
    assert set(order[:2]) == set(attention)
    assert order[2] == world.sibling.id  # quiet: no bundle yet
    assert order[3] == fine.id
    assert "нужно внимание" in page
    assert "в карантине: 1" in page
    assert "форма «Самообследование»: ответ на вопрос «Наблюдателей» — значения различаются" in page
    assert "данные совпадают с управлением" in page  # the fine school's computer


def _code(world, differ, school_id):
    return {world.school.id: world.school.code, differ.id: differ.code}[school_id]


def test_the_quiet_filter_takes_n_days_and_refuses_nonsense_in_russian(world, client):
    node = db.session.get(SyncNode, world.node.id)
    node.last_bundle_at = utcnow() - timedelta(days=10)
    db.session.commit()
    login(client, world.admin)
    _count, page = _queries(client, "/sync/nodes")
    assert 'value="7"' in page
    row = page[page.index(f'id="node-{world.node.id}"') :]
    assert "молчит" in row[: row.index("</tr>")]
    _count, page = _queries(client, "/sync/nodes?days=30")
    assert 'value="30"' in page
    row = page[page.index(f'id="node-{world.node.id}"') :]
    assert "молчит" not in row[: row.index("</tr>")]
    _count, page = _queries(client, "/sync/nodes?days=много")
    assert "Укажите целое число дней от 1 до 365; показано за 7." in page
    assert 'value="7"' in page


def test_pending_shows_waiting_bundles_and_what_was_sent_down_unacknowledged(world, client):
    from sync.exporter import export_for_school

    early = world.bundle([world.change("note", "первое")])
    late = world.bundle([world.change("note", "второе")])
    assert import_bundle(late).status == "waiting"
    export_for_school(world.school)  # the feed gets the school's campaign and accounts
    login(client, world.admin)
    _count, page = _queries(client, "/sync/nodes")
    row = page[page.index(f'id="node-{world.node.id}"') :]
    row = row[: row.index("</tr>")]
    assert "пакетов ждут пропущенных: 1" in row
    assert "отправлено в школу, не подтверждено: 0" not in row
    import_bundle(early)
    _count, page = _queries(client, "/sync/nodes")
    assert "пакетов ждут пропущенных: 0" in page
