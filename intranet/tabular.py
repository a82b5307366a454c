"""Read uploaded tables (.xlsx, .xls, .ods, .csv) into rows, safely: the one reader of
every import (schools, plans, ВПР).

Uploads come from school and district PCs: Excel files old and new, LibreOffice sheets,
CSVs saved by Excel in cp1251 with semicolons, sometimes a renamed Word file or a damaged
download. Everything that is not a readable table becomes a ``TableError`` whose message a
person can act on.

Spreadsheets are read by python-calamine (Rust; several times faster than openpyxl and
than our former hand-written .xlsx reader, and the only one of them that reads .xls and
.ods). It holds a sheet as one dense grid from its first to its last cell, so a tiny file
naming a cell at row 2,000,000,000 or column ZZZZ would make it allocate gigabytes. Before
calamine sees a file, ``_bounds_*`` read the positions it names (the declared dimensions
first, then every cell reference, row and repeat count) without allocating anything per
row, and a sheet beyond the caller's row or column limit is refused.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from lxml import etree

from intranet.i18n import gettext as _

# A real district spreadsheet is a few hundred KB unpacked (a year of ВПР a few tens of
# MB); anything far larger is a zip bomb or not ours.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200
MAX_ZIP_ENTRIES = 2000
#: No import reads more columns than this; a cell beyond it is refused.
MAX_COLUMNS = 100

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class TableError(ValueError):
    pass


class TooLarge(TableError):
    """A sheet beyond the caller's row or column limit."""


def _too_many_rows(n: int) -> TableError:
    return TooLarge(_("The file has more than %(n)d rows.", n=n))


def _too_many_columns(n: int) -> TableError:
    return TooLarge(_("The sheet has more than %(n)d columns.", n=n))


def _damaged() -> TableError:
    return TableError(_("The file is damaged or is not a spreadsheet (.xlsx, .xls or .ods)."))


def check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged() from exc
    unpacked = sum(i.file_size for i in infos)
    if (
        len(infos) > MAX_ZIP_ENTRIES
        or unpacked > MAX_UNPACKED_BYTES
        or unpacked > MAX_RATIO * max(len(data), 1)
    ):
        raise TableError(_("The file unpacks to an unreasonable size and was refused."))
    return archive


# --------------------------------------------------------------------------- bounds


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _check(rows: int, cols: int, max_rows: int, max_cols: int) -> None:
    if rows > max_rows:
        raise _too_many_rows(max_rows)
    if cols > max_cols:
        raise _too_many_columns(max_cols)


def _read_xml(archive: zipfile.ZipFile, name: str):
    try:
        return etree.fromstring(archive.read(name), _XML)
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged() from exc


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _xlsx_sheet_parts(archive: zipfile.ZipFile) -> list[str]:
    """The worksheet parts in the workbook's order (calamine's sheet index)."""
    workbook = _read_xml(archive, "xl/workbook.xml")
    rels = _read_xml(archive, "xl/_rels/workbook.xml.rels")
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    parts = []
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_DOC_REL), "")
        parts.append(target.lstrip("/") if target.startswith("/") else "xl/" + target)
    return parts


