"""The district's time zone: when its day begins and ends, and how its pages show times.

Russia's districts run from Kaliningrad (UTC+2) to Primorye (UTC+10). Stored times are UTC;
a due date is a day in the district's own calendar, so "today" is read there too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context
from flask_login import current_user

DEFAULT_ZONE = "Europe/Moscow"

# The zones a district may choose, west to east, with the offset people know them by.
ZONES = (
    ("Europe/Kaliningrad", "UTC+2"),
    ("Europe/Moscow", "UTC+3"),
    ("Europe/Samara", "UTC+4"),
    ("Asia/Yekaterinburg", "UTC+5"),
    ("Asia/Omsk", "UTC+6"),
    ("Asia/Krasnoyarsk", "UTC+7"),
    ("Asia/Irkutsk", "UTC+8"),
    ("Asia/Yakutsk", "UTC+9"),
    ("Asia/Vladivostok", "UTC+10"),
)
ZONE_NAMES = frozenset(name for name, _offset in ZONES)


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def current_zone_name() -> str:
    """The time zone of the signed-in user's district; the deployment's default for
    anyone else (the login page, the command line)."""
    if has_request_context():
        cached = g.get("_district_zone")
        if cached is not None:
            return cached
        name = None
        if current_user and current_user.is_authenticated:
            name = current_user.district.time_zone
        name = name or current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE
        g._district_zone = name
        return name
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE


def today_in(name: str, now: datetime | None = None) -> date:
    """The calendar day it is in zone ``name``: a due date ends at midnight there."""
    return (now or datetime.now(UTC)).astimezone(zone(name)).date()


def day_end_utc(day: date, name: str) -> datetime:
    """The UTC moment the calendar ``day`` ends (its midnight) in zone ``name``."""
    return datetime.combine(day + timedelta(days=1), time(), zone(name)).astimezone(UTC)


def local_today() -> date:
    """Today in the signed-in user's district."""
    return today_in(current_zone_name())
