"""Signed requests: how a school's computer proves who it is to ``/api/sync/v1/``.

Every request but ``hello`` and ``enrol`` carries four headers:

- ``X-Sync-Node``: the node id (as in its bundles);
- ``X-Sync-Time``: the node's time, Unix seconds, corrected by the offset it learned from
  the district (see below);
- ``X-Sync-Nonce``: 32 random hex characters, never used twice by this node;
- ``X-Sync-Signature``: base64 of the Ed25519 signature, with the node's key
  (``sync.keys``), of the text ``intranet-sync-v1\\nMETHOD\\nPATH?QUERY\\nTIME\\nNONCE\\n``
  followed by the hex SHA-256 of the body exactly as sent (gzip bytes included).

The district verifies with the node's stored public key, then checks the time within
``SYNC_CLOCK_WINDOW`` seconds, then stores the nonce (unique per node: the same request
again is refused as a replay; nonces older than twice the window are forgotten, the time
check refuses those requests anyway). A school PC whose clock is years off still syncs:
a refusal for the clock carries the server's time (``X-Sync-Server-Time`` and JSON), and
the client signs again with ``time = its clock + offset``; ``hello`` gives the time too,
so a client learns the offset before its first signed request. No cookie, no CSRF token:
the signature is the credential, and it names one node of one school.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.mixins import utcnow
from sync import keys

PREFIX = "intranet-sync-v1"
NODE, TIME, NONCE, SIGNATURE = "X-Sync-Node", "X-Sync-Time", "X-Sync-Nonce", "X-Sync-Signature"
SERVER_TIME = "X-Sync-Server-Time"
DEFAULT_WINDOW = 300
_NONCE = re.compile(r"^[0-9a-f]{16,64}$")
_NODE = re.compile(r"^[0-9a-zA-Z-]{1,36}$")


def message(method: str, target: str, stamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{PREFIX}\n{method.upper()}\n{target}\n{stamp}\n{nonce}\n{digest}".encode()


def sign_headers(
    key: Ed25519PrivateKey,
    node_id: str,
    method: str,
    target: str,
    body: bytes = b"",
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers of one signed request (``target`` is the path with its query)."""
    stamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    signature = key.sign(message(method, target, stamp, nonce, body))
    return {
        NODE: node_id,
        TIME: stamp,
        NONCE: nonce,
        SIGNATURE: base64.b64encode(signature).decode("ascii"),
    }


class AuthRefused(Exception):
    """``code``: signature | clock | replay | revoked (the API answers by it)."""

    def __init__(self, code: str, node=None) -> None:
        super().__init__(code)
        self.code = code
        self.node = node


@dataclass
class Verified:
    node: object
    skew: int


def window() -> int:
    return int(current_app.config.get("SYNC_CLOCK_WINDOW") or DEFAULT_WINDOW)


def verify(headers, method: str, target: str, body: bytes, *, allow_revoked: bool = False):
    """The node that signed this request, or ``AuthRefused``. Stores the nonce (its own
    commit: a replay is refused even when the first request failed later)."""
    from sync.models import SyncNode
    from sync.netmodels import SyncNonce

    node_id = headers.get(NODE, "")
    stamp = headers.get(TIME, "")
    nonce = headers.get(NONCE, "")
    signature = headers.get(SIGNATURE, "")
    if not (_NODE.match(node_id) and stamp.isdigit() and len(stamp) < 15 and _NONCE.match(nonce)):
        raise AuthRefused("signature")
    node = db.session.get(SyncNode, node_id)
    if node is None or not node.public_key:
        raise AuthRefused("signature")
    try:
        raw = base64.b64decode(signature, validate=True)
        keys.load_public(node.public_key).verify(raw, message(method, target, stamp, nonce, body))
    except (InvalidSignature, ValueError):
        raise AuthRefused("signature") from None
    skew = int(stamp) - int(time.time())
    if abs(skew) > window():
        raise AuthRefused("clock", node)
    now = utcnow()
    try:
        db.session.execute(
            delete(SyncNonce).where(
                SyncNonce.node_id == node.id,
                SyncNonce.seen_at < now - timedelta(seconds=2 * window()),
            )
        )
        db.session.add(SyncNonce(node_id=node.id, nonce=nonce, seen_at=now))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AuthRefused("replay", node) from None
    if node.is_revoked and not allow_revoked:
        raise AuthRefused("revoked", node)
    return Verified(node, skew)
