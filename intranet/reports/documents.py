"""The district's printed reports and prints, each a class on ``documents.Document``.

Long tables (300 schools, 40 measures a school) put a cell's text straight into the
table, broken into lines that fit its column, and make a Paragraph only for a word wider
than its column: a plain cell is drawn as given, so user text prints literally, and a
district of 300 schools lays out in a fraction of the time a paragraph per cell takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Preformatted,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import CellStyle

from intranet.documents import Document, Part, esc, ru_date, safe_filename
from intranet.documents.base import _Table
from intranet.i18n import gettext as _
from intranet.reports import charts
from intranet.reports.data import DistrictReport, FilledForm, VprReport
from intranet.review.models import ReviewState
from intranet.roadmaps.models import ItemStatus, Plan, SchoolRoadmap

PAD = 3  # a cell's left and right padding, points


def state_label(state: str) -> str:
    """A review state or a campaign cell state as a person reads it."""
    try:
        return ReviewState(state).label
    except ValueError:
        return {"not_started": _("not started"), "late": _("late")}.get(state, state)


def pct(x: float | None) -> str:
    return "" if x is None else f"{x * 100:.0f} %"


def number(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{x:.{digits}f}".replace(".", ",")


@cache
def _widest(font: str) -> float:
    """The widest advance of any glyph of ``font``, per point of size."""
    face = pdfmetrics.getFont(font).face
    return max(face.charWidths.values(), default=1000) / 1000


class Ready(str):
    """Text already broken into lines for its cell (a row spanning the whole table)."""


@lru_cache(maxsize=4096)
def _wrap(text: str, font: str, size: float, room: float) -> str | None:
    """``text`` broken into lines that fit ``room`` (at spaces), or None when a word is
    wider than the column (a Paragraph then breaks it). Kept by text: the 300 roadmaps of a
    plan share their measures' texts, so each is measured once per print."""
    lines = []
    for part in text.split("\n"):
        if stringWidth(part, font, size) <= room:
            lines.append(part)
            continue
        for line in simpleSplit(part, font, size, room):
            if stringWidth(line, font, size) > room:
                return None
            lines.append(line)
    return "\n".join(lines)


class FastTable:
    """Cells are plain strings, broken into lines that fit their column; only a text
    with a word wider than its column becomes a Paragraph (which breaks the word)."""

    def __init__(self, doc: Document, widths: Sequence[float], size: float, bold_font: str):
        self.doc = doc
        self.widths = list(widths)
        self.size = size
        self.font = doc.font
        self.bold = bold_font
        self.style = doc.styles["Cell"].clone("FastCell", fontSize=size, leading=size * 1.15)

    def cell(self, text: Any, col: int, font: str | None = None, style=None) -> Any:
        if isinstance(text, Flowable | Ready):
            return text
        text = "" if text is None else str(text)
        font = font or self.font
        room = self.widths[col] - 2 * PAD
        # No glyph is wider than the font's widest: a short text fits without measuring.
        if len(text) * self.size * _widest(font) <= room:
            return text
        wrapped = _wrap(text, font, self.size, room)
        if wrapped is not None:
            return wrapped
        return Paragraph(esc(text), style or self.style)

    def build(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        extra: Sequence[tuple] = (),
        row_styles: dict[int, list[tuple]] | None = None,
    ) -> Flowable:
        """The table as a flowable that lays out one page of rows at a time.

        ``extra`` are style commands over whole columns (rows 1..-1 are the body);
        ``row_styles`` maps a body row (from 0) to commands on it, written for row 0.
        """
        head_style = self.style.clone("FastHead", fontName=self.bold, alignment=1)
        head = [self.cell(h, i, self.bold, head_style) for i, h in enumerate(header)]
        body = [[self.cell(v, i) for i, v in enumerate(row)] for row in rows]
        row_styles = row_styles or {}
        spanned = {n for n, cmds in row_styles.items() if any(c[0] == "SPAN" for c in cmds)}
        heights = [self._height(row, n in spanned) for n, row in enumerate(body)]
        frame = self.doc.page_size[1] - self.doc.top_margin - self.doc.bottom_margin
        return _PagedRows(self, head, body, heights, self._height(head), extra, row_styles, frame)

    def _height(self, row: Sequence[Any], spanned: bool = False) -> float:
        """The row's height as the table will make it: lines x leading, or a paragraph's
        height at its column's width, plus the paddings."""
        leading = self.size * 1.15
        tallest = 0.0
        for col, value in enumerate(row[:1] if spanned else row):
            if isinstance(value, str):
                h = leading * (value.count("\n") + 1)
            else:
                width = sum(self.widths) if spanned else self.widths[col]
                h = value.wrap(width - 2 * PAD, 1e6)[1]
            tallest = max(tallest, h)
        return tallest + 3

    def table(self, head: list, body: list, extra: Sequence[tuple], row_styles: dict) -> Table:
        """A ruled table of the header and ``body`` (one page's rows, or fewer)."""
        data = [head, *body]
        table = _RowsTable(
            data,
            colWidths=self.widths,
            repeatRows=1,
            hAlign="LEFT",
            splitByRow=1,
            splitInRow=1,
        )
        # Font, paddings and alignment as the cells' defaults: a style command over the
        # whole table would set them cell by cell, once per command.
        for row in table._cellStyles:
            for cell_style in row:
                cell_style.__class__ = self._defaults
        # A row taller than half a page (a 3,000-character measure) splits inside itself.
        table.tall_row = self.doc.page_size[1] - self.doc.top_margin - self.doc.bottom_margin
        commands = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
            ("FONT", (0, 0), (-1, 0), self.bold, self.size, self.size * 1.15),
            ("ALIGN", (0, 0), (-1, 0), "CENTER"),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            *extra,
        ]
        for n, cmds in row_styles.items():
            for op, (c0, _r0), (c1, _r1), *args in cmds:
                commands.append((op, (c0, n + 1), (c1, n + 1), *args))
        table.setStyle(TableStyle(commands))
        return table

    @property
    def _defaults(self) -> type:
        cached = getattr(self, "_cell_defaults", None)
        if cached is None:
            cached = self._cell_defaults = type(
                "FastCellStyle",
                (CellStyle,),
                {
                    "fontname": self.font,
                    "fontsize": self.size,
                    "leading": self.size * 1.15,
                    "leftPadding": PAD,
                    "rightPadding": PAD,
                    "topPadding": 1,
                    "bottomPadding": 2,
                    "valign": "TOP",
                },
            )
        return cached


