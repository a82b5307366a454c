"""Import one bundle: every check first, then everything it carries in ONE transaction.

An import killed halfway leaves the database as it was (nothing is committed before the
end), and the retry applies the bundle whole. The same bundle again changes nothing and
answers the receipt kept the first time.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from intranet.audit.services import acting
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from intranet.schools.models import District, School
from sync import digest, keys, kinds, nodes
from sync.bundle import DIGEST, MAX_UNPACKED, Bundle, BundleRefused, read_bundle, signed_by
from sync.changes import batch_of, wire_of
from sync.mode import is_school_copy
from sync.models import SyncBundle, SyncLocal, SyncNode, SyncQuarantine

log = logging.getLogger("intranet.sync")

QUARANTINED = "quarantined"
COUNTED = ("applied", "skipped", "merged", "conflict", QUARANTINED)
# A receipt's status → the state the school copy shows for that change.
RECEIPT_STATE = {
    "applied": "confirmed",
    "skipped": "confirmed",
    "merged": "confirmed",
    "conflict": "conflict",
    "quarantined": "error",
}


@dataclass
class Result:
    """What an import did. ``status``: applied | known (applied before) | waiting |
    quarantined."""

    status: str
    bundle_id: str
    counts: dict[str, int] = field(default_factory=dict)
    receipt: dict[str, Any] | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("applied", "known")


# Built once: the statements every school bundle runs (plain statements, no unit of work).
_NODES = SyncNode.__table__
_BUNDLES = SyncBundle.__table__
# The node's columns the import reads again under its lock (the deferred ones stay unread).
_NODE_COLUMNS = tuple(
    (attr.key, attr.columns[0])
    for attr in inspect(SyncNode).column_attrs
    if not attr.deferred and attr.columns[0].table is _NODES
)
_LOCK_NODE = (
    update(_NODES)
    .where(_NODES.c.id == bindparam("b_node"))
    .values(last_bundle_at=bindparam("b_now"))
    .returning(*(column for _key, column in _NODE_COLUMNS))
)
_SENDER = (
    select(SyncNode)
    .options(joinedload(SyncNode.school).joinedload(School.district))
    .where(SyncNode.id == bindparam("b_node"))
)
_SEEN = select(_BUNDLES.c.id).where(_BUNDLES.c.id == bindparam("b_bundle"))
# Under the lock, in one statement: whether this bundle got in meanwhile, and whether the
# node has bundles waiting for a gap (only its own imports add them).
_SEEN_OR_WAITING = select(_BUNDLES.c.id).where(
    or_(
        _BUNDLES.c.id == bindparam("b_bundle"),
        and_(_BUNDLES.c.node_id == bindparam("b_node"), _BUNDLES.c.status == "waiting"),
    )
)


def _max_unpacked() -> int:
    return int(current_app.config.get("SYNC_MAX_UNPACKED_BYTES") or MAX_UNPACKED)


def import_bundle(data: bytes) -> Result:
    """Apply a bundle on this side (the district: a school's; a copy: the district's).
    Raises ``BundleRefused`` (nothing written; the reason is logged)."""
    apply = _import_down if is_school_copy() else _import_up
    try:
        try:
            return apply(data)
        except (IntegrityError, OperationalError):
            # The same bundle (or another of the same node) imported at this very moment
            # by someone else got in first: once it is committed, this one is answered as
            # known or applies after it.
            db.session.rollback()
            return apply(data)
    except BundleRefused as exc:
        db.session.rollback()
        log.warning("sync bundle refused: %s", exc.reason)
        raise
    except Exception:
        db.session.rollback()
        raise


# -- district: a school's bundle ------------------------------------------------------------


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if value is None:
            return default
        raise BundleRefused(_("The bundle's manifest is not readable."))
    return value


class _Sender:
    node: SyncNode | None = None
    key_text: str = ""


def _up_key(sender: _Sender):
    def key_for(manifest: dict[str, Any]):
        if manifest.get("direction") != "up":
            raise BundleRefused(_("This is not a school's bundle: import it on a school copy."))
        # One query: the node with its school and district.
        node = (
            db.session.execute(_SENDER, {"b_node": str(manifest.get("node") or "")})
            .unique()
            .scalar_one_or_none()
        )
        if node is None:
            raise BundleRefused(_("The bundle comes from a computer this district never enrolled."))
        sender.node = node
        district = node.school.district
        if manifest.get("district") != district.uuid:
            raise BundleRefused(_("The bundle's manifest names another district."))
        if manifest.get("school") != node.school.code:
            raise BundleRefused(
                _(
                    "The bundle's manifest names school %(named)s, but its computer is "
                    "enrolled for school %(own)s.",
                    named=str(manifest.get("school"))[:40],
                    own=node.school.code,
                )
            )
        key_text = node.public_key
        if not key_text:
            # The node's first bundle: it brings its key, proven by the enrolment token.
            key_text = str(manifest.get("public_key") or "")
            if not key_text or not nodes.proof_ok(node, key_text, manifest.get("enrol_proof")):
                raise BundleRefused(
                    _("The computer's first bundle does not prove its enrolment file.")
                )
        try:
            key = keys.load_public(key_text)
        except ValueError:
            raise BundleRefused(_("The bundle's manifest is not readable.")) from None
        sender.key_text = key_text
        return key

    return key_for


def _who_signed(data: bytes, node: SyncNode) -> BundleRefused | None:
    """A bad signature may be another node's: say whose, for the district to act on."""
    others = db.session.scalars(
        select(SyncNode).where(
            SyncNode.district_id == node.district_id,
            SyncNode.id != node.id,
            SyncNode.public_key != "",
        )
    )
    for other in others:
        if signed_by(data, keys.load_public(other.public_key)):
            if other.school_id != node.school_id:
                return BundleRefused(
                    _(
                        "The bundle is signed by a computer of another school (%(school)s).",
                        school=other.school.code,
                    ),
                    "signature",
                )
            return BundleRefused(
                _("The bundle is signed by another computer than the one it names."), "signature"
            )
    return None


