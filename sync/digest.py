"""Proof of agreement: a digest of a school's content, computed the same way on the
district and on a school's copy, compared after each exchange and repaired by resending.

The digest names every record the school works on — each submission, each roadmap and
roadmap item (the district's and the school's own), each piece of evidence — with its head
change (the last change applied to it) and the SHA-256 of its current values as canonical
JSON, plus a short hash per field so a difference can be named down to the question. The
root is the SHA-256 of the sorted (record, value hash) pairs: two sides agree when their
values agree. Heads are not part of the root: two PCs of one school that merged each
other's edits hold the same values with their changes applied in a different order, and
the merge rules depend on each side keeping its own order.

A school's bundle carries the copy's digest (``digest.json``); the district compares it
with its own on import and keeps the result on the node. The district's next bundle
carries its digest and, for each record that differs, that record's history (its
changes, applied by the normal rules: already-known ones are skipped by id) and values;
the copy compares in turn and sends the history of what the district lacks or holds
differently in its next bundle. A side that receives a record's history and still holds
other values than the sender rebuilds the record from its own change log (a row edited
behind the log's back is put right); a copy also takes the district's review state and,
for fields its log never changed, the district's values (the district made them).

What is still on its way (changes not yet delivered, either direction) is "pending", never
a difference; an open conflict or a change held in quarantine is a difference with its
reason, which resending cannot repair.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select

from intranet.changelog.models import Change, Conflict, SyncState
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow

AGREE = "agree"
PENDING = "pending"
DIFFER = "differ"

# Why a record differs (``reason`` of a difference).
VALUES = "values"  # both hold it, with other values
ONLY_SCHOOL = "only_school"  # the school's copy holds it, the district does not
ONLY_DISTRICT = "only_district"  # the district holds it, the copy does not
CONFLICT = "conflict"  # an open conflict waits for a reviewer
QUARANTINE = "quarantine"  # a change of it waits in the district's quarantine
# Differences that resending a record's history can repair.
REPAIRABLE = (VALUES, ONLY_SCHOOL, ONLY_DISTRICT)


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    ).encode("utf-8")


def _plain(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def value_hash(values: Any) -> str:
    return hashlib.sha256(_canonical(values)).hexdigest()


def _short(value: Any) -> str:
    return hashlib.sha256(_canonical(value)).hexdigest()[:16]


# -- what a record's values are -------------------------------------------------------------


def _submission_values(status: str, answers: dict | None) -> dict[str, Any]:
    return {"status": status, "answers": answers or {}}


def _item_values(item) -> dict[str, Any]:
    from intranet.roadmaps import changes as item_changes

    return item_changes.values_of(item)


def _evidence_values(evidence, item_uuid: str) -> dict[str, Any]:
    return {
        "item": item_uuid,
        "url": evidence.url or "",
        "filename": evidence.filename or "",
        "content_type": evidence.content_type or "",
        "size": int(evidence.size or 0),
        "sha256": evidence.sha256 or "",
    }


def _fields(kind: str, values: dict[str, Any]) -> dict[str, str]:
    if kind == "submission":
        fields = {"_status": _short(values["status"])}
        fields.update({f"a:{k}": _short(v) for k, v in values["answers"].items()})
        return fields
    if kind == "roadmap":
        return {"_status": _short(values["status"])}
    if kind == "item":
        return {k: _short(v) for k, v in values.items()}
    return {}


def record_values(school_id: int) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
    """{record key: (kind, head change uuid, values)} of the school's content: four
    queries whatever the number of records."""
    from intranet.inspections.models import Submission
    from intranet.roadmaps.models import Evidence, RoadmapItem, SchoolRoadmap

    out: dict[str, tuple[str, str | None, dict[str, Any]]] = {}
    for uuid, status, answers, head in db.session.execute(
        select(Submission.uuid, Submission.status, Submission.answers, Submission.head_uuid).where(
            Submission.school_id == school_id
        )
    ):
        out[f"submission:{uuid}"] = ("submission", head, _submission_values(status, answers))
    roadmaps = dict(
        db.session.execute(
            select(SchoolRoadmap.id, SchoolRoadmap.uuid).where(SchoolRoadmap.school_id == school_id)
        ).all()
    )
    for uuid, status in db.session.execute(
        select(SchoolRoadmap.uuid, SchoolRoadmap.status).where(SchoolRoadmap.school_id == school_id)
    ):
        out[f"roadmap:{uuid}"] = ("roadmap", None, {"status": status})
    item_uuids: dict[int, str] = {}
    for item in db.session.scalars(
        select(RoadmapItem).where(
            RoadmapItem.school_id == school_id, RoadmapItem.roadmap_id.in_(list(roadmaps) or [0])
        )
    ):
        item_uuids[item.id] = item.uuid
        out[f"item:{item.uuid}"] = ("item", item.head_uuid, _item_values(item))
    for evidence in db.session.scalars(select(Evidence).where(Evidence.school_id == school_id)):
        if evidence.item_id in item_uuids:
            values = _evidence_values(evidence, item_uuids[evidence.item_id])
            out[f"evidence:{evidence.uuid}"] = ("evidence", None, values)
    return out


def compute(school_id: int) -> dict[str, Any]:
    """The school's digest: {"root", "records": {key: {"h": head, "v": hash, "f": {field:
    short hash}}}}."""
    records: dict[str, dict[str, Any]] = {}
    for key, (kind, head, values) in record_values(school_id).items():
        records[key] = {"h": head, "v": value_hash(values), "f": _fields(kind, values)}
    return {"root": root_of(records), "records": records}


def root_of(records: dict[str, dict[str, Any]]) -> str:
    basis = "\n".join(f"{key} {records[key]['v']}" for key in sorted(records))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def dump(digest: dict[str, Any]) -> bytes:
    return _canonical(digest)


def load(data: bytes | None) -> dict[str, Any] | None:
    """The digest a bundle carries, or None when it carries none (or an unreadable one:
    the proof is then simply not made this time)."""
    if not data:
        return None
    try:
        digest = json.loads(data)
    except ValueError:
        return None
    if not isinstance(digest, dict) or not isinstance(digest.get("root"), str):
        return None
    records = digest.get("records")
    if records is not None and not (
        isinstance(records, dict)
        and all(isinstance(r, dict) and isinstance(r.get("v"), str) for r in records.values())
    ):
        return None
    return digest


# -- comparing ------------------------------------------------------------------------------


def compare(
    school_side: dict[str, Any],
    district_side: dict[str, Any],
    *,
    pending: set[str],
    explained: dict[str, str],
) -> list[dict[str, Any]]:
    """The records that differ: [{"key", "reason", "fields"}], sorted by key. ``pending``
    records are on their way and skipped; ``explained`` ones carry their reason."""
    mine, theirs = school_side["records"], district_side["records"]
    out = []
    for key in sorted(set(mine) | set(theirs)):
        a, b = mine.get(key), theirs.get(key)
        if a is not None and b is not None and a["v"] == b["v"]:
            continue
        if key in pending:
            continue
        if key in explained:
            reason = explained[key]
        elif b is None:
            reason = ONLY_SCHOOL
        elif a is None:
            reason = ONLY_DISTRICT
        else:
            reason = VALUES
        fields: list[str] = []
        if a is not None and b is not None:
            fa, fb = a.get("f") or {}, b.get("f") or {}
            fields = sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))
        out.append({"key": key, "reason": reason, "fields": fields})
    return out


def state_of(differences: list[dict[str, Any]], pending: set[str]) -> str:
    if differences:
        return DIFFER
    return PENDING if pending else AGREE


def _subject_key(subject_type: str, subject_uuid: str) -> str:
    return {"submission": "submission", "roadmap": "roadmap", "roadmap_item": "item"}.get(
        subject_type, subject_type
    ) + f":{subject_uuid}"


def _evidence_keys_of_items(school_id: int, item_keys: set[str]) -> set[str]:
    """Evidence records follow their item: what is pending for an item is for them too."""
    from intranet.roadmaps.models import Evidence, RoadmapItem

    uuids = [k.split(":", 1)[1] for k in item_keys if k.startswith("item:")]
    if not uuids:
        return set()
    return {
        f"evidence:{u}"
        for u in db.session.scalars(
            select(Evidence.uuid)
            .join(RoadmapItem, RoadmapItem.id == Evidence.item_id)
            .where(Evidence.school_id == school_id, RoadmapItem.uuid.in_(uuids))
        )
    }


def _with_evidence(school_id: int, keys: set[str]) -> set[str]:
    """``keys`` plus the evidence of the items among them (evidence follows its item)."""
    return keys | _evidence_keys_of_items(school_id, keys)


# -- district side ---------------------------------------------------------------------------


def _pending_down(school, node_id: str, position: int) -> set[str]:
    """Records whose district state the node had not received at feed ``position``: the
    feed's entries past it, and what the feed does not hold yet (changes not made by the
    node, review decisions, newly born submissions and roadmaps)."""
    from intranet.review.models import ReviewEvent
    from sync.downstream import FeedEntry

    keys: set[str] = set()
    for kind, payload in db.session.execute(
        select(FeedEntry.kind, FeedEntry.payload).where(
            FeedEntry.school_id == school.id, FeedEntry.position > position
        )
    ):
        if kind == "change" and ((payload or {}).get("change") or {}).get("node_id") == node_id:
            continue  # the node's own change: it holds it
        keys.update(_feed_keys(kind, payload or {}))
    fed = (
        select(FeedEntry.id)
        .where(FeedEntry.school_id == school.id, FeedEntry.kind == "change")
        .where(FeedEntry.key == Change.uuid, FeedEntry.position <= position)
    )
    for subject_type, subject_uuid in db.session.execute(
        select(Change.subject_type, Change.subject_uuid)
        .where(
            Change.school_id == school.id,
            Change.applied.is_(True),
            or_(Change.node_id.is_(None), Change.node_id != node_id),
            ~exists(fed),
        )
        .distinct()
    ):
        keys.add(_subject_key(subject_type, subject_uuid))
    events_fed = select(FeedEntry.id).where(
        FeedEntry.school_id == school.id,
        FeedEntry.kind == "review_event",
        FeedEntry.key == ReviewEvent.uuid,
        FeedEntry.position <= position,
    )
    unfed = list(
        db.session.execute(
            select(ReviewEvent.subject_type, ReviewEvent.subject_id)
            .where(
                ReviewEvent.school_id == school.id,
                ReviewEvent.action.in_(["return", "accept", "comment"]),
                ~exists(events_fed),
            )
            .distinct()
        )
    )
    keys.update(_keys_of_ids(unfed))
    keys.update(_unborn(school, position))
    return _with_evidence(school.id, keys)


def _feed_keys(kind: str, payload: dict[str, Any]) -> set[str]:
    if kind in ("change", "resolution"):
        change = payload.get("change") or {}
        return {_subject_key(change.get("subject_type", ""), change.get("subject_uuid", ""))}
    if kind == "review_event":
        event = payload.get("event") or {}
        return {_subject_key(event.get("subject_type", ""), payload.get("subject_uuid") or "")}
    tables = payload.get("tables") or {}
    keys = {f"submission:{r.get('uuid')}" for r in tables.get("submissions", [])}
    keys.update(f"roadmap:{r.get('uuid')}" for r in tables.get("school_roadmaps", []))
    keys.update(f"item:{r.get('uuid')}" for r in tables.get("roadmap_items", []))
    return keys


def _keys_of_ids(pairs) -> set[str]:
    from intranet.inspections.models import Submission
    from intranet.roadmaps.models import SchoolRoadmap

    by_type: dict[str, set[int]] = defaultdict(set)
    for subject_type, subject_id in pairs:
        by_type[subject_type].add(subject_id)
    keys: set[str] = set()
    if by_type.get("submission"):
        keys.update(
            f"submission:{u}"
            for u in db.session.scalars(
                select(Submission.uuid).where(Submission.id.in_(by_type["submission"]))
            )
        )
    if by_type.get("roadmap"):
        keys.update(
            f"roadmap:{u}"
            for u in db.session.scalars(
                select(SchoolRoadmap.uuid).where(SchoolRoadmap.id.in_(by_type["roadmap"]))
            )
        )
    return keys


def _unborn(school, position: int) -> set[str]:
    """Submissions and roadmaps (with their items) the feed has not carried by
    ``position``: launched or published after the node last heard from the district."""
    from intranet.inspections.models import Campaign, Submission
    from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap
    from sync.downstream import FeedEntry

    def fed(kind: str, key_column):
        return exists(
            select(FeedEntry.id).where(
                FeedEntry.school_id == school.id,
                FeedEntry.kind == kind,
                FeedEntry.key == key_column,
                FeedEntry.position <= position,
            )
        )

    keys = {
        f"submission:{u}"
        for u in db.session.scalars(
            select(Submission.uuid)
            .join(Campaign, Campaign.id == Submission.campaign_id)
            .where(Submission.school_id == school.id, ~fed("campaign", Campaign.uuid))
        )
    }
    for roadmap_uuid, item_uuid in db.session.execute(
        select(SchoolRoadmap.uuid, RoadmapItem.uuid)
        .outerjoin(
            RoadmapItem,
            and_(RoadmapItem.roadmap_id == SchoolRoadmap.id, RoadmapItem.plan_item_id.is_not(None)),
        )
        .where(SchoolRoadmap.school_id == school.id, ~fed("roadmap", SchoolRoadmap.uuid))
    ):
        keys.add(f"roadmap:{roadmap_uuid}")
        if item_uuid:
            keys.add(f"item:{item_uuid}")
    return keys


def _explained_district(school, node_id: str) -> dict[str, str]:
    """Records of the school with an open conflict, or with a change of the node held in
    quarantine: their difference has a reason that resending does not remove."""
    from sync.models import SyncQuarantine

    explained: dict[str, str] = {}
    for subject_type, subject_uuid in db.session.execute(
        select(Change.subject_type, Change.subject_uuid)
        .join(Conflict, Conflict.incoming_id == Change.id)
        .where(Conflict.school_id == school.id, Conflict.resolved_at.is_(None))
        .distinct()
    ):
        explained[_subject_key(subject_type, subject_uuid)] = CONFLICT
    for (raw,) in db.session.execute(
        select(SyncQuarantine.raw).where(
            SyncQuarantine.school_id == school.id,
            SyncQuarantine.released_at.is_(None),
            SyncQuarantine.kind == "change",
        )
    ):
        try:
            change = json.loads(raw)
        except ValueError:
            continue
        if isinstance(change, dict) and change.get("subject_uuid"):
            key = _subject_key(str(change.get("subject_type")), str(change["subject_uuid"]))
            explained.setdefault(key, QUARANTINE)
    return explained


def check_on_district(node, school, digest: dict[str, Any] | None, position: int) -> None:
    """Compare a node's digest (from its bundle, just applied) with the district's and
    keep the result on the node. A digest of only a root stands for the district's own
    digest the node last received, when the roots agree."""
    if digest is None:
        return
    if digest.get("records") is None:
        sent = node.digest_sent or {}
        if sent.get("root") != digest["root"] or sent.get("records") is None:
            return  # the node holds something else: its next bundle carries the records
        digest = {"root": digest["root"], "records": sent["records"]}
    own = compute(school.id)
    if digest["root"] == own["root"]:
        pending, differences = set(), []  # the common case: nothing to look into
    else:
        pending = _pending_down(school, node.id, position)
        explained = _explained_district(school, node.id)
        differences = compare(digest, own, pending=pending, explained=explained)
    node.digest_state = state_of(differences, pending & _differing(digest, own))
    node.digest_diff = describe(differences, school.id)
    node.digest_checked_at = utcnow()


def _differing(one: dict[str, Any], other: dict[str, Any]) -> set[str]:
    a, b = one["records"], other["records"]
    return {k for k in set(a) | set(b) if (a.get(k) or {}).get("v") != (b.get(k) or {}).get("v")}


def _repairs(nodes: list) -> set[str]:
    """The records the nodes reported as different in a way a history repairs."""
    return {
        difference["key"]
        for node in nodes
        for difference in node.digest_diff or []
        if difference.get("reason") in REPAIRABLE
    }


def repairs_wanted(nodes: list) -> bool:
    """Whether a district bundle for these nodes would carry histories (their digests
    named records to repair)."""
    return bool(_repairs(nodes))


def for_district_bundle(school, nodes: list) -> tuple[bytes, list[dict[str, Any]]]:
    """What a district bundle carries for the proof: its digest (with the records the
    nodes reported as different) and the history of those records; remembered on the
    nodes as sent."""
    digest = compute(school.id)
    repair = _repairs(nodes)
    if nodes and all(
        n.digest_state == AGREE and (n.digest_sent or {}).get("root") == digest["root"]
        for n in nodes
    ):
        # Every node holds these very values and knows it: the root says it all.
        return dump({"root": digest["root"], "records": None, "differ": []}), []
    digest["differ"] = sorted(repair)
    for node in nodes:
        node.digest_sent = {"root": digest["root"], "records": digest["records"]}
    return dump(digest), histories(school, repair, district=True)


# -- histories: resending a record -----------------------------------------------------------


def _subjects(school_id: int, keys: set[str]) -> dict[tuple[str, str], set[str]]:
    """{(subject type, subject uuid): record keys} whose history repairs ``keys`` (an
    evidence record is repaired by its item's history)."""
    from intranet.roadmaps.models import Evidence, RoadmapItem

    subjects: dict[tuple[str, str], set[str]] = defaultdict(set)
    evidence = []
    for key in keys:
        kind, _sep, uuid = key.partition(":")
        if kind == "submission":
            subjects[("submission", uuid)].add(key)
        elif kind == "roadmap":
            subjects[("roadmap", uuid)].add(key)
        elif kind == "item":
            subjects[("roadmap_item", uuid)].add(key)
        elif kind == "evidence":
            evidence.append(uuid)
    if evidence:
        for evidence_uuid, item_uuid in db.session.execute(
            select(Evidence.uuid, RoadmapItem.uuid)
            .join(RoadmapItem, RoadmapItem.id == Evidence.item_id)
            .where(Evidence.school_id == school_id, Evidence.uuid.in_(evidence))
        ):
            subjects[("roadmap_item", item_uuid)].add(f"evidence:{evidence_uuid}")
        # Evidence this side does not hold: its item is found through the change log.
        for value, subject_uuid in db.session.execute(
            select(Change.value, Change.subject_uuid).where(
                Change.school_id == school_id, Change.field == "evidence.add"
            )
        ):
            if isinstance(value, dict) and value.get("uuid") in evidence:
                subjects[("roadmap_item", subject_uuid)].add(f"evidence:{value['uuid']}")
    return subjects


def histories(school, keys: set[str], *, district: bool) -> list[dict[str, Any]]:
    """One "history" record per subject: its applied changes in this side's order, its
    values here, and the hashes of its records here."""
    from intranet.changelog.services import to_wire

    if not keys:
        return []
    subjects = _subjects(school.id, keys)
    if not subjects:
        return []
    values = record_values(school.id)
    uuids = [uuid for _type, uuid in subjects]
    by_subject: dict[str, list[Change]] = defaultdict(list)
    for change in db.session.scalars(
        select(Change)
        .where(
            Change.school_id == school.id,
            Change.subject_uuid.in_(uuids),
            Change.applied.is_(True),
        )
        .order_by(Change.id)
    ):
        by_subject[change.subject_uuid].append(change)
    out = []
    for (subject_type, subject_uuid), record_keys in sorted(subjects.items()):
        hashes = {k: value_hash(values[k][2]) if k in values else None for k in record_keys}
        own_key = _subject_key(subject_type, subject_uuid)
        if not by_subject.get(subject_uuid) and own_key not in values:
            continue  # nothing of it here: the other side's history will bring it
        out.append(
            {
                "kind": "history",
                "school": school.code,
                "from": "district" if district else "school",
                "subject_type": subject_type,
                "subject_uuid": subject_uuid,
                "changes": [to_wire(c, school.code) for c in by_subject.get(subject_uuid, [])],
                "values": values[own_key][2] if own_key in values else None,
                "hashes": hashes,
            }
        )
    return out


def apply_history(record: dict[str, Any], ctx) -> str:
    """Apply one record's history from the other side: its changes by the normal rules
    (known ones skipped by id), then, if this side still holds other values, the record
    rebuilt from this side's own change log. Returns "repaired" or "known"."""
    from intranet.audit.services import acting
    from intranet.changelog.services import apply_incoming
    from sync.mode import is_school_copy

    school = ctx.school
    on_copy = is_school_copy()
    held = set() if on_copy else _held(school.id, record)
    changed = False
    with acting(None):
        for wire in record.get("changes") or []:
            if not isinstance(wire, dict) or wire.get("uuid") in held:
                continue
            origin_node = wire.get("node_id") or ("district" if on_copy else ctx.node_id)
            outcome = apply_incoming(
                wire,
                school=school,
                node_id=origin_node,
                received_at=ctx.received_at,
                attachments=ctx.attachments,
            )
            if outcome.status in ("applied", "merged", "conflict"):
                changed = True
            elif outcome.status == "quarantined" and not on_copy:
                _quarantine(wire, outcome.reason, ctx)
        db.session.flush()
        hashes = record.get("hashes") or {}
        values = record_values(school.id)
        if any(
            expected and (k not in values or value_hash(values[k][2]) != expected)
            for k, expected in hashes.items()
        ):
            changed = _rebuild(record, school, district_values=on_copy) or changed
    return "repaired" if changed else "known"


def _held(school_id: int, record: dict[str, Any]) -> set[str]:
    from sync.models import SyncQuarantine

    uuids = [w.get("uuid") for w in record.get("changes") or [] if isinstance(w, dict)]
    if not uuids:
        return set()
    return set(
        db.session.scalars(
            select(SyncQuarantine.change_uuid).where(
                SyncQuarantine.school_id == school_id,
                SyncQuarantine.change_uuid.in_(uuids),
                SyncQuarantine.released_at.is_(None),
            )
        )
    )


def _quarantine(wire: dict[str, Any], reason: str, ctx) -> None:
    from sync.models import SyncQuarantine

    db.session.add(
        SyncQuarantine(
            district_id=ctx.school.district_id,
            school_id=ctx.school.id,
            node_id=ctx.node_id,
            bundle_id=ctx.bundle_id,
            change_uuid=wire.get("uuid"),
            kind="change",
            reason=reason,
            raw=json.dumps(wire, ensure_ascii=False).encode("utf-8"),
            created_at=ctx.received_at,
        )
    )


def _applied_values(subject_id: int, subject_type: str) -> list[tuple[str, Any]]:
    """(field, value) of the record's applied field changes, in this side's order."""
    return list(
        db.session.execute(
            select(Change.field, Change.value)
            .where(
                Change.subject_type == subject_type,
                Change.subject_id == subject_id,
                Change.applied.is_(True),
                Change.number.is_not(None),
            )
            .order_by(Change.id)
        ).all()
    )


def _rebuild(record: dict[str, Any], school, *, district_values: bool) -> bool:
    """Put the record's row right from this side's change log (and on a copy, from the
    district's review state and the values no change ever touched)."""
    subject_type, uuid = record.get("subject_type"), record.get("subject_uuid")
    theirs = record.get("values") if isinstance(record.get("values"), dict) else None
    if subject_type == "submission":
        from intranet.inspections.models import Submission

        row = db.session.scalar(
            select(Submission).where(Submission.uuid == uuid, Submission.school_id == school.id)
        )
        if row is None:
            return False
        answers = dict(row.answers or {})
        for field, value in _applied_values(row.id, "submission"):
            if field.startswith("_"):
                continue
            parts = field.split(".")
            if len(parts) == 3 and isinstance(answers.get(parts[0]), list):
                answers[parts[0]] = [
                    {**r, parts[2]: value} if isinstance(r, dict) and r.get("id") == parts[1] else r
                    for r in answers[parts[0]]
                ]
            elif len(parts) != 3:
                answers[field] = value
        changed = answers != (row.answers or {})
        if changed:
            row.answers = answers
        if district_values and theirs and theirs.get("status") and theirs["status"] != row.status:
            row.status, changed = theirs["status"], True
        db.session.flush()
        return changed
    if subject_type == "roadmap":
        from intranet.roadmaps.models import SchoolRoadmap

        row = db.session.scalar(
            select(SchoolRoadmap).where(
                SchoolRoadmap.uuid == uuid, SchoolRoadmap.school_id == school.id
            )
        )
        if row is None or not (district_values and theirs and theirs.get("status")):
            return False
        if row.status == theirs["status"]:
            return False
        row.status = theirs["status"]
        db.session.flush()
        return True
    if subject_type == "roadmap_item":
        from intranet.roadmaps import changes as item_changes
        from intranet.roadmaps.models import RoadmapItem

        item = db.session.scalar(
            select(RoadmapItem).where(RoadmapItem.uuid == uuid, RoadmapItem.school_id == school.id)
        )
        if item is None:
            return False
        logged: dict[str, Any] = {}
        for field, value in _applied_values(item.id, "roadmap_item"):
            if field in item_changes.FIELDS:
                logged[field] = value
        before = item_changes.values_of(item)
        for name in item_changes.FIELDS:
            if name in logged:
                item_changes.set_value(item, name, logged[name])
            elif district_values and theirs and name in theirs:
                item_changes.set_value(item, name, theirs[name])
        changed = item_changes.values_of(item) != before
        db.session.flush()
        return changed
    return False


# -- copy side -------------------------------------------------------------------------------


def _pending_up(school_id: int) -> tuple[set[str], dict[str, str]]:
    """On a copy: records with changes made here the district has not confirmed
    (pending), and those with a change the district put in conflict or quarantine."""
    pending: set[str] = set()
    explained: dict[str, str] = {}
    for subject_type, subject_uuid, state in db.session.execute(
        select(Change.subject_type, Change.subject_uuid, Change.sync_state)
        .where(
            Change.school_id == school_id,
            Change.node_id.is_(None),
            Change.sync_state.in_(
                [
                    SyncState.UNSENT.value,
                    SyncState.SENT.value,
                    SyncState.CONFLICT.value,
                    SyncState.ERROR.value,
                ]
            ),
        )
        .distinct()
    ):
        key = _subject_key(subject_type, subject_uuid)
        if state in (SyncState.UNSENT.value, SyncState.SENT.value):
            pending.add(key)
        elif state == SyncState.CONFLICT.value:
            explained[key] = CONFLICT
        else:
            explained.setdefault(key, QUARANTINE)
    for subject_type, subject_uuid in db.session.execute(
        select(Change.subject_type, Change.subject_uuid)
        .join(Conflict, Conflict.incoming_id == Change.id)
        .where(Conflict.school_id == school_id, Conflict.resolved_at.is_(None))
        .distinct()
    ):
        explained[_subject_key(subject_type, subject_uuid)] = CONFLICT
    pending = _with_evidence(school_id, pending)
    return pending, explained


def check_on_copy(local, digest: dict[str, Any] | None) -> None:
    """Compare the copy's digest with the district's (from its bundle, just applied) and
    keep the result: the «Синхронизация» page shows it, and the next bundle resends what
    the district lacks or holds differently."""
    if digest is None:
        return
    if digest.get("records") is None:
        # Only a root: the district holds what it last sent in full.
        if digest["root"] == local.digest_seen_root == compute(local.school_id)["root"]:
            local.digest_state, local.digest_diff = AGREE, []
            local.digest_checked_at = utcnow()
        return
    own = compute(local.school_id)
    if digest["root"] == own["root"]:
        pending, differences = set(), []
    else:
        pending, explained = _pending_up(local.school_id)
        differences = compare(own, digest, pending=pending, explained=explained)
    local.digest_state = state_of(differences, pending & _differing(own, digest))
    local.digest_diff = describe(differences, local.school_id)
    local.digest_checked_at = utcnow()
    local.digest_seen_root = digest["root"]


def for_school_bundle(local, school) -> tuple[bytes, list[dict[str, Any]]]:
    """What a copy's bundle carries for the proof: its digest (only the root when it
    equals what the district last sent and agreed) and the history of the records that
    differed at the last exchange."""
    digest = compute(local.school_id)
    if digest["root"] == local.digest_seen_root and local.digest_state == AGREE:
        digest = {"root": digest["root"], "records": None}
    repair = {
        d["key"] for d in local.digest_diff or [] if d.get("reason") in REPAIRABLE and d.get("key")
    }
    digest["position"] = local.feed_position
    return dump(digest), histories(school, repair, district=False)


# -- words -----------------------------------------------------------------------------------


def reason_text(reason: str) -> str:
    texts = {
        VALUES: _("values differ"),
        ONLY_SCHOOL: _("only on the school's computer"),
        ONLY_DISTRICT: _("only at the district"),
        CONFLICT: _("a conflict waits for a reviewer"),
        QUARANTINE: _("a change waits in the district's quarantine"),
    }
    return texts.get(reason, reason)


def state_text(state: str) -> str:
    return {
        AGREE: _("the data match the district's"),
        PENDING: _("changes are on their way"),
        DIFFER: _("the data differ"),
    }.get(state, _("not compared yet"))


def describe(differences: list[dict[str, Any]], school_id: int) -> list[dict[str, Any]]:
    """Each difference with its record named as people know it (Russian), e.g. «форма
    «Самообследование ВСОКО»: ответ на вопрос «Число наблюдателей»»."""
    from intranet.changelog.conflicts import _ITEM_LABELS
    from intranet.inspections.models import Submission
    from intranet.roadmaps.models import Evidence, RoadmapItem, SchoolRoadmap

    uuids: dict[str, set[str]] = defaultdict(set)
    for d in differences:
        kind, _sep, uuid = d["key"].partition(":")
        uuids[kind].add(uuid)

    def by_uuid(model, kind: str) -> dict[str, Any]:
        """The school's records of one kind that the differences name, by uuid."""
        if not uuids[kind]:
            return {}
        return {
            r.uuid: r
            for r in db.session.scalars(
                select(model).where(model.school_id == school_id, model.uuid.in_(uuids[kind]))
            )
        }

    submissions = by_uuid(Submission, "submission")
    roadmaps = by_uuid(SchoolRoadmap, "roadmap")
    items = by_uuid(RoadmapItem, "item")
    evidence = by_uuid(Evidence, "evidence")
    out = []
    for d in differences:
        kind, _sep, uuid = d["key"].partition(":")
        labels: list[str] = []
        if kind == "submission":
            sub = submissions.get(uuid)
            title = sub.campaign.title if sub else _("a form")
            record = _("form «%(title)s»", title=title)
            specs = sub.specs if sub else {}
            for field in d["fields"] or [None]:
                if field is None:
                    labels.append(record)
                elif field == "_status":
                    labels.append(_("%(record)s: review state", record=record))
                else:
                    key = field[2:].split(".")[0]
                    question = (specs.get(key) or {}).get("label") or key
                    labels.append(
                        _("%(record)s: answer to «%(question)s»", record=record, question=question)
                    )
        elif kind == "roadmap":
            roadmap = roadmaps.get(uuid)
            title = roadmap.plan.title if roadmap else _("a roadmap")
            record = _("roadmap «%(title)s»", title=title)
            labels.append(_("%(record)s: review state", record=record) if d["fields"] else record)
        elif kind == "item":
            item = items.get(uuid)
            title = f"{item.number} {item.text[:60]}".strip() if item else _("a measure")
            record = _("measure «%(title)s»", title=title)
            if d["fields"]:
                names = ", ".join(str(_ITEM_LABELS.get(f, f)) for f in d["fields"])
                labels.append(f"{record}: {names}")
            else:
                labels.append(record)
        else:
            found = evidence.get(uuid)
            labels.append(_("evidence «%(title)s»", title=found.title if found else uuid[:8]))
        out.append({**d, "label": "; ".join(labels), "reason_text": reason_text(d["reason"])})
    return out


def _register() -> None:
    from sync import kinds

    kinds.register("history", apply_history)


_register()
