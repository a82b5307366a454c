"""Read ВПР exports of ФИС ОКО (.xlsx/.csv): every problem row reported, nothing half-written.

Three shapes are understood, told apart by their columns:

* individual results: school login, class, participant code, variant, a column per task,
  primary score, mark, journal mark, and an "absent" mark;
* statistics of marks: school login, participants, shares (%) of 2, 3, 4, 5;
* comparison with journal marks: school login, participants, shares (%) lowered,
  confirmed, raised.

The year, subject and grade come from columns, from the title lines above the header
(«ВПР 2024. Математика, 5 класс»), or from the upload form, in that order.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update

from intranet.audit.services import writing
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.objectivity.models import (
    KIND_COMPARISON,
    KIND_RESULTS,
    KIND_STATS,
    MarkScale,
    VprComparison,
    VprImport,
    VprMarkStat,
    VprResult,
)
from intranet.schools.models import School
from intranet.tabular import TableError, iter_rows, normalize_header

#: A district's year of one subject and grade is a few thousand rows; a whole year in
#: one file is at most a few tens of thousands.
MAX_ROWS = 60_000
#: Title lines and the header above the rows.
HEAD_LINES = 15
#: Rows written in one transaction: a few tenths of a second on a school PC's SQLite.
BATCH_ROWS = 2000
#: Problem rows listed on the preview page; the count always covers them all.
SHOWN_PROBLEMS = 1000

SUBJECTS = (
    "Русский язык",
    "Математика",
    "Окружающий мир",
    "История",
    "Обществознание",
    "География",
    "Биология",
    "Физика",
    "Химия",
    "Информатика",
    "Литература",
    "Английский язык",
    "Немецкий язык",
    "Французский язык",
)
_SUBJECT_LOOKUP = {s.lower().replace("ё", "е"): s for s in SUBJECTS}
GRADES = tuple(range(4, 12))

HEADERS: dict[str, set[str]] = {
    "login": {"логин оо", "логин", "код оо", "логин образовательной организации", "login"},
    "class_name": {"класс", "класс (буква)", "литера класса"},
    "participant": {"код участника", "код обучающегося", "код ученика", "номер участника"},
    "variant": {"вариант", "номер варианта"},
    "primary_score": {"первичный балл", "сумма баллов", "балл", "итоговый балл", "сумма"},
    "mark": {"отметка", "отметка за впр", "отметка впр", "оценка", "оценка за впр"},
    "journal_mark": {
        "отметка по журналу",
        "отметка в журнале",
        "журнальная отметка",
        "оценка по журналу",
        "отметка за предыдущий период",
    },
    "absent": {"отсутствовал", "отсутствует", "не писал", "неявка", "отсутствие"},
    "year": {"год", "год проведения"},
    "subject": {"предмет", "учебный предмет"},
    "grade": {"параллель"},
    "participants": {
        "кол-во участников",
        "количество участников",
        "кол-во уч",
        "кол-во учеников",
        "число участников",
        "участников",
    },
    "share2": {"2", "«2»", "% 2", "доля 2", "отметка 2", "%2"},
    "share3": {"3", "«3»", "% 3", "доля 3", "отметка 3", "%3"},
    "share4": {"4", "«4»", "% 4", "доля 4", "отметка 4", "%4"},
    "share5": {"5", "«5»", "% 5", "доля 5", "отметка 5", "%5"},
}
_LOOKUP = {h: key for key, names in HEADERS.items() for h in names}
# Comparison headers carry their formula: «Понизили (Отм. < Отм. по журналу) %».
_PREFIXES = {"понизил": "lowered", "подтвердил": "confirmed", "повысил": "raised"}
_TASK_RE = re.compile(r"^(?:№\s*)?(?:к|задание\s*)?\d{1,2}(?:\.\d{1,2}|\(\d{1,2}\))?$")
_YEAR_RE = re.compile(r"\b(20\d\d)\b")
_GRADE_RE = re.compile(r"\b(\d{1,2})\s*(?:-?\s*й\s*)?(?:класс|кл\b)")
_TOTALS = ("итого", "всего", "выборк", "регион", "муниципалит", "район")
_ABSENT_WORDS = {"да", "+", "1", "н", "нет работы", "отсутствовал", "отсутствует", "неявка"}

REQUIRED = {
    KIND_RESULTS: ("login", "primary_score", "mark"),
    KIND_STATS: ("login", "participants", "share2", "share3", "share4", "share5"),
    KIND_COMPARISON: ("login", "participants", "lowered", "confirmed", "raised"),
}
MODELS = {KIND_RESULTS: VprResult, KIND_STATS: VprMarkStat, KIND_COMPARISON: VprComparison}


def column_label(key: str) -> str:
    labels = {
        "login": _("School login"),
        "primary_score": _("Primary score"),
        "mark": _("Mark"),
        "participants": _("Participants"),
        "share2": "2",
        "share3": "3",
        "share4": "4",
        "share5": "5",
        "lowered": _("Lowered"),
        "confirmed": _("Confirmed"),
        "raised": _("Raised"),
    }
    return str(labels.get(key, key))


def kind_label(kind: str | None) -> str:
    return {
        KIND_RESULTS: _("individual results"),
        KIND_STATS: _("statistics of marks"),
        KIND_COMPARISON: _("comparison with journal marks"),
    }.get(kind or "", _("unknown"))


@dataclass
class RowProblem:
    line: int
    login: str
    errors: list[str]


@dataclass
class Parsed:
    """What a file holds: clean rows ready to insert, and every problem found."""

    kind: str | None = None
    errors: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # Clean rows as tuples in the order of ``columns`` (a dict per row would take several
    # times the memory for a year's tens of thousands of pupils).
    rows: list[tuple] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    total: int = 0

    @property
    def valid(self) -> bool:
        return not self.errors and not self.problems and bool(self.rows)

    @property
    def clean_only_possible(self) -> bool:
        return not self.errors and bool(self.problems) and bool(self.rows)

    @property
    def groups(self) -> list[tuple[int, str, int]]:
        # Every row starts with school_id, year, subject, grade (see ``_common``).
        return sorted({r[1:4] for r in self.rows})

    @property
    def school_count(self) -> int:
        return len({r[0] for r in self.rows})

    def dicts(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows[start:stop]]


def _map_header(row: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, cell in enumerate(row):
        h = normalize_header(cell)
        key = _LOOKUP.get(h) or _LOOKUP.get(h.rstrip(" %,"))
        if key is None:
            key = next((v for p, v in _PREFIXES.items() if h.startswith(p)), None)
        if key is not None and key not in out.values():
            out[i] = key
    return out


def _task_columns(row: list[str], mapped: dict[int, str]) -> list[int]:
    return [
        i
        for i, cell in enumerate(row)
        if i not in mapped and _TASK_RE.match(normalize_header(cell))
    ]


def _detect_kind(keys: set[str]) -> str | None:
    if keys & {"lowered", "raised"}:
        return KIND_COMPARISON
    if keys & {"participant", "primary_score", "journal_mark", "variant"}:
        return KIND_RESULTS
    if "participants" in keys or keys & {"share2", "share5"}:
        return KIND_STATS
    return None


def match_subject(text: str) -> str | None:
    t = " ".join(text.lower().replace("ё", "е").split())
    if t in _SUBJECT_LOOKUP:
        return _SUBJECT_LOOKUP[t]
    for name, subject in _SUBJECT_LOOKUP.items():
        if name in t:
            return subject
    return None


def meta_from_text(text: str) -> dict[str, Any]:
    """Year, subject and grade named in title lines such as «ВПР 2024. Математика, 5 класс»."""
    out: dict[str, Any] = {}
    if m := _YEAR_RE.search(text):
        out["year"] = int(m.group(1))
    if m := _GRADE_RE.search(text.lower()):
        out["grade"] = int(m.group(1))
    if subject := match_subject(text):
        out["subject"] = subject
    return out


def _int(text: str) -> int | None:
    t = text.strip().replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _share(text: str) -> float | None:
    t = text.strip().rstrip("%").strip().replace(",", ".").replace("\xa0", "")
    try:
        return float(t)
    except ValueError:
        return None


class _Context:
    def __init__(self, district_id: int, defaults: dict[str, Any]) -> None:
        self.codes = {
            code.lower(): sid
            for sid, code in db.session.execute(
                select(School.id, School.code).where(School.district_id == district_id)
            )
        }
        self.scales = {
            (s.year, s.subject, s.grade): s
            for s in db.session.scalars(
                select(MarkScale).where(MarkScale.district_id == district_id)
            )
        }
        self.defaults = defaults


def parse(
    district_id: int, data: bytes, filename: str, defaults: dict[str, Any] | None = None
) -> Parsed:
    """Read and check a whole file; nothing is written. ``defaults`` holds the year,
    subject and grade picked in the upload form, used where the file names none."""
    result = Parsed()
    try:
        return _parse(result, district_id, data, filename, defaults)
    except TableError as exc:
        # Also raised part-way (a row beyond the limit): nothing of the file is kept.
        result.errors.append(str(exc))
        result.rows.clear()
        result.problems.clear()
        return result


def _parse(result: Parsed, district_id, data, filename, defaults) -> Parsed:
    # Streamed: the head (title lines and header) is kept, then one row at a time.
    lines = (
        (n, row)
        for n, row in enumerate(iter_rows(data, filename, MAX_ROWS + HEAD_LINES), start=1)
        if any(c.strip() for c in row)
    )
    head: list[tuple[int, list[str]]] = []
    for numbered in lines:
        head.append(numbered)
        if len(head) == HEAD_LINES:
            break
    table = [row for _n, row in head]
    if not table:
        result.errors.append(_("The file holds no rows."))
        return result
    # The header is the row naming the most known columns among the first few.
    best, header_at = {}, -1
    for i, row in enumerate(table):
        mapped = _map_header(row)
        if len(mapped) > len(best):
            best, header_at = mapped, i
    kind = _detect_kind(set(best.values())) if len(best) >= 2 else None
    if kind is None:
        result.errors.append(
            _(
                "The file's shape is not recognised. Expected an export of ФИС ОКО: individual "
                "results (Логин ОО, Код участника, Первичный балл, Отметка, Отметка по журналу), "
                "statistics of marks (Логин ОО, Кол-во участников, 2, 3, 4, 5) or comparison "
                "with journal marks (Логин ОО, Кол-во участников, Понизили, Подтвердили, "
                "Повысили)."
            )
        )
        return result
    result.kind = kind
    if kind == KIND_RESULTS:
        # "2", "3", "4", "5" are task numbers here, not shares of marks.
        best = {i: k for i, k in best.items() if not k.startswith("share")}
    missing = [k for k in REQUIRED[kind] if k not in best.values()]
    if missing:
        result.errors.append(
            _(
                "Columns missing for %(kind)s: %(columns)s.",
                kind=kind_label(kind),
                columns=", ".join(column_label(k) for k in missing),
            )
        )
        return result
    meta: dict[str, Any] = {}
    for row in table[:header_at]:
        for key, value in meta_from_text(" ".join(row)).items():
            meta.setdefault(key, value)
    ctx = _Context(district_id, {**(defaults or {}), **meta})
    for key in ("year", "subject", "grade"):
        if key not in best.values() and not ctx.defaults.get(key):
            result.errors.append(
                _(
                    "The file names no year, subject or grade (neither in a column nor in a "
                    "title line); pick them in the upload form."
                )
            )
            return result
    tasks = _task_columns(table[header_at], best) if kind == KIND_RESULTS else []
    columns = {key: i for i, key in best.items()}
    check = {KIND_RESULTS: _result_row, KIND_STATS: _stat_row, KIND_COMPARISON: _comparison_row}
    seen: dict[tuple, int] = {}
    interned: dict[str, str] = {}
    for line, raw in itertools.chain(head[header_at + 1 :], lines):
        if result.total >= MAX_ROWS:
            raise TableError(_("The file has more than %(n)d rows.", n=MAX_ROWS))
        cells = {key: (raw[i].strip() if i < len(raw) else "") for key, i in columns.items()}
        token = cells["login"].split()[0].lower() if cells["login"] else ""
        if token not in ctx.codes and any(w in " ".join(raw).lower() for w in _TOTALS):
            continue  # a total row of the export (region, municipality), not a school
        result.total += 1
        errors: list[str] = []
        row = _common(cells, ctx, errors)
        if row is not None:
            check[kind](cells, raw, tasks, row, ctx, errors)
        if kind != KIND_RESULTS and row is not None and not errors:
            key = (row["school_id"], row["year"], row["subject"], row["grade"])
            if key in seen:
                errors.append(_("The school repeats line %(line)d.", line=seen[key]))
            seen.setdefault(key, line)
        if kind == KIND_RESULTS and row is not None and row.get("participant"):
            key = (row["school_id"], row["year"], row["subject"], row["grade"], row["participant"])
            if key in seen:
                errors.append(_("Participant code repeats line %(line)d.", line=seen[key]))
            seen.setdefault(key, line)
        if errors:
            result.problems.append(RowProblem(line, cells["login"], errors))
        elif row is not None:
            if not result.columns:
                result.columns = tuple(row)
            # Classes, variants and task strings repeat across thousands of pupils.
            result.rows.append(
                tuple(
                    interned.setdefault(v, v) if type(v) is str else v
                    for v in (row[c] for c in result.columns)
                )
            )
    if not result.total:
        result.errors.append(_("The file has a header but no rows of schools."))
    if kind == KIND_RESULTS:
        for group in result.groups:
            if group not in ctx.scales:
                result.notes.append(
                    _(
                        "No mark scale for %(year)s, %(subject)s, grade %(grade)s: primary "
                        "scores were not checked against the maximum, and charts show no "
                        "boundaries until a scale is added.",
                        year=group[0],
                        subject=group[1],
                        grade=group[2],
                    )
                )
    return result


def _common(cells: dict[str, str], ctx: _Context, errors: list[str]) -> dict[str, Any] | None:
    login = cells["login"].split()[0] if cells["login"] else ""
    school_id = ctx.codes.get(login.lower())
    if not login:
        errors.append(_("No school login."))
    elif school_id is None:
        errors.append(
            _("Unknown school login «%(login)s»: no such school in the district.", login=login)
        )
    year = ctx.defaults.get("year")
    if cells.get("year"):
        year = _int(cells["year"])
        if year is None or not 2000 <= year <= 2100:
            errors.append(_("Year «%(v)s» is not a year.", v=cells["year"]))
    subject = ctx.defaults.get("subject")
    if cells.get("subject"):
        subject = match_subject(cells["subject"])
        if subject is None:
            errors.append(_("Unknown subject «%(v)s».", v=cells["subject"]))
    grade = ctx.defaults.get("grade")
    if cells.get("grade"):
        found = _GRADE_RE.search(cells["grade"].lower()) or re.match(r"^\d{1,2}", cells["grade"])
        grade = int(found.group(1) if found.groups() else found.group(0)) if found else None
        if grade not in GRADES:
            errors.append(_("Grade «%(v)s» is not 4 to 11.", v=cells["grade"]))
    if errors or not (year and subject and grade):
        return None
    return {"school_id": school_id, "year": year, "subject": subject, "grade": grade}


def _mark(text: str, label: str, errors: list[str], required: bool) -> int | None:
    if not text:
        if required:
            errors.append(_("%(column)s is empty.", column=label))
        return None
    value = _int(text)
    if value not in (2, 3, 4, 5):
        errors.append(_("%(column)s «%(v)s» is outside 2–5.", column=label, v=text))
        return None
    return value


def _result_row(cells, raw, tasks, row, ctx: _Context, errors: list[str]) -> None:
    mark_text = cells["mark"].lower()
    absent = (cells.get("absent", "").lower() in _ABSENT_WORDS) or mark_text in (
        "отсутствовал",
        "отсутствует",
        "н",
        "неявка",
    )
    row.update(
        class_name=cells.get("class_name", "")[:20],
        participant=cells.get("participant", "")[:40],
        variant=cells.get("variant", "")[:20],
        tasks=" ".join((raw[i].strip() or "-") if i < len(raw) else "-" for i in tasks)[:400],
        absent=absent,
        primary_score=None,
        mark=None,
        journal_mark=None,
    )
    if absent:
        return
    score = _int(cells["primary_score"]) if cells["primary_score"] else None
    if score is None or score < 0:
        errors.append(
            _("Primary score «%(v)s» is not a whole number of points.", v=cells["primary_score"])
        )
    else:
        scale = ctx.scales.get((row["year"], row["subject"], row["grade"]))
        if scale is not None and score > scale.max_score:
            errors.append(
                _(
                    "Primary score %(v)d is above the maximum %(max)d of the scale.",
                    v=score,
                    max=scale.max_score,
                )
            )
        row["primary_score"] = score
    row["mark"] = _mark(cells["mark"], _("Mark"), errors, required=True)
    row["journal_mark"] = _mark(cells.get("journal_mark", ""), _("Journal mark"), errors, False)


def _shares(cells, keys, errors: list[str], row: dict[str, Any]) -> None:
    participants = _int(cells["participants"])
    if participants is None or participants < 0:
        errors.append(_("Participants «%(v)s» is not a number.", v=cells["participants"]))
    row["participants"] = participants
    total = 0.0
    for key in keys:
        value = _share(cells[key]) if cells[key] else 0.0
        if value is None or not 0 <= value <= 100:
            errors.append(
                _(
                    "%(column)s «%(v)s» is not a share 0–100.",
                    column=column_label(key),
                    v=cells[key],
                )
            )
            continue
        row[key] = value
        total += value
    if not errors and participants and abs(total - 100) > 1.5:
        errors.append(
            _("The shares add up to %(sum)s, not 100.", sum=f"{total:.1f}".replace(".", ","))
        )


def _stat_row(cells, raw, tasks, row, ctx, errors) -> None:  # noqa: ARG001
    _shares(cells, ("share2", "share3", "share4", "share5"), errors, row)


def _comparison_row(cells, raw, tasks, row, ctx, errors) -> None:  # noqa: ARG001
    _shares(cells, ("lowered", "confirmed", "raised"), errors, row)


def apply(
    actor, district_id: int, parsed: Parsed, filename: str, *, clean_only: bool = False
) -> VprImport:
    """Write the clean rows, replacing what earlier imports held for the same schools,
    years, subjects and grades; then recompute the markers of those years.

    All or nothing for whoever reads results, yet no long write transaction: on SQLite a
    writer locks out every other (the schools' autosaves) until it commits. The rows go
    in ``BATCH_ROWS`` at a time under an import marked incomplete, which every result
    leaves out (``models.visible``); one short transaction then drops the rows it
    replaces and marks it complete. A failure on the way removes what was written.

    Refused when the file has errors, unless ``clean_only`` and the file itself is sound.
    """
    from intranet.objectivity.services import recompute

    if parsed.errors or not parsed.rows:
        raise Refused(_("The file has errors; nothing was imported."))
    if parsed.problems and not clean_only:
        raise Refused(_("The file has errors; nothing was imported."))
    kind = parsed.kind or KIND_RESULTS
    model = MODELS[kind]
    by_group: dict[tuple[int, str, int], set[int]] = defaultdict(set)
    for r in parsed.rows:
        by_group[r[1:4]].add(r[0])
    with writing(actor):
        batch = VprImport(
            district_id=district_id,
            kind=kind,
            filename=filename[:255],
            years=", ".join(sorted({str(g[0]) for g in by_group})),
            subjects="; ".join(f"{s}, {g}" for _y, s, g in sorted(by_group)),
            rows=len(parsed.rows),
            skipped=len(parsed.problems),
            schools=parsed.school_count,
            imported_by=getattr(actor, "id", None),
            complete=False,
        )
        db.session.add(batch)
        db.session.commit()
    batch_id = batch.id
    try:
        for start in range(0, len(parsed.rows), BATCH_ROWS):
            rows = parsed.dicts(start, start + BATCH_ROWS)
            for r in rows:
                r["district_id"], r["import_id"] = district_id, batch_id
            db.session.execute(insert(model), rows)
            db.session.commit()
        with writing(actor):
            for (year, subject, grade), school_ids in by_group.items():
                db.session.execute(
                    delete(model).where(
                        model.district_id == district_id,
                        model.year == year,
                        model.subject == subject,
                        model.grade == grade,
                        model.school_id.in_(school_ids),
                        model.import_id != batch_id,
                    )
                )
            db.session.execute(
                update(VprImport).where(VprImport.id == batch_id).values(complete=True)
            )
            db.session.commit()
    except BaseException:
        db.session.rollback()
        with writing(actor):
            # Its rows go with it (ON DELETE CASCADE); the audit log keeps both steps.
            db.session.delete(db.session.get(VprImport, batch_id))
            db.session.commit()
        raise
    only: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for year, subject, grade in by_group:
        only[year].add((subject, grade))
        # The same cohort a year later compares itself with this year.
        only[year + 1].add((subject, grade + 1))
    with writing(actor):
        recompute(district_id, set(only), only=only, commit=False)
        db.session.commit()
    return batch
