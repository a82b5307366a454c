"""Writes and reads of schools. Every write names its actor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from intranet import paging
from intranet.audit.services import acting
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.schools.forms import SCHOOL_FIELDS
from intranet.schools.models import School


@dataclass(frozen=True)
class SchoolRow:
    """What the district list shows of a school: plain columns, no ORM object to build."""

    id: int
    code: str
    name: str
    short_name: str
    head_name: str
    email: str
    phone: str
    active: bool
    users: int
    at_risk: bool

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True)
class SchoolPage(paging.Paged):
    rows: list[SchoolRow]
    total: int
    page: int
    per_page: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.total)


def _code_taken(district_id: int, code: str, exclude_id: int | None = None) -> bool:
    stmt = select(School.id).where(School.district_id == district_id, School.code == code)
    if exclude_id is not None:
        stmt = stmt.where(School.id != exclude_id)
    return db.session.scalar(stmt) is not None


def create_school(actor, district_id: int, data: dict[str, str]) -> School:
    values = {k: data.get(k) or "" for k in SCHOOL_FIELDS}
    if _code_taken(district_id, values["code"]):
        raise Refused(_("A school with this code already exists."), "code")
    with acting(actor):
        school = School(district_id=district_id, active=True, **values)
        db.session.add(school)
        db.session.commit()
    return school


def update_school(actor, school: School, data: dict[str, str]) -> School:
    values = {k: data.get(k) or "" for k in SCHOOL_FIELDS}
    if _code_taken(school.district_id, values["code"], exclude_id=school.id):
        raise Refused(_("A school with this code already exists."), "code")
    with acting(actor):
        for key, value in values.items():
            if getattr(school, key) != value:
                setattr(school, key, value)
        db.session.commit()
    return school


def set_active(actor, school: School, active: bool) -> School:
    with acting(actor):
        school.active = active
        db.session.commit()
    return school


def search(user, query: str = "", page: int = 1, per_page: int = 50) -> SchoolPage:
    """One page of the schools the user may see, filtered by code, name or head, with
    their user counts and risk flags: three queries whatever the number of schools.

    The page walks the unique (district_id, code) index; users and the risk flag are
    then read for the page's rows only.
    """
    from intranet.auth.models import User
    from intranet.objectivity.services import at_risk_expression

    stmt = School.visible_to(user).with_only_columns(
        School.id,
        School.code,
        School.name,
        School.short_name,
        School.head_name,
        School.email,
        School.phone,
        School.active,
    )
    q = " ".join((query or "").split())[:100]
    if q:
        needle = q.lower().replace("ё", "е")
        stmt = stmt.where(School.search_text.contains(needle, autoescape=True))
    total = db.session.scalar(stmt.with_only_columns(func.count(School.id))) or 0
    page = paging.clamp(page, total, per_page)
    page_rows = stmt.order_by(School.code).limit(per_page).offset((page - 1) * per_page).subquery()
    users = (
        select(func.count(User.id))
        .where(User.school_id == page_rows.c.id, User.active.is_(True))
        .scalar_subquery()
    )
    at_risk = at_risk_expression(user.district_id, page_rows.c.id)
    outer = select(*page_rows.c, users, at_risk).order_by(page_rows.c.code)
    rows = [SchoolRow(*row) for row in db.session.execute(outer)]
    return SchoolPage(rows, total, page, per_page)
