"""Writing the .xlsx exports (write-only workbooks: a 300-school table stays small)."""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOLD = Font(bold=True)


def append_header(ws, titles) -> None:
    """A row of column titles in bold."""
    cells = []
    for title in titles:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = BOLD
        cells.append(cell)
    ws.append(cells)
