"""Build ВПР export files in the shapes of ФИС ОКО, and seed results, for tests and the benchmark."""

from __future__ import annotations

import csv
import io
import random

RESULT_HEADER = [
    "Логин ОО",
    "Класс",
    "Код участника",
    "Вариант",
    "1",
    "2",
    "3",
    "4",
    "Первичный балл",
    "Отметка",
    "Отметка по журналу",
    "Отсутствовал",
]


def pupil(login, n, score, mark, journal, *, absent=False, cls="5А"):
    tasks = ["", "", "", ""] if absent else [str(min(score, 1)), "1", "0", "X"]
    return [
        login,
        cls,
        f"{n:05d}",
        str(1 + n % 2),
        *tasks,
        "" if absent else str(score),
        "" if absent else str(mark),
        "" if journal is None else str(journal),
        "да" if absent else "",
    ]


def xlsx(rows: list[list], title: str | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(
    rows: list[list], encoding: str = "cp1251", delimiter: str = ";", title=None
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    if title:
        writer.writerow([title])
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def mark_of(score: int, scale=(6, 11, 16)) -> int:
    return 5 if score >= scale[2] else 4 if score >= scale[1] else 3 if score >= scale[0] else 2


def school_pupils(login: str, scores: list[int], journals: list[int | None], start: int = 1):
    return [
        pupil(login, start + i, s, mark_of(s), j)
        for i, (s, j) in enumerate(zip(scores, journals, strict=True))
    ]


def district_year(logins: list[str], per_school: int, seed: int = 1) -> list[list]:
    """Plausible pupils for schools: scores 0-20, journals mostly agreeing with ВПР."""
    rng = random.Random(seed)
    rows = []
    n = 0
    for login in logins:
        for _ in range(per_school):
            n += 1
            score = max(0, min(20, int(rng.gauss(11, 4))))
            mark = mark_of(score)
            journal = min(5, max(2, mark + rng.choice((-1, 0, 0, 0, 1))))
            rows.append(pupil(login, n, score, mark, journal))
    return rows
