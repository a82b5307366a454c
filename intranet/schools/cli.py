from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from intranet.schools import importer
from intranet.users.cli import district_option


@click.group("schools")
def schools_cli() -> None:
    """Schools of a district."""


@schools_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@district_option
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@with_appcontext
def import_file(path: Path, district, dry_run: bool) -> None:
    """Import or update schools from an .xlsx or .csv file (all rows or none)."""
    result = importer.preview(district.id, path.read_bytes(), path.name)
    for message in result.errors:
        click.echo(f"error: {message}", err=True)
    for row in result.rows:
        for message in row.errors:
            click.echo(f"line {row.line}: {message}", err=True)
    if not result.valid:
        raise SystemExit(2)
    counts = result.counts
    if not dry_run:
        importer.apply(None, district.id, result)
    click.echo(
        f"{'would add' if dry_run else 'added'} {counts['create']}, "
        f"updated {counts['update']}, unchanged {counts['same']}"
    )
