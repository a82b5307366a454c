"""The submit / return / accept buttons, the same for roadmaps and forms.

Each blueprint keeps its own routes (its URLs, its object loading and its redirect) and
calls these to check the form, act through the domain's service and tell the user.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, request
from flask_login import current_user

from intranet.errors import Refused
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.review import services
from intranet.review.forms import ReturnForm


def submit(subject, act: Callable = services.submit) -> None:
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return
    try:
        version = act(current_user, subject)
    except Refused as exc:
        flash(str(exc), "error")
    else:
        flash(_("Submitted to the district (version %(n)d).", n=version.number), "success")


def return_for_revision(subject, act: Callable = services.return_for_revision) -> None:
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Say why it is returned."), "error")
        return
    comments = {
        key.removeprefix("comment-"): value
        for key, value in request.form.items()
        if key.startswith("comment-")
    }
    try:
        act(current_user, subject, form.reason.data, comments)
    except Refused as exc:
        flash(str(exc), "error")
    else:
        flash(_("Returned to the school for revision."), "success")


def accept(subject, act: Callable = services.accept) -> None:
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return
    try:
        act(current_user, subject)
    except Refused as exc:
        flash(str(exc), "error")
    else:
        flash(_("Accepted."), "success")
