"""Login with lockout and throttle, and password changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from intranet.audit.services import acting
from intranet.auth.models import LoginAttempt, User
from intranet.extensions import db
from intranet.mixins import utcnow

# No 0/O, 1/l/I: one-time passwords are read off a screen and typed on another PC.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_PASSWORD_LENGTH = 10


class LoginRefused(Exception):
    """Why a login failed; ``reason`` is one of 'invalid', 'locked', 'throttled'."""

    def __init__(self, reason: str, minutes: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.minutes = minutes


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int
    lock_minutes: int
    max_per_address: int

    @classmethod
    def from_config(cls) -> LoginLimits:
        cfg = current_app.config
        return cls(
            cfg["LOGIN_MAX_FAILURES"],
            cfg["LOGIN_LOCK_MINUTES"],
            cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        )


def normalize_login(login: str) -> str:
    return (login or "").strip().lower()


def _failures_since(column, value: str, since) -> int:
    # Failures after the last success only, so a user who finally remembers the
    # password starts afresh.
    last_ok = (
        select(func.max(LoginAttempt.at))
        .where(column == value, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    stmt = select(func.count(LoginAttempt.id)).where(
        column == value,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.at >= since,
        (LoginAttempt.at > last_ok) | (last_ok.is_(None)),
    )
    return db.session.scalar(stmt) or 0


def authenticate(login: str, password: str, address: str) -> User:
    """Return the user or raise LoginRefused. Unknown logins and wrong passwords are
    counted and answered alike, so the form does not reveal which logins exist."""
    limits = LoginLimits.from_config()
    login = normalize_login(login)[:80]
    address = (address or "?")[:64]
    since = utcnow() - timedelta(minutes=limits.lock_minutes)

    if _failures_since(LoginAttempt.address, address, since) >= limits.max_per_address:
        raise LoginRefused("throttled", limits.lock_minutes)
    if _failures_since(LoginAttempt.login, login, since) >= limits.max_failures:
        raise LoginRefused("locked", limits.lock_minutes)

    user = db.session.scalar(select(User).where(User.login == login))
    ok = user is not None and user.active and user.check_password(password)
    db.session.add(LoginAttempt(login=login, address=address, succeeded=ok))
    if ok:
        with acting(user):
            user.last_login_at = utcnow()
    db.session.commit()
    if not ok:
        raise LoginRefused("invalid")
    return user


def change_password(user: User, new_password: str) -> None:
    with acting(user):
        user.set_password(new_password)
        user.must_change_password = False
        db.session.commit()


def generate_one_time_password(length: int = 12) -> str:
    return "".join(secrets.choice(_OTP_ALPHABET) for _ in range(length))


def reset_password(actor: User, user: User) -> str:
    """Give ``user`` a fresh one-time password; it is returned once and never stored."""
    password = generate_one_time_password()
    with acting(actor):
        user.set_password(password)
        user.must_change_password = True
        db.session.commit()
    return password
