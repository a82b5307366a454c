"""The one door through which a school's change enters the district: the change log's
``apply_incoming``, the same services the pages use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def wire_of(record: dict[str, Any]) -> dict[str, Any]:
    """The change itself, without the bundle's framing ("kind", "seq")."""
    return {k: v for k, v in record.items() if k not in ("kind", "seq")}


def apply_change(
    record: dict[str, Any],
    *,
    school,
    node_id: str | None,
    received_at: datetime,
    attachments: Mapping[str, bytes] | None = None,
):
    from intranet.changelog.services import apply_incoming

    return apply_incoming(
        wire_of(record),
        school=school,
        node_id=node_id,
        received_at=received_at,
        attachments=attachments or {},
    )


def batch_of(
    records: list[dict[str, Any]],
    *,
    school,
    node_id: str | None,
    received_at: datetime,
    attachments: Mapping[str, bytes] | None = None,
):
    """The same door for a bundle's changes at once (``changelog.merge.Batch``): ``apply``
    each record in order, ``finish``, then read the outcomes."""
    from intranet.changelog.services import incoming_batch

    return incoming_batch(
        [wire_of(r) for r in records],
        school=school,
        node_id=node_id,
        received_at=received_at,
        attachments=dict(attachments or {}),
    )
