"""Pages of a long list (schools, execution, the campaign matrix): one rule for all."""

from __future__ import annotations


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
