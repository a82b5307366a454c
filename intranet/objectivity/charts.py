"""Hand-written SVG charts: a few KB each, no script, colours from classes in app.css.

Old school PCs draw inline SVG well and run no chart library; the same markup can go
into a PDF later. Geometry is in attributes, looks are in CSS classes (the CSP allows no
style attributes).
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from intranet.i18n import gettext as _
from intranet.objectivity.models import MarkScale

MARKS = (2, 3, 4, 5)

# Most texts of a chart are numbers and marks («5», 12 %): escaping them is a copy.
_SPECIAL = re.compile(r"[&<>\"']")


def _esc(text: str) -> str:
    return str(escape(text)) if _SPECIAL.search(text) else text


def words() -> dict[str, str]:
    """The charts' words, translated: a page of eight groups draws 24 charts, so it
    translates them once and passes them to each (the messages with a placeholder are
    filled by the chart)."""
    return {
        "distribution": _("Distribution of primary scores"),
        "primary score": _("Primary score"),
        "pupils": _("Pupils"),
        "journal mark": _("Journal mark"),
        "tip": _("ВПР %(v)s, journal %(j)s: %(n)s"),
        "vpr mark": _("ВПР mark"),
        "confirmed": _("Confirmed: %(p)s"),
        "matrix": _("ВПР marks against journal marks"),
        "school": _("School"),
        "district": _("District"),
        "share of marks": _("Share of marks"),
        "against": _("School against the district"),
    }


def _pct(x: float) -> str:
    return f"{x * 100:.0f} %"


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "middle") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}"{c}>{_esc(text)}</text>'


def score_distribution(
    counts: dict[int, int],
    scale: MarkScale | None,
    max_score: int | None = None,
    said: dict[str, str] | None = None,
) -> Markup:
    """Pupils per primary score, bars coloured by mark, with the mark boundaries drawn:
    a peak just at or above a boundary is a known sign of "pulled up" scores. ``said``:
    ``words()``, if translated already."""
    said = said or words()
    top_score = scale.max_score if scale else max(max_score or 0, max(counts, default=0))
    width, height = 600, 230
    left, right, top, bottom = 40, 10, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = top_score + 1
    step = plot_w / n
    peak = max(counts.values(), default=0) or 1
    label = said["distribution"]
    body = [
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>',
        _text(left - 4, top + 4, str(peak), "tick", "end"),
        _text(left - 4, top + plot_h, "0", "tick", "end"),
    ]
    # A score's bar class, by its mark (``MarkScale.mark_for``), read off the scale once.
    classes = (
        ["bar"] * n
        if scale is None
        else [
            f"bar m{5 if s >= scale.min5 else 4 if s >= scale.min4 else 3 if s >= scale.min3 else 2}"
            for s in range(n)
        ]
    )
    width_attr = f'width="{max(step - 1, 1):.1f}"'
    tick_y = top + plot_h + 14
    for score in range(n):
        count = counts.get(score, 0)
        x = left + score * step
        if count:
            h = plot_h * count / peak
            body.append(
                f'<rect class="{classes[score]}" x="{x + 0.5:.1f}" y="{top + plot_h - h:.1f}" '
                f'{width_attr} height="{h:.1f}"><title>{score}: {count}</title></rect>'
            )
        if n <= 20 or score % 5 == 0:
            # A number needs no escaping: the tick is written as ``_text`` writes it.
            body.append(
                f'<text x="{x + step / 2:.0f}" y="{tick_y:.0f}" text-anchor="middle" '
                f'class="tick">{score}</text>'
            )
    if scale is not None:
        for mark, boundary in ((3, scale.min3), (4, scale.min4), (5, scale.min5)):
            x = left + boundary * step
            body.append(
                f'<line class="boundary" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + plot_h}"/>'
            )
            body.append(_text(x + 3, top - 10, f"«{mark}» ≥ {boundary}", "boundary-label", "start"))
    body.append(_text(left + plot_w / 2, height - 6, said["primary score"], "axis-label"))
    # Messages stay outside f-strings: the extractor of translations does not look inside.
    pupils = escape(said["pupils"])
    body.append(
        f'<text class="axis-label" x="12" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">{pupils}</text>'
    )
    return _svg(width, height, label, body)


def marks_matrix(matrix: dict[tuple[int, int], int], said: dict[str, str] | None = None) -> Markup:
    """ВПР marks (rows, «5» at the top) against journal marks (columns, «2» at the left):
    the diagonal confirms the journal; a cell above it is a ВПР mark higher than the
    journal's, below it a lower one."""
    said = said or words()
    cell, left, top = 46, 70, 44
    width, height = left + 4 * cell + 10, top + 4 * cell + 34
    total = sum(matrix.values()) or 1
    peak = max(matrix.values(), default=0) or 1
    body = [_text(left + 2 * cell, 14, said["journal mark"], "axis-label")]
    tip = said["tip"]  # filled per cell
    for j, journal in enumerate(MARKS):
        body.append(_text(left + j * cell + cell / 2, top - 8, f"«{journal}»", "tick"))
    for i, vpr in enumerate(reversed(MARKS)):
        y = top + i * cell
        body.append(_text(left - 8, y + cell / 2 + 4, f"«{vpr}»", "tick", "end"))
        for j, journal in enumerate(MARKS):
            n = matrix.get((vpr, journal), 0)
            level = 0 if not n else min(4, 1 + int(4 * n / peak))
            cls = f"cell l{level}" + (" diag" if vpr == journal else "")
            x = left + j * cell
            body.append(
                f'<rect class="{cls}" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}">'
                f"<title>{_esc(tip % {'v': vpr, 'j': journal, 'n': n})}</title></rect>"
            )
            if n:
                body.append(_text(x + cell / 2 - 1, y + cell / 2 + 4, str(n), "cell-text"))
    vpr_mark = escape(said["vpr mark"])
    body.append(
        f'<text class="axis-label" x="14" y="{top + 2 * cell}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + 2 * cell})">{vpr_mark}</text>'
    )
    confirmed = sum(n for (v, j), n in matrix.items() if v == j)
    body.append(
        _text(
            left, height - 10, said["confirmed"] % {"p": _pct(confirmed / total)}, "legend", "start"
        )
    )
    return _svg(width, height, said["matrix"], body)


