"""A lean reader of the first sheet of an .xlsx: values only, several times openpyxl's speed.

A district's year of ВПР is tens of thousands of rows; openpyxl builds a cell object per
value and reads them at about 100,000 cells a second. This reads the sheet's XML
directly. The zip-bomb guard and the messages are ``tabular``'s; anything unexpected
falls back to ``tabular.read_table``, so the worst case is only slower, never wrong.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET

from intranet.i18n import gettext as _
from intranet.tabular import TableError, check_zip, read_table

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_COL_RE = re.compile(r"^([A-Z]+)")


def _col(ref: str) -> int:
    m = _COL_RE.match(ref)
    n = 0
    for ch in m.group(1) if m else "":
        n = n * 26 + ord(ch) - 64
    return n - 1


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else text


def _first_sheet(archive) -> str:
    names = set(archive.namelist())
    wb = ET.fromstring(archive.read("xl/workbook.xml"))
    sheet = wb.find(f"{NS}sheets/{NS}sheet")
    rid = sheet.get(f"{REL_NS}id") if sheet is not None else None
    if rid and "xl/_rels/workbook.xml.rels" in names:
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        for rel in rels:
            if rel.get("Id") == rid:
                target = rel.get("Target", "")
                path = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
                )
                if path in names:
                    return path
    raise KeyError("first sheet")


def _shared_strings(archive) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    out: list[str] = []
    for _event, el in ET.iterparse(archive.open("xl/sharedStrings.xml")):
        if el.tag == f"{NS}si":
            # Rich text keeps its runs in <r><t>; phonetic hints (<rPh>) are not text.
            out.append("".join(t.text or "" for t in el.iter(f"{NS}t") if t.text))
            el.clear()
    return out


def read_first_sheet(data: bytes, filename: str, max_rows: int) -> list[list[str]]:
    if not (filename or "").lower().endswith(".xlsx"):
        return read_table(data, filename, max_rows=max_rows)
    archive = check_zip(data)
    try:
        sheet = _first_sheet(archive)
        strings = _shared_strings(archive)
        rows: list[list[str]] = []
        row: list[str] = []
        for _event, el in ET.iterparse(archive.open(sheet)):
            tag = el.tag
            if tag == f"{NS}c":
                kind = el.get("t", "n")
                if kind == "inlineStr":
                    value = "".join(t.text or "" for t in el.iter(f"{NS}t"))
                else:
                    v = el.find(f"{NS}v")
                    text = v.text if v is not None and v.text is not None else ""
                    if kind == "s" and text:
                        value = strings[int(text)]
                    elif kind in ("str", "e"):
                        value = text
                    elif kind == "b":
                        value = "TRUE" if text == "1" else "FALSE"
                    else:
                        value = _number(text) if text else ""
                ref = el.get("r")
                at = _col(ref) if ref else len(row)
                if at > len(row):
                    row.extend([""] * (at - len(row)))
                row.append(value.strip())
                el.clear()
            elif tag == f"{NS}row":
                number = el.get("r")
                while number and number.isdigit() and len(rows) < int(number) - 1:
                    rows.append([])  # rows Excel left out: keep line numbers true
                if len(rows) >= max_rows:
                    raise TableError(_("The file has more than %(n)d rows.", n=max_rows))
                rows.append(row)
                row = []
                el.clear()
        return rows
    except TableError:
        raise
    except Exception:  # noqa: BLE001 - any oddity: let openpyxl have a go
        return read_table(data, filename, max_rows=max_rows)
