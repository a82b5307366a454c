"""Charts for printed reports, drawn as vector graphics with ReportLab's own shapes.

They follow the pages' SVG charts (``intranet/objectivity/charts.py``) shape for shape,
so a printed report shows what the screen shows; colours are fixed here, since print
has no style sheet. A ``Drawing`` is a flowable: it goes straight into a story.
"""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from intranet.i18n import gettext as _

MARKS = (2, 3, 4, 5)
FONT = "PTSans"
AXIS = colors.HexColor("#555555")
TEXT = colors.HexColor("#222222")
MARK_COLOURS = {
    2: colors.HexColor("#c0392b"),
    3: colors.HexColor("#e67e22"),
    4: colors.HexColor("#2e86c1"),
    5: colors.HexColor("#27ae60"),
}
SCHOOL = colors.HexColor("#2e86c1")
DISTRICT = colors.HexColor("#aab7b8")
HEAT = ("#ffffff", "#d6eaf8", "#aed6f1", "#5dade2", "#2874a6")


def _pct(x: float) -> str:
    return f"{x * 100:.0f} %"


def _text(x: float, y: float, text: str, size: float = 7, anchor: str = "middle", **kw) -> String:
    return String(x, y, text, fontName=FONT, fontSize=size, textAnchor=anchor, fillColor=TEXT, **kw)


def completion_bars(
    rows: list[tuple[str, float]], width: float, bar_height: float = 9, label_width: float = 150
) -> Drawing:
    """Horizontal bars of completion (0..1) per school, labelled, with 0-100 % ticks.

    One shape per bar and label: a district of 300 schools draws in milliseconds.
    """
    top, bottom = 14, 16
    height = top + bottom + bar_height * len(rows)
    d = Drawing(width, height)
    plot_w = width - label_width - 40
    x0 = label_width
    y_base = bottom
    for k in range(0, 11, 2):
        x = x0 + plot_w * k / 10
        d.add(Line(x, y_base, x, height - top, strokeColor=colors.HexColor("#dddddd")))
        d.add(_text(x, y_base - 10, f"{k * 10} %"))
    for n, (label, share) in enumerate(rows):
        y = height - top - (n + 1) * bar_height
        share = max(0.0, min(1.0, share))
        fill = (
            MARK_COLOURS[2] if share < 0.5 else MARK_COLOURS[3] if share < 0.8 else MARK_COLOURS[5]
        )
        if share:
            d.add(
                Rect(
                    x0,
                    y + 1.5,
                    plot_w * share,
                    bar_height - 3,
                    fillColor=fill,
                    strokeColor=None,
                )
            )
        # One label a bar: the share itself is in the report's table beside it.
        d.add(_text(x0 - 4, y + 2.5, label[:40], 6.5, "end"))
    d.add(Line(x0, y_base, x0, height - top, strokeColor=AXIS))
    d.add(_text(x0 + plot_w / 2, height - 9, _("Completion"), 7.5))
    return d


def completion_bands(shares: list[float], width: float) -> Drawing:
    """Schools by completion, in ten bands of 10 %: how a whole district stands at a
    glance, the same size for 14 schools or 300 (each school's share is in the table)."""
    height = 170
    left, right, top, bottom = 36, 10, 24, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    counts = [0] * 10
    for share in shares:
        counts[min(9, max(0, int(share * 10)))] += 1
    peak = max(counts) or 1
    step = plot_w / 10
    d = Drawing(width, height)
    y0 = bottom
    d.add(Line(left, y0, left + plot_w, y0, strokeColor=AXIS))
    for k, n in enumerate(counts):
        x = left + k * step
        fill = MARK_COLOURS[2] if k < 5 else MARK_COLOURS[3] if k < 8 else MARK_COLOURS[5]
        if n:
            h = plot_h * n / peak
            d.add(Rect(x + 2, y0, step - 4, h, fillColor=fill, strokeColor=None))
            d.add(_text(x + step / 2, y0 + h + 3, str(n), 7.5))
        d.add(_text(x + step / 2, y0 - 10, f"{k * 10}–{k * 10 + 10} %", 7))
    d.add(_text(left + plot_w / 2, 4, _("Completion"), 7.5))
    d.add(_text(left + plot_w / 2, height - 10, _("Schools by completion"), 8))
    return d