def school_vs_district(
    school: dict[int, float] | None,
    district: dict[int, float] | None,
    said: dict[str, str] | None = None,
) -> Markup:
    """Shares of marks 2–5: the school's bar beside the district's."""
    said = said or words()
    width, height = 420, 210
    left, top, bottom = 30, 30, 40
    plot_h = height - top - bottom
    group_w = (width - left - 10) / 4
    bar_w = group_w / 3
    body = [
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}"/>',
        f'<rect class="bar school" x="{left}" y="6" width="10" height="10"/>',
        _text(left + 14, 15, said["school"], "legend", "start"),
        f'<rect class="bar district" x="{left + 100}" y="6" width="10" height="10"/>',
        _text(left + 114, 15, said["district"], "legend", "start"),
    ]
    for g, mark in enumerate(MARKS):
        x0 = left + g * group_w + bar_w / 2
        for k, (shares, cls) in enumerate(((school, "school"), (district, "district"))):
            if shares is None:
                continue
            share = shares.get(mark, 0.0)
            h = plot_h * share
            x = x0 + k * bar_w
            body.append(
                f'<rect class="bar {cls}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar_w - 2:.1f}" height="{h:.1f}"/>'
            )
            body.append(_text(x + bar_w / 2 - 1, top + plot_h - h - 3, _pct(share), "value"))
        body.append(_text(x0 + bar_w, top + plot_h + 16, f"«{mark}»", "tick"))
    body.append(_text(left + (width - left) / 2, height - 6, said["share of marks"], "axis-label"))
    return _svg(width, height, said["against"], body)
