"""``/api/sync/v1/`` on the district: signed requests, pushes in parts that apply once,
pulls that can be fetched again, and every bad input refused with nothing changed."""

from __future__ import annotations

import gzip
import io
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from sync import keys, nodes
from sync.auth import sign_headers
from sync.bundle import read_bundle
from sync.client import DistrictClient, NoLink
from sync.models import SyncBundle, SyncNode
from sync.netmodels import SyncNonce, SyncUpload, SyncUploadPart
from tests.sync.conftest import fates, snapshot

API = "/api/sync/v1"


def signed(client, node, method, path, body=b"", *, key=None, now=None, nonce=None, **headers):
    target = API + path
    sent = sign_headers(key or node.key, node.id, method, target, body, now=now, nonce=nonce)
    sent.update(headers)
    return client.open(target, method=method, data=body, headers=sent)


def district_client(live_server, node, **kwargs) -> DistrictClient:
    return DistrictClient(live_server, node.id, node.key, sleep=lambda s: None, **kwargs)


def _bundle(data: bytes, app):
    with app.app_context():
        public = keys.district_key().public_key()
    return read_bundle(data, lambda _m: public)


def _records(data: bytes, app) -> list[dict]:
    return _bundle(data, app).records


def test_hello_names_the_product_and_the_time(client):
    answer = client.get(f"{API}/hello").get_json()
    assert answer["product"] == "intranet-district"
    assert answer["protocol"] == 1
    assert answer["mode"] == "district"
    assert abs(answer["server_time"] - time.time()) < 5


def test_a_push_in_parts_applies_once_and_a_retry_sends_only_what_is_missing(world, live_server):
    records = [world.change("note", f"Приказ № {n}") for n in range(1, 4)]
    data = world.bundle(records)
    part = 256
    parts = -(-len(data) // part)
    assert parts >= 3
    sha = __import__("hashlib").sha256(data).hexdigest()
    first = district_client(live_server, world.node)
    # The link drops after the first two parts: the district keeps them...
    for number in range(2):
        chunk = gzip.compress(data[number * part : (number + 1) * part])
        answer = first.request(
            "PUT",
            f"/push/{sha}/{number}?size={len(data)}&parts={parts}",
            chunk,
            headers={"Content-Encoding": "gzip"},
        )
        assert answer.status == 200 and answer.json()["have"] == list(range(number + 1))
    # ...and the retry sends only the rest.
    retry = district_client(live_server, world.node)
    receipt = retry.push(data, part_bytes=part)
    assert receipt["status"] == "applied"
    assert receipt["counts"]["applied"] == 3, receipt
    assert {r["uuid"] for r in receipt["receipt"]["results"]} == {r["uuid"] for r in records}
    puts = [
        path.split("?")[0].rsplit("/", 1)[1]
        for method, path, _s, _t in retry.log
        if method == "PUT"
    ]
    assert puts == [str(n) for n in range(2, parts)]
    # The same bundle again: the kept answer, nothing applied twice.
    again = district_client(live_server, world.node).push(data, part_bytes=part)
    assert again["status"] == "applied" and again["done"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SyncUploadPart)) == 0
    # Even with the upload forgotten, the bundle is known, not applied again.
    db.session.execute(SyncUpload.__table__.delete())
    db.session.commit()
    known = district_client(live_server, world.node).push(data)
    assert known["status"] == "known"
    assert set(fates([r["uuid"] for r in records]).values()) == {"applied"}
    assert db.session.scalar(select(func.count()).select_from(SyncBundle)) == 1


def test_a_pull_answers_from_the_acknowledged_position_and_again_when_lost(world, live_server, app):
    records = [world.change("note", "Приказ № 5")]
    remote = district_client(live_server, world.node)
    remote.push(world.bundle(records))
    db.session.expire_all()
    position = db.session.get(SyncNode, world.node.id).acked_position
    first = remote.pull(position, 0)
    assert first is not None
    receipts = [r for r in _records(first, app) if r["kind"] == "receipt"]
    assert [res["uuid"] for res in receipts[0]["results"]] == [records[0]["uuid"]]
    # The answer was lost on the way: the same position gives the same records again.
    again = remote.pull(position, 0)
    assert [r["kind"] for r in _records(again, app)] == [r["kind"] for r in _records(first, app)]
    # Applied and confirmed: nothing new.
    head = _bundle(first, app).manifest["seq_to"]
    assert remote.pull(head, receipts[0]["seq_to"]) is None
    status = remote.status()
    assert status["applied_seq"] == 1 and status["school"] == world.school.code


