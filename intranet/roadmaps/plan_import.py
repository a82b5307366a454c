"""Read a district plan ("дорожная карта") out of an uploaded order or spreadsheet.

What comes in: the order itself as a Word file (.docx) with the plan as a table in its
appendix, or just the plan as an Excel sheet (.xlsx) or a CSV saved on a school PC.
What comes out: a ``ParsedPlan`` (order number and date, the plan's period and title,
its sections and numbered items with parsed deadlines) for a person to review before
it is saved. Nothing here touches the database or the request; the messages are
translated when they are shown (in the app's catalogue, Russian).

How the table is read
---------------------
* Columns are recognised by the words of their header ("№ п/п", "Наименование
  мероприятия", "Срок исполнения", "Исполнители", "Ожидаемый результат" ...), in any
  order. The first table that has such a header is the plan; tables that directly
  follow it (only blank paragraphs between) with the same width or a header of their
  own continue it, as in orders converted from PDF where each page is a new table.
* A row whose only text spans the table (merged cells, or the same text repeated in
  every cell the way python-docx reports a merged row), or which holds only a title in
  the "№" column, starts a section. So does a numbered row with no deadline,
  responsible or result whose number prefixes the next item's ("2" before "2.1"),
  or a roman-numbered one. A row with text only in the "Мероприятие" column counts as
  a section only if it is bold or looks like one ("Раздел 2 ...", "2. Меры ..."), or
  comes before any item.
* Skipped: empty rows, header rows repeated on later pages, and the column-numbering
  row under a header ("1 | 2 | 3 | 4").
* A row without a number continues the item above it (a row that Word or a PDF
  converter split across pages): its cells are appended to that item's cells.
* Vertically merged cells (one "Сроки" cell shared by several items) give their text
  to every item they cover.
* A table without a "№" column is numbered 1, 2, 3 ... in row order.

Cleaning (cell text is never reworded)
--------------------------------------
* Soft hyphens, zero-width characters, ``**`` emphasis markers, stray HTML tags
  (``<p>``, ``<b>``, ``<li>`` ...) and ``[bookmark: ...]`` export artefacts are removed;
  runs of whitespace, tabs and non-breaking spaces become one space.
* Line breaks inside a cell (paragraphs or hard breaks) are mostly the visual wrapping
  of a narrow column, so in the "Мероприятие", "Сроки" and "Результат" cells lines are
  joined with a space; a line that starts with a list marker (``-``, ``–``, ``•``,
  ``·``, ``1)``, ``а)``) keeps its own line, joined with "\n", so lists stay lists.
  In the "Ответственные" cell each line is a separate body or person ("Скорюпина
  И.И., ..." / "Завьялова Т.Б, ..."), so lines are kept and joined with "\n".
* Item numbers lose trailing dots and spaces: "1.1." -> "1.1", "9. " -> "9"; "3.3"
  stays.
* The title's trailing "(далее - План)" is dropped.

Order details and period
------------------------
The order number and date come from the last appendix stamp before the table: a line
starting with "Приложение", "к приказу", "Утвержден" or "приказом" and the few lines
after it ("Приложение к приказу ... от 31.08.2023 № 216", "Утвержден приказом ... от
01.07.2022 № 244/1"); references to other documents inside the order's sentences are
ignored. Failing that, they come from the order's header (the lines after "ПРИКАЗ": "31.08.2023" ... "№ 216",
"«_01_» __июля_ 2022_ г. №_244/1_"). The period comes from the plan's title, then the
"Об утверждении ..." line, then the rest of the text before the table: "на 2023-2024
учебный год" -> 2023-09-01..2024-08-31, "на 2021 год" -> 2021-01-01..2021-12-31,
"на 2023-2025 годы" -> 2023-01-01..2025-12-31. With no period in the text, the school
year (1 September - 31 August) containing the order date is used; with no order date
either, ``ParsedPlan.period`` is None and deadlines are parsed against the current
calendar year (``parse_deadline`` always needs a period to supply missing years).

Safety
------
Uploads are bounded: at most 20 MB as uploaded, and a .docx/.xlsx (a zip) is refused
when it unpacks to more than 50 MB, more than 100 times its own size, or has more than
1000 entries. XML is parsed without entity expansion or network access. Every problem
with the file becomes a ``PlanImportError`` with a message that says what was expected.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml import etree

from intranet import tabular
from intranet.deadlines import Deadline, parse_deadline
from intranet.i18n import lazy_gettext as _l

__all__ = ["ParsedItem", "ParsedPlan", "PlanImportError", "parse_plan"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_ZIP_ENTRIES = 1000
MAX_ROWS = 5000
MAX_COLS = 60
# The header is looked for in the first rows of a table (or sheet): a title or the
# approval stamp may sit above it.
HEADER_SCAN_ROWS = 30

# Messages for the user (Russian through the catalogue; English outside an app).
MSG_EMPTY = _l(
    "The file is empty. Upload the order as .docx (Word) or the plan as .xlsx, .xls (Excel), .ods (LibreOffice) or .csv."
)
MSG_TOO_BIG = _l("The file is too large (over 20 MB). A plan of measures takes much less.")
MSG_TYPE = _l(
    "This type of file is not supported. Upload the order as .docx (Word) or the plan as .xlsx, .xls (Excel), .ods (LibreOffice) or .csv."
)
MSG_PDF = _l(
    "PDF files are not supported: a table cannot be read from them reliably. Upload the order as .docx (Word) or the plan as .xlsx, .xls (Excel), .ods (LibreOffice) or .csv."
)
MSG_OLD_OFFICE = _l(
    "The file is in the old Word format (.doc). Open it, save it as .docx, then upload it again."
)
MSG_CORRUPT = _l(
    "The file is damaged or is not a Word (.docx) document or a spreadsheet (.xlsx, .xls, .ods): it could not be read. Save the file again and upload it once more."
)
MSG_BOMB = _l(
    "The file was refused: unpacked it takes more than 50 MB or is compressed suspiciously well. An ordinary order or plan takes a few hundred kilobytes."
)
MSG_NO_PLAN = _l(
    "No plan table was found in the file: a table with the columns «№», «Мероприятие», «Срок», «Ответственные» is expected."
)
MSG_NO_ITEMS = _l(
    "The plan table was found, but it has no measures: rows with a number, a measure, a deadline and the responsible are expected under the table's header."
)
MSG_ENCODING = _l(
    "The CSV file could not be read: text in UTF-8 or Windows-1251 with «;», «,» or tab as the separator is expected."
)
MSG_TOO_MANY_ROWS = _l(
    "The table has more than %(n)s rows: this does not look like a plan of measures.",
    n=MAX_ROWS,
)


class PlanImportError(Exception):
    """The upload cannot be read as a plan; ``str(exc)`` is the message for the user."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- results


