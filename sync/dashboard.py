"""The district's sync dashboard: every enrolled school computer with its last contact,
what is pending either way, the school's conflicts and quarantine, whether it has gone
quiet, and how its last digest compared — schools needing attention first.

Six queries whatever the number of schools: the nodes with their schools, then one
grouped count each for waiting bundles, feed positions, open conflicts and open
quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from intranet.changelog.models import Conflict
from intranet.extensions import db
from intranet.mixins import utcnow
from intranet.schools.models import School
from sync import digest
from sync.downstream import FeedEntry
from sync.models import SyncBundle, SyncNode, SyncQuarantine

DEFAULT_STALE_DAYS = 7
MAX_STALE_DAYS = 365

# Why a school comes first (lower first).
ATTENTION, STALE, FINE = 0, 1, 2


@dataclass
class NodeRow:
    node: SyncNode
    last_contact: datetime | None
    waiting_bundles: int
    unacknowledged: int
    stale: bool
    digest_state: str
    differences: list[dict]

    @property
    def digest_text(self) -> str:
        return digest.state_text(self.digest_state)


@dataclass
class SchoolRow:
    school: School
    nodes: list[NodeRow] = field(default_factory=list)
    conflicts: int = 0
    quarantine: int = 0

    @property
    def rank(self) -> int:
        active = [n for n in self.nodes if not n.node.is_revoked]
        if (
            self.conflicts
            or self.quarantine
            or any(n.digest_state == digest.DIFFER for n in active)
        ):
            return ATTENTION
        if any(n.stale for n in active):
            return STALE
        return FINE

    @property
    def stale_nodes(self) -> int:
        return sum(1 for n in self.nodes if n.stale and not n.node.is_revoked)


def overview(user, stale_days: int = DEFAULT_STALE_DAYS) -> list[SchoolRow]:
    now = utcnow()
    since = now - timedelta(days=stale_days)
    district_id = user.district_id
    found = db.session.execute(
        SyncNode.visible_to(user)
        .add_columns(School)
        .join(School, School.id == SyncNode.school_id)
        .order_by(School.code, SyncNode.enrolled_at)
    ).all()
    waiting = dict(
        db.session.execute(
            select(SyncBundle.node_id, func.count())
            .where(SyncBundle.district_id == district_id, SyncBundle.status == "waiting")
            .group_by(SyncBundle.node_id)
        ).all()
    )
    school_ids = {school.id for _node, school in found}
    positions = dict(
        db.session.execute(
            select(FeedEntry.school_id, func.max(FeedEntry.position))
            .where(FeedEntry.school_id.in_(school_ids or {0}))
            .group_by(FeedEntry.school_id)
        ).all()
    )
    conflicts = dict(
        db.session.execute(
            select(Conflict.school_id, func.count())
            .where(Conflict.district_id == district_id, Conflict.resolved_at.is_(None))
            .group_by(Conflict.school_id)
        ).all()
    )
    quarantine = dict(
        db.session.execute(
            select(SyncQuarantine.school_id, func.count())
            .where(SyncQuarantine.district_id == district_id, SyncQuarantine.released_at.is_(None))
            .group_by(SyncQuarantine.school_id)
        ).all()
    )
    rows: dict[int, SchoolRow] = {}
    for node, school in found:
        row = rows.setdefault(
            school.id,
            SchoolRow(
                school,
                conflicts=conflicts.get(school.id, 0),
                quarantine=quarantine.get(school.id, 0),
            ),
        )
        contact = node.last_bundle_at
        if contact is not None and contact.tzinfo is None:  # SQLite keeps no offset
            contact = contact.replace(tzinfo=UTC)
        row.nodes.append(
            NodeRow(
                node=node,
                last_contact=contact,
                waiting_bundles=waiting.get(node.id, 0),
                unacknowledged=max(0, int(positions.get(school.id) or 0) - node.acked_position),
                stale=contact is None or contact < since,
                digest_state=node.digest_state,
                differences=list(node.digest_diff or []),
            )
        )
    return sorted(rows.values(), key=lambda r: (r.rank, r.school.code))


def stale_days_from(text: str | None) -> int:
    """The page's «not synced for N days» filter: a whole number of days, 1 to a year;
    anything else falls back to the default (and the page says so)."""
    try:
        days = int(str(text or "").strip())
    except ValueError:
        return DEFAULT_STALE_DAYS
    return days if 1 <= days <= MAX_STALE_DAYS else DEFAULT_STALE_DAYS
