"""The district staff's home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from intranet.auth.access import district_staff
from intranet.home import services
from intranet.mixins import utcnow
from intranet.review.models import ReviewState
from intranet.timezones import local_today

bp = Blueprint("home", __name__, url_prefix="/district")


@bp.route("/")
@district_staff
def index():
    return render_template(
        "home/index.html",
        home=services.district_home(current_user.district_id, local_today()),
        now=utcnow(),
        today=local_today(),
    )


@bp.app_context_processor
def review_pages():
    """``next_review(subject)`` for the review pages of roadmaps and forms: once the
    reviewer has accepted or returned ``subject``, the oldest other record waiting."""

    def next_review(subject):
        if not current_user.is_authenticated or not current_user.is_district_staff:
            return None
        if subject.state is ReviewState.SUBMITTED:
            return None
        return services.next_waiting(current_user.district_id, (subject.review_type, subject.id))

    return {"next_review": next_review}
