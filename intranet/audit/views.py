"""District admins read the audit log, filtered by school and by user."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from intranet import paging
from intranet.audit.services import entries_query
from intranet.auth.access import district_admin
from intranet.auth.models import User
from intranet.extensions import db
from intranet.i18n import lazy_gettext as _l
from intranet.schools.models import School

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 100

ACTION_LABELS = {
    "create": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "bulk_create": _l("created in bulk"),
}
OPERATION_LABELS = {"publish": _l("plan published"), "launch": _l("campaign launched")}
ENTITY_LABELS = {"district": _l("district"), "school": _l("school"), "user": _l("user")}


@bp.route("/")
@district_admin
def index():
    district_id = current_user.district_id
    school_id = paging.query_int("school_id") or None
    actor_id = paging.query_int("actor_id") or None
    page = max(paging.requested_page(), 1)
    stmt = entries_query(district_id, school_id, actor_id)
    entries = db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    has_next = len(entries) > PAGE_SIZE
    schools = db.session.scalars(
        select(School).where(School.district_id == district_id).order_by(School.code)
    ).all()
    users = db.session.scalars(
        select(User).where(User.district_id == district_id).order_by(User.full_name)
    ).all()
    return render_template(
        "audit/index.html",
        entries=entries[:PAGE_SIZE],
        has_next=has_next,
        page=page,
        schools=schools,
        users=users,
        school_id=school_id,
        actor_id=actor_id,
        school_names={s.id: s.display_name for s in schools},
        action_labels=ACTION_LABELS,
        entity_labels=ENTITY_LABELS,
        operation_labels=OPERATION_LABELS,
    )
