"""The consolidated table of a campaign as a page: 50 schools at a time, optionally one
section of the form, with each question's total over ALL the campaign's schools computed
by the database in one statement (300 schools' answers never travel to Python to be
summed), and remembered until an answer of the campaign changes. The .xlsx export still
reads every answer (``services.consolidated``); both word their totals the same way
(``services._total_text``)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Numeric, and_, case, cast, func, not_, or_, select, true

from intranet import paging
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.inspections.models import Campaign, Submission
from intranet.inspections.services import (
    Column,
    _total_text,
    answer_rows,
    cell_state,
)

_LOCK = threading.Lock()


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
    schools, totals = remembered_totals(campaign.id, plain)
    page = paging.clamp(page, schools, per_page)
    rows = []
    table_rows: dict[str, list] = {t["key"]: [] for t in tables}
    keys = [(f["key"], f["type"] == "yesno") for f in plain]
    # ``services.display`` for 3,000 cells, with yes and no translated once.
    said = {"yes": _("yes"), "no": _("no")}

    def show(key: str, yesno: bool, value: Any) -> str | None:
        if value is None or value == "" or value == []:
            return None
        if yesno:
            return said.get(value) or str(value)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    for sid, school_id, code, name, cell, answers in db.session.execute(
        answer_rows(campaign.id).limit(per_page).offset((page - 1) * per_page)
    ):
        answers = answers or {}
        shown = [show(key, yesno, answers.get(key)) for key, yesno in keys]
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


# Totals of a campaign, by what its answers were when they were summed: an answer saved
# anywhere (any app process) bumps its submission's revision, so the key changes and
# the totals are summed again; until then a page view reads one small row instead.
_REMEMBERED: OrderedDict[tuple, tuple[int, dict]] = OrderedDict()
_REMEMBER = 64


def remembered_totals(campaign_id: int, specs: list[dict]) -> tuple[int, dict]:
    state = db.session.execute(
        select(
            func.count(Submission.id),
            func.coalesce(func.sum(Submission.revision), 0),
            func.max(Submission.id),
            func.max(Submission.updated_at),
        ).where(Submission.campaign_id == campaign_id)
    ).one()
    key = (campaign_id, tuple(s["key"] for s in specs), tuple(str(v) for v in state))
    with _LOCK:
        if key in _REMEMBERED:
            _REMEMBERED.move_to_end(key)
            return _REMEMBERED[key]  # read, never changed, by its callers
    schools, totals = sql_totals(campaign_id, specs)
    with _LOCK:
        _REMEMBERED[key] = (schools, totals)
        while len(_REMEMBERED) > _REMEMBER:
            _REMEMBERED.popitem(last=False)
    return schools, totals


def _normalised(value):
    """A typed number as the database can cast it: no spaces, a decimal point."""
    return func.replace(
        func.replace(func.replace(func.trim(value), " ", ""), "\u00a0", ""), ",", "."
    )


def _valid_number(n, integer: bool, dialect: str):
    if dialect == "postgresql":
        pattern = r"^[+-]?[0-9]+$" if integer else r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$"
        return n.op("~")(pattern)
    bad = "*[^0-9+-]*" if integer else "*[^0-9.+-]*"
    return and_(n.op("GLOB")("*[0-9]*"), not_(n.op("GLOB")(bad)))


def sql_totals(campaign_id: int, specs: list[dict]) -> tuple[int, dict[str, dict[str, Any]]]:
    """How many schools the campaign has, and per question the counts its total reads
    (``services._total_text``). The database reads each school's answers once, as
    (question, answer) pairs, and returns per question its answered count, the sum of a
    number, or per distinct choice its count: a few rows per question."""
    dialect = db.session.get_bind().dialect.name
    schools = db.session.scalar(
        select(func.count(Submission.id)).where(Submission.campaign_id == campaign_id)
    )
    totals: dict[str, dict[str, Any]] = {}
    for spec in specs:
        kind = spec["type"]
        if kind == "yesno":
            totals[spec["key"]] = {"yes": 0}
        elif kind in ("choice", "multichoice"):
            totals[spec["key"]] = {"options": {o: 0 for o in spec.get("options", [])}}
        elif kind in ("integer", "decimal"):
            totals[spec["key"]] = {"sum": None, "count": 0}
        else:
            totals[spec["key"]] = {"answered": 0}
    if not specs:
        return schools or 0, totals
    # Each school's answers as (key, value) rows; a list comes as its JSON text.
    pairs = (
        func.json_each_text(Submission.answers)
        if dialect == "postgresql"
        else func.json_each(Submission.answers)
    ).table_valued("key", "value")
    key, value = pairs.c.key, pairs.c.value
    by_kind: dict[str, list[str]] = {}
    for spec in specs:
        by_kind.setdefault(spec["type"], []).append(spec["key"])
    grouped = by_kind.get("yesno", []) + by_kind.get("choice", []) + by_kind.get("multichoice", [])
    answered = and_(value.is_not(None), value.not_in(["", "[]"]))
    n = _normalised(value)
    valid = or_(
        and_(key.in_(by_kind.get("integer", [])), _valid_number(n, True, dialect)),
        and_(key.in_(by_kind.get("decimal", [])), _valid_number(n, False, dialect)),
    )
    valid = and_(answered, valid)
    group_value = case((key.in_(grouped), value), else_=None)
    columns = [
        key,
        group_value,
        func.sum(case((answered, 1), else_=0)),
        func.sum(case((valid, 1), else_=0)),
        func.sum(case((valid, cast(n, Numeric if dialect == "postgresql" else Float)))),
    ]
    if dialect != "postgresql":
        # SQLite sums binary floats: the places typed give back the exact sum.
        columns.append(
            func.max(
                case(
                    (and_(valid, func.instr(n, ".") > 0), func.length(n) - func.instr(n, ".")),
                    else_=0,
                )
            )
        )
    rows = db.session.execute(
        select(*columns)
        .select_from(Submission)
        .join(pairs, true())
        .where(Submission.campaign_id == campaign_id, key.in_([s["key"] for s in specs]))
        .group_by(key, group_value)
    ).all()
    kinds = {s["key"]: s["type"] for s in specs}
    for k, v, n_answered, n_valid, amount, *places in rows:
        kind, total = kinds[k], totals[k]
        if kind == "yesno":
            total["yes"] += int(n_answered) if v == "yes" else 0
        elif kind == "choice":
            if v in total["options"]:
                total["options"][v] += int(n_answered)
        elif kind == "multichoice":
            chosen = _chosen(v)
            for option in total["options"]:
                if option in chosen:
                    total["options"][option] += int(n_answered)
        elif kind in ("integer", "decimal"):
            total["count"] += int(n_valid)
            total["sum"] = _exact(amount, places[0] if places else None)
        else:
            total["answered"] += int(n_answered)
    for total in totals.values():
        if "sum" in total and total["sum"] is None:
            total["sum"] = Decimal(0)
    return schools or 0, totals


def _chosen(value: Any) -> list:
    """The options of a multiple choice answer: a list (as JSON text), or one option."""
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [parsed]
    return [value]


def _exact(value, places: int | None) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    exponent = Decimal(1).scaleb(-int(places or 0))
    return Decimal(repr(float(value))).quantize(exponent)
