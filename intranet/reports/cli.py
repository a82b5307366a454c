"""``intranet print roadmaps`` and ``intranet print report``: the district's prints."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from intranet.documents.cli import nothing_to_print, print_cli, write_document
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.inspections.models import Campaign
from intranet.reports import data
from intranet.reports.documents import DistrictReportDocument, RoadmapDocument
from intranet.roadmaps.models import Plan

OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        nothing_to_print(_("There is no plan %(id)s.", id=plan_id))
    return plan


@print_cli.command("roadmaps")
@click.option("--plan", "plan_id", type=int, required=True, help="The plan's id.")
@click.option("--out", type=OUT, required=True, help="The PDF file to write.")
def roadmaps(plan_id: int, out: Path) -> None:
    """Every school's roadmap of a plan as one PDF, each school from a new page."""
    plan = _plan(plan_id)
    if not data.count_plan_roadmaps(plan):
        nothing_to_print(_("The plan %(id)s has no school roadmaps to print.", id=plan_id))
    write_document(RoadmapDocument.for_plan(plan), out)


@print_cli.command("report")
@click.option("--campaign", "campaign_id", type=int, help="A campaign's id.")
@click.option("--plan", "plan_id", type=int, help="A plan's id.")
@click.option("--out", type=OUT, required=True, help="The PDF file to write.")
def report(campaign_id: int | None, plan_id: int | None, out: Path) -> None:
    """The consolidated district report on a campaign's forms or a plan's roadmaps."""
    if (campaign_id is None) == (plan_id is None):
        nothing_to_print(_("Give either --campaign or --plan."))
    today = date.today()
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            nothing_to_print(_("There is no campaign %(id)s.", id=campaign_id))
        found = data.campaign_report(campaign, today)
    else:
        found = data.plan_report(_plan(plan_id), today)
    if not found.lines:
        nothing_to_print(_("No school has this plan or form yet: nothing to print."))
    write_document(DistrictReportDocument(found), out)
