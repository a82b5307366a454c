"""Pages of a long list (schools, execution, the campaign matrix): one rule for all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import abort, request

# Ids and page numbers are 32-bit integers in the database (PostgreSQL's "integer").
MAX_INT = 2**31 - 1


def query_int(name: str, default: int | None = None) -> int | None:
    """A number in the query string (``default`` when absent or not a number). One that no
    id or page can be, beyond what the database counts in, is a forged address: 404, not
    the database driver's error (500)."""
    value = request.args.get(name, default, type=int)
    if value is not None and not -MAX_INT <= value <= MAX_INT:
        abort(404)
    return value


def requested_page() -> int:
    return query_int("page", 1) or 1


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def clamp(page: int, total: int, per_page: int) -> int:
    """The page asked for, within 1..last (a stale or forged number shows the nearest)."""
    return min(max(page, 1), page_count(total, per_page))


def read_page(
    rows_of: Callable[[int], Sequence[Any]], count: Callable[[], int], page: int, per_page: int
) -> tuple[Sequence[Any], int, int]:
    """(rows, total, page): the rows of ``page``, each ending with the total they are a
    page of (a subquery the database computes once), so a page is one query. A page
    past the last (a stale or forged number) is counted apart, then the last is read."""
    page = max(page, 1)
    rows = rows_of(page)
    if rows:
        return rows, rows[0][-1], page
    total = count() if page > 1 else 0
    page = clamp(page, total, per_page)
    if total:
        rows = rows_of(page)
    return rows, total, page


class Paged:
    """For a result with ``total``, ``page`` and ``per_page``: how many pages it has."""

    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)
