from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp

from intranet.forms import Form, trim
from intranet.i18n import lazy_gettext as _l

SCHOOL_FIELDS = ("code", "name", "short_name", "head_name", "email", "phone", "address", "website")


class SchoolForm(Form):
    """One school's card. The XLSX/CSV import validates every row with this same form."""

    class Meta:
        # Every field is trimmed: pasted values from Word and Excel carry stray spaces.
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            filters.append(trim)
            return unbound_field.bind(form=form, filters=filters, **options)

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[\w.\-/]+$", message=_l("Letters, digits, dots, dashes and slashes only.")),
        ],
        description=_l("The school's code in the district, for example its ФИС ОКО login."),
    )
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=500)])
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=200)])
    head_name = StringField(_l("Head"), validators=[Optional(), Length(max=200)])
    email = StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Length(max=200),
            Email(message=_l("Not an e-mail address."), check_deliverability=False),
        ],
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    website = StringField(
        _l("Website"),
        validators=[
            Optional(),
            Length(max=300),
            URL(require_tld=True, message=_l("Not a web address (https://...).")),
        ],
    )


class ImportForm(Form):
    file = FileField(
        _l("File (.xlsx, .xls, .ods or .csv)"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(
                ["xlsx", "xls", "ods", "csv"],
                message=_l("Only .xlsx, .xls, .ods and .csv files are accepted."),
            ),
        ],
    )
