"""District admins read the audit log, filtered by school, user, dates and kind of action."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from intranet import paging
from intranet.audit import reading
from intranet.audit.services import entries_query
from intranet.auth.access import district_admin
from intranet.auth.models import User
from intranet.extensions import db
from intranet.schools.models import School

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 100


def _date_arg(name: str):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/")
@district_admin
def index():
    district_id = current_user.district_id
    school_id = paging.query_int("school_id") or None
    actor_id = paging.query_int("actor_id") or None
    page = max(paging.requested_page(), 1)
    start, end = _date_arg("from"), _date_arg("to")
    kind = request.args.get("kind") if request.args.get("kind") in reading.KINDS else None
    stmt = entries_query(district_id, school_id, actor_id)
    stmt = stmt.where(*reading.day_range(start, end))
    if kind:
        stmt = stmt.where(reading.kind_filter(kind))
    entries = db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    has_next = len(entries) > PAGE_SIZE
    schools = db.session.scalars(
        select(School).where(School.district_id == district_id).order_by(School.code)
    ).all()
    users = db.session.scalars(
        select(User).where(User.district_id == district_id).order_by(User.full_name)
    ).all()
    school_names = {s.id: s.display_name for s in schools}
    return render_template(
        "audit/index.html",
        rows=reading.readable(
            entries[:PAGE_SIZE], {u.id: u.full_name for u in users}, school_names
        ),
        has_next=has_next,
        page=page,
        schools=schools,
        users=users,
        school_id=school_id,
        actor_id=actor_id,
        kinds=reading.KINDS,
        kind=kind,
        start=start,
        end=end,
        filters={
            "school_id": school_id,
            "actor_id": actor_id,
            "kind": kind,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
        },
    )
