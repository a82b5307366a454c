"""Writing the .xlsx exports (write-only workbooks: a 300-school table stays small).

Every cell goes through ``cells``: what a school or the district typed is written as text,
never as a formula, however it begins (``=HYPERLINK(...)`` in an answer must not become a
live link in the district's workbook).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOLD = Font(bold=True)

# What spreadsheet programs read as the start of a formula (or of a DDE call) when the
# cell is edited or the sheet is saved as CSV.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(ws, value: str, font: Font | None = None) -> WriteOnlyCell:
    """A cell that holds ``value`` as a string; one that looks like a formula is also
    marked "quote prefix" (Excel's leading apostrophe), so it stays text when edited."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl took a leading "=" for a formula
    if value.startswith(FORMULA_START):
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


def cells(ws, values: Iterable[Any], font: Font | None = None) -> list[Any]:
    """One row's values ready for ``ws.append``: text as text cells, anything else (numbers,
    dates, empty cells, cells already made) as it is."""
    row = []
    for value in values:
        if isinstance(value, str):
            row.append(text_cell(ws, value, font))
        elif font is not None and value is not None and not isinstance(value, WriteOnlyCell):
            cell = WriteOnlyCell(ws, value=value)
            cell.font = font
            row.append(cell)
        else:
            row.append(value)
    return row


def append_row(ws, values: Iterable[Any]) -> None:
    ws.append(cells(ws, values))


def append_header(ws, titles) -> None:
    """A row of column titles in bold."""
    ws.append(cells(ws, [str(t) for t in titles], BOLD))
