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
from intranet.review.forms import AcceptForm, ReturnForm


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


def typed_remarks() -> dict[str, str]:
    """The remarks typed beside items or questions (``comment-<key>``), as posted."""
    return {
        key.removeprefix("comment-"): value
        for key, value in request.form.items()
        if key.startswith("comment-")
    }


def return_for_revision(subject, act: Callable = services.return_for_revision) -> ReturnForm | None:
    """Return the record with the reason and the remarks posted. ``None`` when done (or
    refused for a reason the page cannot fix: the view redirects); else the form with its
    errors, and the view shows the page again with the reason and every remark as typed
    (a forgotten reason must not cost the reviewer her remarks)."""
    form = ReturnForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            flash(_("The form has expired. Try again."), "error")
        else:
            flash(_("Not returned yet: say what must be fixed; your remarks are kept."), "error")
        return form
    try:
        act(current_user, subject, form.reason.data, typed_remarks())
    except Refused as exc:
        if exc.field == "reason":
            exc.attach(form)
            return form
        flash(str(exc), "error")
    else:
        flash(_("Returned to the school for revision."), "success")
    return None


def accept(subject, act: Callable = services.accept) -> None:
    """Accept only when the reviewer ticked that she has checked everything: an
    acceptance closes the review and tells the school, so one stray click must not."""
    form = AcceptForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            flash(_("The form has expired. Try again."), "error")
        else:
            flash(_("Tick «Checked, accept without remarks» to accept."), "error")
        return
    try:
        act(current_user, subject)
    except Refused as exc:
        flash(str(exc), "error")
    else:
        flash(_("Accepted."), "success")
