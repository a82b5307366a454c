"""Read the first sheet of an uploaded .xlsx or .csv into rows of strings, safely.

Uploads come from school and district PCs: Excel files, CSVs saved by Excel in cp1251
with semicolons, sometimes a renamed Word file or a damaged download. Everything that is
not a readable table becomes a ``TableError`` whose message a person can act on.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from intranet.i18n import gettext as _

# A real district spreadsheet is a few hundred KB unpacked; anything far larger is
# a zip bomb or not ours.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200


class TableError(ValueError):
    pass


def check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(_("The file is damaged or is not an Excel workbook (.xlsx).")) from exc
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(len(data), 1):
        raise TableError(_("The file unpacks to an unreasonable size and was refused."))
    return archive


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    check_zip(data)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TableError(_("The file is damaged or is not an Excel workbook (.xlsx).")) from exc
    try:
        ws = wb.worksheets[0]
        rows: list[list[str]] = []
        for row in ws.iter_rows(values_only=True):
            if len(rows) >= max_rows:
                raise TableError(_("The file has more than %(n)d rows.", n=max_rows))
            rows.append([_cell(v) for v in row])
        return rows
    finally:
        wb.close()


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The file's text encoding is not recognised (UTF-8 or Windows-1251)."))


def read_csv(data: bytes, max_rows: int) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise TableError(_("The file is not a text table (.csv)."))
    text = decode_text(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text), dialect):
        if len(rows) >= max_rows:
            raise TableError(_("The file has more than %(n)d rows.", n=max_rows))
        rows.append([c.strip() for c in row])
    return rows


def read_table(data: bytes, filename: str, max_rows: int = 5000) -> list[list[str]]:
    name = (filename or "").lower()
    if not data:
        raise TableError(_("The file is empty."))
    if name.endswith(".xlsx"):
        return read_xlsx(data, max_rows)
    if name.endswith(".csv"):
        if data[:2] == b"PK":
            raise TableError(_("This is an Excel workbook renamed to .csv; save it as .xlsx."))
        return read_csv(data, max_rows)
    raise TableError(_("Only .xlsx and .csv files are accepted."))


def normalize_header(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").replace("\n", " ").split()).strip(" .:*")
