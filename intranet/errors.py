"""The one exception services raise to refuse a write with a message for the user."""

from __future__ import annotations


class Refused(ValueError):
    """A write refused; ``field`` names the form field at fault, if any.

    Views put the message beside that field (or on top of the form); nothing was written.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def attach(self, form) -> None:
        """Show the message beside its field in a WTForms form."""
        target = getattr(form, self.field, None) if self.field else None
        if target is None:
            form.form_errors.append(str(self))
        else:
            target.errors.append(str(self))
