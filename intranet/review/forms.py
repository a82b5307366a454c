from __future__ import annotations

from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from intranet.forms import Form, trim
from intranet.i18n import lazy_gettext as _l


class ReturnForm(Form):
    """The reason of a return; remarks on items or fields come as ``comment-<key>``."""

    reason = TextAreaField(
        _l("What must be fixed"), validators=[DataRequired(), Length(max=5000)], filters=[trim]
    )


class AcceptForm(Form):
    """An acceptance is confirmed by a tick (it works without JavaScript)."""

    confirmed = BooleanField(_l("Checked, accept without remarks"), validators=[DataRequired()])
