"""The database outside the models: schema upgrades (demo, tests, benchmark) and the one
way a state change claims its row."""

from __future__ import annotations

from collections.abc import Iterable

from flask_migrate import upgrade
from sqlalchemy import update

from intranet.extensions import db


def upgrade_database() -> None:
    """Bring the configured database to the newest migration."""
    upgrade()


def claim(obj, allowed: Iterable[str], column: str = "status") -> bool:
    """Take ``obj``'s row for a change of state that is only allowed from ``allowed``.

    One conditional UPDATE, the first write of the transaction: PostgreSQL holds the row
    until commit and checks the condition again after a concurrent commit, and SQLite lets
    one writer in at a time, so of parallel clicks exactly one gets True and the others see
    the winner's state. ``obj`` is read afresh either way. On False the caller refuses (and
    should roll back, to let the row go).
    """
    model = type(obj)
    state = getattr(model, column)
    taken = db.session.execute(
        update(model)
        .where(model.id == obj.id, state.in_(list(allowed)))
        .values({column: state})
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(obj)
    return taken == 1
