"""The ``intranet`` command: Flask's CLI with the app factory and the domain groups."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from intranet import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """District intranet: roadmaps, self-inspections, district control."""


def _serve(host: str, port: int, threads: int, workers: int | None = 1) -> None:
    from intranet import serving

    app = current_app._get_current_object()
    if workers is None:
        workers = serving.default_workers(app)
    serving.serve(app, host, port, threads, workers, echo=click.echo)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Per process.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes (Linux). Default: one per core with PostgreSQL, one with SQLite.",
)
@with_appcontext
def serve(host: str, port: int, threads: int, workers: int | None) -> None:
    """Serve the configured database with waitress (production)."""
    _serve(host, port, threads, workers)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only create the database and the demo data.")
@with_appcontext
def demo(host: str, port: int, no_serve: bool) -> None:
    """Create or upgrade the database, fill a demo district and serve it."""
    from intranet import demo as demo_data
    from intranet.database import upgrade_database

    upgrade_database()
    passwords = demo_data.fill()
    if passwords:
        click.echo("Demo district created. These passwords are shown once:")
        for login, role, password in passwords:
            click.echo(f"  {login:<12} {role:<20} {password}")
        enrolment = demo_data.demo_enrolment_path()
        if enrolment.exists():
            click.echo(
                "A school's offline copy can be tried with the first school's enrolment file:\n"
                f"  INTRANET_INSTANCE_PATH=school-copy intranet sync init {enrolment}\n"
                "  INTRANET_INSTANCE_PATH=school-copy intranet serve --port 5001"
            )
    else:
        click.echo(
            "Demo data is already there. Forgot a password? Run: intranet users set-password LOGIN"
        )
    if not no_serve:
        _serve(host, port, threads=4)


def init_app(app: Flask) -> None:
    from intranet.documents.cli import load_commands
    from intranet.roadmaps.cli import plan_cli
    from intranet.schools.cli import schools_cli
    from intranet.users.cli import districts_cli, users_cli
    from sync.cli import sync_cli

    print_cli = load_commands()
    for group in (
        serve,
        demo,
        schools_cli,
        users_cli,
        districts_cli,
        plan_cli,
        sync_cli,
        print_cli,
    ):
        app.cli.add_command(group)
