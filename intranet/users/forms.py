from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from intranet.auth.access import role_choices
from intranet.forms import Form
from intranet.i18n import lazy_gettext as _l


class UserForm(Form):
    login = StringField(
        _l("Login"),
        validators=[
            DataRequired(),
            Length(min=3, max=80),
            Regexp(
                r"^[A-Za-z0-9._\-]+$",
                message=_l("Latin letters, digits, dots, dashes and underscores only."),
            ),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )
    full_name = StringField(
        _l("Person's full name"),
        validators=[DataRequired(), Length(max=200)],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    school_id = SelectField(_l("School"), coerce=int, validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, schools, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()
        self.school_id.choices = [SelectChoice(0, "—")] + [
            SelectChoice(s.id, f"{s.code} · {s.display_name}") for s in schools
        ]


class UserFilterForm(Form):
    class Meta:
        csrf = False

    school_id = SelectField(_l("School"), coerce=int, validators=[Optional()])