class _PagedRows(Flowable):
    """A long table cut into one table per page from the rows' known heights.

    Platypus splits a long table by measuring every row left at each page and copying
    the rest into a new table; here each page's table is made of just its rows, so a
    300-school table costs what its rows cost. A row taller than a page goes alone into
    a table that splits inside the row.
    """

    def __init__(self, maker, head, body, heights, head_height, extra, row_styles, frame):
        super().__init__()
        self.maker, self.head, self.body, self.heights = maker, head, body, heights
        self.head_height, self.extra, self.row_styles, self.frame = (
            head_height,
            extra,
            row_styles,
            frame,
        )
        self.hAlign = "LEFT"

    def wrap(self, availWidth, availHeight):
        self.width = sum(self.maker.widths)
        self.height = self.head_height + sum(self.heights)
        return self.width, self.height

    def _table(self, start: int, stop: int) -> Table:
        styles = {n - start: cmds for n, cmds in self.row_styles.items() if start <= n < stop}
        return self.maker.table(self.head, self.body[start:stop], self.extra, styles)

    def _rest(self, start: int) -> _PagedRows:
        styles = {n - start: c for n, c in self.row_styles.items() if n >= start}
        return _PagedRows(
            self.maker,
            self.head,
            self.body[start:],
            self.heights[start:],
            self.head_height,
            self.extra,
            styles,
            self.frame,
        )

    def split(self, availWidth, availHeight):
        room = availHeight - self.head_height
        used, k = 0.0, 0
        while k < len(self.heights) and used + self.heights[k] <= room:
            used += self.heights[k]
            k += 1
        if k == 0:
            if not self.heights or self.head_height + self.heights[0] <= self.frame:
                return []  # the next page
            # A row taller than a page: from here on one table, which splits inside the
            # row and then goes on by rows (a header only at the top of each page).
            return self._table(0, len(self.body)).split(availWidth, availHeight)
        if k >= len(self.heights):
            return [self._table(0, len(self.body))]
        return [self._table(0, k), self._rest(k)]

    def draw(self):
        table = self._table(0, len(self.body))
        _w, h = table.wrapOn(self.canv, self.width, self.height + 1e6)
        table.drawOn(self.canv, 0, self.height - h)