def score_distribution(counts: dict[int, int], scale, max_score: int | None = None) -> Drawing:
    """Pupils per primary score, bars coloured by mark, with the marks' boundaries."""
    top_score = scale.max_score if scale else max(max_score or 0, max(counts, default=0))
    width, height = 480, 190
    left, right, top, bottom = 36, 10, 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = top_score + 1
    step = plot_w / n
    peak = max(counts.values(), default=0) or 1
    d = Drawing(width, height)
    y0 = bottom
    d.add(Line(left, y0, left + plot_w, y0, strokeColor=AXIS))
    d.add(_text(left - 4, y0 + plot_h - 3, str(peak), 6.5, "end"))
    d.add(_text(left - 4, y0 - 2, "0", 6.5, "end"))
    for score in range(n):
        count = counts.get(score, 0)
        x = left + score * step
        if count:
            h = plot_h * count / peak
            fill = MARK_COLOURS[scale.mark_for(score)] if scale else SCHOOL
            d.add(Rect(x + 0.5, y0, max(step - 1, 1), h, fillColor=fill, strokeColor=None))
        if n <= 20 or score % 5 == 0:
            d.add(_text(x + step / 2, y0 - 10, str(score), 6.5))
    if scale is not None:
        for mark, boundary in ((3, scale.min3), (4, scale.min4), (5, scale.min5)):
            x = left + boundary * step
            d.add(Line(x, y0, x, y0 + plot_h + 6, strokeColor=TEXT, strokeDashArray=[2, 2]))
            d.add(_text(x + 2, y0 + plot_h + 8, f"«{mark}» ≥ {boundary}", 6.5, "start"))
    d.add(_text(left + plot_w / 2, 4, _("Primary score"), 7))
    pupils = _text(0, 0, _("Pupils"), 7)
    pupils.x, pupils.y = 10, y0 + plot_h / 2
    d.add(_rotated(pupils))
    return d


def _rotated(label: String):
    """A label turned a quarter to the left around its own point."""
    from reportlab.graphics.shapes import Group

    g = Group(String(0, 0, label.text, fontName=FONT, fontSize=label.fontSize,
                     textAnchor="middle", fillColor=TEXT))  # fmt: skip
    g.transform = (0, 1, -1, 0, label.x, label.y)
    return g


def marks_matrix(matrix: dict[tuple[int, int], int]) -> Drawing:
    """ВПР marks (rows) against journal marks (columns); the diagonal confirms."""
    cell, left, top = 34, 56, 36
    width, height = left + 4 * cell + 10, top + 4 * cell + 26
    total = sum(matrix.values()) or 1
    peak = max(matrix.values(), default=0) or 1
    d = Drawing(width, height)
    d.add(_text(left + 2 * cell, height - 10, _("Journal mark"), 7))
    for j, journal in enumerate(MARKS):
        d.add(_text(left + j * cell + cell / 2, height - top + 6, f"«{journal}»", 7))
    for i, vpr in enumerate(reversed(MARKS)):
        y = height - top - (i + 1) * cell
        d.add(_text(left - 6, y + cell / 2 - 2, f"«{vpr}»", 7, "end"))
        for j, journal in enumerate(MARKS):
            n = matrix.get((vpr, journal), 0)
            level = 0 if not n else min(4, 1 + int(4 * n / peak))
            x = left + j * cell
            d.add(
                Rect(
                    x,
                    y,
                    cell - 2,
                    cell - 2,
                    fillColor=colors.HexColor(HEAT[level]),
                    strokeColor=TEXT if vpr == journal else colors.HexColor("#cccccc"),
                    strokeWidth=1.2 if vpr == journal else 0.5,
                )
            )
            if n:
                d.add(_text(x + cell / 2 - 1, y + cell / 2 - 3, str(n), 7))
    label = _text(0, 0, _("ВПР mark"), 7)
    label.x, label.y = 12, height - top - 2 * cell
    d.add(_rotated(label))
    confirmed = sum(n for (v, j), n in matrix.items() if v == j)
    d.add(_text(left, 4, _("Confirmed: %(p)s", p=_pct(confirmed / total)), 7, "start"))
    return d


def school_vs_district(
    school: dict[int, float] | None, district: dict[int, float] | None, width: float = 300
) -> Drawing:
    """Shares of marks 2-5: the school's bar beside the district's."""
    height = 150
    left, top, bottom = 24, 24, 26
    plot_h = height - top - bottom
    group_w = (width - left - 10) / 4
    bar_w = group_w / 3
    d = Drawing(width, height)
    y0 = bottom
    d.add(Line(left, y0, width - 10, y0, strokeColor=AXIS))
    d.add(Rect(left, height - 12, 8, 8, fillColor=SCHOOL, strokeColor=None))
    d.add(_text(left + 11, height - 11, _("School"), 7, "start"))
    d.add(Rect(left + 80, height - 12, 8, 8, fillColor=DISTRICT, strokeColor=None))
    d.add(_text(left + 91, height - 11, _("District"), 7, "start"))
    for g, mark in enumerate(MARKS):
        x0 = left + g * group_w + bar_w / 2
        for k, (shares, fill) in enumerate(((school, SCHOOL), (district, DISTRICT))):
            if shares is None:
                continue
            share = shares.get(mark, 0.0)
            h = plot_h * share
            x = x0 + k * bar_w
            d.add(Rect(x, y0, bar_w - 2, h, fillColor=fill, strokeColor=None))
            d.add(_text(x + bar_w / 2 - 1, y0 + h + 2, _pct(share), 6))
        d.add(_text(x0 + bar_w, y0 - 10, f"«{mark}»", 7))
    d.add(_text(left + (width - left) / 2, 3, _("Share of marks"), 7))
    return d
