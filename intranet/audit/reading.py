"""The audit log as a person reads it: objects named in Russian with a link, people by
name, review steps as themselves, values as the pages show them.

The names come in one query per kind of object on the page (a page holds at most a
hundred entries), never one per entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import url_for
from sqlalchemy import and_, not_, or_, select

from intranet.audit.models import AuditEntry
from intranet.auth.models import User
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.i18n import lazy_gettext as _l
from intranet.i18n import local_time
from intranet.timezones import current_zone_name, zone

REVIEWED = ("roadmap", "submission")

KINDS = {
    "create": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "submit": _l("submitted for review"),
    "return": _l("returned for revision"),
    "accept": _l("accepted"),
    "reopen": _l("changed after acceptance"),
    # One entry for the records a plan publication or a campaign launch created.
    "bulk_create": _l("created in bulk"),
}
OPERATION_LABELS = {"publish": _l("plan published"), "launch": _l("campaign launched")}
_STATE_OF_KIND = {"submit": "submitted", "return": "returned", "accept": "accepted"}

ENTITY_LABELS = {
    "district": _l("district"),
    "school": _l("school"),
    "user": _l("user"),
    "plan": _l("plan"),
    "plan_section": _l("plan section"),
    "plan_item": _l("plan measure"),
    "roadmap": _l("roadmap"),
    "roadmap_item": _l("roadmap measure"),
    "evidence": _l("evidence"),
    "form_template": _l("form"),
    "form_version": _l("form version"),
    "campaign": _l("campaign"),
    "campaign_target": _l("school of a campaign"),
    "submission": _l("form"),
    "vpr_import": _l("ВПР import"),
    "vpr_mark_scale": _l("mark scale"),
    "objectivity_rule": _l("objectivity rule"),
    "objectivity_setting": _l("objectivity settings"),
}

FIELD_LABELS = {
    "name": _l("Name"),
    "short_name": _l("Short name"),
    "code": _l("Code"),
    "title": _l("Title"),
    "text": _l("Measure"),
    "number": _l("Number"),
    "status": _l("Status"),
    "active": _l("Active"),
    "role": _l("Role"),
    "full_name": _l("Full name"),
    "login": _l("Login"),
    "password_hash": _l("Password"),
    "must_change_password": _l("Must change the password"),
    "head_name": _l("Head"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "address": _l("Address"),
    "website": _l("Website"),
    "deadline_text": _l("Deadline"),
    "due_date": _l("Due date"),
    "done_on": _l("Date done"),
    "progress_note": _l("What was done"),
    "school_text": _l("School's wording"),
    "responsible": _l("Responsible"),
    "result": _l("Expected result"),
    "order_number": _l("Order number"),
    "order_date": _l("Order date"),
    "submit_by": _l("Schools submit by"),
    "period_start": _l("Period start"),
    "period_end": _l("Period end"),
    "changed_since_accepted": _l("changed since accepted"),
    "threshold": _l("Threshold"),
    "time_zone": _l("Time zone"),
}


# Bookkeeping a person never types or reads: kept in the log, not shown.
HIDDEN_FIELDS = frozenset(
    {
        "id",
        "uuid",
        "revision",
        "position",
        "deadline",
        "deadline_corrected",
        "field_revisions",
        "head_uuid",
        "district_id",
        "school_id",
        "plan_id",
        "roadmap_id",
        "section_id",
        "plan_item_id",
        "campaign_id",
        "template_id",
        "version_id",
        "item_id",
    }
)


def _value_labels() -> dict[str, str]:
    from intranet.review.models import STATE_LABELS
    from intranet.roadmaps.models import ITEM_STATUS_LABELS

    out = {str(k.value): str(v) for k, v in STATE_LABELS.items()}
    out.update({str(k.value): str(v) for k, v in ITEM_STATUS_LABELS.items()})
    return out


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def shown(value: Any, labels: dict[str, str] | None = None) -> str:
    """A stored value as the pages show it: dates in Russian order, yes/no, «—» for empty."""
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return date.fromisoformat(value).strftime("%d.%m.%Y")
        if _ISO_TIME.match(value):
            try:
                return local_time(datetime.fromisoformat(value))
            except ValueError:
                return value
        if labels and value in labels:
            return labels[value]
        return value
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, list):
        return "; ".join(shown(v, labels) for v in value)
    return str(value)


def kind_of(entry: AuditEntry) -> str:
    """submit, return, accept and reopen are changes of a review state; shown as such."""
    if entry.action == "update" and entry.entity in REVIEWED:
        before, after = entry.before or {}, entry.after or {}
        state = after.get("status")
        for kind, wanted in _STATE_OF_KIND.items():
            if state == wanted:
                return kind
        if state == "draft" and before.get("status") == "accepted":
            return "reopen"
    return entry.action


def kind_filter(kind: str):
    """The SQL condition for one kind of action (the same rule as ``kind_of``)."""
    status = AuditEntry.after["status"].as_string()
    before = AuditEntry.before["status"].as_string()
    reviewed_update = and_(AuditEntry.action == "update", AuditEntry.entity.in_(REVIEWED))
    if kind in _STATE_OF_KIND:
        return and_(reviewed_update, status == _STATE_OF_KIND[kind])
    if kind == "reopen":
        return and_(reviewed_update, status == "draft", before == "accepted")
    if kind == "update":
        review_step = and_(
            reviewed_update,
            or_(
                status.in_(list(_STATE_OF_KIND.values())),
                and_(status == "draft", before == "accepted"),
            ),
        )
        return and_(AuditEntry.action == "update", not_(review_step))
    return AuditEntry.action == kind


def day_range(start: date | None, end: date | None):
    """Entries from the first day to the last, both whole days in the district's zone."""
    tz = zone(current_zone_name())
    conditions = []
    if start:
        conditions.append(AuditEntry.at >= datetime.combine(start, time(), tz))
    if end:
        conditions.append(AuditEntry.at < datetime.combine(end + timedelta(days=1), time(), tz))
    return conditions


