"""``intranet sync now`` (a school copy syncs once over the network) and ``intranet sync
code`` (the district makes a one-time enrolment code, as the school page's button does).

``sync now`` exits 0 when every change made here is confirmed by the district; 2 when
there is no link (normal: the background retries); 3 when changes are left in conflict or
unconfirmed; 1 on any other refusal. It prints one line why on failure."""

from __future__ import annotations

import click

from intranet.errors import Refused
from intranet.i18n import gettext as _
from sync.cli import _fail, _school_by_code, sync_cli

EXIT_NO_LINK, EXIT_UNCONFIRMED = 2, 3


@sync_cli.command("now")
def now_command() -> None:
    """School copy: send the changes and fetch the district's bundle over the network."""
    from sync.client import run_sync
    from sync.mode import is_school_copy

    if not is_school_copy():
        _fail(_("This is the district server: «sync now» runs on a school's copy."))
    report = run_sync()
    if not report.link:
        _fail(report.errors[-1] if report.errors else report.lines()[0], EXIT_NO_LINK)
    for line in report.lines():
        click.echo(line)
    if report.errors:
        _fail(report.errors[0])
    if not report.all_confirmed:
        _fail(
            _(
                "Not everything is confirmed yet: in conflict %(conflicts)s, waiting %(waiting)s.",
                conflicts=report.conflicts,
                waiting=report.waiting,
            ),
            EXIT_UNCONFIRMED,
        )


@sync_cli.command("code")
@click.option("--school", "school_code", required=True, help="The school's code.")
def code_command(school_code: str) -> None:
    """District: a one-time enrolment code for one PC of a school (shown once)."""
    from sync.codes import create_code

    school = _school_by_code(school_code)
    try:
        made = create_code(None, school)
    except Refused as exc:
        _fail(str(exc))
    click.echo(made.code)