@dataclass
class ParsedItem:
    section: str | None
    number: str
    text: str
    deadline_text: str
    deadline: Deadline
    responsible: str
    result: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "number": self.number,
            "text": self.text,
            "deadline_text": self.deadline_text,
            "deadline": self.deadline.as_dict(),
            "responsible": self.responsible,
            "result": self.result,
        }


@dataclass
class ParsedPlan:
    title: str | None
    order_number: str | None
    order_date: date | None
    period: tuple[date, date] | None
    sections: list[str] = field(default_factory=list)
    items: list[ParsedItem] = field(default_factory=list)
    # The order's deadline for the schools' own roadmaps, when its text gives one.
    submit_by: date | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], period: tuple[date, date] | None = None) -> ParsedPlan:
        """The plan ``as_dict`` gave, read back without the file; ``period`` overrides its
        period, and the deadlines are read against it again (as ``parse_plan`` would)."""
        order_date = date.fromisoformat(data["order_date"]) if data["order_date"] else None
        if period is not None:
            plan_period: tuple[date, date] | None = tuple(sorted(period))  # type: ignore[assignment]
        elif data["period"]:
            plan_period = (
                date.fromisoformat(data["period"][0]),
                date.fromisoformat(data["period"][1]),
            )
        else:
            plan_period = None
        against = _deadline_period(plan_period, order_date)
        return cls(
            title=data["title"],
            order_number=data["order_number"],
            order_date=order_date,
            period=plan_period,
            sections=list(data["sections"]),
            items=[
                ParsedItem(
                    section=item["section"],
                    number=item["number"],
                    text=item["text"],
                    deadline_text=item["deadline_text"],
                    deadline=parse_deadline(item["deadline_text"], against),
                    responsible=item["responsible"],
                    result=item["result"],
                )
                for item in data["items"]
            ],
            submit_by=date.fromisoformat(data["submit_by"]) if data.get("submit_by") else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "order_number": self.order_number,
            "order_date": self.order_date.isoformat() if self.order_date else None,
            "period": [self.period[0].isoformat(), self.period[1].isoformat()]
            if self.period
            else None,
            "submit_by": self.submit_by.isoformat() if self.submit_by else None,
            "sections": list(self.sections),
            "items": [item.as_dict() for item in self.items],
        }


# ------------------------------------------------------------------ intermediate form


@dataclass(slots=True)
class _Cell:
    lines: tuple[str, ...]
    bold: bool = False
    # "" for a cell of its own, "h" for a copy made by a horizontal merge (gridSpan),
    # "v" for a copy of the cell above made by a vertical merge (vMerge).
    copy: str = ""

    @property
    def key(self) -> str:
        return " ".join(self.lines)


_EMPTY_CELL = _Cell(())


@dataclass(slots=True)
class _Para:
    lines: tuple[str, ...]


@dataclass(slots=True)
class _Table:
    rows: list[list[_Cell]]

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


_Block = _Para | _Table

# ----------------------------------------------------------------------- cleaning

_BLOCK_TAG = re.compile(r"</?(?:p|br|li|ul|ol|div|h[1-6]|tr)\b[^<>]{0,200}>", re.I)
_INLINE_TAG = re.compile(
    r"</?(?:b|i|u|s|strong|em|span|font|sup|sub|a|td|th|table|tbody)\b[^<>]{0,200}>", re.I
)
_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]{0,200}\]", re.I)
_STARS = re.compile(r"\*{2,}")
_INVISIBLE = str.maketrans({c: None for c in "\u00ad\u200b\u200c\u200d\u2060\ufeff"})
_LINE_SPLIT = re.compile(r"\r\n|[\r\n\v\f\u2028\u2029]")
_LIST_MARK = re.compile(r"^(?:[-‐‑‒–—―−•·▪◦●○■□➢►✓*]|\d{1,2}\)|[а-яёa-z]\))(?:\s|$)")


