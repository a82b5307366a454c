"""What the computer understood of a deadline, beside the words as written: one small
piece of HTML per item, built in Python (a roadmap page shows it on every row; as a
template macro it cost a dozen template calls a row)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from intranet.i18n import gettext as _

_WINDOWED = frozenset({"window", "continuous", "recurring"})


def _field(item: Any, name: str) -> Any:
    # A stored item, or the mapping the plan import's preview builds for a parsed row.
    return item.get(name) if isinstance(item, dict) else getattr(item, name)


def _ru(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}"


def deadline_html(item: Any) -> Markup:
    """The deadline as written, and what was read from it (a date, windows, an event,
    nothing), with «check» when the reading is unsure and «corrected» when a person
    set it."""
    parsed = _field(item, "deadline") or {}
    kind = parsed.get("kind")
    if kind == "date":
        reading = _("by %(d)s", d=_field(item, "due_date").strftime("%d.%m.%Y"))
    elif kind in _WINDOWED:
        reading = ", ".join(f"{_ru(w[0])}–{_ru(w[1])}" for w in parsed.get("windows", []))
        # Messages stay outside f-strings: the extractor of translations does not look
        # inside them.
        if kind == "recurring":
            reading += " (" + _("recurring") + ")"
        elif kind == "continuous":
            reading += " (" + _("throughout") + ")"
    elif kind == "event":
        reading = _("tied to an event")
    else:
        reading = _("not recognised")
    unsure = parsed.get("needs_review")
    if unsure:
        reading += " · " + _("check")
    if _field(item, "deadline_corrected"):
        reading += " · " + _("corrected")
    text = _field(item, "deadline_text") or "—"
    return Markup(
        f'<span class="deadline">{escape(text)}</span>\n'
        f'<small class="parsed{" needs-review" if unsure else ""}">{escape(reading)}</small>'
    )
