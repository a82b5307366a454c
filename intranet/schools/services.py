"""Writes and reads of schools. Every write names its actor."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select

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


@cache
def _scope(district_wide: bool, filtered: bool):
    """The schools a search lists: the district's (or one school), maybe filtered.
    ``School.visible_to``'s rule, with the user's district or school bound per query."""
    if district_wide:
        scope = School.district_id == bindparam("district")
    else:
        scope = School.id == bindparam("school")
    if filtered:
        # The needle comes escaped (``_like_needle``): a bound value cannot be autoescaped.
        scope = scope & School.search_text.contains(bindparam("needle"), escape="/")
    return scope


def _like_needle(text: str) -> str:
    """``text`` matched literally by LIKE with ``/`` as the escape character."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


@cache
def _count_statement(district_wide: bool, filtered: bool):
    return select(func.count(School.id)).where(_scope(district_wide, filtered))


@cache
def _search_statement(district_wide: bool, filtered: bool):
    """The page of schools with their user counts, risk flags and the total they are a
    page of, built once per scope and filter: the total and the district's latest risk
    year are scalar subqueries the database computes once, so a page is one round trip."""
    from intranet.auth.models import User
    from intranet.objectivity.services import at_risk_expression

    scope = _scope(district_wide, filtered)
    page_rows = (
        select(
            School.id,
            School.code,
            School.name,
            School.short_name,
            School.head_name,
            School.email,
            School.phone,
            School.active,
        )
        .where(scope)
        .order_by(School.code)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    users = (
        select(func.count(User.id))
        .where(User.school_id == page_rows.c.id, User.active.is_(True))
        .scalar_subquery()
    )
    at_risk = at_risk_expression(bindparam("district"), page_rows.c.id)
    total = _count_statement(district_wide, filtered).scalar_subquery()
    return select(*page_rows.c, users, at_risk, total).order_by(page_rows.c.code)


def search(user, query: str = "", page: int = 1, per_page: int = 50) -> SchoolPage:
    """One page of the schools the user may see, filtered by code, name or head, with
    their user counts and risk flags: one query whatever the number of schools (three
    for a page number past the last page).

    The page walks the unique (district_id, code) index; users and the risk flag are
    then read for the page's rows only.
    """
    q = " ".join((query or "").split())[:100]
    key = (bool(user.is_district_staff), bool(q))
    params = {"district": user.district_id, "school": user.school_id, "limit": per_page}
    if q:
        params["needle"] = _like_needle(q.lower().replace("ё", "е"))

    def rows_of(page: int) -> list:
        offset = {"offset": (page - 1) * per_page}
        return db.session.execute(_search_statement(*key), params | offset).all()

    def count() -> int:
        return db.session.scalar(_count_statement(*key), params)

    rows, total, page = paging.read_page(rows_of, count, page, per_page)
    return SchoolPage([SchoolRow(*row[:-1]) for row in rows], total, page, per_page)
