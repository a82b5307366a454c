"""The base form: WTForms' own messages in Russian, from a catalogue loaded once.

Flask-WTF's i18n loads the WTForms catalogue from disk on every request (about 0.4 ms);
WTForms can cache it for the process, and the interface has a single locale anyway.
"""

from __future__ import annotations

from flask_wtf import FlaskForm


def trim(value):
    """Field filter: pasted values from Word and Excel carry stray spaces."""
    return value.strip() if isinstance(value, str) else value


def squash(value):
    """Field filter: one space between words, none around (titles, names)."""
    return " ".join(value.split()) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        locales = ["ru_RU", "ru"]
        cache_translations = True


class ConfirmForm(Form):
    """Only the CSRF token: for buttons whose object is named in the URL."""