def _clean_lines(raw: str) -> tuple[str, ...]:
    """Split cell or paragraph text into cleaned, non-empty lines."""
    if not raw:
        return ()
    if "<" in raw:
        raw = _BLOCK_TAG.sub("\n", raw)
        raw = _INLINE_TAG.sub("", raw)
    if "[" in raw:
        raw = _BOOKMARK.sub("", raw)
    if "**" in raw:
        raw = _STARS.sub("", raw)
    raw = raw.translate(_INVISIBLE)
    lines = (" ".join(line.split()) for line in _LINE_SPLIT.split(raw))
    return tuple(line for line in lines if line)


def _join(lines: list[str] | tuple[str, ...], keep_lines: bool) -> str:
    """Join a cell's lines: with "\n" if asked, else with spaces except before list items."""
    if keep_lines:
        return "\n".join(lines)
    out: list[str] = []
    for line in lines:
        if out:
            out.append("\n" if _LIST_MARK.match(line) else " ")
        out.append(line)
    return "".join(out)


def _clean_number(text: str) -> str:
    return re.sub(r"[\s.]+$", "", text).strip()


# ------------------------------------------------------------------ format sniffing

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_XML_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
}


def parse_plan(data: bytes, filename: str, period: tuple[date, date] | None = None) -> ParsedPlan:
    """Parse an uploaded order (.docx) or plan (.xlsx, .csv) into a ``ParsedPlan``.

    The format is chosen by content first (a .docx/.xlsx is a zip, whatever its name),
    then by extension for CSV. ``period`` overrides the period found in the text.
    Raises ``PlanImportError`` with a Russian, user-facing message on any bad input.
    """
    data = bytes(data or b"")
    if not data.strip():
        raise PlanImportError(MSG_EMPTY)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PlanImportError(MSG_TOO_BIG)
    name = (filename or "").strip().lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""

    if data[:2] == b"PK":
        archive = _open_zip(data)
        names = set(archive.namelist())
        if "xl/workbook.xml" in names or "content.xml" in names:
            candidates = _sheet_tables(data)
        else:
            part = _docx_main_part(archive, names)
            if part is None:
                if "mimetype" in names or ext not in ("docx", "xlsx"):
                    raise PlanImportError(MSG_TYPE)
                raise PlanImportError(MSG_CORRUPT)
            candidates = [_docx_blocks(archive, part)]
    elif data[:8] == _OLE_MAGIC:
        if tabular.spreadsheet_kind(data, name) != "xls":
            raise PlanImportError(MSG_OLD_OFFICE)  # a .doc: Word 97-2003
        candidates = _sheet_tables(data)
    elif data[:5] == b"%PDF-":
        raise PlanImportError(MSG_PDF)
    elif ext in ("docx", "xlsx", "docm", "xlsm"):
        raise PlanImportError(MSG_CORRUPT)
    elif ext == "csv":
        candidates = [_csv_blocks(data)]
    else:
        raise PlanImportError(MSG_TYPE)

    for blocks in candidates:
        plan = _parse_blocks(blocks, period)
        if plan is not None:
            return plan
    raise PlanImportError(MSG_NO_PLAN)


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise PlanImportError(MSG_CORRUPT) from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise PlanImportError(MSG_BOMB)
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * len(data):
        raise PlanImportError(MSG_BOMB)
    return archive


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        # zipfile stops at the declared size, which _open_zip has already bounded.
        return archive.read(name)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error) as exc:
        raise PlanImportError(MSG_CORRUPT) from exc


def _parse_xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(**_XML_PARSER_OPTIONS)
    try:
        return etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PlanImportError(MSG_CORRUPT) from exc


# ------------------------------------------------------------------------- .docx


