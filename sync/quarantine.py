"""Quarantine: kept whole with its reason; released by a district admin once its cause
is gone (a change then goes through the same door as when it arrived)."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import select

from intranet.audit.services import writing
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from intranet.schools.models import School
from sync import keys
from sync.bundle import BundleRefused, read_bundle
from sync.changes import apply_change
from sync.models import SyncNode, SyncQuarantine


def open_items(district_id: int, *, released: bool = False) -> list[SyncQuarantine]:
    stmt = select(SyncQuarantine).where(SyncQuarantine.district_id == district_id)
    stmt = stmt.where(
        SyncQuarantine.released_at.is_not(None)
        if released
        else SyncQuarantine.released_at.is_(None)
    )
    return list(db.session.scalars(stmt.order_by(SyncQuarantine.created_at.desc()).limit(500)))


def _records(item: SyncQuarantine) -> list[dict]:
    if item.kind == "change":
        return [json.loads(item.raw)]
    node = db.session.get(SyncNode, item.node_id)
    try:
        bundle = read_bundle(item.raw, lambda _m: keys.load_public(node.public_key))
    except BundleRefused as exc:
        raise Refused(exc.reason) from None
    return bundle.records_of("change")


def release(actor, item: SyncQuarantine) -> dict[str, int]:
    """Apply what the item holds now. When the cause is still there (the change would go
    to quarantine again), nothing changes and the reason is given."""
    if not item.can_release(actor):
        raise Refused(_("This item has already been released."))
    school = db.session.get(School, item.school_id)
    counts: Counter[str] = Counter()
    now = utcnow()
    with writing(actor):
        for record in _records(item):
            outcome = apply_change(record, school=school, node_id=item.node_id, received_at=now)
            if outcome.status == "quarantined":
                db.session.rollback()
                raise Refused(
                    _(
                        "The cause is still there, nothing was applied: %(reason)s",
                        reason=outcome.reason,
                    )
                )
            counts[outcome.status] += 1
        item.released_at = now
        item.released_by_id = actor.id
        item.release_note = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        db.session.commit()
    return dict(counts)
