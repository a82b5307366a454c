"""Turn the free-text deadlines ("сроки") of district plan items into dates.

District orders state deadlines as prose typed into a Word table: "сентябрь 2023",
"апрель - май 2024", "в течение учебного года", "по графику проведения ОП",
"2 раза в год". The app needs dates to sort, remind and report on overdue items, but
the original wording stays authoritative, so the parser's job is to make a good guess
and to say when it is only a guess. A person then confirms or corrects the stored
result, which is why ``Deadline`` round-trips through a JSON-ready dict.

Design choices that follow from that:

* ``parse_deadline`` never raises on text; anything it cannot account for fully comes
  back with ``needs_review`` rather than being silently dropped.
* The plan's period (a school year or a calendar year) supplies missing years:
  "сентябрь" in a 2023-2024 school-year plan is September 2023.
* Standard library only and no Flask imports, so the rules are testable by hand.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

__all__ = ["KINDS", "Deadline", "DeadlineKind", "parse_deadline"]

DeadlineKind = Literal["date", "window", "continuous", "recurring", "event", "unknown"]

KINDS: tuple[DeadlineKind, ...] = (
    "date",
    "window",
    "continuous",
    "recurring",
    "event",
    "unknown",
)

Window = tuple[date, date]

# A deadline cell is a few words. Past this length the text is a paragraph pasted into
# the wrong column, and any dates found in it would be a coincidence, not a deadline.
MAX_PARSED_CHARS = 300


@dataclass(frozen=True)
class Deadline:
    """A parsed deadline, kept next to the text it came from.

    ``windows`` exists because one item can be due in separate stretches
    ("март, август 2020"); ``start``/``end`` span all of them so that simple callers
    (sorting, "overdue?") need not look at the windows at all.
    """

    kind: DeadlineKind
    start: date | None = None
    end: date | None = None
    windows: tuple[Window, ...] = ()
    needs_review: bool = False
    text: str = ""

    def __post_init__(self) -> None:
        # Validation lives here so that a hand-corrected value (via from_dict) cannot
        # smuggle in a state the rest of the app would misread.
        if self.kind not in KINDS:
            raise ValueError(f"unknown deadline kind: {self.kind!r}")
        windows = tuple((a, b) for a, b in self.windows)
        for a, b in windows:
            if not isinstance(a, date) or not isinstance(b, date) or a > b:
                raise ValueError(f"bad window: {(a, b)!r}")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError("start is after end")
        # A tuple keeps the frozen instance hashable even if a list was passed in.
        object.__setattr__(self, "windows", windows)

    def as_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types, for storing in a JSON column or a form."""
        return {
            "kind": self.kind,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "windows": [[a.isoformat(), b.isoformat()] for a, b in self.windows],
            "needs_review": self.needs_review,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deadline:
        """Rebuild a deadline stored by ``as_dict`` or corrected by a person.

        Raises ``ValueError`` on malformed data: unlike free text, this input is
        supposed to be structured, and a bad value should reach the form, not the DB.
        """
        try:
            windows = tuple(
                (date.fromisoformat(a), date.fromisoformat(b)) for a, b in data.get("windows") or ()
            )
            return cls(
                kind=data["kind"],
                start=_from_iso(data.get("start")),
                end=_from_iso(data.get("end")),
                windows=windows,
                needs_review=bool(data.get("needs_review", False)),
                text=str(data.get("text") or ""),
            )
        except (AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"malformed deadline: {exc}") from exc


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_iso(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return date.fromisoformat(value)


# --------------------------------------------------------------------------- phrases
# Checked on the normalised text (lower case, "ё" -> "е", one space between words).

_RECURRING = re.compile(
    r"\bеже(?:дневн|недельн|месячн|квартальн|полугод|годн|четвертн)"
    r"|\bраза?\s+в\s+(?:день|недел|месяц|квартал|четверт|полугод|полгода|год|триместр)"
    r"|\b(?:дважды|трижды)\b"
    r"|\bкажд(?:ый|ую|ое|ом)\s+(?:день|недел|месяц|квартал|четверт|полугод|год)"
)

# Anything whose timing is set by an event or by someone else's schedule: the plan
# itself cannot date it, so the item gets no dates rather than invented ones.
_EVENT = re.compile(
    r"график|расписани|в\s+соответствии|\bсогласно\b|по\s+мере|по\s+необходимост"
    r"|по\s+запрос|по\s+факту|по\s+итогам|по\s+результатам|\bпосле\b|до\s+проведени"
    r"|до\s+начала|к\s+началу|в\s+период\s+проведени|в\s+дн[иья]\s+проведени|в\s+день\s+проведени"
    r"|в\s+ходе|при\s+проведени|по\s+плану|по\s+приказу|по\s+согласовани|по\s+окончани"
    r"|по\s+завершени|по\s+требовани|по\s+поручени|по\s+решени|по\s+заявк|по\s+отдельно"
    r"|в\s+установленные\s+сроки|в\s+сроки|накануне"
)

_CONTINUOUS = re.compile(
    r"постоянн|регулярн|систематическ|круглогодичн"
    r"|в\s+течени[еи]\s+(?:всего\s+|текущего\s+|)"
    r"(?:(?:учебного|календарного|планового|отчетного)\s+|)(?:года|периода)\b"
    r"|планов\w*\s+период|весь\s+период|всего\s+периода|^(?:весь\s+|)учебный\s+год$"
)

# "до конца учебного года": the period's last day. Plain "до конца года" in a
# school-year plan could be 31 December as well, so that one is flagged.
_UNTIL_PERIOD_END = re.compile(
    r"^(?:в\s+срок\s+|срок\s+|)до\s+(?:конца|окончания)\s+"
    r"(?:(учебного|календарного|планового|отчетного)\s+|)(года|периода)$"
)

_DASHES = str.maketrans(
    {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"} | {"\u00ad": None}
)

_TOKEN = re.compile(
    r"\d{1,2}\.\d{1,2}\.\d{2,4}(?!\d)"  # 15.09.2023, 15.09.23
    r"|\d{1,2}\.\d{1,2}(?![.\d])"  # 15.09
    r"|\d+"
    r"|[a-zа-я]+"
    r"|[-,;/]"
)

_MONTH_WORD = [
    (re.compile(r"январ[ьяеюи]|янв"), 1),
    (re.compile(r"феврал[ьяеюи]|февр?"), 2),
    (re.compile(r"март[аеу]?|мар"), 3),
    (re.compile(r"апрел[ьяеюи]|апр"), 4),
    (re.compile(r"ма[йяею]"), 5),
    (re.compile(r"июн[ьяеюи]?"), 6),
    (re.compile(r"июл[ьяеюи]?"), 7),
    (re.compile(r"август[аеу]?|авг"), 8),
    (re.compile(r"сентябр[ьяеюи]|сент?"), 9),
    (re.compile(r"октябр[ьяеюи]|окт"), 10),
    (re.compile(r"ноябр[ьяеюи]|нояб?"), 11),
    (re.compile(r"декабр[ьяеюи]|дек"), 12),
]

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ORDINAL = re.compile(r"(перв|втор|трет|четверт)(?:ый|ое|ого|ом|ому|ая|ую|ой|ий|ье|ьего|ьем)")
_ORDINAL_VALUE = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4}
_ORDINAL_SUFFIX = {"й", "я", "е", "го", "ый", "ой", "ом", "ая", "ое", "м"}
_QUARTER_WORD = re.compile(r"квартал\w*|кв")
_HALF_WORD = re.compile(r"полугоди\w*")
_YEAR_WORD = {"г", "гг", "год", "года", "году", "годы", "годов", "годах"}
_SCHOOL_WORD = re.compile(r"уч\w*")

# Words that carry no meaning beyond what the recognised dates already say. Anything
# else left over means the text said something the parser did not understand.
# fmt: off
_FILLER = {
    "в", "во", "на", "с", "со", "по", "до", "к", "ко", "не", "позднее", "позже",
    "срок", "сроки", "срока", "исполнения", "реализации", "выполнения", "течение",
    "течении", "конца", "окончания", "и", "включительно", "учебного", "учебный",
    "учебном", "уч", "календарного", "числа", "месяц", "месяца", "месяцев", "период",
    "периода",
} | _YEAR_WORD | _ORDINAL_SUFFIX
# fmt: on


@dataclass
class _Ref:
    """One calendar reference in the text: a day, month, quarter, half or year.

    Mutable on purpose: years are filled in after the whole text has been read,
    because a year written at the end applies to the references before it.
    """

    unit: Literal["day", "month", "quarter", "half", "school_half", "year", "school_year"]
    number: int  # the month for "day"/"month", 1-4 for quarters, 1-2 for halves
    year: int | None
    day: int = 1

    def first_month(self) -> int:
        if self.unit in ("day", "month"):
            return self.number
        if self.unit == "quarter":
            return 3 * self.number - 2
        if self.unit == "half":
            return 6 * self.number - 5
        if self.unit == "school_half":
            return 9 if self.number == 1 else 1
        return 9 if self.unit == "school_year" else 1

    def span(self, year: int | None = None) -> Window | None:
        """The dates covered in ``year`` (default: its own); None if no such day."""
        y = self.year if year is None else year
        if y is None:
            return None
        try:
            if self.unit == "day":
                d = date(y, self.number, self.day)
                return d, d
            if self.unit == "month":
                return _month_span(y, self.number, self.number)
            if self.unit == "quarter":
                return _month_span(y, 3 * self.number - 2, 3 * self.number)
            if self.unit == "half":
                return _month_span(y, 6 * self.number - 5, 6 * self.number)
            if self.unit == "school_half":  # teaching terms: September-December, January-May
                if self.number == 1:
                    return date(y, 9, 1), date(y, 12, 31)
                return date(y + 1, 1, 1), date(y + 1, 5, 31)
            if self.unit == "school_year":
                return date(y, 9, 1), date(y + 1, 8, 31)
            return date(y, 1, 1), date(y, 12, 31)
        except ValueError:  # 31 February, year 0 and the like
            return None


@dataclass
class _Scan:
    """What the tokenizer found: reference items plus the cues around them."""

    items: list[list[_Ref]]
    residual: list[str]
    due: bool = False  # "до", "к", "не позднее"
    until_end: bool = False  # "до конца ..."
    open_from: bool = False  # "с <month>" without an end
    broken: bool = False  # a dash or "по" with nothing on one side


def _month_span(year: int, first: int, last: int) -> Window:
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def _normalise(text: str) -> str:
    text = text.lower().replace("ё", "е").translate(_DASHES)
    return " ".join(text.split()).strip(" .;,")


def _month_of(token: str) -> int | None:
    for pattern, month in _MONTH_WORD:
        if pattern.fullmatch(token):
            return month
    return None


def _year_of(token: str) -> int | None:
    if len(token) == 4 and token.isdigit() and 1900 <= int(token) <= 2100:
        return int(token)
    return None


def _numeral(token: str) -> int | None:
    """A quarter/half number written as 1, II or "первый"."""
    if token.isdigit() and len(token) == 1:
        return int(token)
    if token in _ROMAN:
        return _ROMAN[token]
    m = _ORDINAL.fullmatch(token)
    return _ORDINAL_VALUE[m.group(1)] if m else None


def _tokenize(norm: str) -> list[str]:
    return _TOKEN.findall(norm)


def _skip_year_words(tokens: list[str], i: int) -> int:
    while i < len(tokens) and tokens[i] in _YEAR_WORD:
        i += 1
    return i


def _take_year(tokens: list[str], i: int) -> tuple[int | None, int]:
    """Read an optional year ("2023", "2023г", "2023 года") at ``i``."""
    if i < len(tokens) and (year := _year_of(tokens[i])) is not None:
        return year, _skip_year_words(tokens, i + 1)
    return None, i


def _scan(norm: str) -> _Scan:
    """Read calendar references, separators and cue words in order.

    The output is a list of items, each a single reference or a two-element range,
    so that list and range structure ("март, август", "апрель - май") survives until
    years are assigned.
    """
    tokens = _tokenize(norm)
    scan = _Scan(items=[], residual=[])
    atoms: list[_Ref | str] = []  # references and the separators "range" / "list"
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""

        if "." in tok:  # numeric date: 15.09.2023, 15.09.23 or 15.09
            ref = _numeric_date(tok)
            if ref is None:
                scan.residual.append(tok)
            else:
                atoms.append(ref)
            i = _skip_year_words(tokens, i + 1)
            continue

        if (year := _year_of(tok)) is not None:
            if _school_year_at(tokens, i) is not None:  # "2023-2024 учебный год"
                atoms.append(_Ref("school_year", 0, year))
                i = _skip_school_year(tokens, i)
                continue
            atoms.append(_Ref("year", 0, year))
            i = _skip_year_words(tokens, i + 1)
            continue

        if (month := _month_of(tok)) is not None:
            first = _school_year_at(tokens, i + 1)
            if first is not None:  # "сентябрь 2023-2024 учебного года"
                year, i = (first if month >= 9 else first + 1), _skip_school_year(tokens, i + 1)
            else:
                year, i = _take_year(tokens, i + 1)
            atoms.append(_Ref("month", month, year))
            continue

        if tok.isdigit() and len(tok) <= 2:
            # "15 сентября 2023", and the first day of "1-15 сентября" / "с 1 по 15 сентября"
            month = _month_of(nxt)
            year = None
            if month is not None:
                year, i = _take_year(tokens, i + 2)
            elif (
                nxt in ("-", "по", "до")
                and i + 3 < len(tokens)
                and tokens[i + 2].isdigit()
                and (month := _month_of(tokens[i + 3])) is not None
            ):
                i += 1
            if month is not None:
                ref = _Ref("day", month, year, int(tok))
                if _probe(ref) is None:
                    scan.residual.append(tok)
                else:
                    atoms.append(ref)
                continue

        if _numeral(tok) is not None:
            unit, end = _numeral_run(tokens, i)
            if unit is not None:
                run = [
                    t
                    for k, t in enumerate(tokens[i:end], start=i)
                    if _numeral(t) is not None
                    or t in (",", "и")
                    or (t == "-" and tokens[k + 1] not in _ORDINAL_SUFFIX)  # not "1-й"
                ]
                school = _school_year_at(tokens, end + 1)
                if school is not None:  # "1 полугодие 2023-2024 учебного года"
                    year, i = None, _skip_school_year(tokens, end + 1)
                else:
                    year, i = _take_year(tokens, end + 1)
                refs_in_run: list[_Ref] = []
                for t in run:
                    if t == "-":
                        atoms.append("range")
                    elif t in (",", "и"):
                        atoms.append("list")
                    else:
                        n = _numeral(t)
                        limit = 4 if unit == "quarter" else 2
                        if n is None or not 1 <= n <= limit:
                            scan.residual.append(t)
                            continue
                        ref = _Ref(unit, n, None)
                        if school is not None:
                            ref.year = school
                            if unit == "half":
                                ref.unit = "school_half"
                            elif ref.first_month() < 9:
                                ref.year = school + 1
                        refs_in_run.append(ref)
                        atoms.append(ref)
                if refs_in_run and year is not None:
                    refs_in_run[-1].year = year
                elif year is not None:
                    atoms.append(_Ref("year", 0, year))
                continue

        if tok == "-":
            atoms.append("range")
        elif tok in (",", ";", "и"):
            atoms.append("list")
        elif tok in ("с", "со"):
            atoms.append("from")
        elif tok == "по":
            atoms.append("to")
        elif tok in ("до", "к", "ко", "позднее", "позже"):
            atoms.append("due")
        elif tok in ("конца", "окончания"):
            scan.until_end = True
        elif tok in _FILLER or tok == "/":
            pass
        else:
            scan.residual.append(tok)
        i += 1

    _assemble(atoms, scan)
    return scan


def _school_year_at(tokens: list[str], i: int) -> int | None:
    """The first year of "2023-2024 учебный год" / "2023/2024 уч. г." starting at ``i``."""
    first = _year_of(tokens[i]) if i < len(tokens) else None
    if first is None or i + 3 >= len(tokens) or tokens[i + 1] not in ("-", "/"):
        return None
    if _year_of(tokens[i + 2]) != first + 1 or not _SCHOOL_WORD.fullmatch(tokens[i + 3]):
        return None
    return first


def _skip_school_year(tokens: list[str], i: int) -> int:
    i += 4
    while i < len(tokens) and (tokens[i] in _YEAR_WORD or _SCHOOL_WORD.fullmatch(tokens[i])):
        i += 1
    return i


def _numeric_date(token: str) -> _Ref | None:
    """Read "15.09.2023" / "15.09.23" / "15.09"; None if it is no real day."""
    parts = token.split(".")
    day, month = int(parts[0]), int(parts[1])
    year: int | None = None
    if len(parts) == 3:
        if len(parts[2]) == 3:
            return None
        year = int(parts[2]) + (2000 if len(parts[2]) == 2 else 0)
    if not 1 <= month <= 12:
        return None
    ref = _Ref("day", month, year, day)
    return ref if _probe(ref) is not None else None


def _probe(ref: _Ref) -> Window | None:
    """Check that a day exists, trying a leap year when the year is still unknown."""
    return ref.span(ref.year if ref.year is not None else 2024)


def _numeral_run(tokens: list[str], i: int) -> tuple[Literal["quarter", "half"] | None, int]:
    """Find the unit word after "1", "I - II", "1-й" and so on; return it and its index."""
    j = i
    while j < len(tokens) and (
        _numeral(tokens[j]) is not None
        or tokens[j] in ("-", ",", "и")
        or (tokens[j] in _ORDINAL_SUFFIX and j > i and tokens[j - 1] == "-")
    ):
        j += 1
    if j < len(tokens):
        if _QUARTER_WORD.fullmatch(tokens[j]):
            return "quarter", j
        if _HALF_WORD.fullmatch(tokens[j]):
            return "half", j
    return None, j


def _assemble(atoms: list[_Ref | str], scan: _Scan) -> None:
    """Group references into single items and ranges.

    "с X по Y" and "с X до Y" are ranges; a lone "до"/"к" is a due date; a lone
    "с X" is an open start.
    """
    pending: str | None = None  # "range" after a dash / "по" / "до" that follows a ref
    saw_from = False
    prev_was_ref = False
    for atom in atoms:
        if isinstance(atom, _Ref):
            if pending == "range" and scan.items and len(scan.items[-1]) == 1:
                scan.items[-1].append(atom)
            else:
                scan.items.append([atom])
            pending = None
            prev_was_ref = True
            continue
        if atom == "from":
            saw_from = True
        elif atom == "range" or (atom == "to" and prev_was_ref):
            if prev_was_ref:
                pending = "range"
            else:
                scan.broken = True
        elif atom == "due":
            if prev_was_ref and saw_from:
                pending = "range"
            else:
                scan.due = True
        elif atom == "list":
            if pending == "range":
                scan.broken = True
            pending = None
        prev_was_ref = False
    if pending == "range":
        scan.broken = True
    if saw_from and len(scan.items) == 1 and len(scan.items[0]) == 1:
        scan.open_from = True


# ----------------------------------------------------------------------- years


def _fill_years(items: list[list[_Ref]], period: Window) -> bool:
    """Give every reference a year; return True if a guess needs a person's eye.

    A year written later applies to the references before it ("август, сентябрь
    2022г."). Across list items the text is read as chronological, so the year steps
    back where the months would otherwise run backwards ("октябрь, март 2024" is
    October 2023); inside a range it does not, because a backwards range ("Май-март
    2023") is a typo a person must see. References after the last written year
    continue forward from the one before them. With no year written at all, each item
    is placed in the period.
    """
    # A half-year without a year may be a school one (September - December) or a
    # calendar one; only a person knows.
    review = any(r.unit == "half" and r.year is None for item in items for r in item)
    if not any(r.year is not None for item in items for r in item):
        for item in items:
            review |= _place_in_period(item, period)
        return review

    later: tuple[int, int, int] | None = None  # (item index, year, first month) to the right
    for index in range(len(items) - 1, -1, -1):
        for ref in reversed(items[index]):
            if ref.year is None and later is not None:
                backwards = later[0] != index and ref.first_month() > later[2]
                ref.year = later[1] - (1 if backwards else 0)
            if ref.year is not None:
                later = (index, ref.year, ref.first_month())
    earlier: _Ref | None = None
    for item in items:
        for ref in item:
            if ref.year is None and earlier is not None and earlier.year is not None:
                bump = ref.first_month() < earlier.first_month()
                ref.year = earlier.year + (1 if bump else 0)
            earlier = ref
    return review


def _months_inside(span: Window, period: Window) -> int:
    """How many calendar months of ``span`` touch ``period``; used to rank guesses."""
    lo, hi = max(span[0], period[0]), min(span[1], period[1])
    if lo > hi:
        return 0
    return (hi.year - lo.year) * 12 + hi.month - lo.month + 1


def _place_in_period(item: list[_Ref], period: Window) -> bool:
    """Choose the year(s) that put a year-less item inside the period.

    A range keeps its order ("декабрь - февраль" crosses New Year). Among placements
    the one with most months inside the period wins, the earliest on a tie, so that
    "август - сентябрь" in a school-year plan means the start of that school year.
    """
    first, last = item[0], item[-1]
    wraps = len(item) == 2 and last.first_month() < first.first_month()
    best: tuple[int, int] | None = None
    for y in range(period[0].year - 1, period[1].year + 2):
        a = first.span(y)
        b = last.span(y + 1 if wraps else y)
        if a is None or b is None:
            continue
        score = _months_inside((a[0], b[1]), period)
        if score and (best is None or score > best[0]):
            best = (score, y)
    year = best[1] if best else period[0].year
    first.year = year
    if len(item) == 2:
        last.year = year + 1 if wraps else year
    if best is None:
        return True
    spans = [r.span() for r in item]
    return any(s is None or s[0] < period[0] or s[1] > period[1] for s in spans)


# ----------------------------------------------------------------------- result


def _merge(spans: list[Window]) -> tuple[Window, ...]:
    """Sort and join spans that touch, so "август, сентябрь" is one window."""
    merged: list[Window] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _outside(first: date, last: date, period: Window) -> bool:
    return first < period[0] or last > period[1]


def _from_items(scan: _Scan, period: Window, text: str, kind: DeadlineKind | None) -> Deadline:
    """Build a date/window (or a bounded recurring) deadline from found references."""
    # Words left over mean the text said more than its dates, except for a recurring
    # deadline, whose frequency words ("2 раза в год") were understood by the caller.
    review = scan.broken or (bool(scan.residual) and kind is None)
    review |= _fill_years(scan.items, period)

    spans: list[Window] = []
    for item in scan.items:
        a, b = item[0].span(), item[-1].span()
        if a is None or b is None:
            review = True
            continue
        if b[1] < a[0]:  # "Май-март 2023": keep it, in order, but flag it
            review = True
        if {item[0].unit, item[-1].unit} - {"day", "month"} and item[0].unit != item[-1].unit:
            review = True  # "2023 - сентябрь 2024": units that do not make a clear range
        spans.append((min(a[0], b[0]), max(a[1], b[1])))
    if not spans:
        return Deadline("unknown", needs_review=True, text=text)

    single = scan.items[0][0] if len(scan.items) == 1 and len(scan.items[0]) == 1 else None
    if kind is None and single is not None:
        if scan.due or (single.unit == "day" and not scan.open_from):
            # "до сентября" is vaguer than "до конца сентября": take the month's first
            # day, the stricter reading, and ask a person.
            if single.unit != "day" and not scan.until_end:
                review = True
            due = spans[0][1] if single.unit == "day" or scan.until_end else spans[0][0]
            review |= _outside(due, due, period)
            return Deadline("date", end=due, needs_review=review, text=text)
        if scan.open_from:
            spans = [(spans[0][0], max(spans[0][0], period[1]))]
            review = True
    elif scan.due and kind is None:
        review = True  # several things after "до": unclear which is the deadline

    windows = _merge(spans)
    start, end = windows[0][0], max(b for _, b in windows)
    review |= _outside(start, end, period)
    if kind is None:
        kind = "window"
        whole_years = all(r.unit in ("year", "school_year") for it in scan.items for r in it)
        if whole_years and windows == ((period[0], period[1]),):
            kind = "continuous"  # "в течение 2021 года" in the 2021 plan
    return Deadline(kind, start, end, windows, review, text)


def _over_period(kind: DeadlineKind, period: Window, text: str) -> Deadline:
    return Deadline(kind, period[0], period[1], (period,), False, text)


def parse_deadline(text: str, period: tuple[date, date]) -> Deadline:
    """Parse a deadline cell of a plan whose items run over ``period``.

    ``period`` is the plan's (first day, last day), e.g. (2023-09-01, 2024-08-31) for a
    school year; it supplies missing years and bounds "постоянно"-style deadlines.
    Never raises on any text: what is not understood comes back as kind "unknown"
    with ``needs_review`` set, so the person importing the plan sees it.
    """
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    try:
        lo, hi = sorted(period)
        return _parse(raw, (lo, hi))
    except Exception:  # a parser bug must not break a plan import
        return Deadline("unknown", needs_review=True, text=raw)


def _parse(text: str, period: Window) -> Deadline:
    norm = _normalise(text)
    if not norm or len(norm) > MAX_PARSED_CHARS:
        return Deadline("unknown", needs_review=True, text=text)

    if m := _UNTIL_PERIOD_END.match(norm):
        calendar_year = period[0] == date(period[0].year, 1, 1) and period[1] == date(
            period[0].year, 12, 31
        )
        sure = m.group(2) == "периода" or m.group(1) == "учебного" or calendar_year
        return Deadline("date", end=period[1], needs_review=not sure, text=text)

    scan = _scan(norm)
    if _RECURRING.search(norm):
        if scan.items:
            return _from_items(scan, period, text, "recurring")
        return _over_period("recurring", period, text)
    if scan.items:
        return _from_items(scan, period, text, None)
    if _EVENT.search(norm):
        return Deadline("event", text=text)
    if _CONTINUOUS.search(norm):
        return _over_period("continuous", period, text)
    return Deadline("unknown", needs_review=True, text=text)