@dataclass
class Named:
    text: str
    url: str | None = None


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Row:
    at: datetime
    who: str
    kind: str
    kind_label: str
    what: Named
    changes: list[Change]
    school: str


def _ids(entries, entity: str) -> list[int]:
    return sorted(
        {int(e.entity_id) for e in entries if e.entity == entity and e.entity_id.isdigit()}
    )


def _names(entries) -> dict[tuple[str, str], Named]:
    from intranet.inspections.models import Campaign, FormTemplate, Submission
    from intranet.roadmaps.models import Plan, PlanItem, RoadmapItem, SchoolRoadmap
    from intranet.schools.models import School

    names: dict[tuple[str, str], Named] = {}

    def school_name(short: str, full: str) -> str:
        return short or full

    if ids := _ids(entries, "school"):
        for sid, short, full in db.session.execute(
            select(School.id, School.short_name, School.name).where(School.id.in_(ids))
        ):
            names[("school", str(sid))] = Named(
                _("school %(name)s", name=school_name(short, full)),
                url_for("schools.detail", school_id=sid),
            )
    if ids := _ids(entries, "user"):
        for uid, full_name in db.session.execute(
            select(User.id, User.full_name).where(User.id.in_(ids))
        ):
            names[("user", str(uid))] = Named(
                _("user %(name)s", name=full_name), url_for("users.edit", user_id=uid)
            )
    if ids := _ids(entries, "plan"):
        for pid, title in db.session.execute(select(Plan.id, Plan.title).where(Plan.id.in_(ids))):
            names[("plan", str(pid))] = Named(
                _("plan «%(title)s»", title=title), url_for("plans.detail", plan_id=pid)
            )
    if ids := _ids(entries, "plan_item"):
        for iid, pid, number, text in db.session.execute(
            select(PlanItem.id, PlanItem.plan_id, PlanItem.number, PlanItem.text).where(
                PlanItem.id.in_(ids)
            )
        ):
            names[("plan_item", str(iid))] = Named(
                _("measure %(n)s «%(text)s»", n=number, text=_short(text)),
                url_for("plans.detail", plan_id=pid),
            )
    if ids := _ids(entries, "roadmap"):
        for rid, sid, title, short, full in db.session.execute(
            select(
                SchoolRoadmap.id,
                SchoolRoadmap.school_id,
                Plan.title,
                School.short_name,
                School.name,
            )
            .join(Plan, Plan.id == SchoolRoadmap.plan_id)
            .join(School, School.id == SchoolRoadmap.school_id)
            .where(SchoolRoadmap.id.in_(ids))
        ):
            names[("roadmap", str(rid))] = Named(
                _("roadmap «%(title)s» %(school)s", title=title, school=school_name(short, full)),
                url_for("roadmaps.detail", school_id=sid, roadmap_id=rid),
            )
    if ids := _ids(entries, "roadmap_item"):
        for iid, rid, sid, number, text, short, full in db.session.execute(
            select(
                RoadmapItem.id,
                RoadmapItem.roadmap_id,
                RoadmapItem.school_id,
                RoadmapItem.number,
                RoadmapItem.text,
                School.short_name,
                School.name,
            )
            .join(School, School.id == RoadmapItem.school_id)
            .where(RoadmapItem.id.in_(ids))
        ):
            names[("roadmap_item", str(iid))] = Named(
                _(
                    "measure %(n)s «%(text)s» %(school)s",
                    n=number,
                    text=_short(text),
                    school=school_name(short, full),
                ),
                url_for("roadmaps.detail", school_id=sid, roadmap_id=rid, _anchor=f"item-{iid}"),
            )
    if ids := _ids(entries, "submission"):
        for sub_id, sid, title, short, full in db.session.execute(
            select(
                Submission.id, Submission.school_id, Campaign.title, School.short_name, School.name
            )
            .join(Campaign, Campaign.id == Submission.campaign_id)
            .join(School, School.id == Submission.school_id)
            .where(Submission.id.in_(ids))
        ):
            names[("submission", str(sub_id))] = Named(
                _("form «%(title)s» %(school)s", title=title, school=school_name(short, full)),
                url_for("inspections.fill", school_id=sid, submission_id=sub_id),
            )
    if ids := _ids(entries, "campaign"):
        for cid, title in db.session.execute(
            select(Campaign.id, Campaign.title).where(Campaign.id.in_(ids))
        ):
            names[("campaign", str(cid))] = Named(
                _("campaign «%(title)s»", title=title), url_for("campaigns.detail", campaign_id=cid)
            )
    if ids := _ids(entries, "form_template"):
        for tid, title in db.session.execute(
            select(FormTemplate.id, FormTemplate.title).where(FormTemplate.id.in_(ids))
        ):
            names[("form_template", str(tid))] = Named(
                _("form «%(title)s»", title=title), url_for("forms.detail", template_id=tid)
            )
    return names


