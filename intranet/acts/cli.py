"""``intranet print act NUMBER`` and ``intranet print acts --year YYYY``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from intranet.documents.cli import nothing_to_print, print_cli, write_document


@print_cli.command("act")
@click.argument("number")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--district", "district_id", type=int, help="The district (when several use one server)."
)
@with_appcontext
def print_act(number: str, out: Path, district_id: int | None) -> None:
    """One issued control act by its number (e.g. 12-2026)."""
    from intranet.acts import services
    from intranet.acts.documents import ControlActDocument
    from intranet.i18n import gettext as _

    acts = services.find_issued(number, district_id)
    if not acts:
        nothing_to_print(_("No issued act No. %(number)s.", number=number))
    if len(acts) > 1:
        nothing_to_print(
            _("Acts No. %(number)s exist in several districts: give --district.", number=number)
        )
    write_document(ControlActDocument(acts), out)


@print_cli.command("acts")
@click.option("--year", required=True, type=int)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--district", "district_id", type=int, help="Only this district's acts.")
@with_appcontext
def print_acts(year: int, out: Path, district_id: int | None) -> None:
    """Every act issued in a year, in one PDF; each act starts on a new page."""
    from intranet.acts import services
    from intranet.acts.documents import ControlActDocument
    from intranet.i18n import gettext as _

    acts = services.issued_acts(year, district_id)
    if not acts:
        nothing_to_print(_("No acts were issued in %(year)s.", year=year))
    write_document(ControlActDocument(acts), out)
