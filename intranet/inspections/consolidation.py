"""The consolidated table of a campaign as a page: 50 schools at a time, optionally one
section of the form, with each question's total over ALL the campaign's schools computed
by the database in one statement (300 schools' answers never travel to Python to be
summed). The .xlsx export still reads every answer (``services.consolidated``); both read
their totals the same way (``services._total_text``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Numeric, and_, case, cast, exists, func, literal, not_, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from intranet import paging
from intranet.extensions import db
from intranet.inspections.models import Campaign, Submission
from intranet.inspections.services import (
    CELL_CODE,
    Column,
    _total_text,
    cell_state,
    display,
)
from intranet.schools.models import School


@dataclass
class Section:
    key: str
    title: str


@dataclass
class ConsolidatedPage(paging.Paged):
    campaign: Campaign
    columns: list[Column]
    # (submission id, school id, code, name, state, shown answers) of the page's schools
    rows: list[tuple[int, int, str, str, str, list[str | None]]]
    tables: list[tuple[dict, list[tuple[str, str, dict]]]]
    sections: list[Section] = field(default_factory=list)
    section: str | None = None
    total: int = 0
    page: int = 1
    per_page: int = 50


def page(
    campaign: Campaign,
    today: date,
    page: int = 1,
    per_page: int = 50,
    section: str | None = None,
) -> ConsolidatedPage:
    """One page of schools, with totals over every school: three queries."""
    sections = [
        Section(s.get("key", ""), s.get("title", ""))
        for s in campaign.schema.get("sections", [])
        if s.get("fields")
    ]
    if section not in {s.key for s in sections}:
        section = None
    specs = [
        f
        for s in campaign.schema.get("sections", [])
        if section is None or s.get("key") == section
        for f in s.get("fields", [])
    ]
    plain = [f for f in specs if f["type"] != "table"]
    tables = [f for f in specs if f["type"] == "table"]
    schools, totals = sql_totals(campaign.id, plain)
    page = paging.clamp(page, schools, per_page)
    # Only the answers this page shows leave the database, not whole documents.
    keys = [f["key"] for f in plain + tables]
    answer_columns = [Submission.answers[k] for k in keys]
    rows = []
    table_rows: dict[str, list] = {t["key"]: [] for t in tables}
    for sid, school_id, code, name, cell, *values in db.session.execute(
        select(
            Submission.id,
            Submission.school_id,
            School.code,
            func.coalesce(func.nullif(School.short_name, ""), School.name),
            CELL_CODE,
            *answer_columns,
        )
        .join(School, School.id == Submission.school_id)
        .where(Submission.campaign_id == campaign.id)
        .order_by(School.code)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ):
        answers = dict(zip(keys, values, strict=True))
        shown = [display(f, answers.get(f["key"])) for f in plain]
        rows.append((sid, school_id, code, name, cell_state(cell, campaign.due_date, today), shown))
        for t in tables:
            for row in answers.get(t["key"]) or []:
                table_rows[t["key"]].append((code, name, row))
    columns = [Column(f, _total_text(f, totals[f["key"]], schools)) for f in plain]
    return ConsolidatedPage(
        campaign,
        columns,
        rows,
        [(t, table_rows[t["key"]]) for t in tables],
        sections,
        section,
        schools,
        page,
        per_page,
    )


def _normalised(value):
    """A typed number as the database can cast it: no spaces, a decimal point."""
    return func.replace(
        func.replace(func.replace(func.trim(value), " ", ""), "\u00a0", ""), ",", "."
    )


def _has_option(key: str, value, option: str, dialect: str):
    """The answer is this option, or a list that holds it."""
    if dialect == "postgresql":
        in_list = cast(Submission.answers[key], JSONB).contains([option])
    else:
        items = func.json_each(Submission.answers, f'$."{key}"').table_valued("value")
        in_list = exists(select(literal(1)).select_from(items).where(items.c.value == option))
    return or_(value == option, in_list)


def _valid_number(n, integer: bool, dialect: str):
    if dialect == "postgresql":
        pattern = r"^[+-]?[0-9]+$" if integer else r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$"
        return n.op("~")(pattern)
    bad = "*[^0-9+-]*" if integer else "*[^0-9.+-]*"
    return and_(n.op("GLOB")("*[0-9]*"), not_(n.op("GLOB")(bad)))


def sql_totals(campaign_id: int, specs: list[dict]) -> tuple[int, dict[str, dict[str, Any]]]:
    """How many schools the campaign has, and per question the counts its total reads
    (``services._total_text``), in one statement over every school's answers."""
    dialect = db.session.get_bind().dialect.name
    columns: list[Any] = [func.count(Submission.id)]
    reads: list[tuple[str, str, Any]] = []  # (question key, what, option) per column

    def add(key: str, what: str, expression, option=None) -> None:
        columns.append(expression)
        reads.append((key, what, option))

    def counting(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    for spec in specs:
        key, kind = spec["key"], spec["type"]
        value = Submission.answers[key].as_string()
        if kind == "yesno":
            add(key, "yes", counting(value == "yes"))
        elif kind in ("choice", "multichoice"):
            for option in spec.get("options", []):
                condition = (
                    _has_option(key, value, option, dialect)
                    if kind == "multichoice"
                    else value == option
                )
                add(key, "option", counting(condition), option)
        elif kind in ("integer", "decimal"):
            n = _normalised(value)
            valid = and_(value.is_not(None), _valid_number(n, kind == "integer", dialect))
            add(key, "count", counting(valid))
            number = cast(n, Numeric) if dialect == "postgresql" else cast(n, Float)
            add(key, "sum", func.sum(case((valid, number), else_=None)))
            if dialect != "postgresql":
                # SQLite sums binary floats: the places typed give back the exact sum.
                places = case(
                    (and_(valid, func.instr(n, ".") > 0), func.length(n) - func.instr(n, ".")),
                    else_=0,
                )
                add(key, "places", func.max(places))
        else:
            add(key, "answered", counting(and_(value.is_not(None), value.not_in(["", "[]"]))))
    result = db.session.execute(select(*columns).where(Submission.campaign_id == campaign_id)).one()
    schools = int(result[0])
    totals: dict[str, dict[str, Any]] = {
        s["key"]: {"options": {}} if s["type"] in ("choice", "multichoice") else {} for s in specs
    }
    for (key, what, option), value in zip(reads, result[1:], strict=True):
        if what == "option":
            totals[key]["options"][option] = int(value)
        elif what in ("yes", "count", "answered"):
            totals[key][what] = int(value)
        else:
            totals[key][what] = value
    for spec in specs:
        total = totals[spec["key"]]
        if "sum" in total:
            total["sum"] = _exact(total["sum"], total.pop("places", None))
    return schools, totals


def _exact(value, places: int | None) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    exponent = Decimal(1).scaleb(-int(places or 0))
    return Decimal(repr(float(value))).quantize(exponent)
