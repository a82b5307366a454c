"""The one door through which a school's change enters the district: SYNC-LOG's
``apply_incoming``, the same services the pages use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intranet.i18n import gettext as _

WIRE_KEYS = (
    "uuid",
    "parent_uuid",
    "school",
    "subject_type",
    "subject_uuid",
    "field",
    "value",
    "author_login",
    "author_name",
    "saved_at",
    "node_id",
)


def wire_of(record: dict[str, Any]) -> dict[str, Any]:
    """The change itself, without the bundle's framing ("kind", "seq")."""
    return {k: v for k, v in record.items() if k not in ("kind", "seq")}


@dataclass
class Held:
    """The outcome when the change log cannot apply changes here: kept, never dropped."""

    status: str
    reason: str
    change_uuid: str | None = None


def apply_change(
    record: dict[str, Any],
    *,
    school,
    node_id: str | None,
    received_at: datetime,
    attachments: Mapping[str, bytes] | None = None,
):
    try:
        from intranet.changelog.services import apply_incoming
    except ImportError:
        # An install whose change log cannot merge incoming changes yet keeps each one in
        # quarantine (released once it can), rather than refusing or losing it.
        return Held(
            "quarantined",
            _("This server cannot apply changes from school copies yet."),
            record.get("uuid"),
        )
    return apply_incoming(
        wire_of(record),
        school=school,
        node_id=node_id,
        received_at=received_at,
        attachments=attachments or {},
    )