class _RowsTable(_Table):
    """The base table's splitting (whole rows; inside a row only for a giant one), with
    the heights computed once per split instead of twice: a 300-row table splits a dozen
    times, and each split measures every row left."""

    def split(self, availWidth, availHeight):
        self._calc(availWidth, availHeight)
        body = self._rowHeights[self.repeatRows :]
        giant = self.tall_row and body and max(body) > self.tall_row / 2
        if self._width > availWidth:
            return []
        return self._splitRows(availHeight, doInRowSplit=bool(giant)) or self._splitRows(
            availHeight, doInRowSplit=not giant
        )

    def _drawCell(self, cellval, cellstyle, pos, size):
        # A plain cell is drawn as one text object however many lines it has, and an
        # empty one not at all: the base draws each line, even an empty one, on its own.
        if type(cellval) is not str or cellstyle.href or cellstyle.destination:
            return super()._drawCell(cellval, cellstyle, pos, size)
        if not cellval:
            return None
        if cellstyle.alignment != "LEFT" or cellstyle.valign != "TOP" or "\n" not in cellval:
            return super()._drawCell(cellval, cellstyle, pos, size)
        canv = self.canv
        if self._curcellstyle is not cellstyle:
            cur = self._curcellstyle
            if cur is None or cellstyle.color != cur.color:
                canv.setFillColor(cellstyle.color)
            if (
                cur is None
                or cellstyle.leading != cur.leading
                or cellstyle.fontname != cur.fontname
                or cellstyle.fontsize != cur.fontsize
            ):
                canv.setFont(cellstyle.fontname, cellstyle.fontsize, cellstyle.leading)
            self._curcellstyle = cellstyle
        colpos, rowpos = pos
        _colwidth, rowheight = size
        text = canv.beginText(
            colpos + cellstyle.leftPadding,
            rowpos + rowheight - cellstyle.topPadding - cellstyle.fontsize,
        )
        text.setLeading(cellstyle.leading)
        text.textLines(cellval, trim=0)
        canv.drawText(text)
        return None


def made_at() -> str:
    return datetime.now().strftime("%d.%m.%Y %H:%M")


# -- the consolidated district report --------------------------------------------------------


