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

from sqlalchemy import (
    Boolean,
    Float,
    Numeric,
    and_,
    bindparam,
    case,
    cast,
    func,
    not_,
    or_,
    select,
    true,
)

from intranet import paging
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.inspections import formatting
from intranet.inspections.models import Campaign, Submission
from intranet.inspections.services import (
    CELL_CODE,
    CHANGED,
    SENT_CODES,
    SENT_STATES,
    Column,
    answer_rows,
    cell_state,
    columns_of,
    empty_total,
    is_sent,
)
from intranet.objectivity import services as objectivity
from intranet.schools.models import School

_LOCK = threading.Lock()


@dataclass
class Section:
    key: str
    title: str


@dataclass
class ConsolidatedPage(paging.Paged):
    campaign: Campaign
    columns: list[Column]
    # (submission id, school id, code, name, state, shown answers, sent, at risk) of the
    # page's schools; the answers of a school that has not sent its form are None unless
    # drafts were asked for; at risk: flagged by the objectivity markers
    rows: list[tuple[int, int, str, str, str, list[str | None], bool, bool]]
    tables: list[tuple[dict, list[tuple[str, str, dict, bool]]]]
    sections: list[Section] = field(default_factory=list)
    section: str | None = None
    total: int = 0
    page: int = 1
    per_page: int = 50
    drafts: bool = False
    counted: int = 0  # the schools whose answers the totals count


def page(
    campaign: Campaign,
    today: date,
    page: int = 1,
    per_page: int = 50,
    section: str | None = None,
    drafts: bool = False,
) -> ConsolidatedPage:
    """One page of schools, with totals over every school that has sent its form (with
    ``drafts``, over every school, the drafts shown and marked): a few queries."""
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
    schools, counted, _totals, columns = remembered_totals(campaign, plain, drafts)
    page = paging.clamp(page, schools, per_page)
    found = _page_rows(campaign, page, per_page, drafts)
    rows = []
    table_rows: dict[str, list] = {t["key"]: [] for t in tables}
    # Each typed text is worded once a page for all the columns that word it alike (the
    # 3,000 answers of a page are mostly a few hundred values: «да», an option, a small
    # number). Only text is remembered: 1, 1.0 and True are equal as keys but not as
    # they are shown.
    memos: dict[str, _Shown] = {}
    shows = [
        (f["key"], memos.get(_wording(f)) or memos.setdefault(_wording(f), _Shown(_shower(f))))
        for f in plain
    ]
    keys = [key for key, _memo in shows]
    column_memos = [memo for _key, memo in shows]
    for sid, school_id, code, name, cell, answers, at_risk in found:
        sent = is_sent(cell)
        answers = (answers or {}) if sent or drafts else {}
        if not answers:
            shown = [None] * len(shows)
        else:
            try:  # the row's answers looked up in their memos without a call per cell
                shown = list(map(_lookup, column_memos, map(answers.get, keys)))
            except TypeError:  # a list (multiple choice) is no key: answer by answer
                get = answers.get
                shown = [
                    memo[v] if type(v := get(key)) is str else memo.show(v)  # noqa: E721
                    for key, memo in shows
                ]
        state = cell_state(cell, campaign.due_date, today)
        rows.append((sid, school_id, code, name, state, shown, sent, bool(at_risk)))
        for t in tables:
            for row in answers.get(t["key"]) or []:
                table_rows[t["key"]].append((code, name, row, sent))
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
        drafts,
        counted,
    )


class _Shown(dict):
    """Answers as shown, by the text typed, for the columns that word them alike; a
    text not met yet on the page is worded. Any other answer (a number, true, none) is
    worded each time and never kept: 1, 1.0 and True are equal as keys but not as they
    are shown, and none of them equals a text."""

    def __init__(self, show):
        super().__init__()
        self.show = show

    def __missing__(self, value) -> str | None:
        shown = self.show(value)
        if type(value) is str:  # noqa: E721
            self[value] = shown
        return shown


_lookup = dict.__getitem__  # a memo's lookup, ``__missing__`` included


