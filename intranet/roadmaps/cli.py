from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from intranet.roadmaps.plan_import import PlanImportError, parse_plan


def _period(value: str | None) -> tuple[date, date] | None:
    if not value:
        return None
    try:
        start, end = (date.fromisoformat(part) for part in value.split(":"))
    except ValueError as exc:
        raise click.BadParameter("expected START:END as YYYY-MM-DD:YYYY-MM-DD") from exc
    if end < start:
        raise click.BadParameter("the period ends before it starts")
    return start, end


@click.group("plan")
def plan_cli() -> None:
    """District plans (roadmaps)."""


@plan_cli.command("parse")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--period", help="The plan's period, START:END (YYYY-MM-DD:YYYY-MM-DD).")
@with_appcontext  # the messages come from the app's (Russian) catalogue
def parse(path: Path, period: str | None) -> None:
    """Print the plan found in an order (.docx) or a plan (.xlsx, .csv) as JSON."""
    try:
        parsed = parse_plan(path.read_bytes(), path.name, _period(period))
    except PlanImportError as exc:
        click.echo(" ".join(str(exc).split()), err=True)
        sys.exit(2)
    click.echo(json.dumps(parsed.as_dict(), ensure_ascii=False, indent=2))
