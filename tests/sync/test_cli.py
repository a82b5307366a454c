"""``intranet sync``: exit 0 when applied (now or before), otherwise non-zero with one
line saying why; the import says what it applied, skipped, merged, put in conflict and
quarantined."""

from __future__ import annotations

import json

from sync import keys
from sync.bundle import read_bundle
from tests.sync.conftest import assert_nothing_lost


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["sync", *args])


def _lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_import_prints_the_counts_and_again_says_applied_before(app, world, tmp_path):
    path = tmp_path / "school.zip"
    path.write_bytes(world.bundle([world.change("note", "a"), world.change("count", "2")]))
    result = _run(app, "import", str(path))
    assert result.exit_code == 0, result.output
    assert _lines(result) == [
        "Пакет применён: применено 2, пропущено как уже известные 0, объединено 0, "
        "в конфликте 0, в карантине 0."
    ]
    again = _run(app, "import", str(path))
    assert again.exit_code == 0
    assert _lines(again)[0].startswith("Этот пакет уже был применён: применено 2")
    assert_nothing_lost(world)


def test_a_refused_bundle_exits_non_zero_with_one_line(app, world, tmp_path):
    path = tmp_path / "forged.zip"
    path.write_bytes(world.bundle([world.change("note", "x")], key=keys.generate()))
    result = _run(app, "import", str(path))
    assert result.exit_code == 1
    assert _lines(result) == ["Пакет отклонён: Подпись пакета неверна."]
    missing = _run(app, "import", str(tmp_path / "nothing.zip"))
    assert missing.exit_code == 1 and len(_lines(missing)) == 1


def test_a_bundle_that_must_wait_exits_non_zero_and_says_why(app, world, tmp_path):
    world.change("note", "первый пакет, ещё не привезён")
    path = tmp_path / "second.zip"
    path.write_bytes(world.bundle([world.change("note", "второй")]))
    result = _run(app, "import", str(path))
    assert result.exit_code == 2
    assert len(_lines(result)) == 1 and "ждёт предыдущего" in result.output


def test_the_district_export_carries_the_receipt_and_nothing_new_is_small(app, world, tmp_path):
    out = tmp_path / "down.zip"
    result = _run(app, "export", "--out", str(out))
    assert result.exit_code == 1 and "--school" in result.output

    change = world.change("note", "ответ")
    (tmp_path / "up.zip").write_bytes(world.bundle([change]))
    assert _run(app, "import", str(tmp_path / "up.zip")).exit_code == 0
    result = _run(app, "export", "--school", world.school.code, "--out", str(out))
    assert result.exit_code == 0, result.output
    district_public = keys.district_key().public_key()
    bundle = read_bundle(out.read_bytes(), lambda m: district_public)
    assert bundle.manifest["direction"] == "down"
    assert bundle.manifest["school"] == world.school.code
    receipts = bundle.records_of("receipt")
    assert [r["node"] for r in receipts] == [world.node.id]
    assert receipts[0]["results"] == [{"uuid": change["uuid"], "status": "applied"}]

    # The copy applied that bundle and says so in its next one (receipts confirmed, feed
    # position reached): the next district bundle carries nothing, in under 2 KB.
    (tmp_path / "up2.zip").write_bytes(
        world.bundle([], confirmed_seq=world.node.seq, feed_position=bundle.manifest["seq_to"])
    )
    assert _run(app, "import", str(tmp_path / "up2.zip")).exit_code == 0
    assert _run(app, "export", "--school", world.school.code, "--out", str(out)).exit_code == 0
    bundle = read_bundle(out.read_bytes(), lambda m: district_public)
    assert bundle.records == []
    assert out.stat().st_size < 2048


def test_status_json(app, world, tmp_path):
    (tmp_path / "up.zip").write_bytes(world.bundle([world.change("note", "x")]))
    _run(app, "import", str(tmp_path / "up.zip"))
    result = _run(app, "status", "--json")
    assert result.exit_code == 0
    state = json.loads(result.output)
    mine = next(n for n in state["nodes"] if n["node"] == world.node.id)
    assert mine["school"] == world.school.code and mine["applied_seq"] == 1
    assert state["quarantine_open"] == 0
    text = _run(app, "status")
    assert text.exit_code == 0 and world.school.code in text.output