def test_a_clock_years_off_still_syncs(world, live_server):
    remote = district_client(live_server, world.node)
    remote.offset = -3 * 365 * 24 * 3600  # the school PC believes it is three years ago
    answer = remote.push(world.bundle([world.change("note", "Приказ")]))
    assert answer["status"] == "applied"
    assert abs(remote.offset) < 5


# -- bad input ------------------------------------------------------------------------------


def test_a_forged_signature_is_refused_and_changes_nothing(world, client):
    before = snapshot()
    answer = signed(client, world.node, "GET", "/status", key=world.sibling_node.key)
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "signature"
    assert "Подпись запроса недействительна" in answer.get_json()["message"]
    stranger = keys.generate()
    answer = signed(client, world.node, "GET", "/pull?after=0&confirmed=0", key=stranger)
    assert answer.status_code == 401
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(SyncNonce)) == 0


def test_a_replayed_request_is_refused(world, client):
    now = time.time()
    first = signed(client, world.node, "GET", "/status", now=now, nonce="ab" * 16)
    assert first.status_code == 200
    replay = signed(client, world.node, "GET", "/status", now=now, nonce="ab" * 16)
    assert replay.status_code == 401
    assert replay.get_json()["error"] == "replay"
    stale = signed(client, world.node, "GET", "/status", now=now - 3600)
    assert stale.status_code == 401 and stale.get_json()["error"] == "clock"
    assert abs(stale.get_json()["server_time"] - now) < 5
    assert stale.headers["X-Sync-Server-Time"]


def test_a_node_revoked_meanwhile_is_refused_and_its_push_kept_in_quarantine(
    world, live_server, client
):
    remote = district_client(live_server, world.node)
    remote.push(world.bundle([world.change("note", "До отзыва")]))
    nodes.revoke(world.admin, db.session.get(SyncNode, world.node.id))
    late = world.change("note", "После отзыва")
    answer = remote.push(world.bundle([late]))
    assert answer["error"] == "revoked"
    assert "отозван" in answer["message"]
    assert fates([late["uuid"]]) == {late["uuid"]: "quarantine"}
    assert signed(client, world.node, "GET", "/pull?after=0&confirmed=0").status_code == 403
    assert signed(client, world.node, "GET", "/status").status_code == 403


def test_a_node_reaches_only_its_own_school(world, live_server, app):
    remote = district_client(live_server, world.node)
    # A bundle naming another school's computer, signed with this one's key.
    other = world.change("note", "Чужое", sub=world.sibling_sub, node=world.sibling_node)
    forged = world.bundle([other], node=world.sibling_node, key=world.node.key)
    before = snapshot()
    with pytest.raises(Exception, match="другому компьютеру"):
        remote.push(forged)
    # Its own computer, but the records of another school.
    mine = world.change("note", "Чужая школа", school=world.sibling.code)
    refused = remote.push(world.bundle([mine]))
    assert refused["status"] == "refused" and "другой школы" in refused["message"]
    assert snapshot() == before
    # What it pulls is its own school's only: no request can name another.
    data = DistrictClient(live_server, world.node.id, world.node.key).pull(0, 0)
    found = _records(data, app)
    assert found and {r.get("school", world.school.code) for r in found} == {world.school.code}


def test_an_oversized_body_is_refused_before_it_is_read(world, client, app):
    before = snapshot()
    app.config["SYNC_MAX_REQUEST_BYTES"] = 1000
    try:
        body = gzip.compress(bytes(range(256)) * 40, compresslevel=0)
        answer = signed(
            client,
            world.node,
            "PUT",
            f"/push/{'a' * 64}/0?size={len(body)}&parts=1",
            body,
            **{"Content-Encoding": "gzip"},
        )
    finally:
        app.config.pop("SYNC_MAX_REQUEST_BYTES")
    assert answer.status_code == 413
    assert "больше" in answer.get_json()["message"]
    # A bundle declared larger than a bundle may be.
    answer = signed(
        client,
        world.node,
        "PUT",
        f"/push/{'a' * 64}/0?size={10**9}&parts=1",
        gzip.compress(b"x"),
        **{"Content-Encoding": "gzip"},
    )
    assert answer.status_code == 413
    # A small gzip that inflates past the part limit (a gzip bomb).
    bomb = gzip.compress(b"\0" * (2 * 1024 * 1024))
    answer = signed(
        client,
        world.node,
        "PUT",
        f"/push/{'b' * 64}/0?size=100&parts=1",
        bomb,
        **{"Content-Encoding": "gzip"},
    )
    assert answer.status_code == 413
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(SyncUploadPart)) == 0