def _check_records(bundle: Bundle, school: School, district: District) -> None:
    seq_from, seq_to = bundle.manifest["seq_from"], bundle.manifest["seq_to"]
    for record in bundle.records:
        named = record.get("school", school.code)
        if named != school.code:
            raise BundleRefused(
                _(
                    "The bundle carries a record of another school (%(school)s): refused whole.",
                    school=str(named)[:40],
                )
            )
        if "district" in record and record["district"] != district.uuid:
            raise BundleRefused(
                _("The bundle carries a record of another district: refused whole.")
            )
        if record["kind"] == "change":
            seq = record.get("seq")
            if (
                not isinstance(seq, int)
                or not seq_from <= seq <= seq_to
                or not isinstance(record.get("uuid"), str)
            ):
                raise BundleRefused(_("The bundle's records are not readable."))
        elif kinds.handler_for(record["kind"]) is None:
            raise BundleRefused(
                _(
                    "The bundle carries records of an unknown kind: %(kind)s",
                    kind=record["kind"][:40],
                )
            )


def read_up(data: bytes) -> tuple[Bundle, SyncNode, str]:
    """Read and check a school's bundle: (bundle, its node, the key that signed it)."""
    sender = _Sender()
    try:
        bundle = read_bundle(data, _up_key(sender), max_unpacked=_max_unpacked())
    except BundleRefused as exc:
        if exc.code == "signature" and sender.node is not None:
            raise _who_signed(data, sender.node) or exc from None
        raise
    manifest = bundle.manifest
    manifest["seq_from"] = _int(manifest.get("seq_from"), 1)
    manifest["seq_to"] = _int(manifest.get("seq_to"), 0)
    if manifest["seq_from"] < 1 or manifest["seq_to"] < manifest["seq_from"] - 1:
        raise BundleRefused(_("The bundle's manifest is not readable."))
    node = sender.node
    _check_records(bundle, node.school, node.school.district)
    return bundle, node, sender.key_text


