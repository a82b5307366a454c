"""``intranet sync``: export, import, status (enrolment adds its own commands here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.schools.models import School
from sync.mode import is_school_copy

sync_cli = AppGroup("sync", help="Offline sync: signed bundles between the district and schools.")

# Exit codes: 0 applied (now or before); 1 refused; 2 kept waiting for an earlier bundle;
# 3 kept in quarantine.
EXIT_REFUSED, EXIT_WAITING, EXIT_QUARANTINED = 1, 2, 3


def _fail(message: str, code: int = EXIT_REFUSED):
    click.echo(" ".join(str(message).split()), err=True)
    sys.exit(code)


def _school_by_code(code: str) -> School:
    schools = list(db.session.scalars(select(School).where(School.code == code)))
    if not schools:
        _fail(_("There is no school with the code %(code)s.", code=code))
    if len(schools) > 1:
        _fail(_("Several districts have a school with the code %(code)s.", code=code))
    return schools[0]


def _write(path: str, data: bytes) -> None:
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)  # a half-written file never carries the bundle's name


@sync_cli.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Bundle file.")
@click.option("--school", "school_code", help="District: the school the bundle is for.")
@click.option(
    "--node", "node_id", help="District: one computer of the school (leaves out its own changes)."
)
def export_command(out: str, school_code: str | None, node_id: str | None) -> None:
    """Write the next bundle for the other side."""
    from sync.bundle import BundleRefused
    from sync.exporter import export_for_school, export_up

    try:
        if is_school_copy():
            exported = export_up()
        else:
            if not school_code:
                _fail(_("On the district server name the school: --school CODE."))
            exported = export_for_school(_school_by_code(school_code), node_id)
    except BundleRefused as exc:
        _fail(exc.reason)
    _write(out, exported.data)
    click.echo(
        _(
            "Bundle written: %(path)s (%(records)s records, %(size)s bytes).",
            path=out,
            records=exported.records,
            size=len(exported.data),
        )
    )


def counts_line(counts: dict[str, int]) -> str:
    return _(
        "applied %(applied)s, skipped as already known %(skipped)s, merged %(merged)s, "
        "in conflict %(conflict)s, quarantined %(quarantined)s",
        applied=counts.get("applied", 0),
        skipped=counts.get("skipped", 0),
        merged=counts.get("merged", 0),
        conflict=counts.get("conflict", 0),
        quarantined=counts.get("quarantined", 0),
    )


@sync_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path: str) -> None:
    """Apply a bundle from the other side."""
    from flask import current_app

    from sync.bundle import BundleRefused
    from sync.importer import import_bundle

    file = Path(path)
    if not file.is_file():
        _fail(_("There is no file %(path)s.", path=path))
    limit = int(current_app.config.get("SYNC_MAX_BUNDLE_BYTES") or 64 * 1024 * 1024)
    if file.stat().st_size > limit:
        _fail(_("The file is larger than a bundle may be: refused."))
    try:
        result = import_bundle(file.read_bytes())
    except BundleRefused as exc:
        _fail(_("Bundle refused: %(reason)s", reason=exc.reason))
    if result.status == "waiting":
        _fail(result.message, EXIT_WAITING)
    if result.status == "quarantined":
        _fail(result.message + " " + counts_line(result.counts), EXIT_QUARANTINED)
    if result.status == "known":
        click.echo(
            _("This bundle was applied before: %(counts)s.", counts=counts_line(result.counts))
        )
    elif is_school_copy():
        click.echo(
            _(
                "District bundle applied: %(receipts)s receipts, %(records)s other records.",
                receipts=result.counts.get("receipts", 0),
                records=sum(v for k, v in result.counts.items() if k != "receipts"),
            )
        )
    else:
        click.echo(_("Bundle applied: %(counts)s.", counts=counts_line(result.counts)))


@sync_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(as_json: bool) -> None:
    """Where the sync stands on this side."""
    from sync.status import copy_status, district_status

    state = copy_status() if is_school_copy() else district_status()
    if as_json:
        click.echo(json.dumps(state, ensure_ascii=False, indent=2))
        return
    if state["mode"] == "school":
        if not state["enrolled"]:
            click.echo(_("This copy is not enrolled yet: run «intranet sync init» first."))
            return
        click.echo(
            _("School %(school)s, computer %(node)s.", school=state["school"], node=state["node"])
        )
        changes = state["changes"]
        click.echo(
            _(
                "Changes: waiting to go %(unsent)s, sent %(sent)s, confirmed %(confirmed)s, "
                "in conflict %(conflict)s, errors %(error)s.",
                unsent=changes.get("unsent", 0),
                sent=changes.get("sent", 0),
                confirmed=changes.get("confirmed", 0),
                conflict=changes.get("conflict", 0),
                error=changes.get("error", 0),
            )
        )
        click.echo(
            _(
                "Last export: %(exported)s; last import: %(imported)s.",
                exported=state["last_export_at"] or "—",
                imported=state["last_import_at"] or "—",
            )
        )
        from sync.digest import state_text

        proof = state["digest"]
        click.echo(_("Data check: %(state)s.", state=state_text(proof["state"] or "")))
        for label in proof["differences"]:
            click.echo(f"  {label}")
        return
    for node in state["nodes"]:
        click.echo(
            _(
                "%(school)s %(node)s: applied through %(seq)s, last bundle %(at)s%(revoked)s",
                school=node["school"],
                node=node["node"],
                seq=node["applied_seq"],
                at=node["last_bundle_at"] or "—",
                revoked=_(" (revoked)") if node["revoked"] else "",
            )
        )
    click.echo(_("In quarantine: %(count)s.", count=state["quarantine_open"]))


def _load_other_commands() -> None:
    """Enrolment registers ``enrol`` and ``init`` on this group from its own module."""
    import importlib

    for name in ("sync.enrol_cli", "sync.enrol", "sync.netcli"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


_load_other_commands()