def test_a_body_claiming_gzip_that_is_not_gzip_is_refused(world, client):
    data = world.bundle([world.change("note", "Приказ")])
    before = snapshot()
    sha = __import__("hashlib").sha256(data).hexdigest()
    path = f"/push/{sha}/0?size={len(data)}&parts=1"
    answer = signed(client, world.node, "PUT", path, data, **{"Content-Encoding": "gzip"})
    assert answer.status_code == 400
    assert (
        answer.get_json()["message"]
        == "Тело запроса объявлено как gzip, но это не gzip: ничего не изменено."
    )
    plain = signed(client, world.node, "PUT", path, data)
    assert plain.status_code == 415
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(SyncUploadPart)) == 0


def test_a_wrong_or_used_code_gets_one_answer_and_attempts_are_throttled(world, client, app):
    from sync.codes import create_code

    good = create_code(world.admin, world.school).code
    public = keys.public_text(keys.generate())

    def enrol(code, key=public):
        return client.post(f"{API}/enrol", json={"code": code, "public_key": key})

    answer = enrol(good)
    assert answer.status_code == 200
    bundle = read_bundle(
        gzip.decompress(answer.data), lambda m: keys.load_public(m["district_public_key"])
    )
    assert bundle.manifest["school"] == world.school.code
    node = db.session.get(SyncNode, answer.headers["X-Sync-Node"])
    assert node.public_key == public and node.school_id == world.school.id
    used = enrol(good)
    wrong = enrol(good[:-4] + "AAAA")
    assert used.status_code == wrong.status_code == 403
    assert used.get_json() == wrong.get_json()
    assert "неверен, уже использован или просрочен" in used.get_json()["message"]
    app.config["SYNC_CODE_MAX_FAILURES_PER_ADDRESS"] = 2  # two wrong codes so far
    try:
        another = create_code(world.admin, world.school).code
        throttled = enrol(another)
    finally:
        app.config.pop("SYNC_CODE_MAX_FAILURES_PER_ADDRESS")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]
    nodes_now = db.session.scalar(select(func.count()).select_from(SyncNode))
    assert nodes_now == 3  # the two of the fixture and the one the good code enrolled


def test_an_expired_code_gets_the_same_answer(world, client):
    from sync.codes import create_code
    from sync.netmodels import SyncEnrolCode

    code = create_code(world.admin, world.school).code
    row = db.session.scalar(select(SyncEnrolCode))
    row.expires_at = row.created_at
    db.session.commit()
    answer = client.post(
        f"{API}/enrol", json={"code": code, "public_key": keys.public_text(keys.generate())}
    )
    assert answer.status_code == 403
    assert "просрочен" in answer.get_json()["message"]


def test_maintenance_answers_503_and_the_copy_waits_and_retries(world, live_server, app):
    flag = Path(app.instance_path) / "sync_maintenance"
    flag.write_text("")
    waited = []

    def sleep(seconds):
        waited.append(seconds)
        flag.unlink(missing_ok=True)  # the maintenance ends while the copy waits

    try:
        remote = DistrictClient(
            live_server, world.node.id, world.node.key, sleep=sleep, max_wait=120
        )
        assert remote.status()["node"] == world.node.id
    finally:
        flag.unlink(missing_ok=True)
    assert waited == [60.0]
    # A maintenance that lasts: the copy gives up after a bounded wait, as «no link».
    flag.write_text("")
    try:
        patient = DistrictClient(live_server, world.node.id, world.node.key, sleep=lambda s: None)
        with pytest.raises(NoLink, match="обслуживани"):
            patient.status()
    finally:
        flag.unlink(missing_ok=True)


def test_the_api_needs_no_cookie_and_no_csrf_token(world, client, csrf_on):
    answer = signed(client, world.node, "GET", "/status")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    data = world.bundle([world.change("note", "Приказ")])
    sha = __import__("hashlib").sha256(data).hexdigest()
    put = signed(
        client,
        world.node,
        "PUT",
        f"/push/{sha}/0?size={len(data)}&parts=1",
        gzip.compress(data),
        **{"Content-Encoding": "gzip"},
    )
    assert put.status_code == 200 and put.get_json()["status"] == "applied"


def _zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def test_an_address_that_is_not_this_product_is_named_so(live_server, app_ctx):
    from sync.client import NotThisProduct

    with pytest.raises(NotThisProduct, match="По этому адресу не сервер управления образования"):
        DistrictClient(live_server + "/portal", sleep=lambda s: None).hello()
