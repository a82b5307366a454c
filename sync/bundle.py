"""The bundle: one signed zip for every direction (school → district, district → school,
enrolment) and every transport.

Members: ``manifest.json`` (what the bundle is, and the SHA-256 of every other member),
``manifest.sig`` (a detached Ed25519 signature of the manifest's exact bytes),
``changes.ndjson`` (one record per line, each a dict with a "kind") and attachments under
``files/<sha256>``. Reading checks everything before the caller may write anything: a
refusal is ``BundleRefused`` with one line saying why.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from intranet.i18n import gettext as _

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
RECORDS = "changes.ndjson"
# The digest of the school's content as the sender holds it (``sync.digest``): listed in
# the manifest's hashes like every other member.
DIGEST = "digest.json"
# Members besides the records and attachments that a bundle may carry.
EXTRA_MEMBERS = (DIGEST,)
ATTACHMENT_PREFIX = "files/"
# Unpacked bytes a bundle may hold; a zip bomb is refused before it is inflated.
MAX_UNPACKED = 64 * 1024 * 1024
MAX_MEMBERS = 10_000

_ATTACHMENT_NAME = re.compile(r"^files/[0-9a-f]{64}$")
# A fixed member date: the same content packs to the same bytes.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


class BundleRefused(ValueError):
    """The bundle is refused whole; ``str()`` is the one-line reason shown to people."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        # What kind of refusal, for the caller that looks further (e.g. "signature").
        self.code = code


@dataclass
class Bundle:
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    attachments: dict[str, bytes] = field(default_factory=dict)
    # SHA-256 of the signed manifest bytes: the same bundle always has the same id.
    id: str = ""
    # Other named members (``EXTRA_MEMBERS``), checked against the manifest like the rest.
    extra: dict[str, bytes] = field(default_factory=dict)

    def records_of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["kind"] == kind]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump_records(records: Iterable[dict[str, Any]]) -> bytes:
    lines = (
        json.dumps(r, ensure_ascii=False, separators=(",", ":"), sort_keys=True) for r in records
    )
    return "".join(line + "\n" for line in lines).encode("utf-8")