def _import_up(data: bytes) -> Result:
    bundle, node, key_text = read_up(data)
    connection = db.session.connection()
    if connection.execute(_SEEN, {"b_bundle": bundle.id}).first() is not None:
        # The common retry: answered without writing anything.
        return _seen(db.session.get(SyncBundle, bundle.id))
    manifest = bundle.manifest
    now = utcnow()
    # One import per node at a time: the write takes the node's row lock (PostgreSQL) or
    # the database's write lock (SQLite), and what the node has applied is read again
    # under it, so two imports at once never both apply nor leave one waiting for good.
    locked = connection.execute(_LOCK_NODE, {"b_node": node.id, "b_now": now}).one()
    for (key, _column), value in zip(_NODE_COLUMNS, locked, strict=True):
        set_committed_value(node, key, value)
    found = {
        row[0]
        for row in connection.execute(_SEEN_OR_WAITING, {"b_bundle": bundle.id, "b_node": node.id})
    }
    if bundle.id in found:
        db.session.rollback()
        return _seen(db.session.get(SyncBundle, bundle.id))
    waiting = bool(found)
    with acting(None):
        if not node.public_key:
            node.public_key = key_text
            node.enrol_secret = ""
        node.last_bundle_at = now
        node.last_bundle_id = bundle.id
        node.acked_position = max(node.acked_position, _int(manifest.get("feed_position")))
        node.confirmed_seq = max(node.confirmed_seq, _int(manifest.get("confirmed_seq")))
        row = SyncBundle(
            id=bundle.id,
            district_id=node.district_id,
            school_id=node.school_id,
            node_id=node.id,
            direction="up",
            status="applied",
            seq_from=manifest["seq_from"],
            seq_to=manifest["seq_to"],
            received_at=now,
        )
        db.session.add(row)
        changes = len(bundle.records_of("change"))
        if node.is_revoked:
            reason = _("The computer that signed this bundle was revoked: kept whole, not applied.")
            db.session.add(
                SyncQuarantine(
                    district_id=node.district_id,
                    school_id=node.school_id,
                    node_id=node.id,
                    bundle_id=bundle.id,
                    kind="bundle",
                    reason=reason,
                    raw=data,
                    changes=changes,
                    created_at=now,
                )
            )
            row.status = "quarantined"
            row.counts = {"quarantined": changes}
            db.session.commit()
            return Result("quarantined", bundle.id, row.counts, message=reason)
        if manifest["seq_from"] > node.applied_seq + 1:
            row.status = "waiting"
            row.raw = data
            row.counts = {}
            db.session.commit()
            return Result(
                "waiting",
                bundle.id,
                {},
                message=_(
                    "The bundle waits for the earlier one (changes %(first)s–%(last)s have "
                    "not arrived yet); it is kept and will be applied then.",
                    first=node.applied_seq + 1,
                    last=manifest["seq_from"] - 1,
                ),
            )
        counts = _apply_up(bundle, node, row, now)
        if waiting:
            _drain_waiting(node, now)
        digest.check_on_district(
            node,
            node.school,
            digest.load(bundle.extra.get(DIGEST)),
            _int(manifest.get("feed_position")),
        )
        receipt = row.receipt
        db.session.commit()
    return Result("applied", bundle.id, counts, receipt)


def _seen(row: SyncBundle) -> Result:
    if row.status == "waiting":
        return Result("waiting", row.id, {}, message=_("This bundle is already waiting."))
    if row.status == "quarantined":
        return Result(
            "quarantined",
            row.id,
            dict(row.counts or {}),
            message=_("This bundle is already in quarantine."),
        )
    return Result("known", row.id, dict(row.counts or {}), row.receipt)