class DistrictReportDocument(Document):
    """Every school of a plan or a campaign on landscape A4: one row per school, totals,
    a bar chart of completion, and the schools that need attention with the reasons."""

    landscape = True
    font_size = 11
    table_font_size = 8
    chart_rows = 44  # bars per drawing: a drawing never splits, so one page's worth

    def __init__(self, report: DistrictReport) -> None:
        super().__init__()
        self.report = report
        self.district_name = report.district.name
        self.document_date = report.today
        if report.kind == "plan":
            self.title = _("Consolidated report on the execution of the roadmaps")
        else:
            self.title = _("Consolidated report on the self-inspection forms")
        self.subtitle = report.title

    def filename(self) -> str:
        kind = _("Report_plan") if self.report.kind == "plan" else _("Report_form")
        return safe_filename(kind, self.report.title[:60], ru_date(self.report.today)) + ".pdf"

    def footer_line(self) -> str:
        r = self.report
        source = _("plan") if r.kind == "plan" else _("campaign")
        return _(
            "Made %(at)s from the %(source)s «%(title)s» (%(basis)s); schools: %(n)d; "
            "data as of %(today)s.",
            at=made_at(),
            source=source,
            title=r.title[:80],
            basis=r.basis,
            n=len(r.lines),
            today=ru_date(r.today),
        )

    def _acts(self, line) -> str:
        acts = line.acts
        if not acts or not acts.count:
            return ""
        return "\n".join(
            [
                ", ".join(f"№ {n}" for n in acts.numbers),
                _(
                    "compl. %(a)d / part. %(b)d / not %(c)d",
                    a=acts.complies,
                    b=acts.partly,
                    c=acts.fails,
                ),
            ]
        )

    def story(self) -> list[Flowable]:
        r = self.report
        w = self.frame_width
        totals = r.totals
        plan = r.kind == "plan"
        out: list[Flowable] = []
        basis = _(
            "Basis: %(basis)s. Data as of %(today)s.", basis=r.basis or "—", today=ru_date(r.today)
        )
        risk = (
            _("Risk flags: ВПР markers of %(year)s.", year=r.risk_year)
            if r.risk_year
            else _("Risk flags: no ВПР markers yet.")
        )
        out.append(self.p(f"{basis} {risk}", "Left"))
        out.append(Spacer(1, 3 * mm))
        fractions = [0.04, 0.07, 0.24, 0.1, 0.08, 0.06, 0.08, 0.16, 0.17]
        widths = [f * w for f in fractions]
        table = FastTable(self, widths, self.table_font_size, self.font + "-Bold")
        header = [
            _("No."),
            _("Code"),
            _("School"),
            _("State"),
            _("Done") if plan else _("Answered"),
            "%",
            _("Overdue") if plan else _("Late"),
            _("Control acts (findings)"),
            _("Risk flags (ВПР)"),
        ]
        rows = []
        labels: dict[str, str] = {}
        for n, line in enumerate(r.lines, start=1):
            state = labels.get(line.state) or labels.setdefault(line.state, state_label(line.state))
            if line.changed:
                state += " *"
            rows.append(
                [
                    str(n),
                    line.code,
                    line.name,
                    state,
                    f"{line.done} / {line.items}",
                    pct(line.completion),
                    str(line.overdue) if line.overdue else "",
                    self._acts(line),
                    line.risk.short() if line.risk else "",
                ]
            )
        rows.append(
            [
                "",
                "",
                _("Total: %(n)d schools", n=totals["schools"]),
                _("accepted: %(n)d", n=totals["accepted"]),
                f"{totals['done']} / {totals['items']}",
                pct(totals["completion"]),
                str(totals["overdue"]),
                str(totals["acts"]),
                str(totals["risk"]),
            ]
        )
        out.append(
            table.build(
                header,
                rows,
                extra=[("ALIGN", (0, 1), (0, -1), "RIGHT"), ("ALIGN", (4, 1), (-1, -1), "RIGHT")],
                row_styles={
                    len(rows) - 1: [
                        ("FONT", (0, 0), (-1, 0), self.font + "-Bold", self.table_font_size),
                        ("ALIGN", (7, 0), (-1, 0), "RIGHT"),
                    ]
                },
            )
        )
        if any(line.changed for line in r.lines):
            out.append(self.p(_("* changed since accepted"), "Small"))
        out.append(Spacer(1, 4 * mm))
        out.append(self.p(_("Summary"), "Heading"))
        summary = [
            (_("Schools"), str(totals["schools"])),
            (
                _("Measures done") if plan else _("Questions answered"),
                f"{totals['done']} / {totals['items']} ({pct(totals['completion'])})",
            ),
            (
                _("Overdue measures (schools)") if plan else _("Forms late"),
                f"{totals['overdue']} ({totals['overdue_schools']})",
            ),
            (_("Accepted by the district"), str(totals["accepted"])),
            (_("Schools with risk flags"), str(totals["risk"])),
            (_("Control acts issued"), str(totals["acts"])),
            (_("Schools that need attention"), str(totals["attention"])),
        ]
        out.append(
            FastTable(self, [0.35 * w, 0.2 * w], 9, self.font + "-Bold").build(
                [_("Indicator"), _("Value")], summary, extra=[("ALIGN", (1, 1), (1, -1), "RIGHT")]
            )
        )
        out.append(CondPageBreak(60 * mm))
        out.append(self.p(_("Completion by school"), "Heading"))
        out.append(charts.completion_bands([line.completion for line in r.lines], w))
        if len(r.lines) <= self.chart_rows:
            # A school's own bar reads well while the district fits on one page.
            bars = [(f"{line.code} {line.name}", line.completion) for line in r.lines]
            out.append(Spacer(1, 4 * mm))
            out.append(charts.completion_bars(bars, w))
        out.append(CondPageBreak(40 * mm))
        out.append(self.p(_("Schools that need attention"), "Heading"))
        attention = r.attention
        if attention:
            # A numbered list, drawn as lines of text (wrapped here): the list of a whole
            # district costs a few text objects per page, not a table of 1,200 cells.
            size = 9
            lines = []
            for n, line in enumerate(attention, start=1):
                entry = f"{n}. {line.code} {line.name}: {'; '.join(line.reasons)}."
                room = w - 12 * mm
                if len(entry) * size * _widest(self.font) <= room:
                    lines.append(entry)
                    continue
                wrapped = simpleSplit(entry, self.font, size, room)
                lines.append(wrapped[0])
                lines += ["      " + rest for rest in wrapped[1:]]
            style = self.styles["Left"].clone(
                "Attention", fontSize=size, leading=size * 1.3, fontName=self.font
            )
            out.append(Preformatted("\n".join(lines), style))
        else:
            out.append(self.p(_("None: every school is on time and without risk flags."), "Left"))
        out.append(Spacer(1, 10 * mm))
        out.append(
            KeepTogether([self.signature_lines([(_("Prepared by (district specialist)"), "")])])
        )
        return out


