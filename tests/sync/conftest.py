"""A district with a launched form and one enrolled school computer; helpers that make
the bundles a school copy would send, and count where each change ended up."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services as forms
from intranet.mixins import new_uuid
from sync import keys, nodes
from sync.bundle import write_bundle
from sync.models import SyncBundle, SyncNode, SyncQuarantine
from tests.inspections.conftest import SCHEMA, launch, submission_of


@dataclass
class Node:
    row: SyncNode
    key: object
    seq: int = 0

    @property
    def id(self) -> str:
        return self.row.id


@dataclass
class SyncWorld:
    district: object
    school: object
    sibling: object
    admin: object
    reviewer: object
    staff: object
    head: object
    campaign: object
    sub: object
    sibling_sub: object
    node: Node
    sibling_node: Node
    # Every change the school made, in the order made (what must never be lost).
    made: list[dict] = field(default_factory=list)
    heads: dict[str, str | None] = field(default_factory=dict)

    def change(
        self,
        key: str,
        value,
        *,
        sub=None,
        saved_at: datetime | None = None,
        node=None,
        parent: str | None | bool = False,
        school: str | None = None,
        author=None,
    ) -> dict:
        """One answer typed on the school copy: a change based on the last one made there."""
        sub = sub or self.sub
        node = node or self.node
        node.seq += 1
        if parent is False:
            parent = self.heads.get(sub.uuid, sub.head_uuid)
        record = {
            "kind": "change",
            "seq": node.seq,
            "uuid": new_uuid(),
            "parent_uuid": parent,
            "school": school or self.school.code,
            "subject_type": "submission",
            "subject_uuid": sub.uuid,
            "field": key,
            "value": value,
            "author_login": (author or self.staff).login,
            "author_name": (author or self.staff).full_name,
            "saved_at": (saved_at or datetime.now(UTC)).isoformat(),
            "node_id": node.id,
        }
        self.heads[sub.uuid] = record["uuid"]
        self.made.append(record)
        return record

    def bundle(self, records: list[dict], *, node=None, key=None, **manifest) -> bytes:
        node = node or self.node
        seqs = [r["seq"] for r in records if "seq" in r]
        values = {
            "direction": "up",
            "district": self.district.uuid,
            "school": self.school.code,
            "node": node.id,
            "seq_from": min(seqs) if seqs else node.seq + 1,
            "seq_to": max(seqs) if seqs else node.seq,
            "feed_position": 0,
            "confirmed_seq": 0,
            "created_at": datetime.now(UTC).isoformat(),
            **manifest,
        }
        return write_bundle(values, records, {}, key or node.key)


def enrol(school, name: str = "") -> Node:
    key = keys.generate()
    row = nodes.enrol_node(school, new_uuid(), keys.public_text(key), name)
    db.session.commit()
    return Node(row, key)


@pytest.fixture
def world(make) -> SyncWorld:
    district = make.district()
    school = make.school(district)
    sibling = make.school(district)
    admin = make.user(Role.DISTRICT_ADMIN, district=district, full_name="Администратор УО")
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district, full_name="Методист")
    staff = make.user(Role.SCHOOL_STAFF, school=school, full_name="Петрова Анна")
    head = make.user(Role.SCHOOL_HEAD, school=school, full_name="Иванов Пётр")
    template = forms.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    forms.publish_version(admin, template.latest)
    campaign = launch(admin, template)
    return SyncWorld(
        district=district,
        school=school,
        sibling=sibling,
        admin=admin,
        reviewer=reviewer,
        staff=staff,
        head=head,
        campaign=campaign,
        sub=submission_of(campaign, school),
        sibling_sub=submission_of(campaign, sibling),
        node=enrol(school, "Секретарь"),
        sibling_node=enrol(sibling),
    )


# -- where each change ended up -------------------------------------------------------------


def fates(uuids: list[str]) -> dict[str, str]:
    """applied | conflict | quarantine | lost, for each change uuid."""
    from intranet.changelog.models import Change

    db.session.expire_all()
    rows = dict(
        db.session.execute(select(Change.uuid, Change.applied).where(Change.uuid.in_(uuids))).all()
    )
    held = set(
        db.session.scalars(
            select(SyncQuarantine.change_uuid).where(SyncQuarantine.change_uuid.in_(uuids))
        )
    )
    for item in db.session.scalars(
        select(SyncQuarantine).where(
            SyncQuarantine.kind == "bundle", SyncQuarantine.released_at.is_(None)
        )
    ):
        held.update(r.get("uuid") for r in _bundle_changes(item.raw))
    result = {}
    for uuid in uuids:
        if uuid in rows:
            result[uuid] = "applied" if rows[uuid] else "conflict"
        elif uuid in held:
            result[uuid] = "quarantine"
        else:
            result[uuid] = "lost"
    return result


def _bundle_changes(data: bytes) -> list[dict]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        body = zf.read("changes.ndjson").decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def assert_nothing_lost(world: SyncWorld) -> dict[str, int]:
    """Every change the school made is applied, in conflict or in quarantine."""
    found = fates([r["uuid"] for r in world.made])
    lost = [u for u, fate in found.items() if fate == "lost"]
    assert lost == [], f"changes lost: {lost}"
    counts: dict[str, int] = {}
    for fate in found.values():
        counts[fate] = counts.get(fate, 0) + 1
    return counts


def snapshot() -> dict[str, int]:
    """Row counts of everything an import may write (to prove a refusal wrote nothing)."""
    from intranet.audit.models import AuditEntry
    from intranet.changelog.models import Change
    from intranet.inspections.models import Submission

    db.session.expire_all()
    return {
        "changes": db.session.scalar(select(func.count()).select_from(Change)),
        "bundles": db.session.scalar(select(func.count()).select_from(SyncBundle)),
        "quarantine": db.session.scalar(select(func.count()).select_from(SyncQuarantine)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
        "revisions": db.session.scalar(select(func.sum(Submission.revision))) or 0,
        "applied_seq": db.session.scalar(select(func.sum(SyncNode.applied_seq))) or 0,
    }