# Every cell reference (r="AB12") and row number (r="12") of a worksheet, its cells and rows,
# and its declared extent.
_REF = re.compile(rb"""\sr=["']([A-Za-z]*)(\d*)["']""")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref=["'][A-Za-z]*\d*:?([A-Za-z]*)(\d*)["']""")


def _extent(letters, numbers, max_rows: int, max_cols: int) -> tuple[int, int]:
    letters, numbers = set(letters), set(numbers)
    # More digits or letters than any sheet has: refused before converting them.
    if max(map(len, numbers)) > 9:
        raise _too_many_rows(max_rows)
    if max(map(len, letters)) > 3:
        raise _too_many_columns(max_cols)
    rows = max(int(n or 0) for n in numbers)
    cols = max(_column_number(c.upper()) for c in letters)
    _check(rows, cols, max_rows, max_cols)
    return rows, cols


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _beyond(limit: str, digit: bool) -> str:
    """A regex for a run of digits (or column letters) naming more than ``limit``."""
    if digit:
        anyone, lower = r"\d", lambda ch: rf"[{int(ch) + 1}-9]" if ch != "9" else None
        longer = rf"0*[1-9]\d{{{len(limit)},}}"
        head = "0*"
    else:
        anyone = "[A-Za-z]"

        def lower(ch):
            nxt = chr(ord(ch) + 1)
            return f"[{nxt}-Z{nxt.lower()}-z]" if ch != "Z" else None

        longer = rf"[A-Za-z]{{{len(limit) + 1},}}"
        head = ""
    alternatives = [longer]
    for i, ch in enumerate(limit):
        if (bigger := lower(ch)) is None:
            continue
        same = "".join(f"[{c}{c.lower()}]" if not digit else c for c in limit[:i])
        rest = f"{anyone}{{{len(limit) - i - 1}}}"
        alternatives.append(head + same + bigger + rest)
    return "(?:" + "|".join(alternatives) + ")"


def _far_refs(max_rows: int, max_cols: int) -> tuple[re.Pattern, re.Pattern]:
    """Two patterns that match only a reference beyond the limits (a column, a row):
    each a scan at C speed that finds nothing in a normal sheet, whatever its length."""
    rows = _beyond(str(max_rows), digit=True)
    cols = _beyond(_letters(max_cols), digit=False)
    return re.compile(rf' r="{cols}'.encode()), re.compile(rf' r="[A-Za-z]*{rows}"'.encode())


# Anything but the usual spelling (each cell and row tag starts with r="...", one space
# before it, no namespace prefix): such a part of a sheet is checked cell by cell.
_UNUSUAL_TAG = re.compile(
    rb"""<(?:c (?!r=")|row (?!r=")|c[>/\t\n\r]|row[>/\t\n\r]|\w+:(?:c|row)[\s>/])"""
)
_UNUSUAL_REF = (b"\tr=", b"\nr=", b"\rr=", b"r='")


def _bounds_xlsx(archive: zipfile.ZipFile, part: str, max_rows: int, max_cols: int) -> int:
    """How many rows the sheet uses (at least); ``TooLarge`` beyond the limits."""
    try:
        stream = archive.open(part)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged() from exc
    far = _far_refs(max_rows, max_cols)
    tail, first, rows_used, unreferenced_rows = b"", True, 0, 0
    with stream:
        while chunk := stream.read(1 << 20):
            buf = tail + chunk
            cut = buf.rfind(b"<")
            body, tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
            if first and (m := _DIMENSION.search(body)):
                # Refused by what the file declares, before reading any row of it.
                _extent((m.group(1),), (m.group(2),), max_rows, max_cols)
            first = False
            for pattern in far:
                if m := pattern.search(body):
                    letters, numbers = _REF.findall(m.group(0) + b'"')[0]
                    _extent((letters,), (numbers,), max_rows, max_cols)
            # As Excel and every library we know write them, each cell and row starts
            # with its reference (<c r="B7" ...>, <row r="7" ...>). A file that leaves
            # references out or spells them otherwise is checked cell by cell instead.
            rows_used += body.count(b"<row ")
            plain = not _UNUSUAL_TAG.search(body) and not any(o in body for o in _UNUSUAL_REF)
            if plain:
                continue
            found = _REF.findall(body)
            letters, numbers = zip(*found, strict=True) if found else ((b"",), (b"",))
            far_row, far_col = _extent(letters, numbers, max_rows, max_cols)
            # References left out: count the cells and rows as calamine will place them.
            row_tags = len(_ROW_TAG.findall(body))
            referenced_rows = letters.count(b"") if found else 0
            unreferenced_rows += max(0, row_tags - referenced_rows)
            rows_used = max(rows_used, far_row + unreferenced_rows)
            if len(_CELL_TAG.findall(body)) > len(found) - referenced_rows or unreferenced_rows:
                widest = max(len(_CELL_TAG.findall(seg)) for seg in _ROW_TAG.split(body))
                _check(far_row + unreferenced_rows, far_col + widest, max_rows, max_cols)
    return rows_used


#: calamine holds a whole sheet as one grid while it reads it (some 70 bytes a cell), so a
#: year of ВПР (60,000 rows) would take about 90 MB at once. A longer sheet is read in
#: slices of this many rows instead, and memory stays flat whatever the length.
SLICE_ROWS = 2000
_SHEET_DATA = re.compile(rb"<((?:\w+:)?sheetData)\b[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_ROOT = re.compile(rb"<((?:\w+:)?worksheet)\b")
_DIMENSION_TAG = re.compile(rb"<(?:\w+:)?dimension\b[^>]*>")


def _row_slices(archive: zipfile.ZipFile, part: str, size: int) -> Iterator[bytes]:
    """The sheet's rows, cut into runs of ``size`` rows (XML fragments, in order)."""
    with archive.open(part) as stream:
        buf, starts, searched, inside = b"", [], 0, False
        while chunk := stream.read(1 << 20):
            buf += chunk
            if not inside:
                if not (m := _SHEET_DATA.search(buf)):
                    continue
                if m.group(2):  # <sheetData/>: no rows at all
                    return
                buf, inside = buf[m.end() :], True
            starts += [m.start() for m in _ROW_TAG.finditer(buf, searched)]
            searched = max(starts[-1] + 1 if starts else 0, len(buf) - 16)
            while len(starts) > size:
                cut = starts[size]
                yield buf[:cut]
                buf = buf[cut:]
                starts = [at - cut for at in starts[size:]]
                searched -= cut
        if inside and (end := _SHEET_DATA_END.search(buf)):
            yield buf[: end.start()]


def _sliced_workbook(archive: zipfile.ZipFile, part: str) -> tuple[bytes, int]:
    """A workbook of the sheet's rows in sheets of ``SLICE_ROWS`` rows each, with the
    original's strings and styles (rows keep their own numbers: calamine's grid of each
    slice starts at its first row)."""
    with archive.open(part) as stream:
        head = stream.read(1 << 16)
    root = _ROOT.search(head)
    data = _SHEET_DATA.search(head)
    if root is None or data is None:
        raise _damaged()
    # The root's start tag and what follows it up to the rows, less the declared size.
    opening = _DIMENSION_TAG.sub(b"", head[root.start() : data.end()])
    closing = b"</" + data.group(1) + b"></" + root.group(1) + b">"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    out = io.BytesIO()
    n = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name in ("xl/sharedStrings.xml", "xl/styles.xml"):
            if name in archive.NameToInfo:
                book.writestr(name, archive.read(name))
        for rows in _row_slices(archive, part, SLICE_ROWS):
            n += 1
            with book.open(f"xl/worksheets/s{n}.xml", "w") as sheet:
                sheet.write(opening)
                sheet.write(rows)
                sheet.write(closing)
        sheets = "".join(f'<sheet name="s{i}" sheetId="{i}" r:id="r{i}"/>' for i in range(1, n + 1))
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>{sheets}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="r{i}" Type="{rel}/worksheet" Target="worksheets/s{i}.xml"/>'
            for i in range(1, n + 1)
        )
        book.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="r0" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>",
        )
    return out.getvalue(), n


