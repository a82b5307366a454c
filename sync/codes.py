"""One-time enrolment codes: a school's PC enrols over the network with a code instead of
a file carried by hand.

A code reads ``SCHOOLCODE-XXXX-XXXX-XXXX-XXXX``: the school's code (so the throttle can
count attempts per school) and 80 random bits in an alphabet without look-alike letters.
It is shown once to the district admin who made it; the district keeps its SHA-256 only
(80 random bits need no slow hash). It expires after ``SYNC_CODE_DAYS`` (7) days and
enrols one computer. A wrong, used or expired code gets the same refusal, and failures
are throttled per address and per school named: past the limit every attempt (even with
a good code) waits, so guessing is hopeless.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from intranet.audit.services import writing
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from intranet.schools.models import School
from sync import keys
from sync.netmodels import SyncCodeAttempt, SyncEnrolCode

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GROUPS = 4
THROTTLE_MINUTES = 15


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.upper().encode("utf-8")).hexdigest()


@dataclass
class NewCode:
    code: str
    expires_at: datetime


def create_code(actor, school: School) -> NewCode:
    """A new code for ``school`` (a district admin of its district)."""
    from intranet.settings import is_school_copy

    if is_school_copy():
        raise Refused(_("Enrolment is done on the district server."))
    if not (actor is None or (actor.is_district_admin and actor.district_id == school.district_id)):
        raise Refused(_("Only the district administrator can enrol a school's copy."))
    secret = "-".join("".join(secrets.choice(ALPHABET) for _n in range(4)) for _g in range(GROUPS))
    days = int(current_app.config.get("SYNC_CODE_DAYS") or 7)
    now = utcnow()
    row = SyncEnrolCode(
        district_id=school.district_id,
        school_id=school.id,
        code_hash=_hash(secret),
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    with writing(actor):
        db.session.add(row)
        db.session.commit()
    return NewCode(f"{school.code}-{secret}", row.expires_at)


class CodeRefused(Exception):
    """``throttled`` or not: the API answers 429 or the one refusal for any bad code."""

    def __init__(self, throttled: bool = False) -> None:
        super().__init__("throttled" if throttled else "code")
        self.throttled = throttled


def refusal_text() -> str:
    return _(
        "The code does not fit: it is wrong, already used or expired. Ask the district "
        "for a new code."
    )


def _split(code: str) -> tuple[str, str]:
    parts = code.strip().upper().split("-")
    if len(parts) <= GROUPS:
        return "", ""
    school = "-".join(code.strip().split("-")[: len(parts) - GROUPS])
    return school, "-".join(parts[-GROUPS:])


def _limits() -> tuple[int, int]:
    config = current_app.config
    return (
        int(config.get("SYNC_CODE_MAX_FAILURES_PER_ADDRESS") or 10),
        int(config.get("SYNC_CODE_MAX_FAILURES_PER_SCHOOL") or 20),
    )


def _failures(key: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(SyncCodeAttempt)
        .where(SyncCodeAttempt.key == key, SyncCodeAttempt.at >= since)
    )


def _fail(keys_: list[str], now: datetime) -> CodeRefused:
    db.session.rollback()
    db.session.add_all(SyncCodeAttempt(key=k, at=now) for k in keys_)
    db.session.execute(delete(SyncCodeAttempt).where(SyncCodeAttempt.at < now - timedelta(days=1)))
    db.session.commit()
    return CodeRefused()


def redeem(code: str, public_key: str, address: str, label: str = ""):
    """Enrol one computer of the code's school with ``public_key``: the enrolment bundle
    (``sync.enrol.Enrolment``), its node bound to that key at once. ``CodeRefused`` for
    any bad code or while throttled (nothing else written)."""
    from sync.enrol import build_enrolment
    from sync.models import SyncNode

    now = utcnow()
    school_code, secret = _split(str(code)[:200])
    by_address = f"ip:{address}"[:120]
    by_school = f"school:{school_code.lower()}"[:120]
    since = now - timedelta(minutes=THROTTLE_MINUTES)
    per_address, per_school = _limits()
    if _failures(by_address, since) >= per_address or _failures(by_school, since) >= per_school:
        raise CodeRefused(throttled=True)
    try:
        keys.load_public(public_key)
    except ValueError:
        raise _fail([by_address, by_school], now) from None
    row = db.session.scalar(
        select(SyncEnrolCode)
        .join(School, School.id == SyncEnrolCode.school_id)
        .where(
            SyncEnrolCode.code_hash == _hash(secret), func.lower(School.code) == school_code.lower()
        )
    )
    if row is None or row.used_at is not None or _aware(row.expires_at) <= now:
        raise _fail([by_address, by_school], now)
    # Used once, even by two requests at the same moment: only one update finds it unused.
    taken = db.session.execute(
        update(SyncEnrolCode)
        .where(SyncEnrolCode.id == row.id, SyncEnrolCode.used_at.is_(None))
        .values(used_at=now)
    )
    if taken.rowcount != 1:
        raise _fail([by_address, by_school], now)
    school = db.session.get(School, row.school_id)
    made = build_enrolment(None, school, label or _("enrolled by code"))
    node = db.session.get(SyncNode, made.node_id)
    node.public_key = public_key.strip()
    node.enrol_secret = ""
    db.session.execute(
        update(SyncEnrolCode).where(SyncEnrolCode.id == row.id).values(node_id=made.node_id)
    )
    db.session.commit()
    return made


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
