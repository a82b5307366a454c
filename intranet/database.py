"""Schema upgrades outside of Alembic's own CLI (demo, tests, benchmark)."""

from __future__ import annotations

from flask_migrate import upgrade


def upgrade_database() -> None:
    """Bring the configured database to the newest migration."""
    upgrade()