_UNIQUE_COUNT = re.compile(rb"""<(?:\w+:)?sst\b[^>]*?\suniqueCount=["'](\d*)["']""")


def _check_shared_strings(archive: zipfile.ZipFile) -> None:
    """calamine reserves room for as many strings as the file announces, before reading
    one: an announced count the part cannot hold would abort the whole process."""
    info = archive.NameToInfo.get("xl/sharedStrings.xml")
    if info is None:
        return
    with archive.open(info) as stream:
        head = stream.read(4096)
    m = _UNIQUE_COUNT.search(head)
    # Each string takes at least "<si/>" (5 bytes) of the part.
    if m and (len(m.group(1)) > 12 or int(m.group(1) or 0) > info.file_size // 5):
        raise _damaged()


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _repeat(el, attr: str, cap: int) -> int:
    try:
        return max(1, min(int(el.get(f"{_TABLE}{attr}", "1")), cap))
    except ValueError:
        return 1


def _bounds_ods(archive: zipfile.ZipFile, index: int, max_rows: int, max_cols: int) -> None:
    """Rows and columns of the ``index``-th sheet as calamine would lay them out: repeated
    rows and cells count as many times as they repeat when they hold anything."""
    try:
        stream = archive.open("content.xml")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged() from exc
    sheet, row_at, last_row, last_col = -1, 0, 0, 0
    cell_tags = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
    try:
        with stream:
            for event, el in etree.iterparse(
                stream,
                events=("start", "end"),
                tag=(f"{_TABLE}table", f"{_TABLE}table-row"),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
            ):
                if el.tag == f"{_TABLE}table":
                    if event == "start":
                        sheet += 1
                    elif sheet == index:
                        break
                    continue
                if event == "start":
                    continue
                if sheet == index:
                    repeat = _repeat(el, "number-rows-repeated", 1 << 31)
                    col, width = 0, 0
                    for cell in el:
                        if cell.tag not in cell_tags:
                            continue
                        span = _repeat(cell, "number-columns-repeated", 1 << 31)
                        col += span
                        if len(cell) or cell.get(f"{_OFFICE}value-type"):
                            width = col
                    if width:
                        last_row, last_col = row_at + repeat, max(last_col, width)
                        _check(last_row, last_col, max_rows, max_cols)
                    row_at += repeat
                el.clear()
    except etree.XMLSyntaxError as exc:
        raise _damaged() from exc


def _cfb_stream(data: bytes, names: tuple[str, ...]) -> bytes:
    """A stream of an OLE compound file (the container of .xls), by directory name."""

    def u32(at: int) -> int:
        return struct.unpack_from("<I", data, at)[0]

    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        raise _damaged()
    size = 1 << shift
    n_sectors = (len(data) - 512) // size + 1

    def sector(n: int) -> bytes:
        if not 0 <= n < n_sectors:
            raise _damaged()
        return data[512 + n * size : 512 + (n + 1) * size]

    fat_sectors = [u32(0x4C + 4 * i) for i in range(109)][: u32(0x2C)]
    difat, seen = u32(0x44), 0
    while difat < 0xFFFFFFFA and seen < n_sectors:
        block = sector(difat)
        fat_sectors += struct.unpack_from(f"<{size // 4 - 1}I", block)
        difat, seen = struct.unpack_from("<I", block, size - 4)[0], seen + 1
    # Capped by the file's own size: a FAT that lists sectors again, or a chain that
    # loops, cannot make more of it than there is.
    fat = b"".join(sector(n) for n in fat_sectors[: min(u32(0x2C), n_sectors)])
    n_fat = len(fat) // 4

    def chain(start: int, limit: int) -> bytes:
        out, n = [], start
        while n < 0xFFFFFFFA and len(out) < min(n_fat, limit, n_sectors):
            out.append(sector(n))
            n = struct.unpack_from("<I", fat, 4 * n)[0] if n < n_fat else 0xFFFFFFFE
        return b"".join(out)

    directory = chain(u32(0x30), n_sectors)
    root_start = struct.unpack_from("<I", directory, 0x74)[0]
    for at in range(0, len(directory) - 127, 128):
        length = struct.unpack_from("<H", directory, at + 0x40)[0]
        name = directory[at : at + max(0, min(length, 64) - 2)].decode("utf-16-le", "replace")
        if name not in names or directory[at + 0x42] != 2:
            continue
        start, length = struct.unpack_from("<II", directory, at + 0x74)
        if length >= u32(0x38):
            return chain(start, length // size + 1)[:length]
        # A small stream lives in the mini stream, in 64-byte sectors.
        mini = chain(root_start, n_sectors)
        minifat = chain(u32(0x3C), n_sectors)
        out, n = [], start
        while n < 0xFFFFFFFA and len(out) * 64 < length and 4 * n + 4 <= len(minifat):
            out.append(mini[n * 64 : (n + 1) * 64])
            n = struct.unpack_from("<I", minifat, 4 * n)[0]
        return b"".join(out)[:length]
    raise _damaged()


# BIFF records that place a value at (row, column): their first two words.
# (Blank cells, which only carry formatting, calamine leaves out.)
_XLS_CELLS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006}
_XLS_MULTI = {0x00BD}  # MULRK: row, first column, ..., last column
_XLS_DIMENSIONS = 0x0200


def _bounds_xls(data: bytes, max_rows: int, max_cols: int) -> None:
    """Every sheet of a .xls (calamine reads them all when the file is opened)."""
    try:
        stream = _cfb_stream(data, ("Workbook", "Book"))
    except (struct.error, IndexError) as exc:
        raise _damaged() from exc
    at = 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4 : at + 4 + length]
        at += 4 + length
        if kind == _XLS_DIMENSIONS and len(body) >= 14:
            _rf, rows, _cf, cols = struct.unpack_from("<IIHH", body)
            _check(rows, cols, max_rows, max_cols)
        elif kind == _XLS_DIMENSIONS and len(body) >= 8:
            _rf, rows, _cf, cols = struct.unpack_from("<HHHH", body)
            _check(rows, cols, max_rows, max_cols)
        elif kind in _XLS_CELLS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body)
            _check(row + 1, col + 1, max_rows, max_cols)
        elif kind in _XLS_MULTI and len(body) >= 6:
            row, _first = struct.unpack_from("<HH", body)
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            _check(row + 1, last + 1, max_rows, max_cols)


