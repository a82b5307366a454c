"""A campaign's consolidated answers as an Excel workbook: the answers on one sheet with
totals, each table question on its own sheet."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook

from intranet.i18n import gettext as _
from intranet.inspections import schema as form_schema
from intranet.sheets import BOLD, append_header, append_row, cells


def _typed(spec: dict, shown):
    """Numbers go to Excel as numbers, so the district can sum them there too."""
    if shown is None:
        return None
    if spec["type"] in ("integer", "decimal"):
        checked = form_schema.check_value(spec, shown)
        if checked.ok:
            return float(checked.value) if spec["type"] == "decimal" else checked.value
    return shown


def consolidated_xlsx(data, labels: dict[str, str]) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Answers"))
    append_row(ws, [data.campaign.title])
    append_header(
        ws, [_("Code"), _("School"), _("State")] + [c.spec["label"] for c in data.columns]
    )
    for _sid, _school_id, code, name, state, shown in data.rows:
        append_row(
            ws,
            [code, name, labels.get(state, state)]
            + [_typed(c.spec, v) for c, v in zip(data.columns, shown, strict=True)],
        )
    ws.append(
        cells(ws, [_("Totals")], BOLD) + cells(ws, [None, None] + [c.summary for c in data.columns])
    )
    for n, (spec, rows) in enumerate(data.tables, start=1):
        # Sheet names: at most 31 characters, unique.
        sheet = wb.create_sheet(re.sub(r"[\\/?*\[\]:]", " ", f"{n}. {spec['label']}")[:31])
        append_row(sheet, [spec["label"]])
        append_header(sheet, [_("Code"), _("School")] + [c["label"] for c in spec["columns"]])
        for code, name, row in rows:
            append_row(
                sheet,
                [code, name] + [_typed(c, row.get(c["key"]) or None) for c in spec["columns"]],
            )
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