def _short(text: str, limit: int = 80) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _fallback_name(entry: AuditEntry) -> Named:
    """An object gone since (deleted) or of a kind without a page: named by the values
    the log kept, never by a bare id."""
    values = entry.before or entry.after or {}
    label = str(ENTITY_LABELS.get(entry.entity, entry.entity.replace("_", " ")))
    for key in ("title", "name", "full_name", "text", "filename", "code"):
        if values.get(key):
            return Named(f"{label} «{_short(str(values[key]))}»")
    return Named(label)


def readable(entries: list[AuditEntry], people: dict[int, str], schools: dict[int, str]):
    names = _names(entries)
    labels = _value_labels()
    rows = []
    for entry in entries:
        kind = kind_of(entry)
        what = names.get((entry.entity, entry.entity_id)) or _fallback_name(entry)
        changes = []
        label = KINDS.get(kind, kind)
        if kind == "bulk_create":
            after = entry.after or {}
            label = OPERATION_LABELS.get(after.get("operation"), label)
            total = _("records created: %(count)s", count=after.get("count", 0))
            changes.append(Change("", "", total))
            for entity, n in (after.get("created") or {}).items():
                changes.append(Change(str(ENTITY_LABELS.get(entity, entity)), "", str(n)))
        elif kind in ("update", "create", "delete"):
            for key, old, new in entry.changed_fields():
                if key in HIDDEN_FIELDS:
                    continue
                changes.append(
                    Change(
                        str(FIELD_LABELS.get(key, key.replace("_", " "))),
                        shown(old, labels),
                        shown(new, labels),
                    )
                )
        who = people.get(entry.actor_id) if entry.actor_id else None
        if who is None:
            who = _("the system") if entry.actor_login in ("", "system") else entry.actor_login
        rows.append(
            Row(
                entry.at,
                who,
                kind,
                str(label),
                what,
                changes,
                schools.get(entry.school_id, ""),
            )
        )
    return rows
