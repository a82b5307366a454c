"""``intranet print``: every printed document from the command line.

Each domain adds its own commands to :data:`print_cli` from its own module (decorated
with ``@print_cli.command(...)``) and names that module in :data:`COMMAND_MODULES`, so
the group is filled before the CLI runs and no domain edits another's file.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from intranet.documents.base import Document, EmptyDocument
from intranet.documents.fonts import FontsUnavailable

COMMAND_MODULES: list[str] = ["intranet.acts.cli", "intranet.reports.cli"]


@click.group("print")
def print_cli() -> None:
    """Print documents (PDF): control acts, reports, roadmaps."""


def load_commands() -> click.Group:
    for name in COMMAND_MODULES:
        importlib.import_module(name)
    return print_cli


def nothing_to_print(message: str) -> None:
    """One line on stderr and a non-zero exit: a script must not file an empty PDF."""
    click.echo(" ".join(str(message).split()), err=True)
    sys.exit(1)


def write_document(document: Document, out: Path) -> None:
    """Lay ``document`` out straight into ``out``; a failure leaves no partial file."""
    partial = out.with_name(out.name + ".part")
    try:
        pages = document.write(str(partial))
    except EmptyDocument as exc:
        partial.unlink(missing_ok=True)
        nothing_to_print(str(exc))
    except FontsUnavailable as exc:
        partial.unlink(missing_ok=True)
        click.echo(str(exc), err=True)
        sys.exit(3)
    partial.replace(out)
    click.echo(f"{out}: {pages} pages")
