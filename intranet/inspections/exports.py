"""A campaign's consolidated answers as an Excel workbook: the answers on one sheet with
totals (columns sized, the header frozen, a filter on it), each table question on its own
sheet, and the sheet «Вопросы» that lists the questions in full."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from intranet.i18n import gettext as _
from intranet.inspections import formatting
from intranet.inspections import schema as form_schema
from intranet.sheets import BOLD, append_row, cells

WRAP = Alignment(wrap_text=True, vertical="top")
# Excel shows these with the reader's separators: 1 000,5 and 01.10.2025 in Russian.
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0##"
DATE_FORMAT = "DD.MM.YYYY"
WIDTHS = {  # characters, by type of answer
    "yesno": 12,
    "integer": 14,
    "decimal": 14,
    "date": 13,
    "choice": 24,
    "multichoice": 28,
    "text": 32,
    "textarea": 45,
    "url": 40,
}


def _typed(ws, spec: dict, value):
    """Numbers and dates go to Excel as numbers and dates (the district can sum and sort
    them there), shown the Russian way; anything else as the page shows it."""
    if value is None or value == "" or value == []:
        return None
    kind = spec["type"]
    if kind in ("integer", "decimal", "date"):
        checked = form_schema.check_value(spec, value)
        if checked.ok:
            cell = WriteOnlyCell(
                ws, value=float(checked.value) if kind == "decimal" else checked.value
            )
            cell.number_format = {
                "integer": INTEGER_FORMAT,
                "decimal": DECIMAL_FORMAT,
                "date": DATE_FORMAT,
            }[kind]
            return cell
    return formatting.answer(spec, value)


def _header(ws, titles) -> None:
    row = []
    for title in titles:
        cell = WriteOnlyCell(ws, value=str(title))
        cell.data_type = "s"
        cell.font = BOLD
        cell.alignment = WRAP
        row.append(cell)
    ws.append(row)


def _widths(ws, widths: list[int]) -> None:
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width


def consolidated_xlsx(data, labels: dict[str, str]) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Answers"))
    columns = data.columns
    # Sizes and the frozen panes go before the first row (a streamed sheet writes them
    # first); the filter after the last.
    _widths(ws, [10, 40, 16] + [WIDTHS.get(c.spec["type"], 24) for c in columns])
    ws.freeze_panes = "D3"  # the title and the header rows, the school's three columns
    append_row(ws, [data.campaign.title])
    _header(
        ws,
        [_("Code"), _("School"), _("State")] + [f"{c.number}. {c.spec['label']}" for c in columns],
    )
    draft = _("draft")
    for (_sid, _school_id, code, name, state, _shown, sent), raw in zip(
        data.rows, data.raw, strict=True
    ):
        state_text = labels.get(state, state)
        if not sent and data.drafts and state != "draft":
            state_text = f"{state_text} ({draft})"
        append_row(
            ws,
            [code, name, state_text]
            + [_typed(ws, c.spec, v) for c, v in zip(columns, raw, strict=True)],
        )
    last = len(data.rows) + 2
    ws.auto_filter.ref = f"A2:{get_column_letter(3 + len(columns))}{last}"
    if data.drafts:
        title = _("Totals of all %(n)d schools, drafts included", n=len(data.rows))
    else:
        title = _(
            "Totals of the %(n)d of %(m)d schools that sent the form",
            n=data.counted,
            m=len(data.rows),
        )
    ws.append(cells(ws, [title], BOLD) + cells(ws, [None, None] + [c.summary for c in columns]))

    for n, (spec, rows) in enumerate(data.tables, start=1):
        # Sheet names: at most 31 characters, unique.
        sheet = wb.create_sheet(re.sub(r"[\\/?*\[\]:]", " ", f"{n}. {spec['label']}")[:31])
        _widths(sheet, [10, 40] + [WIDTHS.get(c["type"], 24) for c in spec["columns"]] + [12])
        sheet.freeze_panes = "C3"
        append_row(sheet, [spec["label"]])
        _header(
            sheet,
            [_("Code"), _("School")] + [c["label"] for c in spec["columns"]] + [_("State")],
        )
        for code, name, row, sent in rows:
            append_row(
                sheet,
                [code, name]
                + [_typed(sheet, c, row.get(c["key"])) for c in spec["columns"]]
                + [None if sent else draft],
            )
        sheet.auto_filter.ref = f"A2:{get_column_letter(3 + len(spec['columns']))}{len(rows) + 2}"

    _questions(wb, data.campaign.schema)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _questions(wb, schema: dict) -> None:
    """The sheet «Вопросы»: every question in full, with its number, section and type."""
    ws = wb.create_sheet(_("Questions"))
    _widths(ws, [8, 36, 80, 22])
    ws.freeze_panes = "A2"
    _header(ws, ["№", _("Section"), _("Question"), _("Type of answer")])
    count = 0
    for s, section in enumerate(schema.get("sections", []), start=1):
        for n, f in enumerate(section.get("fields", []), start=1):
            kind = str(form_schema.FIELD_TYPES.get(f["type"], f["type"]))
            if f["type"] == "table":
                kind += ": " + "; ".join(
                    f"{c['label']} ({form_schema.FIELD_TYPES.get(c['type'], c['type'])})"
                    for c in f.get("columns") or []
                )
            elif f.get("options"):
                kind += ": " + "; ".join(f["options"])
            row = cells(ws, [f"{s}.{n}", section.get("title", ""), f["label"], kind])
            for cell in row:
                cell.alignment = WRAP
            ws.append(row)
            count += 1
    ws.auto_filter.ref = f"A1:D{count + 1}"
