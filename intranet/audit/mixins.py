"""Mark a model as audited; the flush listener in ``audit.services`` does the rest."""

from __future__ import annotations


class Audited:
    """Models with this mixin get an audit row for every insert, update and delete.

    ``__audit_entity__`` names the entity in the log; ``__audit_redact__`` lists columns
    whose values are never copied into the log (a change is still recorded, as "***").
    ``audit_scope()`` returns (district_id, school_id) so the log can be filtered by school.
    """

    __audit_entity__: str = ""
    __audit_redact__: frozenset[str] = frozenset()
    __audit_ignore__: frozenset[str] = frozenset({"updated_at", "created_at"})

    def audit_scope(self) -> tuple[int | None, int | None]:
        return None, None
