"""District screens: the sync dashboard of each school's nodes (with revoke) and the
quarantine (with release)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from intranet.auth.access import district_admin, scoped_or_404
from intranet.errors import Refused
from intranet.extensions import db
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.schools.models import School
from sync import dashboard
from sync import nodes as node_services
from sync import quarantine as quarantine_services
from sync.models import SyncNode, SyncQuarantine

bp = Blueprint("sync", __name__, url_prefix="/sync")


@bp.route("/nodes")
@district_admin
def nodes():
    """The sync dashboard: each school's computers, what waits, what went wrong, who has
    gone quiet for N days, and whether the data agree — schools needing attention first."""
    raw = request.args.get("days")
    days = dashboard.stale_days_from(raw)
    if raw not in (None, "") and str(days) != raw.strip():
        flash(
            _(
                "Enter a whole number of days from 1 to %(max)s; showing %(days)s.",
                max=dashboard.MAX_STALE_DAYS,
                days=days,
            ),
            "error",
        )
    return render_template(
        "sync/nodes.html",
        schools=dashboard.overview(current_user, days),
        days=days,
        confirm=ConfirmForm(),
        ranks={"attention": dashboard.ATTENTION, "stale": dashboard.STALE},
    )


@bp.route("/nodes/<node_id>/revoke", methods=["POST"])
@district_admin
def revoke(node_id: str):
    node = scoped_or_404(SyncNode.visible_to(current_user), node_id, SyncNode.id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
    else:
        try:
            node_services.revoke(current_user, node)
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(
                _(
                    "The computer is revoked: its bundles will be kept in quarantine, "
                    "never applied."
                ),
                "success",
            )
    return redirect(url_for("sync.nodes"))


@bp.route("/quarantine")
@district_admin
def quarantine():
    district_id = current_user.district_id
    items = quarantine_services.open_items(district_id)
    released = quarantine_services.open_items(district_id, released=True)
    school_ids = {i.school_id for i in (*items, *released)}
    schools = {s.id: s for s in db.session.scalars(select(School).where(School.id.in_(school_ids)))}
    return render_template(
        "sync/quarantine.html",
        items=items,
        released=released,
        schools=schools,
        confirm=ConfirmForm(),
    )


@bp.route("/quarantine/<int:item_id>/release", methods=["POST"])
@district_admin
def release(item_id: int):
    item = scoped_or_404(SyncQuarantine.visible_to(current_user), item_id, SyncQuarantine.id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
    else:
        try:
            quarantine_services.release(current_user, item)
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(_("Released and applied."), "success")
    return redirect(url_for("sync.quarantine"))
