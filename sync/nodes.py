"""Nodes: enrolling a school PC, binding its key, revoking it; a copy's own identity."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from intranet.audit.services import writing
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import new_uuid, utcnow
from sync.models import SyncLocal, SyncNode


def _secret(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def enrol_proof(token: str, public_key_text: str) -> str:
    """What a new node shows with its first bundle: its key, bound to the one-time token
    of its enrolment file (so a copied file alone cannot enrol a stranger's key)."""
    return hmac.new(_secret(token), public_key_text.encode("ascii"), hashlib.sha256).hexdigest()


def proof_ok(node: SyncNode, public_key_text: str, proof: str) -> bool:
    if not node.enrol_secret:
        return False
    expected = hmac.new(
        bytes.fromhex(node.enrol_secret), public_key_text.encode("ascii"), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, str(proof))


def register_pending(school, label: str = "") -> tuple[str, str]:
    """A node the district expects (an enrolment file was made for it). No commit: the
    enrolment's transaction commits it with everything else."""
    token = secrets.token_urlsafe(32)
    node = SyncNode(
        id=new_uuid(),
        district_id=school.district_id,
        school_id=school.id,
        name=label[:200],
        public_key="",
        enrol_secret=_secret(token).hex(),
    )
    db.session.add(node)
    db.session.flush()
    return node.id, token


def enrol_node(school, node_id: str, public_key: str, name: str = "") -> SyncNode:
    """A node whose public key is already known (tests, re-enrolment). No commit."""
    node = SyncNode(
        id=node_id,
        district_id=school.district_id,
        school_id=school.id,
        name=name[:200],
        public_key=public_key,
    )
    db.session.add(node)
    db.session.flush()
    return node


def revoke(actor, node: SyncNode) -> SyncNode:
    """A stolen laptop: its later bundles are quarantined whole, never applied."""
    if not node.can_revoke(actor):
        raise Refused(_("This node is already revoked."))
    with writing(actor):
        node.revoked_at = utcnow()
        node.revoked_by_id = actor.id
        db.session.commit()
    return node


def init_local(
    school_id: int, node_id: str, district_public_key: str, enrol_token: str = ""
) -> SyncLocal:
    """This copy's identity (one row). No commit."""
    local = db.session.get(SyncLocal, 1) or SyncLocal(id=1)
    local.school_id = school_id
    local.node_id = node_id
    local.district_public_key = district_public_key
    local.enrol_token = enrol_token
    local.next_seq = local.next_seq or 1
    db.session.add(local)
    db.session.flush()
    return local


def local() -> SyncLocal | None:
    return db.session.get(SyncLocal, 1)
