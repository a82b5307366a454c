"""The shape of a form template version, and the checking of answers against it.

A schema is plain JSON, stored with the version it belongs to (a published version never
changes), so an answer saved years ago is always read against the fields it was given for:

    {"sections": [{"key": "docs", "title": "...", "fields": [FIELD, ...]}, ...]}

    FIELD = {"key": "vsoko_posted", "type": "yesno", "label": "...", "help": "...",
             "required": true, "show_if": {"field": "other_key", "equals": "yes"},
             # by type:
             "options": ["..."],                 # choice, multichoice
             "min": 0, "max": 100,               # integer, decimal
             "columns": [COLUMN, ...]}           # table
    COLUMN = {"key": "subject", "label": "...", "type": one of COLUMN_TYPES, "options": [...]}

Answers are a flat dict {field key: value}; a table's value is a list of rows, each
{"id": uuid, column key: value, ...}. Values are kept as the strings people typed
(numbers as "12" or "3,5"), so nothing typed is ever lost; ``check_value`` says whether a
value is valid and what it means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from intranet.i18n import lazy_gettext as _l

FIELD_TYPES = {
    "yesno": _l("yes / no"),
    "choice": _l("one of a list"),
    "multichoice": _l("several of a list"),
    "integer": _l("whole number"),
    "decimal": _l("decimal number"),
    "text": _l("short text"),
    "textarea": _l("long text"),
    "date": _l("date"),
    "url": _l("web address"),
    "table": _l("table"),
}
COLUMN_TYPES = ("text", "integer", "decimal", "date", "yesno", "choice")
# Questions whose answer can show or hide another question: «да»/«нет», or an option.
CONTROLLING_TYPES = ("yesno", "choice", "multichoice")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 5000
MAX_ROWS = 200


class SchemaError(ValueError):
    pass


@dataclass(frozen=True)
class Checked:
    ok: bool
    value: Any = None  # the meaning: bool, int, Decimal, date, str, list
    error: str = ""


def fields(schema: dict) -> list[dict]:
    return [f for section in schema.get("sections", []) for f in section.get("fields", [])]


def field_map(schema: dict) -> dict[str, dict]:
    return {f["key"]: f for f in fields(schema)}


# Russian letters as Latin (the passport transliteration, ГОСТ Р 52535.1-2006, as people
# know it from their passports): a key made from «Положение размещено» reads
# polozhenie_razmeshcheno in an export's column, not q17.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}  # fmt: skip
KEY_LENGTH = 40


def make_key(text: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A key for a question (or a table column) from its text: transliterated, lower
    case, words joined by _, cut at a word to leave room for a number, and unique among
    ``taken`` (``_2``, ``_3``... when two questions begin alike)."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in str(text or "").lower())
    words = re.findall(r"[a-z0-9]+", latin)
    slug = ""
    for word in words:
        candidate = f"{slug}_{word}" if slug else word
        if len(candidate) > KEY_LENGTH - 4:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][: KEY_LENGTH - 4]
    if not slug or not slug[0].isalpha():
        slug = f"q_{slug}".rstrip("_")[: KEY_LENGTH - 4]
    key, n = slug, 1
    while key in taken or key == "id":
        n += 1
        key = f"{slug}_{n}"
    return key


def all_keys(schemas: list[dict]) -> set[str]:
    """Every question key of these schemas (a template's versions): a new question never
    takes a key an earlier version gave to another question."""
    return {f["key"] for schema in schemas for f in fields(schema) if f.get("key")}


def answers_of(spec: dict) -> list[tuple[str, str]]:
    """(stored value, as a person reads it) of the answers a condition on ``spec`` can
    wait for: «да» and «нет», or its options; none for other types."""
    if spec.get("type") == "yesno":
        return [("yes", str(_l("yes"))), ("no", str(_l("no")))]
    if spec.get("type") in ("choice", "multichoice"):
        return [(o, o) for o in spec.get("options") or []]
    return []


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut at a word with «…» when longer than ``limit``."""
    text = " ".join(str(text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:—-") + "…"


def _name(f: dict) -> str:
    """A question as a message names it: its text, shortened."""
    return short(f.get("label") or f.get("key") or "")


def condition_error(f: dict, order: list[dict]) -> str | None:
    """Why the condition of ``f`` could never be true in a form whose questions come in
    ``order`` (None when it can): the question it waits for must exist, come before it,
    be a yes/no or choice question, and the answer must be one of its answers."""
    cond = f.get("show_if")
    if not cond:
        return None
    keys = [g["key"] for g in order]
    other_key = cond.get("field")
    if other_key == f["key"]:
        return str(_l("«%(q)s» cannot be shown on its own answer.", q=_name(f)))
    if other_key not in keys:
        return str(_l("«%(q)s» depends on a question that is not in the form.", q=_name(f)))
    other = order[keys.index(other_key)]
    if keys.index(other_key) > keys.index(f["key"]):
        return str(
            _l(
                "«%(q)s» depends on «%(o)s», which comes after it: a question can only "
                "depend on an earlier one.",
                q=_name(f),
                o=_name(other),
            )
        )
    if other.get("type") not in CONTROLLING_TYPES:
        return str(
            _l(
                "«%(q)s» depends on «%(o)s», which is not a yes/no or choice question: "
                "the condition would never be met.",
                q=_name(f),
                o=_name(other),
            )
        )
    if cond.get("equals") not in {value for value, _shown in answers_of(other)}:
        return str(
            _l(
                "«%(q)s» waits for the answer «%(v)s», which «%(o)s» does not have: "
                "the question would never be shown.",
                q=_name(f),
                v=cond.get("equals") or "",
                o=_name(other),
            )
        )
    return None


def validate_schema(schema: dict, previous: list[dict] | None = None) -> None:
    """Refuse a schema that could not be filled or consolidated; ``previous`` are the
    schemas of the template's earlier versions (a key keeps its type for ever)."""
    seen: dict[str, str] = {}
    for section in schema.get("sections", []):
        if not str(section.get("title", "")).strip():
            raise SchemaError(str(_l("Every section needs a title.")))
        for f in section.get("fields", []):
            key, kind = f.get("key", ""), f.get("type")
            if not KEY_RE.match(key):
                raise SchemaError(
                    str(
                        _l(
                            "Key «%(key)s»: Latin lower-case letters, digits and _, starting with a letter.",
                            key=key,
                        )
                    )
                )
            if not str(f.get("label", "")).strip():
                raise SchemaError(str(_l("Every question needs its text.")))
            name = _name(f)
            if key in seen:
                raise SchemaError(str(_l("Key «%(key)s» is used twice.", key=key)))
            if kind not in FIELD_TYPES:
                raise SchemaError(str(_l("«%(q)s» has an unknown type.", q=name)))
            if kind in ("choice", "multichoice") and not f.get("options"):
                raise SchemaError(str(_l("«%(q)s» needs its options.", q=name)))
            if kind == "table":
                columns = f.get("columns") or []
                if not columns:
                    raise SchemaError(str(_l("Table «%(q)s» needs columns.", q=name)))
                column_keys = set()
                for c in columns:
                    if (
                        not KEY_RE.match(c.get("key", ""))
                        or c["key"] in column_keys
                        or c["key"] == "id"
                    ):
                        raise SchemaError(
                            str(_l("Table «%(q)s» has a bad or repeated column key.", q=name))
                        )
                    if not str(c.get("label", "")).strip():
                        raise SchemaError(
                            str(_l("Table «%(q)s»: every column needs a name.", q=name))
                        )
                    if c.get("type") not in COLUMN_TYPES:
                        raise SchemaError(
                            str(_l("Table «%(q)s» has a column of an unknown type.", q=name))
                        )
                    if c["type"] == "choice" and not c.get("options"):
                        raise SchemaError(
                            str(
                                _l(
                                    "Table «%(q)s»: the column «%(c)s» needs its options.",
                                    q=name,
                                    c=c["label"],
                                )
                            )
                        )
                    column_keys.add(c["key"])
            low, high = f.get("min"), f.get("max")
            if low is not None and high is not None and Decimal(str(low)) > Decimal(str(high)):
                raise SchemaError(str(_l("«%(q)s»: the minimum is above the maximum.", q=name)))
            seen[key] = kind
    order = fields(schema)
    for f in order:
        error = condition_error(f, order)
        if error:
            raise SchemaError(error)
    for old in previous or []:
        for key, old_field in field_map(old).items():
            if key in seen and seen[key] != old_field["type"]:
                raise SchemaError(
                    str(
                        _l(
                            "«%(q)s» was a question of another type in an earlier version: "
                            "add it as a new question instead of changing its type.",
                            q=_name(field_map(schema)[key]),
                        )
                    )
                )


def _number(raw: str, integer: bool) -> Decimal | None:
    text = raw.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if integer and not re.fullmatch(r"[-+]?\d+", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_value(spec: dict, raw: Any) -> Checked:
    """Is ``raw`` (what was typed or chosen) a valid answer to ``spec``? Empty is valid
    here; whether it may be empty is ``missing_required``'s business."""
    kind = spec["type"]
    if raw is None or raw == "" or raw == []:
        return Checked(True, None)
    if kind == "multichoice":
        values = raw if isinstance(raw, list) else [raw]
        if any(v not in spec.get("options", []) for v in values):
            return Checked(False, error=str(_l("Choose from the list.")))
        return Checked(True, [o for o in spec["options"] if o in values])
    if kind == "table":
        return Checked(isinstance(raw, list), raw, "" if isinstance(raw, list) else "bad table")
    raw = str(raw)
    if len(raw) > MAX_TEXT:
        return Checked(False, error=str(_l("At most %(n)d characters.", n=MAX_TEXT)))
    if kind == "yesno":
        if raw in ("yes", "no"):
            return Checked(True, raw == "yes")
        return Checked(False, error=str(_l("Answer yes or no.")))
    if kind == "choice":
        if raw in spec.get("options", []):
            return Checked(True, raw)
        return Checked(False, error=str(_l("Choose from the list.")))
    if kind in ("integer", "decimal"):
        number = _number(raw, kind == "integer")
        if number is None:
            return Checked(
                False,
                error=str(
                    _l("Enter a whole number.") if kind == "integer" else _l("Enter a number.")
                ),
            )
        low, high = spec.get("min"), spec.get("max")
        if low is not None and number < Decimal(str(low)):
            return Checked(False, error=str(_l("Not less than %(n)s.", n=low)))
        if high is not None and number > Decimal(str(high)):
            return Checked(False, error=str(_l("Not more than %(n)s.", n=high)))
        return Checked(True, int(number) if kind == "integer" else number)
    if kind == "date":
        try:
            return Checked(True, date.fromisoformat(raw.strip()))
        except ValueError:
            match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", raw.strip())
            if match:
                try:
                    d, m, y = (int(g) for g in match.groups())
                    return Checked(True, date(y, m, d))
                except ValueError:
                    pass
            return Checked(False, error=str(_l("Enter a date (dd.mm.yyyy).")))
    if kind == "url":
        text = raw.strip()
        if re.fullmatch(r"https?://[^\s/$.?#][^\s]*\.[^\s]+", text):
            return Checked(True, text)
        return Checked(False, error=str(_l("Not a web address (https://...).")))
    return Checked(True, raw)


def is_visible(spec: dict, answers: dict[str, Any], specs: dict[str, dict] | None = None) -> bool:
    """A field with ``show_if`` is shown only while the other field has the given answer
    (and is itself shown)."""
    cond = spec.get("show_if")
    if not cond:
        return True
    other = (specs or {}).get(cond["field"])
    if other is not None and not is_visible(other, answers, specs):
        return False
    value = answers.get(cond["field"])
    expected = cond.get("equals")
    if isinstance(value, list):
        return expected in value
    return value == expected


def missing_required(schema: dict, answers: dict[str, Any]) -> list[dict]:
    """Required, visible fields without an answer (or with an invalid one)."""
    specs = field_map(schema)
    missing = []
    for f in fields(schema):
        if not is_visible(f, answers, specs):
            continue
        value = answers.get(f["key"])
        if (
            f.get("required")
            and value in (None, "", [])
            or value not in (None, "", [])
            and not check_value(f, value).ok
        ):
            missing.append(f)
        elif f["type"] == "table" and value:
            for row in value:
                for c in f["columns"]:
                    if (
                        row.get(c["key"]) not in (None, "")
                        and not check_value(c, row.get(c["key"])).ok
                    ):
                        missing.append(f)
                        break
                else:
                    continue
                break
    return missing
