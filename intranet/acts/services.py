"""Composing, issuing and correcting control acts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from intranet.acts.models import (
    DRAFT_FIELDS,
    ActCounter,
    ActStatus,
    ControlAct,
    ControlForm,
    Finding,
    content_hash,
)
from intranet.audit.services import writing
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.i18n import local_time
from intranet.mixins import utcnow
from intranet.review.models import ReviewAction, ReviewEvent, Version
from intranet.roadmaps.models import (
    ItemStatus,
    Plan,
    PlanStatus,
    RoadmapItem,
    SchoolRoadmap,
)
from intranet.schools.models import School


def today_local() -> date:
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _ru(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


# -- prefill --------------------------------------------------------------------------------


@dataclass
class Prefill:
    items: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.sources


def _accepted_versions(school_id: int, subject_type: str) -> dict[int, Version]:
    """{subject id: the version the district last accepted} for one school."""
    rows = db.session.execute(
        select(ReviewEvent.subject_id, Version)
        .join(Version, Version.id == ReviewEvent.version_id)
        .where(
            ReviewEvent.school_id == school_id,
            ReviewEvent.subject_type == subject_type,
            ReviewEvent.action == ReviewAction.ACCEPT.value,
        )
        .order_by(ReviewEvent.id)
    ).all()
    return {subject_id: version for subject_id, version in rows}


def _source(kind: str, subject_id: int, title: str, version: Version) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": subject_id,
        "title": title,
        "version": version.number,
        "version_uuid": version.uuid,
        "at": _ru(version.saved_at.date() if version.saved_at else None),
    }


def _answer_items(title: str, content: dict[str, dict[str, Any]], label: str) -> list[dict]:
    yes, no = _("yes"), _("no")
    items: list[dict] = []
    tables: dict[str, tuple[str, set[str]]] = {}
    for key, entry in content.items():
        if "." in key:  # a table cell: "table.row.column"
            table, row, _col = key.split(".", 2)
            name = str(entry.get("label", "")).split(" — ")[0]
            tables.setdefault(table, (name, set()))[1].add(row)
            continue
        value = entry.get("value")
        if value == yes:
            finding = Finding.COMPLIES
        elif value == no:
            finding = Finding.FAILS
        elif value in (None, ""):
            finding = Finding.PARTLY
        else:
            finding = Finding.COMPLIES
        note = (
            _("The school answered: %(value)s", value=value)
            if value not in (None, "")
            else _("No answer was given.")
        )
        items.append(
            {
                "topic": str(entry.get("label", key)),
                "finding": finding.value,
                "note": note,
                "source": label,
            }  # fmt: skip
        )
    for name, rows in tables.values():
        items.append(
            {
                "topic": name,
                "finding": Finding.COMPLIES.value,
                "note": _("The school filled in a table of %(n)d rows.", n=len(rows)),
                "source": label,
            }
        )
    return items


def _roadmap_item(plan_title: str, version: Version, today: date, label: str) -> dict:
    """How far the accepted version of a roadmap went: measures done, and overdue ones
    (their due dates read from the roadmap as it is now)."""
    done_label = str(ItemStatus.DONE.label)
    measures: dict[str, dict[str, Any]] = {}
    for key, entry in version.content.items():
        uuid, _sep, fname = key.partition(".")
        measures.setdefault(uuid, {})[fname] = entry.get("value")
    due = dict(
        db.session.execute(
            select(RoadmapItem.uuid, RoadmapItem.due_date).where(RoadmapItem.uuid.in_(measures))
        ).all()
    )
    total = len(measures)
    done = [u for u, m in measures.items() if m.get("status") == done_label]
    overdue = [
        m for u, m in measures.items()
        if m.get("status") != done_label and due.get(u) and due[u] < today
    ]  # fmt: skip
    if not overdue:
        finding = Finding.COMPLIES
    elif len(overdue) * 4 <= total:
        finding = Finding.PARTLY
    else:
        finding = Finding.FAILS
    note = _("Measures done: %(done)d of %(total)d.", done=len(done), total=total)
    if overdue:
        names = "; ".join(str(m.get("text") or "")[:80] for m in overdue[:10])
        note += " " + _("Overdue: %(n)d (%(names)s).", n=len(overdue), names=names)
    return {
        "topic": _("Execution of the roadmap «%(title)s»", title=plan_title),
        "finding": finding.value,
        "note": note,
        "source": label,
    }


def _earlier_measures(school_id: int, today: date) -> list[dict]:
    """The recommendations of earlier acts, as the school has reported on them."""
    acts = db.session.scalars(
        select(ControlAct)
        .where(ControlAct.school_id == school_id, ControlAct.status == ActStatus.ISSUED.value)
        .order_by(ControlAct.issued_at)
    ).all()
    ids = {i: a for a in acts for i in (a.measure_item_ids or [])}
    if not ids:
        return []
    rows = db.session.scalars(select(RoadmapItem).where(RoadmapItem.id.in_(ids))).all()
    out = []
    for item in sorted(rows, key=lambda r: r.id):
        act = ids[item.id]
        if item.status == ItemStatus.DONE.value:
            finding = Finding.COMPLIES
        elif item.is_overdue(today):
            finding = Finding.FAILS
        else:
            finding = Finding.PARTLY
        note = item.status_label
        if item.progress_note:
            note += ": " + item.progress_note
        out.append(
            {
                "topic": _(
                    "Recommendation of act No. %(number)s: %(text)s",
                    number=act.number,
                    text=item.text,
                ),
                "finding": finding.value,
                "note": note,
                "source": _("roadmap, as of %(date)s", date=_ru(today)),
            }
        )
    return out


def prefill(school: School, today: date | None = None) -> Prefill:
    """Items to check, made from what the district accepted from the school."""
    today = today or today_local()
    result = Prefill()
    from intranet.inspections.models import Campaign, Submission

    subs = _accepted_versions(school.id, "submission")
    if subs:
        titles = dict(
            db.session.execute(
                select(Submission.id, Campaign.title)
                .join(Campaign, Campaign.id == Submission.campaign_id)
                .where(Submission.id.in_(subs))
            ).all()
        )
        for sid, version in sorted(subs.items()):
            title = titles.get(sid, "")
            label = _("form «%(title)s», version %(n)d", title=title, n=version.number)
            result.sources.append(_source("submission", sid, title, version))
            result.items += _answer_items(title, version.content, label)
    maps = _accepted_versions(school.id, "roadmap")
    if maps:
        titles = dict(
            db.session.execute(
                select(SchoolRoadmap.id, Plan.title)
                .join(Plan, Plan.id == SchoolRoadmap.plan_id)
                .where(SchoolRoadmap.id.in_(maps))
            ).all()
        )
        for rid, version in sorted(maps.items()):
            title = titles.get(rid, "")
            label = _("roadmap «%(title)s», version %(n)d", title=title, n=version.number)
            result.sources.append(_source("roadmap", rid, title, version))
            result.items.append(_roadmap_item(title, version, today, label))
    result.items += _earlier_measures(school.id, today)
    return result


# -- drafts ---------------------------------------------------------------------------------


def _require_staff(actor, school: School) -> None:
    if not (actor.is_district_staff and actor.district_id == school.district_id):
        raise Refused(_("Only the district's staff can compose control acts."))


def create_draft(actor, school: School, *, from_scratch: bool = False) -> ControlAct:
    """A new draft act on ``school``, prefilled unless ``from_scratch``."""
    _require_staff(actor, school)
    filled = Prefill() if from_scratch else prefill(school)
    if filled.empty and not from_scratch:
        raise Refused(
            _("The school has nothing accepted yet; start a documentary control from scratch.")
        )
    with writing(actor):
        act = ControlAct(
            district_id=school.district_id,
            school_id=school.id,
            control_form=ControlForm.DOCUMENTARY.value,
            head_name=school.head_name or "",
            commission=[{"name": actor.full_name, "post": ""}],
            items=filled.items,
            sources=filled.sources,
            created_by_id=actor.id,
            created_by_name=actor.full_name,
        )
        db.session.add(act)
        db.session.commit()
    return act


class StaleAct(Refused):
    """Someone else saved the draft since this form was opened."""


def _clean_rows(rows: list[dict], keys: tuple[str, ...], required: str) -> list[dict]:
    """Rows as typed, without the blank ones (the spare rows of the form)."""
    out = []
    for row in rows or []:
        clean = {k: (row.get(k) or "") for k in keys}
        clean = {k: v.strip() if isinstance(v, str) else v for k, v in clean.items()}
        if any(clean.values()):
            out.append(clean)
    return out


def save_draft(actor, act: ControlAct, data: dict[str, Any], revision: int | None) -> ControlAct:
    """Save what the reviewer typed; refuses an issued act and a stale form."""
    if not act.can_edit(actor):
        raise Refused(_("An issued act never changes; make a correction instead."))
    if revision is not None and revision != act.revision:
        raise StaleAct(
            _("Someone else saved this draft meanwhile. Reload the page; your text is below.")
        )
    commission = _clean_rows(data.get("commission"), ("name", "post"), "name")
    if any(not row["name"] for row in commission):
        raise Refused(_("Every member of the commission needs a name."), "commission")
    items = _clean_rows(data.get("items"), ("topic", "finding", "note", "source"), "topic")
    for row in items:
        if not row["topic"]:
            raise Refused(_("Every item checked needs its wording."), "items")
        if row["finding"] and row["finding"] not in {f.value for f in Finding}:
            raise Refused(_("Unknown finding."), "items")
    recs = []
    for row in _clean_rows(
        data.get("recommendations"), ("text", "deadline", "responsible"), "text"
    ):
        if not row["text"]:
            raise Refused(_("A recommendation needs its text."), "recommendations")
        deadline = row["deadline"]
        if isinstance(deadline, date):
            row["deadline"] = deadline.isoformat()
        recs.append(row)
    start, end = data.get("period_start"), data.get("period_end")
    if start and end and end < start:
        raise Refused(_("The period ends before it starts."), "period_end")
    form = data.get("control_form") or ControlForm.DOCUMENTARY.value
    if form not in {f.value for f in ControlForm}:
        raise Refused(_("Unknown form of control."), "control_form")
    values = {
        "order_number": (data.get("order_number") or "").strip(),
        "order_date": data.get("order_date"),
        "period_start": start,
        "period_end": end,
        "control_form": form,
        "subject": (data.get("subject") or "").strip(),
        "place": (data.get("place") or "").strip(),
        "commission": commission,
        "items": items,
        "conclusions": (data.get("conclusions") or "").strip(),
        "recommendations": recs,
        "head_name": (data.get("head_name") or "").strip(),
    }
    with writing(actor):
        changed = False
        for key, value in values.items():
            if getattr(act, key) != value:
                setattr(act, key, value)
                changed = True
        if changed:
            act.revision += 1
        db.session.commit()
    return act


def missing_requisites(act: ControlAct) -> list[str]:
    """What must be filled in before the act can be issued (never printed blank)."""
    missing = []
    if not act.order_number:
        missing.append(_("the number of the district's order"))
    if not act.order_date:
        missing.append(_("the date of the district's order"))
    if not (act.period_start and act.period_end):
        missing.append(_("the period of control"))
    if not act.commission:
        missing.append(_("the commission (at least one member)"))
    elif any(not m.get("post") for m in act.commission):
        missing.append(_("the post of every member of the commission"))
    if not act.items:
        missing.append(_("at least one item checked"))
    elif any(not i.get("finding") for i in act.items):
        missing.append(_("a finding for every item checked"))
    if not act.conclusions:
        missing.append(_("the conclusions"))
    for rec in act.recommendations:
        if not rec.get("deadline") or not rec.get("responsible"):
            missing.append(_("a deadline and who is responsible for every recommendation"))
            break
    if not act.head_name:
        missing.append(_("the name of the school's head"))
    return missing


def build_content(act: ControlAct) -> dict[str, Any]:
    """Everything the paper prints, as plain JSON: what is frozen and hashed on issue."""
    school = act.school
    from intranet.schools.models import District

    district = db.session.get(District, act.district_id)
    replaces = act.replaces
    return {
        "district": district.name if district else "",
        "school_name": school.name,
        "school_short_name": school.short_name or school.name,
        "school_code": school.code,
        "number": act.number,
        "act_date": act.act_date.isoformat() if act.act_date else None,
        "order_number": act.order_number,
        "order_date": act.order_date.isoformat() if act.order_date else None,
        "period_start": act.period_start.isoformat() if act.period_start else None,
        "period_end": act.period_end.isoformat() if act.period_end else None,
        "control_form": act.control_form,
        "subject": act.subject,
        "place": act.place,
        "commission": [dict(m) for m in act.commission],
        "items": [dict(i) for i in act.items],
        "conclusions": act.conclusions,
        "recommendations": [dict(r) for r in act.recommendations],
        "head_name": act.head_name,
        "sources": [dict(s) for s in act.sources],
        "replaces": (
            {"number": replaces.number, "act_date": replaces.act_date.isoformat()}
            if replaces is not None and replaces.act_date
            else None
        ),
        "uuid": act.uuid,
    }


def content_of(act: ControlAct) -> dict[str, Any]:
    """The printed content: frozen for an issued act, as it stands for a draft."""
    return act.content if act.is_issued and act.content else build_content(act)


# -- issuing --------------------------------------------------------------------------------


def _next_number(district_id: int, year: int) -> int:
    """Bump the district's counter for ``year`` as the transaction's first write.

    On SQLite the UPDATE takes the database's write lock before anything else is read
    in this transaction, so a second issuer waits (busy_timeout) instead of failing;
    on PostgreSQL the row lock does the same. Either way the number is given back if
    the transaction rolls back.
    """
    stmt = (
        update(ActCounter)
        .where(ActCounter.district_id == district_id, ActCounter.year == year)
        .values(last=ActCounter.last + 1)
        .returning(ActCounter.last)
    )
    for _attempt in range(3):
        number = db.session.execute(stmt).scalar()
        if number is not None:
            return number
        try:
            with db.session.begin_nested():
                db.session.add(ActCounter(district_id=district_id, year=year, last=1))
            return 1
        except IntegrityError:
            continue  # another issuer created the row first: bump it instead
    raise RuntimeError("could not take an act number")


def _roadmap_for_measures(school_id: int) -> SchoolRoadmap | None:
    return db.session.scalar(
        select(SchoolRoadmap)
        .join(Plan, Plan.id == SchoolRoadmap.plan_id)
        .where(SchoolRoadmap.school_id == school_id, Plan.status == PlanStatus.PUBLISHED.value)
        .order_by(Plan.period_end.desc(), Plan.id.desc())
    )


def _make_measures(act: ControlAct) -> list[int]:
    """The recommendations as items of the school's roadmap, so the school reports on them."""
    if not act.recommendations:
        return []
    roadmap = _roadmap_for_measures(act.school_id)
    if roadmap is None:
        return []
    from intranet.roadmaps.services import deadline_from_form, refresh_progress

    section = _("By the results of control")
    position = max((i.position for i in roadmap.items), default=0)
    made = []
    for n, rec in enumerate(act.recommendations, start=1):
        due = date.fromisoformat(rec["deadline"])
        text = _("until %(date)s", date=_ru(due))
        deadline, corrected = deadline_from_form(text, "date", None, due, roadmap.plan.period)
        item = RoadmapItem(
            roadmap_id=roadmap.id,
            district_id=roadmap.district_id,
            school_id=roadmap.school_id,
            section=section,
            position=position + n,
            number=f"К{act.seq}.{n}",
            text=rec["text"],
            responsible=rec.get("responsible", ""),
            result=_("Act No. %(number)s of %(date)s", number=act.number, date=_ru(act.act_date)),
        )
        item.set_deadline(deadline, corrected)
        db.session.add(item)
        db.session.flush()
        made.append(item.id)
    refresh_progress(roadmap)
    return made


