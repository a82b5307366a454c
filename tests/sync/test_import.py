"""The faults of a district import (issue #9, "Faults and bad input"): after each, every
change the school made is applied, in conflict or in quarantine — counted, never lost."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from intranet.extensions import db
from intranet.inspections.models import Submission
from sync import nodes
from sync.bundle import BundleRefused, sha256, write_bundle
from sync.importer import import_bundle
from sync.models import SyncBundle, SyncNode, SyncQuarantine
from tests.sync.conftest import assert_nothing_lost, snapshot


def answers(world) -> dict:
    db.session.expire_all()
    return db.session.get(Submission, world.sub.id).answers or {}


def refused(data: bytes, caplog) -> str:
    before = snapshot()
    with (
        caplog.at_level(logging.WARNING, logger="intranet.sync"),
        pytest.raises(BundleRefused) as caught,
    ):
        import_bundle(data)
    reason = str(caught.value)
    assert "\n" not in reason
    assert snapshot() == before, "a refused bundle wrote something"
    assert reason in caplog.text, "the refusal is logged"
    return reason


def test_a_bundle_applies_and_answers_a_receipt(world):
    first = world.change("note", "Замечаний нет")
    second = world.change("count", "3")
    result = import_bundle(world.bundle([first, second]))
    assert result.status == "applied"
    assert result.counts["applied"] == 2
    assert answers(world)["note"] == "Замечаний нет"
    assert [r["uuid"] for r in result.receipt["results"]] == [first["uuid"], second["uuid"]]
    assert assert_nothing_lost(world) == {"applied": 2}


def test_the_same_bundle_twice_changes_nothing_and_answers_the_same_receipt(world):
    data = world.bundle([world.change("note", "Один раз")])
    first = import_bundle(data)
    before = snapshot()
    again = import_bundle(data)
    assert again.status == "known"
    assert again.receipt == first.receipt
    assert again.counts == first.counts
    assert snapshot() == before
    assert assert_nothing_lost(world) == {"applied": 1}


def test_a_gap_waits_and_applies_when_filled(world):
    early = world.bundle([world.change("note", "первое"), world.change("count", "1")])
    late = world.bundle([world.change("count", "2"), world.change("note", "последнее")])
    waiting = import_bundle(late)
    assert waiting.status == "waiting"
    assert "note" not in answers(world)
    # Nothing is lost while it waits: the bundle is kept whole.
    assert db.session.get(SyncBundle, waiting.bundle_id).raw is not None
    filled = import_bundle(early)
    assert filled.status == "applied"
    assert answers(world)["note"] == "последнее"
    assert answers(world)["count"] == "2"
    assert db.session.get(SyncBundle, waiting.bundle_id).status == "applied"
    assert assert_nothing_lost(world) == {"applied": 4}


def test_a_bundle_replayed_after_later_ones_is_skipped(world):
    one = [world.change("note", "старое")]
    first = world.bundle(one)
    import_bundle(first)
    import_bundle(world.bundle([world.change("note", "новое")]))
    # The very same file again, and the same changes exported again later (new bytes).
    assert import_bundle(first).status == "known"
    replay = import_bundle(world.bundle(one, created_at="2030-01-01T00:00:00+00:00"))
    assert replay.status == "applied"
    assert replay.counts["skipped"] == 1 and replay.counts["applied"] == 0
    assert answers(world)["note"] == "новое"
    assert assert_nothing_lost(world) == {"applied": 2}


def test_a_bad_signature_is_refused_whole(world, caplog):
    from sync import keys

    data = world.bundle([world.change("note", "подделка")], key=keys.generate())
    assert refused(data, caplog) == "Подпись пакета неверна."


def test_a_bundle_signed_by_another_schools_computer_is_refused(world, caplog):
    data = world.bundle([world.change("note", "чужая подпись")], key=world.sibling_node.key)
    reason = refused(data, caplog)
    assert reason == f"Пакет подписан компьютером другой школы ({world.sibling.code})."


def test_a_manifest_naming_another_school_is_refused(world, caplog):
    data = world.bundle([world.change("note", "не та школа")], school=world.sibling.code)
    reason = refused(data, caplog)
    assert world.sibling.code in reason and world.school.code in reason


def test_records_of_another_school_are_refused_whole(world, caplog):
    good = world.change("note", "своё")
    foreign = world.change("note", "чужое", sub=world.sibling_sub, school=world.sibling.code)
    reason = refused(world.bundle([good, foreign]), caplog)
    assert "запись другой школы" in reason and world.sibling.code in reason


def test_records_of_another_district_are_refused_whole(world, caplog):
    record = {**world.change("note", "чужой район"), "district": "00000000-0000-0000-0000-0"}
    assert "запись другого управления" in refused(world.bundle([record]), caplog)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _pack(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_a_file_whose_hash_does_not_match_is_refused(world, caplog):
    members = _members(world.bundle([world.change("note", "исходное")]))
    members["changes.ndjson"] = members["changes.ndjson"].replace(
        "исходное".encode(), "подменённое".encode()
    )
    assert "не совпадает с контрольной суммой" in refused(_pack(members), caplog)


def test_a_truncated_or_corrupt_zip_is_refused(world, caplog):
    data = world.bundle([world.change("note", "x" * 50) for _ in range(30)])
    assert "повреждён или обрезан" in refused(data[: len(data) // 2], caplog)
    assert "повреждён или обрезан" in refused(b"PK\x03\x04" + b"\x00" * 100, caplog)


def test_a_zip_bomb_is_refused(world, caplog, app):
    bomb = b"0" * (2 * 1024 * 1024)
    data = write_bundle(
        {
            "direction": "up",
            "district": world.district.uuid,
            "school": world.school.code,
            "node": world.node.id,
            "seq_from": 1,
            "seq_to": 0,
        },
        [],
        {sha256(bomb): bomb},
        world.node.key,
    )
    app.config["SYNC_MAX_UNPACKED_BYTES"] = 1024 * 1024
    try:
        assert "больше 1 МБ" in refused(data, caplog)
    finally:
        app.config.pop("SYNC_MAX_UNPACKED_BYTES")


def test_an_unknown_format_version_is_refused(world, caplog):
    data = world.bundle([world.change("note", "из будущего")], format=2)
    assert "Неизвестная версия формата пакета: 2" in refused(data, caplog)


def test_nothing_is_lost_after_refusals_once_the_genuine_bundle_arrives(world, caplog):
    from sync import keys

    records = [world.change("note", "настоящее"), world.change("count", "7")]
    refused(world.bundle(records, key=keys.generate()), caplog)
    refused(world.bundle(records, school=world.sibling.code), caplog)
    assert import_bundle(world.bundle(records)).counts["applied"] == 2
    assert assert_nothing_lost(world) == {"applied": 2}


class _Crash(Exception):
    pass


def test_an_import_killed_halfway_leaves_the_database_as_before_and_the_retry_applies_it(
    world,
):
    records = [world.change("count", str(n)) for n in range(10)]
    data = world.bundle(records)
    before = snapshot()
    written: list[str] = []

    # The database fails (a lost connection, a full disk) when the changes are written,
    # after the form's answers were: the import stops halfway through its writes.
    def fail_midway(conn, cursor, statement, *args):
        words = statement.split()
        if words[0].upper() in ("INSERT", "UPDATE"):
            written.append(" ".join(words[:3]).upper())
        if statement.lstrip().upper().startswith("INSERT INTO CHANGES"):
            raise _Crash("the power went out")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", fail_midway)
    try:
        with pytest.raises(_Crash):
            import_bundle(data)
    finally:
        event.remove(engine, "before_cursor_execute", fail_midway)
    assert "UPDATE SYNC_NODES SET" in written and "UPDATE SUBMISSIONS SET" in written
    assert written[-1] == "INSERT INTO CHANGES"
    assert snapshot() == before
    assert "count" not in answers(world)
    result = import_bundle(data)
    assert result.status == "applied" and result.counts["applied"] == 10
    assert answers(world)["count"] == "9"
    assert assert_nothing_lost(world) == {"applied": 10}


def test_clocks_years_apart_order_nothing(world):
    from intranet.changelog.models import Change

    # The school PC's clock is years behind, and the later change has the earlier time:
    # parents decide the order, not clocks; both times are kept.
    first = world.change("note", "первое", saved_at=datetime(2019, 5, 1, tzinfo=UTC))
    second = world.change("note", "второе", saved_at=datetime(2018, 1, 1, tzinfo=UTC))
    result = import_bundle(world.bundle([first, second]))
    assert result.counts["applied"] == 2, result.receipt["results"]
    assert answers(world)["note"] == "второе"
    saved, received = db.session.execute(
        select(Change.saved_at, Change.received_at).where(Change.uuid == second["uuid"])
    ).one()
    assert saved.year == 2018
    assert received.replace(tzinfo=UTC) > datetime.now(UTC) - timedelta(minutes=5)
    # Years ahead: a clock running ahead proves nothing; the change applies, its time kept.
    ahead = world.change("count", "4", saved_at=datetime(2031, 1, 1, tzinfo=UTC))
    assert import_bundle(world.bundle([ahead])).counts["applied"] == 1
    assert answers(world)["count"] == "4"
    saved = db.session.scalar(select(Change.saved_at).where(Change.uuid == ahead["uuid"]))
    assert saved.year == 2031
    assert assert_nothing_lost(world) == {"applied": 3}


def test_a_revoked_computers_bundle_is_kept_whole_in_quarantine(world):
    nodes.revoke(world.admin, db.session.get(SyncNode, world.node.id))
    records = [world.change("note", "с украденного ноутбука"), world.change("count", "5")]
    data = world.bundle(records)
    result = import_bundle(data)
    assert result.status == "quarantined"
    assert result.counts == {"quarantined": 2}
    assert "note" not in answers(world)
    item = db.session.scalars(select(SyncQuarantine)).one()
    assert item.kind == "bundle" and item.raw == data and item.changes == 2
    assert "отозван" in item.reason
    assert assert_nothing_lost(world) == {"quarantine": 2}
    # The same file again: still kept once, still not applied.
    assert import_bundle(data).status == "quarantined"
    assert len(db.session.scalars(select(SyncQuarantine)).all()) == 1


def test_a_form_saved_before_its_due_date_and_carried_in_after_counts_as_on_time(world):
    from intranet.inspections.models import Campaign

    campaign = db.session.get(Campaign, world.campaign.id)
    due = date.today() - timedelta(days=2)
    campaign.due_date = due
    campaign.grace_days = 30
    db.session.commit()
    saved = datetime.combine(due - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    records = [
        world.change("posted", "no", saved_at=saved),
        world.change("_submit", None, saved_at=saved, author=world.head),
    ]
    result = import_bundle(world.bundle(records))
    assert result.counts["applied"] == 2, result.receipt["results"]
    db.session.expire_all()
    sub = db.session.get(Submission, world.sub.id)
    assert sub.first_submitted_at.date() == saved.date()
    assert db.session.get(Campaign, world.campaign.id).on_time_count == 1
    assert assert_nothing_lost(world) == {"applied": 2}


def test_the_receipt_lists_each_change_once_with_its_status(world):
    records = [world.change("note", "a"), world.change("count", "abc")]
    result = import_bundle(world.bundle(records))
    statuses = {r["uuid"]: r["status"] for r in result.receipt["results"]}
    assert set(statuses) == {r["uuid"] for r in records}
    assert set(statuses.values()) <= {"applied", "skipped", "merged", "conflict", "quarantined"}
    json.dumps(result.receipt)  # it travels in the next district bundle
    assert_nothing_lost(world)


def _writing(url: str) -> bool:
    """Whether another connection holds an open write transaction on the database."""
    import sqlite3

    from sqlalchemy import create_engine, text

    from intranet.settings import normalize_database_url

    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            return bool(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                    )
                )
            )
    finally:
        engine.dispose()


def test_an_import_process_killed_mid_apply_leaves_nothing_and_the_retry_applies_all(
    world, database_url, tmp_path
):
    import os
    import signal
    import subprocess
    import sys
    import time

    records = [world.change("note", f"Замечание {n}") for n in range(300)]
    path = tmp_path / "big.zip"
    path.write_bytes(world.bundle(records))
    before = snapshot()
    env = {
        **os.environ,
        "INTRANET_DATABASE_URL": database_url,
        "INTRANET_INSTANCE_PATH": str(tmp_path),
    }
    log = tmp_path / "import.log"
    # The import stops once its batch has written every change, before it commits, and
    # says so: the kill then lands inside the apply, whatever the machine's speed.
    halt = (
        "import sys, time\n"
        "from intranet.changelog import merge\n"
        "finish = merge.Batch.finish\n"
        "def held(self, *a, **k):\n"
        "    out = finish(self, *a, **k)\n"
        "    print('WRITTEN', flush=True)\n"
        "    time.sleep(60)\n"
        "    return out\n"
        "merge.Batch.finish = held\n"
        "from intranet.cli import main; main()\n"
    )
    command = [sys.executable, "-c", halt]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "sync", "import", str(path)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "WRITTEN" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the import never wrote its changes"
            time.sleep(0.02)
        assert _writing(database_url), "the import's writes are not in an open transaction"
        assert process.poll() is None, "the import finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    assert process.returncode == -signal.SIGKILL
    assert snapshot() == before
    assert "note" not in answers(world)
    result = import_bundle(path.read_bytes())
    assert result.status == "applied" and result.counts["applied"] == 300, (
        result.counts,
        result.receipt["results"][100:102],
    )
    assert answers(world)["note"] == "Замечание 299"
    assert assert_nothing_lost(world) == {"applied": 300}


def test_a_quarantined_change_sent_again_is_kept_once(world):
    from intranet.inspections.models import Campaign

    campaign = db.session.get(Campaign, world.campaign.id)
    campaign.due_date = date.today() - timedelta(days=3)
    campaign.grace_days = 0
    db.session.commit()
    records = [world.change("note", "после закрытия")]
    first = import_bundle(world.bundle(records))
    assert first.counts["quarantined"] == 1
    # The copy did not get the receipt and sends the change again, with a new one.
    records.append(world.change("count", "3"))
    again = import_bundle(world.bundle(records, created_at="2030-01-01T00:00:00+00:00"))
    statuses = [r["status"] for r in again.receipt["results"]]
    assert statuses == ["quarantined", "quarantined"]
    assert len(db.session.scalars(select(SyncQuarantine)).all()) == 2
    assert assert_nothing_lost(world) == {"quarantine": 2}


def _at_once(app, *bundles: bytes) -> list[str]:
    """Import the bundles in parallel threads (each its own app context and connection),
    released together."""
    import threading

    barrier = threading.Barrier(len(bundles))
    statuses: list[str] = []
    errors: list[BaseException] = []

    def run(data: bytes) -> None:
        with app.app_context():
            barrier.wait()
            try:
                statuses.append(import_bundle(data).status)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(data,)) for data in bundles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return statuses


def test_the_same_bundle_imported_twice_at_once_applies_once(app, world):
    from intranet.changelog.models import Change

    records = [world.change("note", f"одновременно {n}") for n in range(5)]
    statuses = _at_once(app, world.bundle(records), world.bundle(records))
    assert sorted(statuses) == ["applied", "known"] or sorted(statuses) == ["applied", "applied"]
    db.session.expire_all()
    uuids = [r["uuid"] for r in records]
    assert db.session.scalar(select(func.count()).where(Change.uuid.in_(uuids))) == 5
    assert answers(world)["note"] == "одновременно 4"
    assert assert_nothing_lost(world) == {"applied": 5}


def test_two_bundles_of_one_computer_imported_at_once_both_apply_in_order(app, world):
    first = world.bundle([world.change("note", f"первый {n}") for n in range(3)])
    second = world.bundle([world.change("note", f"второй {n}") for n in range(3)])
    _at_once(app, second, first)
    db.session.expire_all()
    assert answers(world)["note"] == "второй 2"
    assert db.session.get(SyncNode, world.node.id).applied_seq == 6
    assert assert_nothing_lost(world) == {"applied": 6}
