"""Plan execution as an Excel workbook: schools on one sheet, items on another."""

from __future__ import annotations

import io

from openpyxl import Workbook

from intranet.i18n import gettext as _
from intranet.review.models import ReviewState
from intranet.sheets import append_header, append_row


def execution_xlsx(plan, schools, items) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Schools"))
    append_row(ws, [plan.title])
    append_header(
        ws,
        [
            _("Code"),
            _("School"),
            _("Roadmap"),
            _("Items"),
            _("done"),
            _("in progress"),
            _("overdue"),
        ],
    )
    for row in schools:
        state = ReviewState(row.status).label
        if row.changed_since_accepted:
            state += " (" + _("changed since accepted") + ")"
        append_row(
            ws, [row.code, row.name, state, row.items, row.done, row.in_progress, row.overdue]
        )

    ws = wb.create_sheet(_("Measures"))
    append_row(ws, [plan.title])
    append_header(ws, [_("No."), _("Measure"), _("Due"), _("Schools"), _("done"), _("overdue")])
    for row in items:
        append_row(ws, [row.number, row.text, row.due_date, row.schools, row.done, row.overdue])

    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