# --------------------------------------------------------------------------- reading


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value).strip()


@dataclass
class Sheet:
    """One sheet: its rows of raw values (str, int, float, bool, date, datetime...),
    streamed, and its merged ranges as ((first row, first col), (last row, last col)),
    0-based and inclusive."""

    name: str
    rows: Iterator[list]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]


class Workbook:
    """A spreadsheet upload, opened lazily: a sheet is bounds-checked and read only when
    asked for, so a plan on the first sheet never pays for the data sheets behind it."""

    def __init__(self, data: bytes, kind: str, max_rows: int, max_cols: int) -> None:
        self.data, self.kind, self.max_rows, self.max_cols = data, kind, max_rows, max_cols
        self.archive = check_zip(data) if kind in ("xlsx", "ods") else None
        if kind == "xlsx":
            self.parts = _xlsx_sheet_parts(self.archive)
            _check_shared_strings(self.archive)
        elif kind == "xls":
            _bounds_xls(data, max_rows, max_cols)
        self._book = None

    def _calamine(self):
        if self._book is None:
            from python_calamine import CalamineWorkbook

            self._book = _guarded(lambda: CalamineWorkbook.from_filelike(io.BytesIO(self.data)))
        return self._book

    @property
    def sheet_count(self) -> int:
        if self.kind == "xlsx":
            return len(self.parts)
        return len(_guarded(lambda: self._calamine().sheet_names))

    def sheet(self, index: int) -> Sheet:
        if self.kind == "xlsx":
            part = self.parts[index]
            if _bounds_xlsx(self.archive, part, self.max_rows, self.max_cols) > SLICE_ROWS:
                # Merged ranges are not kept for a sheet this long: no import needs them.
                return Sheet(part, _sliced_rows(self.archive, part), [])
        elif self.kind == "ods":
            _bounds_ods(self.archive, index, self.max_rows, self.max_cols)
        book = self._calamine()
        sheet = _guarded(lambda: book.get_sheet_by_index(index))
        merged = _guarded(lambda: sheet.merged_cell_ranges) or []
        return Sheet(sheet.name, _rows(sheet), list(merged))