# The page's schools in code order, picked from the index before their answers are read:
# SQLite sorts what it selects, so sorting every school's answers to keep 50 of them
# would copy all of them.
_PAGE_SCHOOLS = (
    select(Submission.id)
    .join(School, School.id == Submission.school_id)
    .where(Submission.campaign_id == bindparam("campaign"))
    .order_by(School.code)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
# Their answers. (The campaign's state, ``_STATE``, is read apart: joined to these rows,
# PostgreSQL's plan of the prepared statement took three times as long.)
# The answers of a form not sent are shown only with the drafts: without them, they are
# not read at all (none of their JSON parsed).
_ROWS = answer_rows(bindparam("campaign"))
_PAGE_ROWS = _ROWS.with_only_columns(
    *_ROWS.selected_columns[:-1],
    case(
        (
            or_(bindparam("drafts", type_=Boolean), (CELL_CODE % CHANGED).in_(SENT_CODES)),
            Submission.answers,
        ),
        else_=None,
    ),
    # The school's risk badge (``objectivity.at_risk``), read with its row.
    objectivity.at_risk(Submission.school_id),
).where(Submission.id.in_(_PAGE_SCHOOLS.scalar_subquery()))


def _wording(spec: dict) -> str:
    """The columns whose answers ``_shower`` words alike share this."""
    kind = spec["type"]
    return kind if kind in ("yesno", "integer", "decimal", "date") else "text"


def _page_rows(campaign: Campaign, page: int, per_page: int, drafts: bool):
    """The rows of a page's schools: plain columns, run on the session's connection (no
    ORM handling of 50 rows)."""
    db.session.flush()
    params = {"campaign": campaign.id, "limit": per_page, "offset": (page - 1) * per_page}
    params |= {"drafts": drafts, "district_id": campaign.district_id}
    # Fetched at once: psycopg is called once, not once per row.
    return db.session.connection().execute(_PAGE_ROWS, params).all()


def _shower(spec: dict):
    """``formatting.answer`` for one column, quick for 3,000 cells: «да»/«нет» looked up,
    text as it is; only numbers and dates are read and written the Russian way."""
    kind = spec["type"]
    if kind == "yesno":
        said = {"yes": _("yes"), "no": _("no")}

        def yesno(value):
            if value is None or value == "":
                return None
            return said.get(value) or str(value)

        return yesno
    if kind in ("integer", "decimal", "date"):
        return lambda value: formatting.answer(spec, value)

    def plain(value):
        if value is None or value == "" or value == []:
            return None
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    return plain


# Totals of a campaign, by what its answers were when they were summed: an answer saved
# anywhere (any app process) bumps its submission's revision, so the key changes and
# the totals are summed again; until then a page view reads one small row instead.
_REMEMBERED: OrderedDict[tuple, tuple[int, int, dict, list[Column]]] = OrderedDict()
_REMEMBER = 64

_STATE = select(
    func.count(Submission.id),
    func.coalesce(func.sum(Submission.revision), 0),
    func.max(Submission.id),
    func.max(Submission.updated_at),
    func.max(Submission.review_state_at),
    func.count(Submission.id).filter(Submission.status.in_(SENT_STATES)),
).where(Submission.campaign_id == bindparam("campaign"))


def remembered_totals(
    campaign: Campaign, specs: list[dict], drafts: bool = False
) -> tuple[int, int, dict, list[Column]]:
    """(schools, schools counted, totals, the columns of ``specs`` with their totals
    worded), summed again only when an answer or a review state of the campaign has
    changed since (its published schema never changes)."""
    state = db.session.connection().execute(_STATE, {"campaign": campaign.id}).one()
    key = (campaign.id, drafts, tuple(s["key"] for s in specs), tuple(str(v) for v in state))
    with _LOCK:
        if key in _REMEMBERED:
            _REMEMBERED.move_to_end(key)
            return _REMEMBERED[key]  # read, never changed, by its callers
    schools, sent = int(state[0] or 0), int(state[5] or 0)
    counted = schools if drafts else sent
    totals = sql_totals(campaign.id, specs, drafts)
    found = (schools, counted, totals, columns_of(campaign.schema, specs, totals, counted))
    with _LOCK:
        _REMEMBERED[key] = found
        while len(_REMEMBERED) > _REMEMBER:
            _REMEMBERED.popitem(last=False)
    return found


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


def sql_totals(
    campaign_id: int, specs: list[dict], drafts: bool = False
) -> dict[str, dict[str, Any]]:
    """Per question the counts its total reads (``services._total_text``), over the
    schools that have sent their form (every school with ``drafts``). The database reads
    each school's answers once, as (question, answer) pairs, and returns per question its
    answered count, the sum of a number, or per distinct answer its count: a few rows per
    question; the medians of numbers come from a second statement."""
    dialect = db.session.get_bind().dialect.name
    totals: dict[str, dict[str, Any]] = {spec["key"]: empty_total(spec) for spec in specs}
    if not specs:
        return totals
    counted = Submission.campaign_id == campaign_id
    if not drafts:
        counted = and_(counted, Submission.status.in_(SENT_STATES))
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
    number = cast(n, Numeric if dialect == "postgresql" else Float)
    group_value = case((key.in_(grouped), value), else_=None)
    columns = [
        key,
        group_value,
        func.sum(case((answered, 1), else_=0)),
        func.sum(case((valid, 1), else_=0)),
        func.sum(case((valid, number))),
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
        .where(counted, key.in_([s["key"] for s in specs]))
        .group_by(key, group_value)
    ).all()
    kinds = {s["key"]: s["type"] for s in specs}
    for k, v, n_answered, n_valid, amount, *places in rows:
        kind, total = kinds[k], totals[k]
        if kind == "yesno":
            if v in ("yes", "no"):
                total["answered"] += int(n_answered)
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
    numeric = by_kind.get("integer", []) + by_kind.get("decimal", [])
    if numeric:
        for k, median in _medians(pairs, counted, valid, number, numeric):
            totals[k]["median"] = _exact(median, 6) if median is not None else None
    return totals


def _medians(pairs, counted, valid, number, keys: list[str]):
    """(question, median) of the numbers answered: the middle one of each question's
    sorted numbers, or the mean of the middle two, picked by window functions (SQLite has
    no percentile function, PostgreSQL's would be a third way of reading the same rows)."""
    key = pairs.c.key
    numbers = (
        select(key.label("k"), number.label("x"))
        .select_from(Submission)
        .join(pairs, true())
        .where(counted, key.in_(keys), valid)
        .subquery()
    )
    ranked = select(
        numbers.c.k,
        numbers.c.x,
        func.row_number().over(partition_by=numbers.c.k, order_by=numbers.c.x).label("rn"),
        func.count().over(partition_by=numbers.c.k).label("c"),
    ).subquery()
    return db.session.execute(
        select(ranked.c.k, func.avg(ranked.c.x))
        .where(ranked.c.rn.in_([(ranked.c.c + 1) // 2, (ranked.c.c + 2) // 2]))
        .group_by(ranked.c.k)
    ).all()


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
