"""The bundle format on its own: what is written reads back, and every damage is refused
with one reason before anything is returned."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile

import pytest

from sync import keys
from sync.bundle import (
    FORMAT_VERSION,
    BundleRefused,
    read_bundle,
    sha256,
    write_bundle,
)

MANIFEST = {"direction": "up", "district": "d-1", "school": "sch1", "node": "n-1"}


def _pack(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.fixture
def key():
    return keys.generate()


def test_a_bundle_reads_back_with_its_records_and_attachments(key):
    pdf = b"%PDF-1.4 evidence"
    records = [{"kind": "change", "seq": 1, "value": "Положение размещено"}]
    data = write_bundle(MANIFEST, records, {sha256(pdf): pdf}, key)
    bundle = read_bundle(data, lambda m: key.public_key())
    assert bundle.records == records
    assert bundle.attachments == {sha256(pdf): pdf}
    assert bundle.manifest["format"] == FORMAT_VERSION
    assert bundle.manifest["school"] == "sch1"
    assert set(bundle.manifest["files"]) == {"changes.ndjson", "files/" + sha256(pdf)}
    # The identity is the signed manifest: reading twice gives the same id.
    assert read_bundle(data, lambda m: key.public_key()).id == bundle.id


def _refusal(data: bytes, key, **kwargs) -> str:
    with pytest.raises(BundleRefused) as caught:
        read_bundle(data, lambda m: key.public_key(), **kwargs)
    reason = str(caught.value)
    assert reason and "\n" not in reason
    return reason


def test_a_signature_by_another_key_is_refused(key):
    data = write_bundle(MANIFEST, [], {}, keys.generate())
    assert "signature" in _refusal(data, key)


def test_an_edited_manifest_breaks_the_signature(key):
    members = _members(write_bundle(MANIFEST, [], {}, key))
    manifest = json.loads(members["manifest.json"])
    manifest["school"] = "sch2"
    members["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    assert "signature" in _refusal(_pack(members), key)


def test_a_file_that_does_not_match_its_hash_is_refused(key):
    members = _members(write_bundle(MANIFEST, [{"kind": "change", "seq": 1}], {}, key))
    members["changes.ndjson"] = b'{"kind": "change", "seq": 2}\n'
    assert "checksum" in _refusal(_pack(members), key)


def test_a_file_the_manifest_does_not_name_is_refused(key):
    members = _members(write_bundle(MANIFEST, [], {}, key))
    members["files/" + "0" * 64] = b"smuggled"
    assert "does not name" in _refusal(_pack(members), key)


def test_a_truncated_bundle_is_refused(key):
    data = write_bundle(MANIFEST, [{"kind": "change", "n": i} for i in range(200)], {}, key)
    for cut in (10, len(data) // 2, len(data) - 5):
        assert "damaged" in _refusal(data[:cut], key)
    assert "damaged" in _refusal(b"not a zip at all", key)


def test_a_corrupt_member_is_refused(key):
    data = bytearray(write_bundle(MANIFEST, [{"kind": "x", "t": "я" * 500}], {}, key))
    start = data.find(b"changes.ndjson") + 40
    data[start : start + 20] = b"\x00" * 20
    reason = _refusal(bytes(data), key)
    assert "damaged" in reason or "checksum" in reason


def test_a_zip_bomb_is_refused_before_it_is_inflated(key):
    bomb = b"\x00" * (5 * 1024 * 1024)
    data = write_bundle(MANIFEST, [], {sha256(bomb): bomb}, key)
    assert len(data) < 50_000
    assert "unpacks to more than" in _refusal(data, key, max_unpacked=1024 * 1024)


def test_a_member_lying_about_its_size_is_still_stopped(key):
    bomb = b"\x00" * (3 * 1024 * 1024)
    data = bytearray(write_bundle(MANIFEST, [], {sha256(bomb): bomb}, key))
    # Rewrite the declared sizes (central directory and local header) to 10 bytes.
    name = ("files/" + sha256(bomb)).encode()
    at = data.rfind(name)  # central directory entry: sizes at -22 (compressed) and -18
    data[at - 46 + 24 : at - 46 + 28] = (10).to_bytes(4, "little")
    reason = _refusal(bytes(data), key, max_unpacked=1024 * 1024)
    assert "damaged" in reason or "unpacks to more than" in reason


def test_an_unknown_format_version_is_refused(key):
    data = write_bundle({**MANIFEST, "format": 99}, [], {}, key)
    assert "99" in _refusal(data, key)


def test_records_that_are_not_dicts_with_a_kind_are_refused(key):
    members = _members(write_bundle(MANIFEST, [], {}, key))
    body = b'["not", "a", "record"]\n'
    manifest = json.loads(members["manifest.json"])
    manifest["files"]["changes.ndjson"] = sha256(body)
    members["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    members["manifest.sig"] = key.sign(members["manifest.json"])
    members["changes.ndjson"] = body
    assert "records" in _refusal(_pack(members), key)


def test_the_instance_key_is_made_once_with_mode_600(tmp_path):
    first = keys.instance_key("sync_district_key", tmp_path)
    again = keys.instance_key("sync_district_key", tmp_path)
    assert keys.public_text(first) == keys.public_text(again)
    mode = stat.S_IMODE(os.stat(tmp_path / "sync_district_key").st_mode)
    assert mode == 0o600
    assert keys.load_public(keys.public_text(first)).public_bytes_raw() == (
        first.public_key().public_bytes_raw()
    )
