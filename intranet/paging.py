"""Pages of a long list (schools, execution, the campaign matrix): one rule for all."""

from __future__ import annotations

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


class Paged:
    """For a result with ``total``, ``page`` and ``per_page``: how many pages it has."""

    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)