# -- the analytical report on ВПР results ----------------------------------------------------


class VprReportDocument(Document):
    """One year, subject and grade: the district's marks, each school beside the
    district, the markers and the risk list with reasons, and the pages' charts."""

    landscape = True
    font_size = 11
    table_font_size = 8

    def __init__(self, report: VprReport) -> None:
        super().__init__()
        self.report = report
        self.district_name = report.district.name
        self.document_date = date.today()
        self.title = _("Analytical report on ВПР results")
        self.subtitle = _(
            "%(year)s, %(subject)s, grade %(grade)s",
            year=report.year,
            subject=report.subject,
            grade=report.grade,
        )

    def filename(self) -> str:
        r = self.report
        return safe_filename(_("VPR_report"), r.year, r.subject, f"{r.grade}_кл") + ".pdf"

    def footer_line(self) -> str:
        r = self.report
        return _(
            "Made %(at)s from the ВПР results of %(year)s imported into the intranet: "
            "%(subject)s, grade %(grade)s; %(n)d participants, %(s)d schools.",
            at=made_at(),
            year=r.year,
            subject=r.subject,
            grade=r.grade,
            n=r.participants,
            s=len(r.schools),
        )

    def _shares(self, shares: dict[int, float] | None) -> list[str]:
        return [pct(shares.get(m)) if shares else "" for m in charts.MARKS]

    def story(self) -> list[Flowable]:
        r = self.report
        w = self.frame_width
        out: list[Flowable] = []
        scale = r.scale
        scale_text = (
            _(
                "scale: «3» from %(a)d, «4» from %(b)d, «5» from %(c)d of %(m)d points",
                a=scale.min3,
                b=scale.min4,
                c=scale.min5,
                m=scale.max_score,
            )
            if scale
            else _("no mark scale entered")
        )
        out.append(
            self.p(
                _(
                    "Participants in the district: %(n)d; mean primary score: %(mean)s; %(scale)s.",
                    n=r.participants,
                    mean=number(r.mean) or "—",
                    scale=scale_text,
                ),
                "Left",
            )
        )
        out.append(self.p(_("Distribution of marks in the district"), "Heading"))
        marks = FastTable(self, [0.2 * w] + [0.1 * w] * 4, 9, self.font + "-Bold")
        out.append(
            marks.build(
                ["", "«2»", "«3»", "«4»", "«5»"],
                [[_("District"), *self._shares(r.shares)]],
                extra=[("ALIGN", (1, 1), (-1, -1), "RIGHT")],
            )
        )
        out.append(Spacer(1, 3 * mm))
        pair = Table(
            [
                [
                    charts.score_distribution(r.scores, scale),
                    charts.marks_matrix(r.matrix),
                ],
                [
                    self.p(_("Distribution of primary scores"), "Caption"),
                    self.p(_("ВПР marks against journal marks"), "Caption"),
                ],
            ],
            colWidths=[0.62 * w, 0.38 * w],
        )
        pair.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
        out.append(KeepTogether([pair]))
        out.append(self.p(_("Schools beside the district"), "Heading"))
        fractions = [0.05, 0.21, 0.08, 0.065, 0.065, 0.065, 0.065, 0.07, 0.08, 0.085, 0.08, 0.085]
        widths = [f * w for f in fractions]
        table = FastTable(self, widths, self.table_font_size, self.font + "-Bold")
        header = [
            _("Code"),
            _("School"),
            _("Participants"),
            "«2»",
            "«3»",
            "«4»",
            "«5»",
            _("Mean score"),
            _("ВПР below journal"),
            _("Confirmed"),
            _("ВПР above journal"),
            _("Flagged markers"),
        ]
        rows = [
            [
                "",
                _("District"),
                str(r.participants),
                *self._shares(r.shares),
                number(r.mean),
                "",
                "",
                "",
                "",
            ]
        ]
        extra: list[tuple] = [("ALIGN", (2, 1), (-1, -1), "RIGHT")]
        marked: dict[int, list[tuple]] = {
            0: [
                ("FONT", (0, 0), (-1, 0), self.font + "-Bold", self.table_font_size),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f3f3")),
            ]
        }
        for i, s in enumerate(r.schools, start=1):
            journal = s.journal or (None, None, None)
            rows.append(
                [
                    s.code,
                    s.name,
                    str(s.participants),
                    *self._shares(s.shares),
                    number(s.mean),
                    pct(journal[0]),
                    pct(journal[1]),
                    pct(journal[2]),
                    str(len(s.flagged)) if s.computed else "—",
                ]
            )
            if s.flagged:
                marked.setdefault(i, []).append(
                    ("BACKGROUND", (-1, 0), (-1, 0), colors.HexColor("#f9d6d5"))
                )
            # A share of «5» above the district's by half again is what a reader looks for.
            if s.shares and r.shares and s.shares[5] > r.shares[5] * 1.5 and s.shares[5] > 0.2:
                marked.setdefault(i, []).append(
                    ("FONT", (6, 0), (6, 0), self.font + "-Bold", self.table_font_size)
                )
        out.append(table.build(header, rows, extra=extra, row_styles=marked))
        out.append(Spacer(1, 1.5 * mm))
        out.append(
            self.p(
                _(
                    "Shares of marks are of the school's participants; «—» in the last "
                    "column: too few participants for the markers. Bold: a share of «5» "
                    "half again above the district's."
                ),
                "Small",
            )
        )
        out.append(CondPageBreak(50 * mm))
        out.append(self.p(_("Schools with signs of unobjective results"), "Heading"))
        risk = r.risk
        if not risk:
            out.append(self.p(_("No school is flagged for this subject and grade."), "Left"))
            return out
        from intranet.objectivity.services import marker_title

        rw = [0.06 * w, 0.18 * w, 0.2 * w, 0.56 * w]
        reasons = FastTable(self, rw, 8.5, self.font + "-Bold")
        risk_rows = []
        for s in risk:
            for k, m in enumerate(s.flagged):
                kind = _("federal method") if m.federal else _("district rule")
                risk_rows.append(
                    [
                        s.code if k == 0 else "",
                        s.name if k == 0 else "",
                        f"{marker_title(m)} ({kind})",
                        m.reason,
                    ]
                )
        out.append(reasons.build([_("Code"), _("School"), _("Marker"), _("Reason")], risk_rows))
        out.append(CondPageBreak(60 * mm))
        out.append(self.p(_("Flagged schools against the district"), "Heading"))
        cells = []
        for s in risk:
            cells.append(
                [
                    charts.school_vs_district(s.shares, r.shares, width=0.31 * w),
                    self.p(f"{s.code} {s.name}", "Caption"),
                ]
            )
        grid = []
        for start in range(0, len(cells), 3):
            chunk = cells[start : start + 3]
            chunk += [["", ""]] * (3 - len(chunk))
            grid.append([c[0] for c in chunk])
            grid.append([c[1] for c in chunk])
        charts_table = Table(grid, colWidths=[w / 3] * 3)
        charts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
        out.append(charts_table)
        return out