def _guarded(fn):
    try:
        return fn()
    except TableError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001 - calamine's errors and Rust panics
        raise _damaged() from exc


def _rows(sheet) -> Iterator[list]:
    start = sheet.start
    if start is None:  # an empty sheet
        return
    # calamine's grid starts at the first used column (rows above it it gives as empty
    # rows): put the columns left of it back, so positions stay the file's own.
    pad = [None] * start[1]
    for row in _guarded(sheet.iter_rows):
        yield pad + row if pad else row


def _sliced_rows(archive: zipfile.ZipFile, part: str) -> Iterator[list]:
    from python_calamine import CalamineWorkbook

    data, count = _sliced_workbook(archive, part)
    book = _guarded(lambda: CalamineWorkbook.from_filelike(io.BytesIO(data)))
    emitted, width = 0, 0
    for index in range(count):
        sheet = _guarded(lambda i=index: book.get_sheet_by_index(i))
        start = sheet.start
        if start is None:
            continue
        yield from ([None] * width for _ in range(start[0] - emitted))  # rows left out of the file
        pad = [None] * start[1]
        for row in _guarded(sheet.to_python):
            row = pad + row if pad else row
            # A slice whose last columns are empty is narrower: keep every row as wide
            # as the rows before it, as one grid would be.
            if len(row) < width:
                row += [None] * (width - len(row))
            width = len(row)
            yield row
        emitted = sheet.end[0] + 1
        del sheet


