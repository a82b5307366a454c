"""What the computer understood of a deadline, beside the words as written: one small
piece of HTML per item, built in Python (a roadmap page shows it on every row; as a
template macro it cost a dozen template calls a row)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from intranet.i18n import catalogue
from intranet.i18n import gettext as _

_WINDOWED = frozenset({"window", "continuous", "recurring"})


@lru_cache(maxsize=4)
def _words(translations: Any) -> dict[str, str]:
    """The words of a reading in the app's one catalogue (``i18n.catalogue``: the same
    object on every request), looked up once rather than on every row. Messages stay
    outside f-strings: the extractor of translations does not look inside them."""
    return {
        "by": _("by %(d)s"),
        "recurring": _("recurring"),
        "throughout": _("throughout"),
        "event": _("tied to an event"),
        "unknown": _("not recognised"),
        "check": _("check"),
        "corrected": _("corrected"),
    }


def _ru(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}"


def deadline_html(item: Any) -> Markup:
    """The deadline as written, and what was read from it (a date, windows, an event,
    nothing), with «check» when the reading is unsure and «corrected» when a person
    set it."""
    # A stored item, or the mapping the plan import's preview builds for a parsed row.
    if isinstance(item, dict):
        parsed, text = item.get("deadline"), item.get("deadline_text")
        due, corrected = item.get("due_date"), item.get("deadline_corrected")
    else:
        parsed, text = item.deadline, item.deadline_text
        due, corrected = item.due_date, item.deadline_corrected
    words = _words(catalogue())
    parsed = parsed or {}
    kind = parsed.get("kind")
    if kind == "date":
        reading = words["by"] % {"d": due.strftime("%d.%m.%Y")}
    elif kind in _WINDOWED:
        reading = ", ".join(f"{_ru(w[0])}–{_ru(w[1])}" for w in parsed.get("windows", []))
        if kind == "recurring":
            reading += " (" + words["recurring"] + ")"
        elif kind == "continuous":
            reading += " (" + words["throughout"] + ")"
    elif kind == "event":
        reading = words["event"]
    else:
        reading = words["unknown"]
    unsure = parsed.get("needs_review")
    if unsure:
        reading += " · " + words["check"]
    if corrected:
        reading += " · " + words["corrected"]
    text = text or "—"
    return Markup(
        f'<span class="deadline">{escape(text)}</span>\n'
        f'<small class="parsed{" needs-review" if unsure else ""}">{escape(reading)}</small>'
    )
