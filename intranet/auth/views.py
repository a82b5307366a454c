"""Login, logout and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.urls import iri_to_uri

from intranet.auth import services
from intranet.auth.access import logged_in, public
from intranet.auth.forms import LoginForm, PasswordChangeForm
from intranet.auth.models import User
from intranet.extensions import db, login_manager
from intranet.i18n import gettext as _

bp = Blueprint("auth", __name__)


# The district comes along: every page reads its time zone.
_USER_BY_UUID = (
    select(User).options(joinedload(User.district)).where(User.uuid == bindparam("uuid"))
)


@login_manager.user_loader
def load_user(user_id: str):
    # "uuid:version": a cookie of an ended session (logout, new password, deactivation)
    # names an older version and logs nobody in, wherever it was copied to.
    user_uuid, _, version = (user_id or "").partition(":")
    # Built once: every request runs it, and building a statement costs more than
    # running this one.
    user = db.session.scalar(_USER_BY_UUID, {"uuid": user_uuid})
    if user is None or not user.active or version != str(user.session_version):
        return None
    return user


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path of this site once normalised as the server and the
    browser will (both drop tabs and newlines inside a URL), else None."""
    if not target or any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in target):
        return None
    uri = iri_to_uri(target)
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc or not uri.startswith("/") or uri.startswith("//"):
        return None
    return uri


def _refusal_message(exc: services.LoginRefused) -> str:
    if exc.reason == "locked":
        return _(
            "Too many failed attempts for this login. Try again in %(n)d minutes "
            "or ask the district administrator to reset the password.",
            n=exc.minutes,
        )
    if exc.reason == "throttled":
        return _(
            "Too many failed attempts from this computer. Try again in %(n)d minutes.",
            n=exc.minutes,
        )
    return _("Wrong login or password.")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data, form.password.data, request.remote_addr)
        except services.LoginRefused as exc:
            error = _refusal_message(exc)
            status = 429 if exc.reason in ("locked", "throttled") else 200
        else:
            # A fresh session on login: nothing from before carries over (session fixation).
            session.clear()
            login_user(user)
            session.permanent = True
            current_app.logger.info("login %s", user.login)
            if user.must_change_password:
                return redirect(url_for("auth.password"))
            return redirect(_safe_next(form.next.data) or url_for("web.home"))
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@logged_in
def logout():
    # Every session of the account ends, not only this cookie: a copy of it is worthless.
    services.end_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@logged_in
def password():
    form = PasswordChangeForm(current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        services.change_password(user, form.new.data)
        # The change ended every session; this one goes on under the new version.
        login_user(user)
        flash(_("The password has been changed."), "success")
        return redirect(url_for("web.home"))
    return render_template("auth/password.html", form=form)