def spreadsheet_kind(data: bytes, filename: str) -> str | None:
    """ "xlsx", "xls" or "ods" by content (a renamed file is read as what it is)."""
    if data[:8] == _OLE_MAGIC:
        return "xls"
    if data[:2] != b"PK":
        return None
    names = set(check_zip(data).namelist())
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    return None


def open_workbook(
    data: bytes, filename: str, max_rows: int, max_cols: int = MAX_COLUMNS
) -> Workbook:
    kind = spreadsheet_kind(data, filename)
    if kind is None:
        raise _damaged()
    return Workbook(data, kind, max_rows, max_cols)


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The file's text encoding is not recognised (UTF-8 or Windows-1251)."))


def _csv_rows(data: bytes, max_rows: int, max_cols: int) -> Iterator[list[str]]:
    if b"\x00" in data[:4096]:
        raise TableError(_("The file is not a text table (.csv)."))
    text = decode_text(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";" if sample.count(";") > sample.count(",") else ","
    for n, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        if n > max_rows:
            raise _too_many_rows(max_rows)
        yield [c.strip() for c in row[:max_cols]]


SPREADSHEETS = (".xlsx", ".xls", ".ods")


def iter_rows(
    data: bytes, filename: str, max_rows: int, max_cols: int = MAX_COLUMNS
) -> Iterator[list[str]]:
    """The first sheet's rows as text, one at a time; ``TableError`` for anything that is
    not a table or is larger than ``max_rows`` x ``max_cols`` (raised before any row is
    read when the file says so up front)."""
    name = (filename or "").lower()
    if not data:
        raise TableError(_("The file is empty."))
    if name.endswith(SPREADSHEETS):
        book = open_workbook(data, filename, max_rows, max_cols)
        if not book.sheet_count:
            raise TableError(_("The file holds no rows."))
        sheet = book.sheet(0)
        return ([_cell(v) for v in row] for row in sheet.rows)
    if name.endswith(".csv"):
        if data[:2] == b"PK" or data[:8] == _OLE_MAGIC:
            raise TableError(
                _("This is a spreadsheet renamed to .csv; save it as .xlsx, .xls or .ods.")
            )
        return _csv_rows(data, max_rows, max_cols)
    raise TableError(_("Only .xlsx, .xls, .ods and .csv files are accepted."))


def read_table(data: bytes, filename: str, max_rows: int = 5000) -> list[list[str]]:
    """The first sheet as a list of rows of text (small tables: the school list)."""
    return list(iter_rows(data, filename, max_rows))


def normalize_header(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").replace("\n", " ").split()).strip(" .:*")
