"""Answers as a Russian reader expects them: dates dd.mm.yyyy, a decimal comma, thousands
set apart by a no-break space, «да» and «нет». Pure functions, shared by the pages, the
exports and the services (no import of either)."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from intranet.i18n import gettext as _

NBSP = "\u00a0"
_PLACES = Decimal("0.01")


def number(value: int | float | Decimal | None, places: Decimal | None = _PLACES) -> str:
    """12 → «12», 1147.675 → «1 147,68», 0.25 → «0,25»: rounded to ``places`` (None:
    as given), no trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}".replace(",", NBSP)
    amount = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if places is not None:
        amount = amount.quantize(places, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _dot, fraction = f"{abs(amount):f}".partition(".")
    fraction = fraction.rstrip("0")
    whole = f"{int(whole):,}".replace(",", NBSP)
    return f"{sign}{whole},{fraction}" if fraction else f"{sign}{whole}"


def parse_number(raw: Any) -> Decimal | None:
    """A typed number ("1 000,5", " 7 ", "+5") as a Decimal; None when it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    text = str(raw).strip().replace(" ", "").replace(NBSP, "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


# A number as it is usually typed: a sign, digits, one decimal comma or point. Few enough
# digits that Decimal would keep them all, so the text can be rewritten as it stands.
_TYPED = re.compile(r"([+-]?)([0-9]{1,15})(?:[.,]([0-9]{0,12}))?")


def typed_number(text: str) -> str | None:
    """``number`` of a typed number that needs no Decimal («0012,50» → «12,5»,
    «1500» → «1 500»); None when the text is not of that plain shape (then
    ``parse_number`` reads it). A table of 3,000 answers is mostly such numbers."""
    match = _TYPED.fullmatch(text.strip())
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    n = int(whole)
    if not fraction:
        return f"{-n if sign == '-' else n:,}".replace(",", NBSP)
    return f"{'-' if sign == '-' else ''}{n:,}".replace(",", NBSP) + "," + fraction


def day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value is not None else ""


def parse_day(raw: Any) -> date | None:
    """A stored date answer (ISO, or dd.mm.yyyy as typed) as a date."""
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            return None
    return None


def answer(spec: dict, value: Any) -> str | None:
    """An answer as a person reads it (None: not answered). A value that does not read as
    its type is shown as it was typed: nothing typed is hidden."""
    if value is None or value == "" or value == []:
        return None
    kind = spec.get("type")
    if kind == "yesno":
        return _("yes") if value == "yes" else _("no") if value == "no" else str(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if kind in ("integer", "decimal"):
        if isinstance(value, str) and (shown := typed_number(value)) is not None:
            return shown
        parsed = parse_number(value)
        if parsed is None:
            return str(value)
        return number(int(parsed) if parsed == parsed.to_integral_value() else parsed, None)
    if kind == "date":
        parsed_day = parse_day(value)
        return day(parsed_day) if parsed_day else str(value)
    return str(value)


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole) if whole else 0}{NBSP}%"
