"""Import schools from XLSX/CSV: preview every row's problems, apply all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intranet.audit.services import acting
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.schools.forms import SCHOOL_FIELDS, SchoolForm
from intranet.schools.models import School
from intranet.tabular import TableError, normalize_header, read_table

HEADERS = {
    "code": {"код", "code", "код оо", "логин", "логин оо", "код школы"},
    "name": {
        "наименование",
        "полное наименование",
        "name",
        "наименование оо",
        "полное наименование оо",
        "образовательная организация",
    },
    "short_name": {"краткое наименование", "short name", "short_name", "сокращенное наименование"},
    "head_name": {"руководитель", "директор", "head", "фио руководителя", "фио директора"},
    "email": {"e-mail", "email", "эл. почта", "электронная почта", "адрес электронной почты"},
    "phone": {"телефон", "phone", "тел"},
    "address": {"адрес", "address", "юридический адрес"},
    "website": {"сайт", "website", "официальный сайт", "адрес сайта"},
}
_HEADER_LOOKUP = {h: key for key, names in HEADERS.items() for h in names}


@dataclass
class RowResult:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    action: str = ""  # "create", "update", "same"
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    rows: list[RowResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors and all(not r.errors for r in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "same": 0}
        for r in self.rows:
            if r.action:
                out[r.action] += 1
        return out


def _map_header(row: list[str]) -> dict[int, str]:
    return {
        i: _HEADER_LOOKUP[h]
        for i, cell in enumerate(row)
        if (h := normalize_header(cell)) in _HEADER_LOOKUP
    }


def preview(district_id: int, data: bytes, filename: str) -> ImportPreview:
    result = ImportPreview()
    try:
        table = read_table(data, filename)
    except TableError as exc:
        result.errors.append(str(exc))
        return result
    table = [r for r in table if any(c.strip() for c in r)]
    if not table:
        result.errors.append(_("The file holds no rows."))
        return result
    columns = _map_header(table[0])
    missing = [k for k in ("code", "name") if k not in columns.values()]
    if missing:
        result.errors.append(
            _(
                "The first row must name the columns; «Код» and «Наименование» are required. "
                "Columns understood: Код, Наименование, Краткое наименование, Руководитель, "
                "E-mail, Телефон, Адрес, Сайт."
            )
        )
        return result

    existing = {
        s.code: s
        for s in db.session.scalars(select(School).where(School.district_id == district_id))
    }
    seen: dict[str, int] = {}
    for offset, raw in enumerate(table[1:], start=2):
        values = {key: "" for key in SCHOOL_FIELDS}
        for i, key in columns.items():
            if i < len(raw):
                values[key] = raw[i]
        row = RowResult(line=offset, values=values)
        form = SchoolForm(formdata=MultiDict(values), meta={"csrf": False})
        if not form.validate():
            for name, errs in form.errors.items():
                label = str(getattr(form, name).label.text)
                row.errors.extend(f"{label}: {e}" for e in errs)
        clean = {k: getattr(form, k).data or "" for k in SCHOOL_FIELDS}
        row.values = clean
        code = clean["code"]
        if code and code in seen:
            row.errors.append(_("Code %(code)s repeats line %(line)d.", code=code, line=seen[code]))
        elif code:
            seen[code] = offset
        if not row.errors:
            school = existing.get(code)
            if school is None:
                row.action = "create"
            else:
                row.changes = [
                    k for k in SCHOOL_FIELDS if k != "code" and getattr(school, k) != clean[k]
                ]
                row.action = "update" if row.changes else "same"
        result.rows.append(row)
    if not result.rows:
        result.errors.append(_("The file has a header but no schools."))
    return result


def apply(actor, district_id: int, result: ImportPreview) -> dict[str, int]:
    """Write the whole file or nothing. Rows that match the database change nothing."""
    if not result.valid:
        raise ValueError("refusing to apply an import with errors")
    existing = {
        s.code: s
        for s in db.session.scalars(select(School).where(School.district_id == district_id))
    }
    with acting(actor):
        for row in result.rows:
            school = existing.get(row.values["code"])
            if school is None:
                db.session.add(School(district_id=district_id, active=True, **row.values))
            else:
                for key in SCHOOL_FIELDS:
                    if getattr(school, key) != row.values[key]:
                        setattr(school, key, row.values[key])
        db.session.commit()
    return result.counts
