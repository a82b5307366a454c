"""Which side this app is: the district server or a school's copy (``INTRANET_MODE``)."""

from __future__ import annotations

from flask import current_app


def is_school_copy() -> bool:
    return current_app.config.get("MODE") == "school"