def _apply_up(bundle: Bundle, node: SyncNode, row: SyncBundle, now) -> dict[str, int]:
    school = node.school
    ctx = kinds.Context(school, node.id, now, bundle.manifest, bundle.attachments, bundle.id)
    # Changes already kept in quarantine are not quarantined twice on a resend (only a
    # change the node sent before can be there).
    change_uuids = [
        r["uuid"] for r in bundle.records if r["kind"] == "change" and r["seq"] <= node.applied_seq
    ]
    held = set()
    for start in range(0, len(change_uuids), 500):
        held.update(
            db.session.scalars(
                select(SyncQuarantine.change_uuid).where(
                    SyncQuarantine.change_uuid.in_(change_uuids[start : start + 500]),
                    SyncQuarantine.released_at.is_(None),
                )
            )
        )
    counts: Counter[str] = Counter({k: 0 for k in COUNTED})
    changes = [r for r in bundle.records if r["kind"] == "change"]
    batch = batch_of(
        changes, school=school, node_id=node.id, received_at=now, attachments=bundle.attachments
    )
    # Each change in order through the merge rules; the outcomes are final once the batch
    # has written what it holds (a form saved here meanwhile quarantines its changes).
    decided: list[tuple[dict, Any]] = []
    seen: set[str] = set()
    for record in bundle.records:
        if record["kind"] != "change":
            batch.flush()
            counts[kinds.handler_for(record["kind"])(record, ctx)] += 1
            continue
        if record["uuid"] in seen:  # the same change twice: what became of the first decides
            batch.flush()
            held.update(r["uuid"] for r, o in decided if o is not None and o.status == QUARANTINED)
        seen.add(record["uuid"])
        if record["uuid"] in held:
            decided.append((record, None))
            continue
        outcome = batch.apply(wire_of(record))
        if outcome.status == QUARANTINED:
            held.add(record["uuid"])
        decided.append((record, outcome))
    batch.finish()
    results = []
    for record, outcome in decided:
        status = QUARANTINED if outcome is None else outcome.status
        reason = "" if outcome is None else str(outcome.reason or "")
        if outcome is not None and status == QUARANTINED:
            db.session.add(
                SyncQuarantine(
                    district_id=node.district_id,
                    school_id=node.school_id,
                    node_id=node.id,
                    bundle_id=bundle.id,
                    change_uuid=record["uuid"],
                    kind="change",
                    reason=reason,
                    raw=json.dumps(record, ensure_ascii=False).encode("utf-8"),
                    created_at=now,
                )
            )
        counts[status] += 1
        result = {"uuid": record["uuid"], "status": status}
        if reason:
            result["reason"] = reason
        results.append(result)
    node.applied_seq = max(node.applied_seq, bundle.manifest["seq_to"])
    row.status = "applied"
    row.raw = None
    row.counts = dict(counts)
    row.receipt = {
        "kind": "receipt",
        "school": school.code,
        "node": node.id,
        "bundle": bundle.id,
        "seq_from": bundle.manifest["seq_from"],
        "seq_to": bundle.manifest["seq_to"],
        "results": results,
    }
    db.session.flush()
    return dict(counts)


def _drain_waiting(node: SyncNode, now) -> None:
    """Bundles that waited for a gap apply, in order, once it is filled."""
    key = keys.load_public(node.public_key)
    while True:
        row = db.session.scalars(
            select(SyncBundle)
            .where(
                SyncBundle.node_id == node.id,
                SyncBundle.status == "waiting",
                SyncBundle.seq_from <= node.applied_seq + 1,
            )
            .order_by(SyncBundle.seq_from)
            .limit(1)
        ).first()
        if row is None:
            return
        bundle = read_bundle(row.raw, lambda _m: key, max_unpacked=_max_unpacked())
        bundle.manifest["seq_from"], bundle.manifest["seq_to"] = row.seq_from, row.seq_to
        _apply_up(bundle, node, row, now)


# -- school copy: the district's bundle -----------------------------------------------------


