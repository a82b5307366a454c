"""Create and edit accounts. Every write names its actor."""

from __future__ import annotations

from sqlalchemy import select

from intranet.audit.services import acting
from intranet.auth.models import User
from intranet.auth.roles import Role
from intranet.auth.services import generate_one_time_password, normalize_login
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.schools.models import School


def _check(actor, login: str, role: str, school_id: int | None, exclude_id: int | None):
    try:
        role_enum = Role(role)
    except ValueError as exc:
        raise Refused(_("Unknown role."), "role") from exc
    school = None
    if school_id:
        school = db.session.get(School, school_id)
        if school is None or school.district_id != actor.district_id:
            raise Refused(_("Choose a school of your district."), "school_id")
    if role_enum.is_school and school is None:
        raise Refused(_("A school user needs a school."), "school_id")
    if role_enum.is_district:
        school = None
    stmt = select(User.id).where(User.login == login)
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise Refused(_("This login is taken."), "login")
    return role_enum, school


def create_user(
    actor, *, login: str, full_name: str, role: str, school_id: int | None, district_id=None
) -> tuple[User, str]:
    """Create an account with a one-time password, returned once and never stored."""
    login = normalize_login(login)
    role_enum, school = _check(actor, login, role, school_id, None)
    password = generate_one_time_password()
    with acting(actor):
        user = User(
            login=login,
            full_name=full_name,
            role=role_enum.value,
            district_id=district_id or actor.district_id,
            school_id=school.id if school else None,
            active=True,
            must_change_password=True,
        )
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
    return user, password


def update_user(
    actor, user: User, *, login: str, full_name: str, role: str, school_id: int | None, active: bool
) -> User:
    login = normalize_login(login)
    role_enum, school = _check(actor, login, role, school_id, user.id)
    if user.id == actor.id and (not active or role_enum is not Role.DISTRICT_ADMIN):
        raise Refused(_("You cannot deactivate yourself or lower your own role."), "role")
    with acting(actor):
        for key, value in {
            "login": login,
            "full_name": full_name,
            "role": role_enum.value,
            "school_id": school.id if school else None,
            "active": active,
        }.items():
            if getattr(user, key) != value:
                setattr(user, key, value)
        if not active:
            # Reactivating later must not revive the cookies the account had.
            user.end_sessions()
        db.session.commit()
    return user
