"""Build the next bundle for the other side: exactly what it has not confirmed yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from intranet.schools.models import District, School
from sync import digest, keys, nodes
from sync.bundle import DIGEST, BundleRefused, write_bundle
from sync.models import SyncBundle, SyncNode, SyncOutbox

# The evidence field whose value names a file by its SHA-256 (SYNC-LOG's vocabulary).
EVIDENCE_ADD = "evidence.add"


@dataclass
class Exported:
    data: bytes
    manifest: dict[str, Any]
    records: int


def _iso_now() -> str:
    return utcnow().isoformat()


# -- district → school ----------------------------------------------------------------------


def _downstream_module():
    try:
        from sync import downstream
    except ModuleNotFoundError as exc:
        if exc.name != "sync.downstream":
            raise
        return None
    return downstream


def export_for_school(
    school: School, node_id: str | None = None, *, keep_empty: bool = True
) -> Exported:
    """The district's bundle for a school: the receipts its nodes have not confirmed,
    then every downstream record past the feed position all its nodes acknowledged. Made
    for one node (``node_id``), it holds that node's receipts and leaves out the changes
    it made itself. ``keep_empty=False`` (a pull): a bundle that would carry no record is
    not made at all (``data`` empty, ``records`` 0)."""
    stmt = select(SyncNode).where(SyncNode.school_id == school.id, SyncNode.revoked_at.is_(None))
    if node_id is not None:
        stmt = stmt.where(SyncNode.id == node_id)
    active = list(db.session.scalars(stmt))
    if node_id is not None and not active:
        raise BundleRefused(_("This school has no such computer, or it was revoked."))
    after = min((n.acked_position for n in active), default=0)
    receipts: list[dict[str, Any]] = []
    for node in active:
        receipts.extend(
            db.session.scalars(
                select(SyncBundle.receipt)
                .where(
                    SyncBundle.node_id == node.id,
                    SyncBundle.status == "applied",
                    SyncBundle.seq_to > node.confirmed_seq,
                    SyncBundle.receipt.is_not(None),
                )
                .order_by(SyncBundle.seq_to, SyncBundle.received_at)
            )
        )
    downstream = _downstream_module()
    down: list[dict[str, Any]] = []
    last = after
    if downstream is not None:
        down, head = downstream.collect_to_head(school, after_position=after, node_id=node_id)
        # A bundle for one node leaves its own changes out, yet covers their positions.
        last = max(after, head, *(int(r.get("position") or 0) for r in down))
    if not keep_empty and not receipts and not down and not digest.repairs_wanted(active):
        db.session.commit()  # what the feed's refresh noted
        return Exported(b"", {"seq_from": after + 1, "seq_to": last}, 0)
    district = db.session.get(District, school.district_id)
    manifest = {
        "direction": "down",
        "district": district.uuid,
        "school": school.code,
        "node": node_id or "",
        "seq_from": after + 1,
        "seq_to": last,
        "created_at": _iso_now(),
    }
    proof, histories = digest.for_district_bundle(school, active)
    records = [*receipts, *down, *histories]
    data = write_bundle(manifest, records, {}, keys.district_key(), extra={DIGEST: proof})
    db.session.commit()  # the feed entries ``collect`` may have added
    return Exported(data, manifest, len(records))


# -- school copy → district -----------------------------------------------------------------


def export_up() -> Exported:
    """The copy's bundle: every change made here that the district has not confirmed,
    each with the sequence number it got the first time it was sent."""
    from intranet.changelog.services import blob, changes_to_send, mark_sync_state, to_wire

    local = nodes.local()
    if local is None:
        raise BundleRefused(_("This copy is not enrolled yet: run «intranet sync init» first."))
    school = db.session.get(School, local.school_id)
    district = db.session.get(District, school.district_id)
    changes = changes_to_send(local.school_id)
    numbered: dict[str, int] = {}
    uuids = [c.uuid for c in changes]
    for start in range(0, len(uuids), 500):
        numbered.update(
            db.session.execute(
                select(SyncOutbox.change_uuid, SyncOutbox.seq).where(
                    SyncOutbox.change_uuid.in_(uuids[start : start + 500])
                )
            ).all()
        )
    records = []
    attachments: dict[str, bytes] = {}
    unsent = []
    for change in changes:
        seq = numbered.get(change.uuid)
        if seq is None:
            seq = local.next_seq
            local.next_seq += 1
            db.session.add(SyncOutbox(seq=seq, change_uuid=change.uuid))
        if change.sync_state != "sent":
            unsent.append(change.uuid)
        records.append({"kind": "change", "seq": seq, **to_wire(change, school.code)})
        value = change.value
        if change.field == EVIDENCE_ADD and isinstance(value, dict) and value.get("sha256"):
            content = blob(value["sha256"])
            if content is not None:
                attachments[value["sha256"]] = content
    records.sort(key=lambda r: r["seq"])
    # The proof of agreement: the copy's digest, and the history of what differed.
    proof, histories = digest.for_school_bundle(local, school)
    if records:
        seq_from, seq_to = records[0]["seq"], records[-1]["seq"]
    else:
        seq_from, seq_to = local.next_seq, local.next_seq - 1
    manifest: dict[str, Any] = {
        "direction": "up",
        "district": district.uuid,
        "school": school.code,
        "node": local.node_id,
        "seq_from": seq_from,
        "seq_to": seq_to,
        "feed_position": local.feed_position,
        "confirmed_seq": local.confirmed_seq,
        "created_at": _iso_now(),
    }
    node_key = keys.node_key()
    if local.enrol_token:
        public = keys.public_text(node_key)
        manifest["public_key"] = public
        manifest["enrol_proof"] = nodes.enrol_proof(local.enrol_token, public)
    for history in histories:
        for wire in history["changes"]:
            value = wire.get("value")
            if (
                wire.get("field") == EVIDENCE_ADD
                and isinstance(value, dict)
                and value.get("sha256")
            ):
                content = blob(value["sha256"])
                if content is not None:
                    attachments[value["sha256"]] = content
    data = write_bundle(
        manifest, [*records, *histories], attachments, node_key, extra={DIGEST: proof}
    )
    mark_sync_state(unsent, "sent")
    local.last_export_at = utcnow()
    db.session.commit()
    return Exported(data, manifest, len(records))
