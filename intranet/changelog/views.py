"""The district's conflict screen: both values, who and when, a choice per field."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from intranet.auth.access import district_staff
from intranet.changelog import conflicts
from intranet.errors import Refused
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _

bp = Blueprint("changelog", __name__, url_prefix="/conflicts")


@bp.route("/")
@district_staff
def index():
    return render_template(
        "changelog/conflicts.html",
        shown=conflicts.open_conflicts(current_user.district_id),
        form=ConfirmForm(),
    )


@bp.route("/<int:conflict_id>", methods=["POST"])
@district_staff
def resolve(conflict_id: int):
    conflict = conflicts.conflict_of(current_user, conflict_id)
    if conflict is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
    else:
        try:
            conflicts.resolve(current_user, conflict, request.form.get("choice", ""))
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(_("The chosen value is kept."), "success")
    return redirect(url_for("changelog.index"))
