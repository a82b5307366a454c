"""The one spreadsheet reader of every import: .xlsx, .xls, .ods and .csv read alike, and
a small file that names far-away cells is refused before anything is allocated for them."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from intranet import tabular
from tests import sheetfiles
from tests.objectivity.files import csv_bytes

ROWS = [
    ["Логин ОО", "Балл", "Дробь", "Пусто", "Текст"],
    ["s1", 12, 1.5, None, " да "],
    ["s2", 0, -3, None, "X"],
]
EXPECTED = [
    ["Логин ОО", "Балл", "Дробь", "Пусто", "Текст"],
    ["s1", "12", "1.5", "", "да"],
    ["s2", "0", "-3", "", "X"],
]


def _trim(rows):
    out = []
    for row in rows:
        row = list(row)
        while row and not row[-1]:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("t.xlsx", sheetfiles.xlsx),
        ("t.xls", sheetfiles.xls),
        ("t.ods", sheetfiles.ods),
        ("t.csv", lambda rows: csv_bytes([["" if v is None else v for v in r] for r in rows])),
    ],
)
def test_every_format_reads_the_same_rows(name, build):
    assert _trim(tabular.read_table(build(ROWS), name, max_rows=10)) == _trim(EXPECTED)


def _xls_declaring(rows: int) -> bytes:
    """A real .xls whose DIMENSIONS record declares ``rows`` rows."""
    data = bytearray(sheetfiles.xls(ROWS))
    at = data.find(struct.pack("<HH", 0x0200, 14))
    struct.pack_into("<I", data, at + 8, rows)
    return bytes(data)


FAR = {
    # Each a file of a few KB at most.
    "row 3,000,000": sheetfiles.xlsx_by_hand(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="3000000"><c r="A3000000"><v>1</v></c></row>'
    ),
    "row 2,000,000,000": sheetfiles.xlsx_by_hand(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="2000000000"><c><v>1</v></c></row>'
    ),
    "column ZZZZ": sheetfiles.xlsx_by_hand(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="ZZZZ2"><v>1</v></c></row>'
    ),
    "a dimension that lies": sheetfiles.xlsx_by_hand(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="XFD1048576"><v>1</v></c></row>',
        dimension="A1:A2",
    ),
    "cells without references": sheetfiles.xlsx_by_hand(
        '<row r="1">' + "<c><v>1</v></c>" * 5000 + "</row>"
    ),
    "ods: a row repeated 2,000,000,000 times": sheetfiles.ods_content(
        '<table:table-row table:number-rows-repeated="2000000000"><table:table-cell '
        'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    ),
    "ods: a cell repeated 16,384 times": sheetfiles.ods_content(
        '<table:table-row><table:table-cell table:number-columns-repeated="16384" '
        'office:value-type="float" office:value="1"/></table:table-row>'
    ),
    "xls: dimensions of 4,000,000,000 rows": _xls_declaring(4_000_000_000),
    # calamine would reserve 2.4 TB for the strings this announces, and abort the process.
    "100,000,000,000 shared strings": sheetfiles.xlsx_by_hand(
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        shared_strings='<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" count="1" uniqueCount="100000000000"><si><t>x</t></si></sst>',
    ),
}


def test_far_cells_are_refused_without_allocating(tmp_path):
    """Read in a fresh process, so that its peak memory (Rust's allocations included)
    can be read back: every file is refused, and the process grew by a few MB at most."""
    paths = {}
    for n, (case, data) in enumerate(FAR.items()):
        ext = ".ods" if case.startswith("ods") else ".xls" if case.startswith("xls") else ".xlsx"
        paths[case] = str(tmp_path / f"far{n}{ext}")
        Path(paths[case]).write_bytes(data)
    script = f"""
import json, resource, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from intranet import tabular
paths = json.loads(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {{}}
for case, path in paths.items():
    data = open(path, "rb").read()
    try:
        rows = list(tabular.iter_rows(data, path, max_rows=60_015))
        out[case] = "read %d rows" % len(rows)
    except tabular.TableError as exc:
        out[case] = "refused"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"cases": out, "grew_mb": (peak - base) / 1024}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["cases"] == dict.fromkeys(FAR, "refused")
    assert report["grew_mb"] < 20, report


def test_a_sheet_over_the_limit_is_refused_by_its_declared_size(app_ctx):
    data = sheetfiles.xlsx_by_hand('<row r="1"><c r="A1"><v>1</v></c></row>', dimension="A1:T70000")
    with pytest.raises(tabular.TooLarge, match="В файле больше 60015 строк"):
        tabular.iter_rows(data, "big.xlsx", max_rows=60_015)
    wide = sheetfiles.xlsx_by_hand('<row r="1"><c r="A1"><v>1</v></c><c r="DA1"><v>1</v></c></row>')
    with pytest.raises(tabular.TooLarge, match="В листе больше 100 столбцов"):
        tabular.read_table(wide, "wide.xlsx")


def test_damaged_and_disguised_files(app_ctx):
    message = "Файл повреждён или не является электронной таблицей (.xlsx, .xls или .ods)."
    for data, name in [
        (b"%PDF-1.4", "r.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "r.xls"),
        (sheetfiles.xlsx(ROWS)[:300], "r.xlsx"),
        (sheetfiles.ods(ROWS)[:-200], "r.ods"),
    ]:
        with pytest.raises(tabular.TableError) as excinfo:
            tabular.read_table(data, name)
        assert str(excinfo.value) == message, name


def test_a_long_sheet_is_read_in_slices_with_the_same_rows(monkeypatch):
    """calamine holds a sheet as one grid; a long one is read a slice of rows at a time
    (memory stays flat), and the rows come out as from one grid: gaps, widths and all."""
    rows = [["Логин ОО", "Балл", "Отсутствовал"]]
    rows += [[f"s{n}", n, "да" if n == 2 else None] for n in range(1, 12)]
    rows += [[None, None, None], [None, None, None], ["s99", 99, None]]
    data = sheetfiles.xlsx(rows)
    whole = list(tabular.iter_rows(data, "r.xlsx", max_rows=100))
    monkeypatch.setattr(tabular, "SLICE_ROWS", 3)
    sliced = list(tabular.iter_rows(data, "r.xlsx", max_rows=100))
    assert sliced == whole
    assert len(sliced) == 15 and sliced[-1] == ["s99", "99", ""] and sliced[13] == ["", "", ""]
