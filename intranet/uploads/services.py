from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app
from sqlalchemy import delete, select

from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from intranet.uploads.models import StagedUpload

KEEP_FOR = timedelta(days=1)


def stage(user, kind: str, filename: str, data: bytes, parsed: dict | None = None) -> StagedUpload:
    """Keep ``data`` until it is confirmed; ``parsed``: what it was read as, so that a
    preview shown again need not read the file again."""
    db.session.execute(delete(StagedUpload).where(StagedUpload.created_at < utcnow() - KEEP_FOR))
    staged = StagedUpload(
        user_id=user.id, kind=kind, filename=filename[:255], data=data, parsed=parsed
    )
    db.session.add(staged)
    db.session.commit()
    return staged


def read_limited(field) -> bytes | None:
    """The bytes of the file uploaded in ``field`` (a FileField), or None with the reason
    beside the field when it is larger than the import limit (IMPORT_MAX_BYTES)."""
    data = field.data.read()
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    if len(data) > limit:
        field.errors.append(_("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)))
        return None
    return data


def get_or_404(user, kind: str, staged_id: str) -> StagedUpload:
    """Only the user who staged a file may confirm it; anything else looks missing."""
    staged = db.session.scalar(
        select(StagedUpload).where(
            StagedUpload.id == staged_id,
            StagedUpload.user_id == user.id,
            StagedUpload.kind == kind,
        )
    )
    if staged is None:
        abort(404)
    return staged


def discard(staged: StagedUpload) -> None:
    db.session.delete(staged)
    db.session.commit()