def _import_down(data: bytes) -> Result:
    local = db.session.get(SyncLocal, 1)
    if local is None:
        raise BundleRefused(_("This copy is not enrolled yet: run «intranet sync init» first."))
    school = db.session.get(School, local.school_id)
    district = db.session.get(District, school.district_id)

    def key_for(manifest: dict[str, Any]):
        if manifest.get("direction") != "down":
            raise BundleRefused(_("This is not a bundle from the district for this copy."))
        if manifest.get("district") != district.uuid:
            raise BundleRefused(_("The bundle's manifest names another district."))
        if manifest.get("school") != school.code:
            raise BundleRefused(
                _(
                    "The bundle's manifest names school %(named)s, but this copy is school "
                    "%(own)s.",
                    named=str(manifest.get("school"))[:40],
                    own=school.code,
                )
            )
        return keys.load_public(local.district_public_key)

    bundle = read_bundle(data, key_for, max_unpacked=_max_unpacked())
    for record in bundle.records:
        if record.get("school", school.code) != school.code:
            raise BundleRefused(
                _(
                    "The bundle carries a record of another school (%(school)s): refused whole.",
                    school=str(record.get("school"))[:40],
                )
            )
        if "district" in record and record["district"] != district.uuid:
            raise BundleRefused(
                _("The bundle carries a record of another district: refused whole.")
            )
    seen = db.session.get(SyncBundle, bundle.id)
    if seen is not None:
        return _seen(seen)
    seq_from = _int(bundle.manifest.get("seq_from"), 1)
    seq_to = _int(bundle.manifest.get("seq_to"), 0)
    if seq_from > local.feed_position + 1:
        raise BundleRefused(
            _(
                "The district's bundle starts after records this copy has not received "
                "(from %(first)s): ask the district for a new bundle.",
                first=local.feed_position + 1,
            )
        )
    now = utcnow()
    counts: Counter[str] = Counter()
    downstream = [r for r in bundle.records if r["kind"] not in ("receipt", "history")]
    for receipt in bundle.records_of("receipt"):
        if receipt.get("node") != local.node_id:
            continue
        counts["receipts"] += 1
        by_state: dict[str, list[str]] = {}
        for result in receipt.get("results") or []:
            state = RECEIPT_STATE.get(result.get("status"), "error")
            by_state.setdefault(state, []).append(result.get("uuid"))
        from intranet.changelog.services import mark_sync_state

        for state, uuids in by_state.items():
            mark_sync_state(uuids, state)
        local.confirmed_seq = max(local.confirmed_seq, _int(receipt.get("seq_to")))
        # The district has bound this node's key: the token has done its work.
        local.enrol_token = ""
    if downstream:
        counts.update(_apply_downstream(downstream, school))
    histories = bundle.records_of("history")
    if histories:
        from intranet.schoolcopy import district_data

        ctx = kinds.Context(school, None, now, bundle.manifest, bundle.attachments, bundle.id)
        with district_data():
            for record in histories:
                counts[digest.apply_history(record, ctx)] += 1
        db.session.expire_all()
    digest.check_on_copy(local, digest.load(bundle.extra.get(DIGEST)))
    local.feed_position = max(local.feed_position, seq_to)
    local.last_import_at = now
    db.session.add(
        SyncBundle(
            id=bundle.id,
            district_id=district.id,
            school_id=school.id,
            direction="down",
            status="applied",
            seq_from=seq_from,
            seq_to=seq_to,
            counts=dict(counts),
            received_at=now,
        )
    )
    db.session.commit()
    return Result("applied", bundle.id, dict(counts))


def _apply_downstream(records: list[dict[str, Any]], school: School) -> dict[str, int]:
    try:
        from sync import downstream
    except ModuleNotFoundError as exc:
        if exc.name != "sync.downstream":
            raise
        raise BundleRefused(
            _(
                "The bundle carries records of an unknown kind: %(kind)s",
                kind=records[0]["kind"][:40],
            )
        ) from None
    from intranet.schoolcopy import district_data

    with district_data():
        applied = downstream.apply(records, school=school)
    return {str(k): int(v) for k, v in (applied or {}).items()}
