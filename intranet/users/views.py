"""District admin: the district's accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth import services as auth_services
from intranet.auth.access import district_admin, scoped_or_404
from intranet.auth.models import User
from intranet.errors import Refused
from intranet.extensions import db
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.schools.models import School
from intranet.users import services
from intranet.users.forms import UserFilterForm, UserForm

bp = Blueprint("users", __name__, url_prefix="/users")


def _schools():
    return db.session.scalars(
        School.visible_to(current_user).where(School.active.is_(True)).order_by(School.code)
    ).all()


def _load(user_id: int) -> User:
    return scoped_or_404(User.visible_to(current_user), user_id, User.id)


@bp.route("/")
@district_admin
def index():
    schools = _schools()
    filters = UserFilterForm(request.args)
    filters.school_id.choices = [SelectChoice(0, _("All schools"))] + [
        SelectChoice(s.id, f"{s.code} · {s.display_name}") for s in schools
    ]
    stmt = User.visible_to(current_user).order_by(User.school_id.is_not(None), User.full_name)
    school_id = filters.school_id.data if filters.validate() else 0
    if school_id:
        stmt = stmt.where(User.school_id == school_id)
    users = db.session.scalars(stmt).all()
    names = {s.id: s.display_name for s in schools}
    return render_template("users/index.html", users=users, filters=filters, school_names=names)


@bp.route("/new", methods=["GET", "POST"])
@district_admin
def create():
    form = UserForm(_schools(), school_id=request.args.get("school_id", 0, type=int))
    if form.validate_on_submit():
        try:
            user, password = services.create_user(
                current_user,
                login=form.login.data,
                full_name=form.full_name.data,
                role=form.role.data,
                school_id=form.school_id.data or None,
            )
        except Refused as exc:
            exc.attach(form)
        else:
            return render_template("users/password_shown.html", user=user, password=password)
    return render_template("users/form.html", form=form, user=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@district_admin
def edit(user_id: int):
    user = _load(user_id)
    form = UserForm(_schools(), obj=user)
    if request.method == "GET":
        form.school_id.data = user.school_id or 0
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                user,
                login=form.login.data,
                full_name=form.full_name.data,
                role=form.role.data,
                school_id=form.school_id.data or None,
                active=form.active.data,
            )
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user, confirm=ConfirmForm())


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@district_admin
def reset_password(user_id: int):
    user = _load(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return redirect(url_for("users.edit", user_id=user.id))
    password = auth_services.reset_password(current_user, user)
    return render_template("users/password_shown.html", user=user, password=password, reset=True)