# -- a school's roadmap, one or many ---------------------------------------------------------


class RoadmapDocument(Document):
    """Roadmaps in the shape of the orders' tables (№, Мероприятие, Сроки, Ответственные,
    Результат) with what the school reported, each under the head's «УТВЕРЖДАЮ». Many
    roadmaps make one PDF with each school on a new page, read and laid out one school
    at a time."""

    landscape = True
    font_size = 11
    table_font_size = 8.5

    def __init__(self, plan: Plan, roadmaps: Iterable[SchoolRoadmap]) -> None:
        super().__init__()
        self.plan = plan
        self.roadmaps = roadmaps
        self.document_date = date.today()
        self.title = _("Plan of measures («roadmap»)")
        from intranet.extensions import db
        from intranet.schools.models import District

        self.district_name = db.session.get(District, plan.district_id).name
        self._single: SchoolRoadmap | None = None

    def filename(self) -> str:
        if self._single is not None:
            school = self._single.school
            return (
                safe_filename(_("Roadmap"), school.short_name or school.name, school.code) + ".pdf"
            )
        return safe_filename(_("Roadmaps"), self.plan.title[:60], ru_date(self.document_date)) + (
            ".pdf"
        )

    @classmethod
    def for_plan(cls, plan: Plan) -> RoadmapDocument:
        """Every school's roadmap of ``plan``, read a chunk of schools at a time."""
        from intranet.reports.data import plan_roadmaps

        return cls(plan, plan_roadmaps(plan))

    @classmethod
    def single(cls, roadmap: SchoolRoadmap) -> RoadmapDocument:
        doc = cls(roadmap.plan, [roadmap])
        doc._single = roadmap
        return doc

    def parts(self) -> Iterable[Part]:
        for roadmap in self.roadmaps:
            yield self._part(roadmap)

    def _part(self, roadmap: SchoolRoadmap) -> Part:
        school = roadmap.school
        state = ReviewState(roadmap.status).label
        footer = _(
            "Roadmap of %(code)s to the plan «%(plan)s» (%(basis)s), state: %(state)s, "
            "last changed %(changed)s; printed %(at)s.",
            code=school.code,
            plan=self.plan.title[:70],
            basis=self.plan.basis or "—",
            state=state,
            changed=roadmap.updated_at.strftime("%d.%m.%Y %H:%M") if roadmap.updated_at else "—",
            at=made_at(),
        )
        # The story is made when the school's turn comes: one school in memory at a time.
        return Part(
            story=lambda: self._story(roadmap),
            footer=footer,
            title=_("Plan of measures («roadmap») of %(school)s", school=school.name),
            key=str(roadmap.id),
            extra={"roadmap": roadmap},
        )

    def head_flowables(self, part: Part) -> list[Flowable]:
        # The approval stamp stands in the upper right corner, above the title.
        head = super().head_flowables(part)
        roadmap = part.extra.get("roadmap")
        if roadmap is None:
            return head
        title_at = next(
            (n for n, f in enumerate(head) if getattr(f, "style", None) is self.styles["Title"]),
            len(head),
        )
        return [*head[:title_at], self.approval(roadmap), Spacer(1, 2 * mm), *head[title_at:]]

    def approval(self, roadmap: SchoolRoadmap) -> Flowable:
        """The head's «УТВЕРЖДАЮ» block in the upper right corner."""
        school = roadmap.school
        lines = [
            self.markup("<b>" + esc(_("APPROVED")) + "</b>", "Left"),
            self.p(_("Head of %(school)s", school=school.short_name or school.name), "Left"),
            self.p("______________ " + (school.head_name or "______________"), "Left"),
            self.p("«____» ______________ 20___ " + _("y."), "Left"),
        ]
        t = Table([[""], *[[x] for x in lines]], colWidths=[self.frame_width * 0.4])
        t.hAlign = "RIGHT"
        t.setStyle(
            TableStyle(
                [
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return t

    def _story(self, roadmap: SchoolRoadmap) -> list[Flowable]:
        w = self.frame_width
        fractions = [0.045, 0.24, 0.1, 0.12, 0.13, 0.095, 0.085, 0.185]
        # A column empty in every row (an order without «Ожидаемый результат») is not
        # drawn; the measure's column takes its width.
        optional = {2: "deadline_text", 3: "responsible", 4: "result"}
        keep = [
            n
            for n in range(len(fractions))
            if n not in optional or any(getattr(i, optional[n]) for i in roadmap.items)
        ]
        fractions[1] += sum(f for n, f in enumerate(fractions) if n not in keep)
        widths = [fractions[n] * w for n in keep]
        col = {n: keep.index(n) for n in keep}
        table = FastTable(self, widths, self.table_font_size, self.font + "-Bold")
        header = [
            _("No."),
            _("Measure"),
            _("Deadlines"),
            _("Responsible"),
            _("Result"),
            _("Status"),
            _("Date done"),
            _("Evidence, what was done"),
        ]
        header = [header[n] for n in keep]
        rows: list[list[Any]] = []
        extra: list[tuple] = [("ALIGN", (col[6], 1), (col[6], -1), "CENTER")]
        marked: dict[int, list[tuple]] = {}
        section = None
        bold = self.font + "-Bold"
        for item in roadmap.items:
            if item.section and item.section != section:
                section = item.section
                marked[len(rows)] = [
                    ("SPAN", (0, 0), (-1, 0)),
                    ("FONT", (0, 0), (-1, 0), bold, self.table_font_size),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f3f3")),
                ]
                title = _wrap(section, bold, self.table_font_size, w - 2 * PAD)
                if title is None:
                    head = Paragraph("<b>" + esc(section) + "</b>", table.style)
                else:
                    head = Ready(title)
                rows.append([head] + [""] * (len(keep) - 1))
            evidence = [e.title for e in item.evidence]
            if item.progress_note:
                evidence.insert(0, item.progress_note)
            measure = item.text
            if item.school_text:
                # The district's words, and the school's beside them.
                measure += "\n" + _("School's wording") + ": " + item.school_text
            cells = [
                item.number,
                measure,
                item.deadline_text,
                item.responsible,
                item.result,
                item.status_label,
                ru_date(item.done_on),
                "\n".join(evidence),
            ]
            rows.append([cells[n] for n in keep])
            if item.status == ItemStatus.DONE:
                green = colors.HexColor("#1e7b34")
                marked[len(rows) - 1] = [("TEXTCOLOR", (col[5], 0), (col[5], 0), green)]
        out: list[Flowable] = []
        plan = self.plan
        out.append(
            self.p(
                _(
                    "To the district plan «%(plan)s» (order %(basis)s), period %(start)s – %(end)s.",
                    plan=plan.title,
                    basis=plan.basis or "—",
                    start=ru_date(plan.period_start),
                    end=ru_date(plan.period_end),
                ),
                "Center",
            )
        )
        out.append(Spacer(1, 3 * mm))
        if rows:
            out.append(table.build(header, rows, extra=extra, row_styles=marked))
        else:
            out.append(self.p(_("The roadmap has no items."), "Left"))
        done = sum(1 for i in roadmap.items if i.status == ItemStatus.DONE)
        out.append(Spacer(1, 2 * mm))
        out.append(
            self.p(
                _(
                    "Measures: %(n)d, done: %(d)d; state of the roadmap: %(state)s.",
                    n=len(roadmap.items),
                    d=done,
                    state=ReviewState(roadmap.status).label,
                ),
                "Small",
            )
        )
        return out


# -- a filled self-inspection form --------------------------------------------------------


class FilledFormDocument(Document):
    """A school's answers to a form, with its requisites and signature lines."""

    table_font_size = 9.5

    def __init__(self, filled: FilledForm) -> None:
        super().__init__()
        self.filled = filled
        sub = filled.submission
        self.district_name = filled.school.district.name
        self.document_date = date.today()
        self.title = sub.campaign.title
        self.subtitle = filled.school.name

    def filename(self) -> str:
        school = self.filled.school
        return (
            safe_filename(
                _("Form"),
                self.filled.submission.campaign.title[:50],
                school.short_name or school.code,
            )
            + ".pdf"
        )

    def footer_line(self) -> str:
        sub = self.filled.submission
        version = (
            _("submitted version %(n)d", n=self.filled.version)
            if self.filled.version
            else _("never submitted")
        )
        return _(
            "Answers of %(code)s to the campaign «%(title)s», state: %(state)s, %(version)s, "
            "save No. %(rev)d; printed %(at)s.",
            code=self.filled.school.code,
            title=sub.campaign.title[:70],
            state=ReviewState(sub.status).label,
            version=version,
            rev=sub.revision,
            at=made_at(),
        )

    def story(self) -> list[Flowable]:
        f = self.filled
        school = f.school
        sub = f.submission
        out: list[Flowable] = []
        requisites = [
            (_("School"), school.name),
            (_("Code"), school.code),
            (_("Address"), school.address),
            (_("Head"), school.head_name),
            (_("Phone"), school.phone),
            (_("E-mail"), school.email),
            (_("Website"), school.website),
            (_("Due date"), ru_date(sub.campaign.due_date)),
            (_("State"), ReviewState(sub.status).label),
        ]
        out.append(
            self.table(
                [_("Requisite"), _("Value")],
                [(k, v or "—") for k, v in requisites],
                [0.3, 0.7],
            )
        )
        for title, answers in f.sections:
            out.append(self.p(title, "Heading"))
            rows = []
            for a in answers:
                if a.columns is None:
                    rows.append([a.label, a.value if a.value is not None else "—"])
                    continue
                if rows:
                    out.append(self.table([_("Question"), _("Answer")], rows, [0.5, 0.5]))
                    rows = []
                out.append(self.p(a.label, "Left"))
                if a.rows:
                    n = len(a.columns)
                    out.append(
                        self.table(
                            ["№", *a.columns],
                            [[str(k), *r] for k, r in enumerate(a.rows, start=1)],
                            [0.06] + [0.94 / n] * n,
                        )
                    )
                else:
                    out.append(self.p(_("No rows."), "Small"))
                out.append(Spacer(1, 2 * mm))
            if rows:
                out.append(self.table([_("Question"), _("Answer")], rows, [0.5, 0.5]))
        if not f.sections:
            out.append(self.p(_("No answers yet."), "Left"))
        out.append(Spacer(1, 12 * mm))
        out.append(
            KeepTogether(
                [
                    self.signature_lines(
                        [
                            (_("Head of the school"), school.head_name or ""),
                            (_("Responsible for the answers"), ""),
                        ]
                    )
                ]
            )
        )
        return out
