"""What the sync stands at, for ``intranet sync status`` and the screens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.schools.models import School
from sync import nodes
from sync.models import SyncBundle, SyncNode, SyncQuarantine


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def district_status(district_id: int | None = None) -> dict[str, Any]:
    stmt = select(SyncNode, School.code).join(School, School.id == SyncNode.school_id)
    if district_id is not None:
        stmt = stmt.where(SyncNode.district_id == district_id)
    waiting = dict(
        db.session.execute(
            select(SyncBundle.node_id, func.count())
            .where(SyncBundle.status == "waiting")
            .group_by(SyncBundle.node_id)
        ).all()
    )
    quarantine = db.session.scalar(
        select(func.count()).select_from(SyncQuarantine).where(SyncQuarantine.released_at.is_(None))
    )
    return {
        "mode": "district",
        "nodes": [
            {
                "node": node.id,
                "school": code,
                "name": node.name,
                "revoked": node.is_revoked,
                "applied_seq": node.applied_seq,
                "confirmed_seq": node.confirmed_seq,
                "feed_position": node.acked_position,
                "last_bundle_at": _iso(node.last_bundle_at),
                "waiting_bundles": waiting.get(node.id, 0),
                "digest": {
                    "state": node.digest_state or None,
                    "checked_at": _iso(node.digest_checked_at),
                    "differences": [d.get("label") for d in node.digest_diff or []],
                },
            }
            for node, code in db.session.execute(stmt.order_by(School.code, SyncNode.enrolled_at))
        ],
        "quarantine_open": quarantine or 0,
    }


def copy_status() -> dict[str, Any]:
    from intranet.changelog.models import Change

    local = nodes.local()
    if local is None:
        return {"mode": "school", "enrolled": False}
    school = db.session.get(School, local.school_id)
    states = dict(
        db.session.execute(
            select(Change.sync_state, func.count())
            .where(Change.school_id == local.school_id, Change.node_id.is_(None))
            .group_by(Change.sync_state)
        ).all()
    )
    return {
        "mode": "school",
        "enrolled": True,
        "school": school.code,
        "node": local.node_id,
        "next_seq": local.next_seq,
        "confirmed_seq": local.confirmed_seq,
        "feed_position": local.feed_position,
        "changes": {k: int(v) for k, v in states.items()},
        "last_export_at": _iso(local.last_export_at),
        "last_import_at": _iso(local.last_import_at),
        "digest": {
            "state": local.digest_state or None,
            "checked_at": _iso(local.digest_checked_at),
            "differences": [d.get("label") for d in local.digest_diff or []],
        },
    }
