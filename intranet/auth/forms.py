from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from intranet.auth.services import MIN_PASSWORD_LENGTH
from intranet.forms import Form
from intranet.i18n import lazy_gettext as _l


class LoginForm(Form):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class PasswordChangeForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords do not match."))],
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_current(self, field):
        if not self._user.check_password(field.data or ""):
            raise ValidationError(_l("The current password is wrong."))

    def validate_new(self, field):
        if field.data and field.data == self.current.data:
            raise ValidationError(_l("The new password must differ from the current one."))
