"""Translations through Flask-Babel's catalogue of the one locale, looked up once.

The interface speaks Russian only (``extensions._locale``), so the catalogue Flask-Babel
loads is the same object for every request. Flask-Babel's own ``gettext`` looks the
locale and the domain up again for each string (a dozen context lookups); a page of the
matrix translates some forty strings, so the app keeps the catalogue and translates from
it. Same call signatures as Flask-Babel's, and the same catalogue files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import get_translations
from flask_babel.speaklater import LazyString

from intranet.timezones import current_zone_name

_KEY = "intranet.catalogue"


def catalogue():
    """The app's translations, or None outside an application context."""
    if not has_app_context():
        return None
    extensions = current_app.extensions
    translations = extensions.get(_KEY)
    if translations is None:
        translations = extensions[_KEY] = get_translations()
    return translations


def gettext(string: str, **variables: Any) -> str:
    translations = catalogue()
    text = translations.ugettext(string) if translations is not None else string
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Translated when shown (form labels, enum labels defined at import time)."""
    return LazyString(gettext, string, **variables)


def local_time(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored time (UTC; naive means UTC) in the time zone of the signed-in user's
    district (``intranet.timezones``), by a numeric
    ``strftime`` pattern: what every page shows, without a CLDR formatter per value."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone(current_zone_name())).strftime(fmt)


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