def write_bundle(
    manifest: dict[str, Any],
    records: Iterable[dict[str, Any]],
    attachments: dict[str, bytes] | None,
    private_key: Ed25519PrivateKey,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """Pack and sign a bundle; ``attachments`` are keyed by the SHA-256 of their bytes;
    ``extra`` holds named members of ``EXTRA_MEMBERS`` (the digest)."""
    body = dump_records(records)
    members: dict[str, bytes] = {RECORDS: body}
    for name, data in sorted((extra or {}).items()):
        if name not in EXTRA_MEMBERS:
            raise ValueError(f"unknown bundle member {name}")
        members[name] = data
    for digest, data in sorted((attachments or {}).items()):
        if sha256(data) != digest:
            raise ValueError(f"attachment {digest} does not match its content")
        members[ATTACHMENT_PREFIX + digest] = data
    manifest = {
        **manifest,
        "format": manifest.get("format", FORMAT_VERSION),
        "files": {name: sha256(data) for name, data in members.items()},
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in (
            (MANIFEST, manifest_bytes),
            (SIGNATURE, private_key.sign(manifest_bytes)),
            *members.items(),
        ):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def read_bundle(
    data: bytes,
    key_for: Callable[[dict[str, Any]], Ed25519PublicKey],
    *,
    max_unpacked: int = MAX_UNPACKED,
) -> Bundle:
    """Check and unpack a bundle. ``key_for`` receives the manifest (not yet verified) and
    returns the public key that must have signed it, or raises ``BundleRefused``."""
    members = _unpack(data, max_unpacked)
    manifest_bytes = members.get(MANIFEST)
    signature = members.get(SIGNATURE)
    if manifest_bytes is None or signature is None:
        raise BundleRefused(_("The bundle has no signed manifest."))
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise BundleRefused(_("The bundle's manifest is not readable.")) from None
    if not isinstance(manifest, dict):
        raise BundleRefused(_("The bundle's manifest is not readable."))
    if manifest.get("format") != FORMAT_VERSION:
        raise BundleRefused(
            _(
                "Unknown bundle format version: %(version)s (this program reads version %(ours)s).",
                version=str(manifest.get("format"))[:20],
                ours=FORMAT_VERSION,
            )
        )
    key = key_for(manifest)
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise BundleRefused(_("The bundle's signature is not valid."), "signature") from None
    files = manifest.get("files")
    if not isinstance(files, dict) or RECORDS not in files:
        raise BundleRefused(_("The bundle's manifest is not readable."))
    listed = set(files) | {MANIFEST, SIGNATURE}
    for name in members:
        if name not in listed:
            raise BundleRefused(
                _("The bundle holds a file its manifest does not name: %(name)s", name=name[:80])
            )
    for name, digest in files.items():
        content = members.get(name)
        if content is None or sha256(content) != digest:
            raise BundleRefused(
                _("The file %(name)s does not match the checksum in the manifest.", name=name[:80])
            )
    records = _records(members[RECORDS])
    attachments = {
        name[len(ATTACHMENT_PREFIX) :]: content
        for name, content in members.items()
        if name.startswith(ATTACHMENT_PREFIX)
    }
    for digest, content in attachments.items():
        if sha256(content) != digest:
            raise BundleRefused(
                _("The file %(name)s does not match the checksum in the manifest.", name=digest)
            )
    extra = {name: members[name] for name in EXTRA_MEMBERS if name in members}
    return Bundle(manifest, records, attachments, id=sha256(manifest_bytes), extra=extra)


def peek_manifest(data: bytes) -> dict[str, Any]:
    """The manifest, unverified (to say which node a refused bundle claims to be from)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo(MANIFEST)
            if info.file_size > 1024 * 1024:
                return {}
            manifest = json.loads(zf.read(info))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, zlib.error):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _corrupt() -> BundleRefused:
    return BundleRefused(_("The file is damaged or cut short: it is not a whole bundle."))


def _too_big(limit: int) -> BundleRefused:
    return BundleRefused(
        _(
            "The bundle unpacks to more than %(mb)s MB: refused as unsafe.",
            mb=limit // (1024 * 1024) or 1,
        )
    )


def _unpack(data: bytes, limit: int) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _corrupt() from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _too_big(limit)
        # The declared sizes first (cheap), then the real inflated bytes, bounded: a
        # member may lie about its size.
        if sum(i.file_size for i in infos) > limit:
            raise _too_big(limit)
        members: dict[str, bytes] = {}
        left = limit
        for info in infos:
            name = info.filename
            if name in members or not (
                name in (MANIFEST, SIGNATURE, RECORDS, *EXTRA_MEMBERS)
                or _ATTACHMENT_NAME.match(name)
            ):
                raise BundleRefused(
                    _("The bundle holds an unexpected file: %(name)s", name=name[:80])
                )
            try:
                with zf.open(info) as fh:
                    content = fh.read(left + 1)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError):
                raise _corrupt() from None
            if len(content) > left:
                raise _too_big(limit)
            left -= len(content)
            members[name] = content
    return members


def _records(body: bytes) -> list[dict[str, Any]]:
    records = []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleRefused(_("The bundle's records are not readable.")) from None
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise BundleRefused(_("The bundle's records are not readable.")) from None
        if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
            raise BundleRefused(_("The bundle's records are not readable."))
        records.append(record)
    return records


def signed_by(data: bytes, key: Ed25519PublicKey) -> bool:
    """Whether ``key`` made the bundle's signature (to name who signed a refused one)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            manifest_bytes = zf.read(MANIFEST)
            signature = zf.read(SIGNATURE)
        key.verify(signature, manifest_bytes)
    except (InvalidSignature, zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error):
        return False
    return True