def _notify_school(act: ControlAct) -> None:
    """The school learns of the act on its home page (the act is theirs to read now)."""
    from intranet.inspections.models import Notification

    text = _("Control act No. %(number)s of %(date)s was issued on your school.",
             number=act.number, date=_ru(act.act_date))  # fmt: skip
    if act.measure_item_ids:
        text += " " + _("Its recommendations are in your roadmap: report on them there.")
    db.session.add(
        Notification(
            district_id=act.district_id,
            school_id=act.school_id,
            text=text,
            url=f"/schools/{act.school_id}/acts/{act.id}",
            dedupe_key=f"act:{act.uuid}",
        )
    )


def issue(actor, act: ControlAct, check_base_url: str = "") -> ControlAct:
    """Give the draft its number and freeze it. Two issues at once get two consecutive
    numbers; the same draft issued twice at once is issued once."""
    school = act.school
    _require_staff(actor, school)
    missing = missing_requisites(act)
    if missing:
        raise Refused(_("Fill in before issuing: %(what)s.", what="; ".join(missing)))
    act_id, district_id = act.id, act.district_id
    # End any read transaction, so the counter's UPDATE is the first statement.
    db.session.commit()
    today = today_local()
    with writing(actor):
        seq = _next_number(district_id, today.year)
        act = db.session.execute(
            select(ControlAct)
            .where(ControlAct.id == act_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        if act.status != ActStatus.DRAFT.value:
            db.session.rollback()
            raise Refused(_("This act has already been issued."))
        missing = missing_requisites(act)
        if missing:
            db.session.rollback()
            raise Refused(_("Fill in before issuing: %(what)s.", what="; ".join(missing)))
        act.year, act.seq, act.act_date = today.year, seq, today
        act.issued_at = utcnow()
        act.issued_by_id, act.issued_by_name = actor.id, actor.full_name
        act.check_base_url = check_base_url
        content = build_content(act)
        act.content = content
        act.content_hash = content_hash(content)
        act.measure_item_ids = _make_measures(act)
        _notify_school(act)
        # Last: from this flush on the act is frozen (see models._issued_acts_never_change).
        act.status = ActStatus.ISSUED.value
        db.session.commit()
    return act


def correct(actor, act: ControlAct) -> ControlAct:
    """A new draft that replaces ``act``; the issued one stays as it was."""
    if not act.can_correct(actor):
        raise Refused(_("Only an issued act can be corrected."))
    with writing(actor):
        draft = ControlAct(
            district_id=act.district_id,
            school_id=act.school_id,
            replaces_id=act.id,
            **{k: getattr(act, k) for k in DRAFT_FIELDS},
            sources=list(act.sources),
            created_by_id=actor.id,
            created_by_name=actor.full_name,
        )
        draft.commission = [dict(m) for m in act.commission]
        draft.items = [dict(i) for i in act.items]
        draft.recommendations = [dict(r) for r in act.recommendations]
        db.session.add(draft)
        db.session.commit()
    return draft


def delete_draft(actor, act: ControlAct) -> None:
    if not act.can_edit(actor):
        raise Refused(_("An issued act never changes; make a correction instead."))
    with writing(actor):
        db.session.delete(act)
        db.session.commit()


# -- reading --------------------------------------------------------------------------------


def acts_of_school(user, school: School) -> list[ControlAct]:
    return db.session.scalars(
        ControlAct.visible_to(user)
        .where(ControlAct.school_id == school.id)
        .order_by(
            ControlAct.status, ControlAct.year.desc(), ControlAct.seq.desc(), ControlAct.id.desc()
        )
    ).all()


def replaced_by(act: ControlAct) -> list[ControlAct]:
    return db.session.scalars(
        select(ControlAct).where(
            ControlAct.replaces_id == act.id, ControlAct.status == ActStatus.ISSUED.value
        )
    ).all()


def issued_acts(year: int, district_id: int | None = None) -> list[ControlAct]:
    stmt = select(ControlAct).where(
        ControlAct.status == ActStatus.ISSUED.value, ControlAct.year == year
    )
    if district_id is not None:
        stmt = stmt.where(ControlAct.district_id == district_id)
    return db.session.scalars(stmt.order_by(ControlAct.district_id, ControlAct.seq)).all()


def find_issued(number: str, district_id: int | None = None) -> list[ControlAct]:
    """Acts by their printed number "seq-year"."""
    try:
        seq_text, year_text = number.strip().split("-", 1)
        seq, year = int(seq_text), int(year_text)
    except ValueError:
        return []
    stmt = select(ControlAct).where(
        ControlAct.status == ActStatus.ISSUED.value,
        ControlAct.seq == seq,
        ControlAct.year == year,
    )
    if district_id is not None:
        stmt = stmt.where(ControlAct.district_id == district_id)
    return db.session.scalars(stmt).all()


def issued_label(act: ControlAct) -> str:
    return _("No. %(number)s of %(date)s", number=act.number, date=_ru(act.act_date)) + (
        f" ({local_time(act.issued_at)})" if act.issued_at else ""
    )
