from __future__ import annotations

import functools

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from intranet.audit.services import acting
from intranet.auth import services as auth_services
from intranet.auth.models import User
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.schools.models import District, School
from intranet.timezones import DEFAULT_ZONE, ZONES


def _resolve_district(district_id: int | None) -> District:
    districts = db.session.scalars(select(District).order_by(District.id)).all()
    if district_id is not None:
        found = [d for d in districts if d.id == district_id]
        if not found:
            raise click.UsageError(f"no district with id {district_id}")
        return found[0]
    if len(districts) != 1:
        raise click.UsageError(
            "name the district with --district ID (see: intranet districts list)"
        )
    return districts[0]


def district_option(fn):
    @click.option("--district", "district_id", type=int, help="District id (needed if several).")
    @functools.wraps(fn)
    def wrapper(*args, district_id=None, **kwargs):
        return fn(*args, district=_resolve_district(district_id), **kwargs)

    return wrapper


@click.group("districts")
def districts_cli() -> None:
    """Districts of this deployment."""


_ZONE_CHOICE = click.Choice([name for name, _offset in ZONES])
_ZONE_HELP = "Time zone: " + ", ".join(f"{name} ({offset})" for name, offset in ZONES)


@districts_cli.command("create")
@click.argument("name")
@click.option("--short-name", default="")
@click.option("--time-zone", type=_ZONE_CHOICE, default=DEFAULT_ZONE, help=_ZONE_HELP)
@with_appcontext
def create_district(name: str, short_name: str, time_zone: str) -> None:
    with acting(None):
        district = District(name=name, short_name=short_name, time_zone=time_zone)
        db.session.add(district)
        db.session.commit()
    click.echo(f"district {district.id}: {district.name}")


@districts_cli.command("time-zone")
@click.argument("time_zone", type=_ZONE_CHOICE)
@district_option
@with_appcontext
def set_time_zone(time_zone: str, district) -> None:
    """Set the district's time zone: due dates end at midnight there."""
    with acting(None):
        district.time_zone = time_zone
        db.session.commit()
    click.echo(f"district {district.id}: {district.time_zone}")


@districts_cli.command("list")
@with_appcontext
def list_districts() -> None:
    for d in db.session.scalars(select(District).order_by(District.id)):
        click.echo(f"{d.id}\t{d.name}\t{d.time_zone}")


@click.group("users")
def users_cli() -> None:
    """User accounts."""


@users_cli.command("create")
@click.argument("login")
@click.option("--full-name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--school", "school_code", help="School code, for school roles.")
@district_option
@with_appcontext
def create_user(login: str, full_name: str, role: str, school_code: str | None, district) -> None:
    """Create an account; its one-time password is printed once."""
    from intranet.errors import Refused
    from intranet.users.services import create_user as create

    school_id = None
    if school_code:
        school = db.session.scalar(
            select(School).where(School.district_id == district.id, School.code == school_code)
        )
        if school is None:
            raise click.UsageError(f"no school with code {school_code} in district {district.id}")
        school_id = school.id
    # The CLI acts as the system, within the district it names.
    system = _SystemActor(district.id)
    try:
        user, password = create(
            system, login=login, full_name=full_name, role=role, school_id=school_id
        )
    except Refused as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"created {user.login} ({user.role}); one-time password: {password}")


@users_cli.command("set-password")
@click.argument("login")
@with_appcontext
def set_password(login: str) -> None:
    """Give an account a new one-time password, printed once."""
    user = db.session.scalar(select(User).where(User.login == auth_services.normalize_login(login)))
    if user is None:
        raise click.UsageError(f"no user {login}")
    password = auth_services.reset_password(None, user)
    click.echo(f"{user.login}: one-time password {password}")


class _SystemActor:
    """Stands for the command line where services expect an acting user."""

    id = None
    login = "system"

    def __init__(self, district_id: int) -> None:
        self.district_id = district_id
