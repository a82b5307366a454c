"""Route access rules.

Every view declares who may reach it with exactly one of these decorators; the
authorization walk in the tests fails for any route that declares nothing.

- ``public``: anyone, logged in or not (login page, static files).
- ``logged_in``: any active account (home, password change).
- ``roles(*roles)``: only these roles; anonymous users are sent to the login page and
  others get 403. Objects are then loaded through ``scoped_or_404`` so another school's
  or district's object answers 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select
from wtforms.fields.choices import SelectChoice

from intranet.auth.roles import ALL_ROLES, DISTRICT_ROLES, Role
from intranet.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTR = "_intranet_access"


def public(view: F) -> F:
    setattr(view, ACCESS_ATTR, ("public", frozenset()))
    return view


def machine(view: F) -> F:
    """A route for school computers, not people: it proves who calls by a node's
    signature or a one-time enrolment code, never by a session, so no login reaches it."""
    setattr(view, ACCESS_ATTR, ("machine", frozenset()))
    return view


def logged_in(view: F) -> F:
    return roles(*ALL_ROLES)(view)


def roles(*allowed: Role) -> Callable[[F], F]:
    allowed_set = frozenset(allowed)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role_enum not in allowed_set:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, ("roles", allowed_set))
        return wrapper  # type: ignore[return-value]

    return decorate


district_staff = roles(*DISTRICT_ROLES)
district_admin = roles(Role.DISTRICT_ADMIN)


def access_of(view: Callable[..., Any]) -> tuple[str, frozenset[Role]] | None:
    return getattr(view, ACCESS_ATTR, None)


def scoped_or_404(stmt: Select, ident: Any, column: Any) -> Any:
    """Load one object from a query already scoped to the user: anything else is 404.

    Callers pass ``Model.visible_to(current_user)``, so a forged id of another school's
    or district's row is indistinguishable from a missing one.
    """
    obj = db.session.scalars(stmt.where(column == ident)).first()
    if obj is None:
        abort(404)
    return obj


def role_choices(exclude: Iterable[Role] = ()) -> list[SelectChoice]:
    skip = set(exclude)
    return [SelectChoice(r.value, r.label) for r in Role if r not in skip]