def _docx_main_part(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The main document part named by the package relationships, if this is Word."""
    if "_rels/.rels" in names:
        rels = _parse_xml(_read_member(archive, "_rels/.rels"))
        for rel in rels.iter(f"{_REL_NS}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                target = rel.get("Target", "").lstrip("/")
                if target in names and target.startswith("word/"):
                    return target
    return "word/document.xml" if "word/document.xml" in names else None


_P, _TBL, _TR, _TC = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc"
_SDT, _SDT_CONTENT, _CUSTOM_XML = f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"
_T, _TAB, _BR, _CR = f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"
_NB_HYPHEN, _R, _RPR, _B = f"{_W}noBreakHyphen", f"{_W}r", f"{_W}rPr", f"{_W}b"
_TCPR, _TRPR, _GRID_SPAN, _VMERGE = f"{_W}tcPr", f"{_W}trPr", f"{_W}gridSpan", f"{_W}vMerge"
_GRID_BEFORE, _VAL = f"{_W}gridBefore", f"{_W}val"
_OFF = ("0", "false", "off")


def _docx_blocks(archive: zipfile.ZipFile, part: str) -> list[_Block]:
    root = _parse_xml(_read_member(archive, part))
    body = root.find(f"{_W}body")
    if body is None:
        raise PlanImportError(MSG_CORRUPT)
    return list(_body_blocks(body))


def _unwrap(parent: etree._Element, wanted: str):
    """Children with tag ``wanted``, looking through content controls and custom XML."""
    for el in parent:
        if el.tag == wanted:
            yield el
        elif el.tag == _SDT:
            content = el.find(_SDT_CONTENT)
            if content is not None:
                yield from _unwrap(content, wanted)
        elif el.tag == _CUSTOM_XML:
            yield from _unwrap(el, wanted)


def _body_blocks(parent: etree._Element):
    for el in parent:
        if el.tag == _P:
            yield _Para(_clean_lines(_p_text(el)))
        elif el.tag == _TBL:
            yield _docx_table(el)
        elif el.tag == _SDT:
            content = el.find(_SDT_CONTENT)
            if content is not None:
                yield from _body_blocks(content)
        elif el.tag == _CUSTOM_XML:
            yield from _body_blocks(el)


def _p_text(p: etree._Element) -> str:
    parts: list[str] = []
    for el in p.iter(_T, _TAB, _BR, _CR, _NB_HYPHEN):
        tag = el.tag
        if tag == _T:
            parts.append(el.text or "")
        elif tag == _TAB:
            parts.append(" ")
        elif tag == _NB_HYPHEN:
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _docx_cell(tc: etree._Element) -> _Cell:
    lines = _clean_lines("\n".join(_p_text(p) for p in tc.iter(_P)))
    bold = False
    if lines:
        bold = True
        for run in tc.iter(_R):
            if not any((t.text or "").strip() for t in run.iter(_T)):
                continue
            rpr = run.find(_RPR)
            b = rpr.find(_B) if rpr is not None else None
            if b is None or b.get(_VAL, "1").lower() in _OFF:
                bold = False
                break
    return _Cell(lines, bold)


def _int_val(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return max(0, min(int(el.get(_VAL, default)), MAX_COLS))
    except ValueError:
        return default


def _docx_table(tbl: etree._Element) -> _Table:
    """Rows of grid-expanded cells, read straight from the XML (python-docx is too slow)."""
    rows: list[list[_Cell]] = []
    above: dict[int, _Cell] = {}  # the cell that a vertical merge continues, by column
    for tr in _unwrap(tbl, _TR):
        if len(rows) >= MAX_ROWS:
            raise PlanImportError(MSG_TOO_MANY_ROWS)
        trpr = tr.find(_TRPR)
        before = _int_val(trpr.find(_GRID_BEFORE) if trpr is not None else None, 0)
        row: list[_Cell] = [_EMPTY_CELL] * before
        for tc in _unwrap(tr, _TC):
            col = len(row)
            if col >= MAX_COLS:
                break
            tcpr = tc.find(_TCPR)
            span, vmerge = 1, None
            if tcpr is not None:
                span = max(1, _int_val(tcpr.find(_GRID_SPAN), 1))
                vm = tcpr.find(_VMERGE)
                if vm is not None:
                    vmerge = vm.get(_VAL, "continue")
            if vmerge == "continue" and col in above:
                src = above[col]
                cell = _Cell(src.lines, src.bold, "v")
            else:
                cell = _docx_cell(tc)
            for k in range(span):
                placed = cell if k == 0 or cell.copy else _Cell(cell.lines, cell.bold, "h")
                row.append(placed)
                if cell.copy != "v":
                    above[col + k] = placed
        rows.append(row)
    return _Table(rows)


# ------------------------------------------------------------------------- .xlsx


def _xlsx_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _sheet_tables(data: bytes) -> Iterator[list[_Block]]:
    """Each sheet of a workbook (.xlsx, .xls, .ods) as one table, merged ranges filled in
    like Word's merged cells. Read lazily, one sheet at a time: the plan is nearly always
    the first sheet, and the data sheets a district keeps behind it are never read. A
    sheet beyond the row limit is skipped by its declared size (refused if no plan is found
    elsewhere)."""
    try:
        book = tabular.open_workbook(data, "", MAX_ROWS, tabular.MAX_COLUMNS)
        count = book.sheet_count
    except tabular.TooLarge as exc:
        raise PlanImportError(MSG_TOO_MANY_ROWS) from exc
    except tabular.TableError as exc:
        raise PlanImportError(MSG_CORRUPT) from exc
    too_big: tabular.TableError | None = None
    for index in range(count):
        try:
            sheet = book.sheet(index)
            grid = [
                [_EMPTY_CELL if not (t := _xlsx_value(v)) else _Cell(_clean_lines(t)) for v in row]
                for row in (r[:MAX_COLS] for r in sheet.rows)
            ]
        except tabular.TooLarge as exc:
            too_big = exc
            continue
        except tabular.TableError as exc:
            raise PlanImportError(MSG_CORRUPT) from exc
        if not grid or not any(grid):
            continue
        for (r0, c0), (r1, c1) in sheet.merged:
            if r0 >= len(grid) or c0 >= len(grid[r0]):
                continue
            origin = grid[r0][c0]
            for r in range(r0, min(r1 + 1, len(grid))):
                row = grid[r]
                if len(row) < min(c1 + 1, MAX_COLS):
                    row.extend([_EMPTY_CELL] * (min(c1 + 1, MAX_COLS) - len(row)))
                for c in range(c0, min(c1 + 1, MAX_COLS)):
                    if (r, c) != (r0, c0):
                        row[c] = _Cell(origin.lines, origin.bold, "h" if r == r0 else "v")
        yield [_Table(grid)]
    if too_big is not None:
        raise PlanImportError(MSG_TOO_MANY_ROWS)


# --------------------------------------------------------------------------- .csv


def _csv_blocks(data: bytes) -> list[_Block]:
    if b"\x00" in data[:4096]:
        raise PlanImportError(MSG_TYPE)
    text: str | None = None
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise PlanImportError(MSG_ENCODING)
    sample = text[:8192]
    delimiters = sorted(";,\t", key=lambda d: -sample.count(d))
    first: list[list[str]] | None = None
    for delimiter in delimiters:
        rows = _csv_rows(text, delimiter)
        if first is None:
            first = rows
        table = _Table([[_Cell(_clean_lines(v)) for v in row[:MAX_COLS]] for row in rows])
        if _find_header(table) is not None:
            return [table]
    return [_Table([[_Cell(_clean_lines(v)) for v in row[:MAX_COLS]] for row in first or []])]


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) >= MAX_ROWS:
                raise PlanImportError(MSG_TOO_MANY_ROWS)
            rows.append(row)
    except csv.Error as exc:
        raise PlanImportError(MSG_ENCODING) from exc
    return rows


# ------------------------------------------------------------------------ header

_FIELDS = ("number", "text", "deadline", "responsible", "result")
_NUMBER_HEADER = re.compile(r"^(?:№|n|no|#|номер)\s*(?:п\s*/?\s*п|пп)?$|^п\s*/\s*п$")
_RESULT_HEADER = re.compile(r"результат|продукт|отчетност|показател|форма\s+отчет")
_DEADLINE_HEADER = re.compile(r"срок|^дат[аы]\b|период|^время")
_RESPONSIBLE_HEADER = re.compile(r"ответствен|исполнител|^кто\b")
_TEXT_HEADER = re.compile(r"мероприят|наименовани|содержани|вид\w*\s+работ|^действи")


def _header_field(text: str) -> str | None:
    norm = " ".join(text.lower().replace("ё", "е").split()).strip(" .:*")
    if not norm or len(norm) > 80:
        return None
    if _NUMBER_HEADER.match(norm):
        return "number"
    if _RESULT_HEADER.search(norm):
        return "result"
    if _DEADLINE_HEADER.search(norm):
        return "deadline"
    if _RESPONSIBLE_HEADER.search(norm):
        return "responsible"
    if _TEXT_HEADER.search(norm):
        return "text"
    return None


def _header_mapping(row: list[_Cell]) -> dict[str, list[int]] | None:
    fields: dict[str, list[int]] = {}
    for i, cell in enumerate(row):
        if cell.lines and (name := _header_field(cell.key)):
            fields.setdefault(name, []).append(i)
    if "text" in fields and ("deadline" in fields or "responsible" in fields):
        return fields
    return None


def _find_header(table: _Table) -> tuple[int, dict[str, list[int]]] | None:
    for i, row in enumerate(table.rows[:HEADER_SCAN_ROWS]):
        mapping = _header_mapping(row)
        if mapping is not None:
            return i, mapping
    return None


# ------------------------------------------------------------------------ rows


@dataclass
class _Draft:
    number: str
    lines: dict[str, list[str]]
    bold: bool = False  # the item's text cell is bold, so bold does not mean "title"

    def empty(self) -> bool:
        return not any(self.lines[f] for f in ("text", "deadline", "responsible", "result"))


@dataclass
class _Segment:
    """Rows under one header: the plan table, or a table continuing it."""

    rows: list[list[_Cell]]
    mapping: dict[str, list[int]]
    header: tuple[str, ...]  # normalised header texts, to skip the header when repeated


_NUMBER_ONLY = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,6})\.?$")
_SECTION_WORD = re.compile(r"^(?:раздел|глава|блок|часть|направление)\s", re.I)
_SECTION_NUMBERED = re.compile(r"^(?:[IVXLC]{1,6}|\d{1,2})\.?\s+[А-ЯЁA-Z«\"]")
_ROMAN = re.compile(r"^[IVXLC]{1,6}$")


def _row_signature(row: list[_Cell]) -> tuple[str, ...]:
    return tuple(" ".join(c.key.lower().replace("ё", "е").split()) for c in row)


def _is_header_again(row: list[_Cell], header: tuple[str, ...]) -> bool:
    sig = _row_signature(row)
    width = max(len(sig), len(header))
    sig += ("",) * (width - len(sig))
    return sig == header + ("",) * (width - len(header))


def _is_numbering_row(row: list[_Cell]) -> bool:
    values = [c.key for c in row if not c.copy and c.lines]
    if len(values) < 2 or not all(re.fullmatch(r"\d{1,2}\.?", v) for v in values):
        return False
    nums = [int(v.rstrip(".")) for v in values]
    return nums[0] in (0, 1) and nums == list(range(nums[0], nums[0] + len(nums)))


def _field_lines(row: list[_Cell], cols: list[int], own_only: bool) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for i in cols:
        if i >= len(row):
            continue
        cell = row[i]
        if not cell.lines or (own_only and cell.copy == "v") or cell.key in seen:
            continue
        seen.add(cell.key)
        lines.extend(cell.lines)
    return lines


def _new_draft(row: list[_Cell], number: str, mapping: dict[str, list[int]]) -> _Draft:
    lines = {f: _field_lines(row, mapping.get(f, []), False) for f in _FIELDS[1:]}
    text_cells = [row[i] for i in mapping.get("text", []) if i < len(row) and row[i].lines]
    return _Draft(number, lines, bool(text_cells) and all(c.bold for c in text_cells))


def _extend_draft(draft: _Draft, row: list[_Cell], mapping: dict[str, list[int]]) -> None:
    """A row without a number: the rest of the item above, split across pages."""
    for f in _FIELDS[1:]:
        draft.lines[f].extend(_field_lines(row, mapping.get(f, []), True))


def _walk(segments: list[_Segment]) -> list[_Draft | str]:
    """Turn table rows into a sequence of section titles (str) and item drafts."""
    entries: list[_Draft | str] = []
    current: _Draft | None = None

    def start(row: list[_Cell], number: str, mapping: dict[str, list[int]]) -> None:
        nonlocal current
        current = _new_draft(row, number, mapping)
        entries.append(current)

    def section(title: str) -> None:
        nonlocal current
        entries.append(title)
        current = None

    for seg in segments:
        mapping = seg.mapping
        num_cols = mapping.get("number", [])
        text_cols = mapping.get("text", [])
        for row in seg.rows:
            own = [(i, c) for i, c in enumerate(row) if c.copy != "v" and c.lines]
            if not own or _is_numbering_row(row) or _is_header_again(row, seg.header):
                continue

            distinct = {c.key for _, c in own}
            if len(distinct) == 1:
                only = own[0][1].key
                col, cell = own[0]
                if len(own) >= 2:  # merged across the row, or the same text in each cell
                    section(only)
                    continue
                if col in num_cols or (not num_cols and col == 0 and col not in text_cols):
                    if _NUMBER_ONLY.match(only):
                        start(row, _clean_number(only), mapping)
                    else:
                        section(only)  # a title in the "№" column, the rest left empty
                    continue
                if col in text_cols:
                    titled = bool(
                        (cell.bold and not (current is not None and current.bold))
                        or _SECTION_WORD.match(only)
                        or _SECTION_NUMBERED.match(only)
                    )
                    # With a "№" column a lone text before any item is a title too;
                    # without one, a plain text row is an item.
                    if titled or (num_cols and current is None):
                        section(only)
                        continue

            if num_cols:
                number = _field_lines(row, num_cols, True)
                if number:
                    start(row, _clean_number(" ".join(number)), mapping)
                elif current is not None:
                    _extend_draft(current, row, mapping)
                else:
                    start(row, "", mapping)
            elif current is None or _field_lines(row, text_cols, True):
                start(row, "", mapping)
            else:
                _extend_draft(current, row, mapping)
    return entries


def _resolve_sections(entries: list[_Draft | str]) -> list[_Draft | str]:
    """Turn numbered title rows ("2 | Меры ..." before "2.1") into section titles."""
    drafts = [e for e in entries if isinstance(e, _Draft)]
    following = {
        id(d): drafts[k + 1] if k + 1 < len(drafts) else None for k, d in enumerate(drafts)
    }
    out: list[_Draft | str] = []
    for entry in entries:
        if isinstance(entry, _Draft) and entry.number and entry.lines["text"]:
            bare = not any(entry.lines[f] for f in ("deadline", "responsible", "result"))
            nxt = following[id(entry)]
            prefixes = nxt is not None and nxt.number.startswith(entry.number + ".")
            if bare and (prefixes or _ROMAN.match(entry.number)):
                title = _join(entry.lines["text"], False)
                out.append(f"{entry.number}. {title}")
                continue
        out.append(entry)
    return out


# ---------------------------------------------------------------- order metadata

_MONTHS = {
    "января": 1,
    "февраля": 2,
    "марта": 3,
    "апреля": 4,
    "мая": 5,
    "июня": 6,
    "июля": 7,
    "августа": 8,
    "сентября": 9,
    "октября": 10,
    "ноября": 11,
    "декабря": 12,
}
_DATE = (
    r"(?:(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})"
    r"|(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4}))"
)
_DATE_RE = re.compile(_DATE, re.I)
_NUM = r"№\s*(\d[\w/.\-]*)"
_NUM_RE = re.compile(_NUM)
_YEAR_TAIL = r"\s*(?:г\.|года|г\b)?\s*"
_DATE_NUM_RE = re.compile(r"\bот\s+" + _DATE + _YEAR_TAIL + _NUM, re.I)
_NUM_DATE_RE = re.compile(_NUM + r"\s*от\s+" + _DATE, re.I)
# An approval stamp: "Приложение к приказу ... от 31.08.2023 № 216", "УТВЕРЖДЕН приказом
# ... от 01.07.2022 № 244/1". Only lines that start with these words count, so that the
# order's references to other documents ("утвержденным приказом ... от ...") do not.
_STAMP_START = re.compile(r"^(?:приложение|к\s+приказу|утвержд\w*|приказом)\b", re.I)
_STAMP_LINES = 7
_OWN_LINE_RE = re.compile(r"^от\s+" + _DATE + _YEAR_TAIL + _NUM + r"\s*$", re.I)
_ORDER_WORDS = ("ПРИКАЗ", "РАСПОРЯЖЕНИЕ", "ПОСТАНОВЛЕНИЕ")
_HEADER_END = re.compile(r"^(?:об?\s|приказываю|в\s+целях|в\s+соответствии|на\s+основании)", re.I)

_SCHOOL_YEAR_RE = re.compile(r"(\d{4})\s*[-/]\s*(\d{4}|\d{2})\s*(?:уч\.?\s*г|учебн\w*\s+год)", re.I)
_YEARS_RE = re.compile(r"(\d{4})\s*-\s*(\d{4})\s*(?:гг|год)", re.I)
_YEAR_RE = re.compile(r"(?:^|\s)(?:на|в)\s+(\d{4})\s*(?:г\.|год|г\b)", re.I)
_DASH_TRANS = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_PLANISH = re.compile(r"план|дорожн|карт|мероприят|программ", re.I)
_STAMP = re.compile(
    r"^(?:приложение|к\s+приказу|утвержд|согласова|приказом|к\s+распоряжению)", re.I
)
_FURTHER = re.compile(r"\s*\(\s*далее\b[^()]*\)\s*$", re.I)


def _meta_text(text: str) -> str:
    """Text for metadata regexes: fill-in underscores, guillemets and dashes evened out."""
    text = text.replace("_", " ").replace("«", " ").replace("»", " ").translate(_DASH_TRANS)
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def _date_of(groups: tuple[str | None, ...]) -> date | None:
    d, m, y, d2, month, y2 = groups
    try:
        if d:
            return date(int(y), int(m), int(d))
        return date(int(y2), _MONTHS[month.lower()], int(d2))
    except (ValueError, KeyError, TypeError):
        return None


def _clean_order_number(text: str) -> str:
    return text.rstrip(".-/")


def _order_from_stamp(lines: list[str]) -> tuple[str | None, date | None]:
    """Number and date from the last approval stamp before the table."""
    found: tuple[str | None, date | None] = (None, None)
    for k, line in enumerate(lines):
        if not _STAMP_START.match(line):
            continue
        window = "\n".join(lines[k : k + _STAMP_LINES])
        if m := _DATE_NUM_RE.search(window):
            found = _clean_order_number(m.group(7)), _date_of(m.groups()[:6])
        elif m := _NUM_DATE_RE.search(window):
            found = _clean_order_number(m.group(1)), _date_of(m.groups()[1:7])
    return found


def _order_from_header(lines: list[str]) -> tuple[str | None, date | None]:
    for k, line in enumerate(lines):
        letters = re.sub(r"[^А-ЯЁа-яё]", "", line).upper()
        if letters in _ORDER_WORDS or (
            letters.startswith("ПРИКАЗ") and not letters.startswith("ПРИКАЗЫВА") and "№" in line
        ):
            window = [line]
            for nxt in lines[k + 1 : k + 9]:
                if _HEADER_END.match(nxt):
                    break
                window.append(nxt)
            text = "\n".join(window)
            number = _NUM_RE.search(text)
            when = _DATE_RE.search(text)
            return (
                _clean_order_number(number.group(1)) if number else None,
                _date_of(when.groups()) if when else None,
            )
    return None, None


def _order_from_own_line(lines: list[str]) -> tuple[str | None, date | None]:
    for line in lines:
        m = _OWN_LINE_RE.match(line)
        if m:
            return _clean_order_number(m.group(7)), _date_of(m.groups()[:6])
    return None, None


# "2. Руководителям общеобразовательных организаций ... до 15 сентября 2023 года:" opens
# the point of the order addressed to the schools; its sub-points ("2.2. Разработать
# планы («дорожные карты») ...") say what they must do, sometimes with their own date.
_HEADS_RE = re.compile(r"^[\s\-•]*(?:(\d+)\.\s*)?руководителям\b", re.I)
_POINT_RE = re.compile(r"^[\s\-•]*(\d+)\.(?:\d+\.?)?\s")
_OWN_PLAN_RE = re.compile(r"разработать\s+план|дорожн\w*\s+карт|план\w*\s+мероприятий", re.I)
_UNTIL_RE = re.compile(r"\bдо\s+" + _DATE, re.I)


def _until(line: str) -> date | None:
    m = _UNTIL_RE.search(line)
    return _date_of(m.groups()) if m else None


def submit_by_from_text(text: str) -> date | None:
    """The date by which the order tells school heads to write their own plans, or None.

    Read from the point of the order addressed to the heads ("Руководителям ..."): the
    date of the sub-point about their plan, else the date the point itself gives."""
    lines = [line for line in _meta_text(text).split("\n") if line]
    for k, line in enumerate(lines):
        heads = _HEADS_RE.match(line)
        if heads is None:
            continue
        segment = [line]
        for nxt in lines[k + 1 :]:
            top = _POINT_RE.match(nxt)
            if top and top.group(1) != heads.group(1):
                break
            segment.append(nxt)
        if not any(_OWN_PLAN_RE.search(part) for part in segment):
            continue
        for part in segment:
            if _OWN_PLAN_RE.search(part) and (when := _until(part)):
                return when
        if when := _until(line):
            return when
    return None


def _find_period(text: str) -> tuple[date, date] | None:
    text = _meta_text(text)
    m = _SCHOOL_YEAR_RE.search(text)
    if m:
        y1, y2 = int(m.group(1)), int(m.group(2))
        if y2 < 100:
            y2 += y1 // 100 * 100
        if y2 == y1 + 1:
            return date(y1, 9, 1), date(y2, 8, 31)
    m = _YEARS_RE.search(text)
    if m and 0 < int(m.group(2)) - int(m.group(1)) <= 10:
        return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31)
    m = _YEAR_RE.search(text)
    if m:
        y = int(m.group(1))
        return date(y, 1, 1), date(y, 12, 31)
    return None


def _find_title(paras: list[tuple[str, ...]]) -> str | None:
    """The heading just above the table: non-blank paragraphs up to a gap or a stamp."""
    k = len(paras) - 1
    while k >= 0 and not paras[k]:
        k -= 1
    block: list[str] = []
    while k >= 0 and paras[k] and len(block) < 8:
        text = " ".join(paras[k])
        if _STAMP.match(text) or _OWN_LINE_RE.match(_meta_text(text)):
            break
        block.insert(0, text)
        k -= 1
    if not block or (k >= 0 and paras[k] and len(block) >= 8):
        return None
    title = " ".join(block)
    if len(title) > 1000 or title.endswith(":") or not _PLANISH.search(title):
        return None
    return _FURTHER.sub("", title).strip() or None


def _approval_line(paras: list[tuple[str, ...]]) -> str | None:
    for para in paras:
        text = " ".join(para)
        if re.match(r"^Об?\s+утверждении\b", text, re.I):
            return text
    return None


def _school_year_of(day: date) -> tuple[date, date]:
    # Orders of August already plan the coming school year.
    start = day.year if day.month >= 8 else day.year - 1
    return date(start, 9, 1), date(start + 1, 8, 31)


# ------------------------------------------------------------------- assembling


def _row_text(row: list[_Cell]) -> tuple[str, ...]:
    keys = dict.fromkeys(c.key for c in row if c.lines and c.copy != "v")
    return (" ".join(keys),) if keys else ()


def _deadline_period(
    plan_period: tuple[date, date] | None, order_date: date | None
) -> tuple[date, date]:
    """What deadlines without a year are read against: the plan's period, else the
    calendar year of the order (or the current one)."""
    if plan_period is not None:
        return plan_period
    year = order_date.year if order_date else date.today().year
    return date(year, 1, 1), date(year, 12, 31)


def _parse_blocks(blocks: list[_Block], period: tuple[date, date] | None) -> ParsedPlan | None:
    found = None
    for index, block in enumerate(blocks):
        if isinstance(block, _Table) and (header := _find_header(block)) is not None:
            found = index, header
            break
    if found is None:
        return None
    index, (header_row, mapping) = found
    table = blocks[index]
    assert isinstance(table, _Table)

    # Text before the table, as paragraphs: body paragraphs, earlier tables' rows (an
    # order header is often laid out in a borderless table), rows above the header.
    paras: list[tuple[str, ...]] = []
    for block in blocks[:index]:
        if isinstance(block, _Para):
            paras.append(block.lines)
        else:
            paras.append(())
            paras.extend(_row_text(r) for r in block.rows)
            paras.append(())
    paras.extend(_row_text(r) for r in table.rows[:header_row])

    header_sig = _row_signature(table.rows[header_row])
    segments = [_Segment(table.rows[header_row + 1 :], mapping, header_sig)]
    for block in blocks[index + 1 :]:
        if isinstance(block, _Para):
            if block.lines:
                break
            continue
        own = _find_header(block)
        if own is not None:
            segments.append(
                _Segment(block.rows[own[0] + 1 :], own[1], _row_signature(block.rows[own[0]]))
            )
        elif block.width == table.width:
            segments.append(_Segment(block.rows, mapping, header_sig))
        else:
            break

    entries = _resolve_sections(_walk(segments))

    lines = [line for para in paras for line in para]
    pre_text = "\n".join(lines)
    meta = _meta_text(pre_text)
    meta_lines = meta.split("\n")
    number, order_date = _order_from_stamp(meta_lines)
    if number is None or order_date is None:
        for finder in (_order_from_header, _order_from_own_line):
            n2, d2 = finder(meta_lines)
            number = number or n2
            order_date = order_date or d2

    title = _find_title(paras)
    approval = _approval_line(paras)
    if period is not None:
        plan_period: tuple[date, date] | None = tuple(sorted(period))  # type: ignore[assignment]
    else:
        plan_period = None
        for source in (title, approval, pre_text):
            if source and (plan_period := _find_period(source)):
                break
        if plan_period is None and order_date is not None:
            plan_period = _school_year_of(order_date)
    if title is None:
        title = approval

    deadline_period = _deadline_period(plan_period, order_date)

    sections: list[str] = []
    items: list[ParsedItem] = []
    section: str | None = None
    auto = "number" not in mapping
    for entry in entries:
        if isinstance(entry, str):
            section = entry
            if not sections or sections[-1] != entry:
                sections.append(entry)
            continue
        if entry.empty():
            continue
        deadline_text = _join(entry.lines["deadline"], False)
        items.append(
            ParsedItem(
                section=section,
                number=str(len(items) + 1) if auto else entry.number,
                text=_join(entry.lines["text"], False),
                deadline_text=deadline_text,
                deadline=parse_deadline(deadline_text, deadline_period),
                responsible=_join(entry.lines["responsible"], True),
                result=_join(entry.lines["result"], False),
            )
        )
    if not items:
        raise PlanImportError(MSG_NO_ITEMS)
    return ParsedPlan(
        title=title,
        order_number=number,
        order_date=order_date,
        period=plan_period,
        sections=sections,
        items=items,
        submit_by=submit_by_from_text(pre_text),
    )
