"""Which columns of a plan's or a roadmap's table are drawn: a column empty in every row
(an order without «Ожидаемый результат») is left out, unless the reader edits the rows
(an edited row may fill it, and its row must still line up with the header)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def shown(items: Iterable[Any], names: Iterable[str], editing: bool = False) -> dict[str, bool]:
    """{column: drawn?}: a column is drawn when some item has a value in it."""
    items = list(items)
    return {name: editing or any(_filled(getattr(i, name, None)) for i in items) for name in names}


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set):
        return bool(value)
    return value is not None


ROADMAP = ("deadline_text", "responsible", "evidence")
PLAN = ("deadline_text", "responsible", "result")


def roadmap_columns(items: Iterable[Any], editing: bool) -> dict[str, bool]:
    cols = shown(items, ROADMAP, editing)
    cols["actions"] = editing
    cols["count"] = 3 + sum(cols[n] for n in (*ROADMAP, "actions"))
    return cols


def plan_columns(items: Iterable[Any], editing: bool) -> dict[str, bool]:
    cols = shown(items, PLAN, editing)
    cols["actions"] = editing
    cols["count"] = 2 + sum(cols[n] for n in (*PLAN, "actions"))
    return cols
