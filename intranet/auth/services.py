"""Login with lockout and throttle, and password changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

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


def _failures(since, *where) -> int:
    return (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since, *where
            )
        )
        or 0
    )


def _lock_failures(login: str, address: str, since) -> int:
    """Failures of this login from this address that count towards its lock: those after
    its last success there (the user remembered) and after its last new password (an
    administrator's reset lifts the lock). Keyed by address too, so a stranger guessing
    from one computer does not lock the owner out of every other one."""
    pair = (LoginAttempt.login == login) & (LoginAttempt.address == address)
    last_ok = (
        select(func.max(LoginAttempt.at))
        .where(pair, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    new_password = select(User.password_changed_at).where(User.login == login).scalar_subquery()
    return _failures(
        since,
        pair,
        (LoginAttempt.at > last_ok) | last_ok.is_(None),
        (LoginAttempt.at > new_password) | new_password.is_(None),
    )


@cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def _password_matches(user: User | None, password: str) -> bool:
    # Always one hash of the same cost, so the time of the answer does not tell whether
    # the login exists (or is active).
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return False
    return user.check_password(password) and user.active


def authenticate(login: str, password: str, address: str) -> User:
    """Return the user or raise LoginRefused. Unknown logins and wrong passwords are
    counted and answered alike, so the form does not reveal which logins exist."""
    limits = LoginLimits.from_config()
    login = normalize_login(login)[:80]
    address = (address or "?")[:64]
    since = utcnow() - timedelta(minutes=limits.lock_minutes)

    # Every failure from the address counts, whatever else it did: logging into one's
    # own account between guesses does not reset the throttle.
    if _failures(since, LoginAttempt.address == address) >= limits.max_per_address:
        raise LoginRefused("throttled", limits.lock_minutes)
    if _lock_failures(login, address, since) >= limits.max_failures:
        raise LoginRefused("locked", limits.lock_minutes)

    user = db.session.scalar(select(User).where(User.login == login))
    ok = _password_matches(user, password)
    db.session.add(LoginAttempt(login=login, address=address, succeeded=ok))
    if ok:
        with acting(user):
            user.last_login_at = utcnow()
    db.session.commit()
    if not ok:
        raise LoginRefused("invalid")
    return user


def end_sessions(user: User) -> None:
    """Log the account out everywhere (logout ends every session of the user)."""
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.commit()


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
