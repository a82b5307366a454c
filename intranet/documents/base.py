"""A ReportLab document as a class (after pretix's invoice renderer).

A subclass sets its geometry as attributes, gives its parts (one for most documents,
one per school for a bulk print) and, for each part, a story of flowables. The base
draws what every district paper has: the district's name, the title, the date and
number at the head of each part; a running head on later pages; a footer with the
part's own line (what it was made from) and "page X of Y", where Y is the part's page
count, written into a PDF form that is filled in when the part ends, so no page has to
be kept in memory to number it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors, pagesizes
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    ActionFlowable,
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from intranet.documents.fonts import SANS, SERIF, register_fonts
from intranet.i18n import gettext as _


def esc(text: Any) -> str:
    """User text made safe for a Paragraph: printed literally, line breaks kept."""
    if text is None:
        return ""
    return escape(str(text)).replace("\r\n", "\n").replace("\n", "<br/>")


def ru_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


@dataclass
class Part:
    """One piece of a document that starts on a new page and numbers its own pages.

    ``story`` may be a callable returning the flowables: a bulk print then builds each
    school's flowables only when its turn comes.
    """

    story: Any
    footer: str = ""
    title: str = ""
    key: str = ""
    extra: dict = field(default_factory=dict)

    def flowables(self) -> list[Flowable]:
        story = self.story() if callable(self.story) else self.story
        return list(story)


class _PartStart(ActionFlowable):
    def __init__(self, part: Part):
        super().__init__(("partStart", part))


class _DocTemplate(BaseDocTemplate):
    """Feeds the parts in lazily and tracks the current part's page count."""

    def __init__(self, filename, document: Document, **kw):
        super().__init__(filename, **kw)
        self.document = document
        self.part: Part | None = None
        self.part_index = -1
        self.part_page = 0
        self.part_totals: dict[int, int] = {}
        self._parts: Iterator[Part] | None = None
        self._story: list | None = None

    def build_parts(self, parts: Iterable[Part], canvasmaker):
        self._parts = iter(parts)
        self._story = []
        if not self._load_next(first=True):
            raise EmptyDocument(_("Nothing to print."))
        self.build(self._story, canvasmaker=canvasmaker)

    def _load_next(self, first: bool = False) -> bool:
        try:
            part = next(self._parts)
        except StopIteration:
            return False
        story: list = []
        if not first:
            story += [NextPageTemplate("first"), PageBreak()]
        story.append(_PartStart(part))
        story.append(NextPageTemplate("later"))
        story += self.document.head_flowables(part)
        story += part.flowables()
        story.append(ActionFlowable(("partEnd",)))
        self._story.extend(story)
        return True

    def handle_partStart(self, part: Part) -> None:
        self.part = part
        self.part_index += 1
        self.part_page = 0

    def handle_partEnd(self) -> None:
        # The next part (if any) is laid out only now, so one school's flowables at a
        # time are alive however many schools the print holds.
        self._load_next()

    def afterPage(self) -> None:
        self.part_page += 1
        self.part_totals[self.part_index] = self.part_page
        self.document.decorate_page(self.canv, self)

    def _endBuild(self):
        self._removeVars(("build", "page", "frame"))
        if self._hanging != [] and self._hanging[-1] is PageBegin_:
            del self._hanging[-1]
            self.clean_hanging()
        else:
            self.clean_hanging()
            self.handle_pageBreak()
        self.document.define_page_totals(self.canv, self.part_totals)
        if getattr(self, "_doSave", 1):
            self.canv.save()


from reportlab.platypus.doctemplate import PageBegin as PageBegin_  # noqa: E402


class _Table(Table):
    """A table that moves whole rows to the next page, except in a table holding a row
    taller than half a page: there the row that meets the page's end is split inside,
    so no half-empty page and no header repeated mid-page appear."""

    tall_row = 0.0

    def split(self, availWidth, availHeight):
        self._calc(availWidth, availHeight)
        body = self._rowHeights[self.repeatRows :]
        if self.tall_row and body and max(body) > self.tall_row / 2:
            result = self._splitRows(availHeight, doInRowSplit=1)
            if result:
                return result
        return super().split(availWidth, availHeight)


class EmptyDocument(Exception):
    """A document with no parts: the caller says "nothing to print" instead of a blank PDF."""


class Document:
    """Base of every printed document.

    Override :meth:`parts` (or :meth:`story` for a one-part document), set ``title``,
    ``district_name``, ``document_date``, ``number`` and :meth:`filename`.
    """

    # Geometry: A4, margins in the manner of ГОСТ Р 7.0.97-2016 (5.1: at least 20 mm
    # left, 10 mm right, 20 mm top and bottom); left a little wider for the binder.
    pagesize = pagesizes.A4
    landscape = False
    left_margin = 25 * mm
    right_margin = 12 * mm
    top_margin = 20 * mm
    bottom_margin = 20 * mm
    # The footer (its line and "page X of Y") sits inside the bottom margin.
    footer_height = 11 * mm

    font = SERIF
    font_sans = SANS
    font_size = 12
    table_font_size = 10

    title = ""
    subtitle = ""
    district_name = ""
    document_date: date | None = None
    number = ""
    place = ""

    # -- what a subclass gives --------------------------------------------------------

    def story(self) -> list[Flowable]:
        raise NotImplementedError

    def footer_line(self) -> str:
        """The per-document footer line (what the paper was made from)."""
        return ""

    def parts(self) -> Iterable[Part]:
        return [Part(story=self.story, footer=self.footer_line(), title=self.title)]

    def filename(self) -> str:
        return safe_filename(self.title or "document") + ".pdf"

    # -- set up ------------------------------------------------------------------------

    def __init__(self) -> None:
        register_fonts()
        self.styles = self.stylesheet()

    @property
    def page_size(self) -> tuple[float, float]:
        return pagesizes.landscape(self.pagesize) if self.landscape else self.pagesize

    @property
    def frame_width(self) -> float:
        return self.page_size[0] - self.left_margin - self.right_margin

    def stylesheet(self) -> StyleSheet1:
        size, lead = self.font_size, self.font_size * 1.2
        tsize = self.table_font_size
        s = StyleSheet1()
        s.add(ParagraphStyle("Normal", fontName=self.font, fontSize=size, leading=lead))
        s.add(ParagraphStyle("Body", parent=s["Normal"], alignment=TA_JUSTIFY,
                             firstLineIndent=12.5 * mm, spaceAfter=2))  # fmt: skip
        s.add(ParagraphStyle("Left", parent=s["Normal"], alignment=TA_LEFT))
        s.add(ParagraphStyle("Right", parent=s["Normal"], alignment=TA_RIGHT))
        s.add(ParagraphStyle("Center", parent=s["Normal"], alignment=TA_CENTER))
        s.add(ParagraphStyle("District", parent=s["Center"], fontName=self.font + "-Bold",
                             fontSize=size, leading=lead))  # fmt: skip
        s.add(ParagraphStyle("Title", parent=s["Center"], fontName=self.font + "-Bold",
                             fontSize=size + 2, leading=(size + 2) * 1.2, spaceBefore=6))  # fmt: skip
        s.add(ParagraphStyle("Subtitle", parent=s["Center"], spaceAfter=4))
        s.add(ParagraphStyle("Heading", parent=s["Left"], fontName=self.font + "-Bold",
                             spaceBefore=8, spaceAfter=4, keepWithNext=1))  # fmt: skip
        # A heading that may end a page: callers put heading() (a CondPageBreak first)
        # where the next flowable is a long table, which keepWithNext would push whole
        # onto the next page.
        s.add(ParagraphStyle("Section", parent=s["Heading"], keepWithNext=0))
        s.add(ParagraphStyle("Indented", parent=s["Left"], leftIndent=12.5 * mm))
        s.add(ParagraphStyle("Cell", fontName=self.font, fontSize=tsize, leading=tsize * 1.2))
        s.add(ParagraphStyle("CellCenter", parent=s["Cell"], alignment=TA_CENTER))
        s.add(ParagraphStyle("CellRight", parent=s["Cell"], alignment=TA_RIGHT))
        s.add(ParagraphStyle("CellHead", parent=s["Cell"], fontName=self.font + "-Bold",
                             alignment=TA_CENTER))  # fmt: skip
        s.add(ParagraphStyle("Small", fontName=self.font, fontSize=9, leading=10.5))
        s.add(ParagraphStyle("Caption", parent=s["Small"], alignment=TA_CENTER,
                             textColor=colors.HexColor("#444444")))  # fmt: skip
        s.add(ParagraphStyle("Footer", fontName=self.font_sans, fontSize=7, leading=8.4,
                             textColor=colors.HexColor("#444444")))  # fmt: skip
        return s

    # -- flowable helpers --------------------------------------------------------------

    def p(self, text: Any, style: str = "Normal") -> Paragraph:
        """A paragraph of user (or any) text, printed literally."""
        return Paragraph(esc(text), self.styles[style])

    def markup(self, markup: str, style: str = "Normal") -> Paragraph:
        """A paragraph of markup built by code; every user part must go through esc()."""
        return Paragraph(markup, self.styles[style])

    def heading(self, text: Any, room: float = 30 * mm) -> list[Flowable]:
        """A section heading that never stands alone at the foot of a page, even before
        a table longer than a page."""
        return [CondPageBreak(room), self.p(text, "Section")]

    def head_flowables(self, part: Part) -> list[Flowable]:
        """The head of a part: the district, the title, then date and number on one line."""
        out: list[Flowable] = []
        if self.district_name:
            out.append(self.p(self.district_name, "District"))
            out.append(HRFlowable(width="100%", thickness=0.8, color=colors.black,
                                  spaceBefore=3, spaceAfter=8))  # fmt: skip
        date_text = ru_date(self.document_date)
        number = self.number
        if date_text or number:
            left = esc(date_text)
            right = esc(_("No. %(number)s", number=number)) if number else ""
            row = [[self.markup(left, "Left"), self.markup(esc(self.place), "Center"),
                    self.markup(right, "Right")]]  # fmt: skip
            t = Table(row, colWidths=[self.frame_width / 3] * 3)
            t.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
            out.append(t)
        title = part.title or self.title
        if title:
            out.append(self.p(title, "Title"))
        if self.subtitle:
            out.append(self.p(self.subtitle, "Subtitle"))
        out.append(Spacer(1, 4 * mm))
        return out

    def table(
        self,
        header: Sequence[Any],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[float],
        *,
        styles: Sequence[str] | None = None,
        extra_style: Sequence[tuple] = (),
        header_rows: int = 1,
    ) -> Table:
        """A ruled table: header repeated on every page, every cell wrapped, a row too
        tall for a page split inside itself rather than failing.

        ``widths`` are fractions of the frame width (summing to 1) or absolute points;
        cells that are strings are escaped, flowables are kept as they are.
        """
        total = sum(widths)
        if total <= 1.001:
            widths = [w * self.frame_width for w in widths]
        styles = list(styles or ["Cell"] * len(header))
        data: list[list[Any]] = [[self._cell(h, "CellHead") for h in header]]
        for row in rows:
            data.append([self._cell(v, styles[i]) for i, v in enumerate(row)])
        t = _Table(data, colWidths=list(widths), repeatRows=header_rows, splitByRow=1,
                   splitInRow=1)  # fmt: skip
        t.tall_row = self.page_size[1] - self.top_margin - self.bottom_margin
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("VALIGN", (0, 0), (-1, header_rows - 1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#eeeeee")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    *extra_style,
                ]
            )
        )
        return t

    def _cell(self, value: Any, style: str) -> Any:
        if isinstance(value, Flowable | list):
            return value
        return Paragraph(esc(value), self.styles[style])

    def signature_lines(self, people: Sequence[tuple[str, str]], caption: str = "") -> Table:
        """Rows of «post ____________ / name /»: a place to sign for each person."""
        rows = []
        for post, name in people:
            rows.append([self.p(post, "Left"), "", self.p(name, "Left")])
            rows.append(["", self.p(_("(signature)"), "Caption"), ""])
        w = self.frame_width
        t = Table(rows or [["", "", ""]], colWidths=[w * 0.42, w * 0.25, w * 0.33])
        style = [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]
        for i in range(0, len(rows), 2):
            style.append(("LINEBELOW", (1, i), (1, i), 0.6, colors.black))
            style.append(("TOPPADDING", (0, i), (-1, i), 10))
        t.setStyle(TableStyle(style))
        return t

    # -- page decoration ---------------------------------------------------------------

    def decorate_page(self, canv, doc: _DocTemplate) -> None:
        part = doc.part
        width, _height = self.page_size
        canv.saveState()
        if doc.part_page > 1:
            self.draw_running_head(canv, doc)
        # footer: a thin rule, the part's line at the left, "page X of Y" at the right
        y_rule = self.bottom_margin - 3 * mm
        canv.setStrokeColor(colors.HexColor("#888888"))
        canv.setLineWidth(0.4)
        canv.line(self.left_margin, y_rule, width - self.right_margin, y_rule)
        page_text = _("Page %(page)s of", page=doc.part_page)
        canv.setFont(self.font_sans, 8)
        canv.setFillColor(colors.HexColor("#222222"))
        reserve = stringWidth(" 9999", self.font_sans, 8)
        x_right = width - self.right_margin
        y_text = y_rule - 3.5 * mm
        canv.drawRightString(x_right - reserve, y_text, page_text)
        canv.saveState()
        canv.translate(x_right - reserve + stringWidth(" ", self.font_sans, 8), y_text)
        canv.doForm(self._total_form(doc.part_index))
        canv.restoreState()
        footer = part.footer if part else ""
        if footer:
            # One part's footer is the same on each of its pages: laid out once, drawn
            # on every page (a 900-page print would otherwise set it 900 times).
            cached = getattr(self, "_footer_cache", None)
            if cached is None or cached[0] != footer:
                box = width - self.left_margin - self.right_margin - reserve - 30 * mm
                para = Paragraph(esc(footer), self.styles["Footer"])
                cached = self._footer_cache = (footer, para, para.wrap(box, self.footer_height)[1])
            _footer, para, h = cached
            para.drawOn(canv, self.left_margin, y_rule - 1.5 * mm - h)
        canv.restoreState()

    def draw_running_head(self, canv, doc: _DocTemplate) -> None:
        width, height = self.page_size
        title = (doc.part.title if doc.part else "") or self.title
        text = " · ".join(t for t in (self.district_name, title) if t)
        if not text:
            return
        canv.setFont(self.font_sans, 7.5)
        canv.setFillColor(colors.HexColor("#555555"))
        max_w = width - self.left_margin - self.right_margin
        while stringWidth(text, self.font_sans, 7.5) > max_w and len(text) > 4:
            text = text[:-4] + "…"
        canv.drawCentredString(
            self.left_margin + max_w / 2, height - self.top_margin + 6 * mm, text
        )

    @staticmethod
    def _total_form(part_index: int) -> str:
        return f"PageTotal{part_index}"

    def define_page_totals(self, canv, totals: dict[int, int]) -> None:
        for index, total in totals.items():
            canv.beginForm(self._total_form(index))
            canv.setFont(self.font_sans, 8)
            canv.setFillColor(colors.HexColor("#222222"))
            canv.drawString(0, 0, str(total))
            canv.endForm()

    # -- output ------------------------------------------------------------------------

    def write(self, target: str | IO[bytes]) -> int:
        """Lay the document out into ``target`` (a path or a binary file); returns pages."""
        width, height = self.page_size
        doc = _DocTemplate(
            target,
            self,
            pagesize=(width, height),
            leftMargin=self.left_margin,
            rightMargin=self.right_margin,
            topMargin=self.top_margin,
            bottomMargin=self.bottom_margin,
            title=self.title,
            author=self.district_name,
            creator="intranet",
            invariant=1,
        )
        frame = Frame(self.left_margin, self.bottom_margin, doc.width, doc.height,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
                      id="normal")  # fmt: skip
        later = Frame(self.left_margin, self.bottom_margin, doc.width, doc.height,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
                      id="later")  # fmt: skip
        doc.addPageTemplates(
            [
                PageTemplate(id="first", frames=[frame], pagesize=(width, height)),
                PageTemplate(id="later", frames=[later], pagesize=(width, height)),
            ]
        )
        doc.build_parts(self.parts(), canvasmaker=self.canvas_class())
        return doc.page

    def canvas_class(self):
        from reportlab.pdfgen.canvas import Canvas

        return Canvas

    def render(self) -> bytes:
        """The whole PDF, built in memory."""
        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_filename(*parts: Any) -> str:
    """A file name a person can file: the parts joined by "_", no path characters."""
    text = "_".join(str(p).strip() for p in parts if p not in (None, ""))
    text = _UNSAFE.sub("", text)
    text = re.sub(r"\s+", "_", text)
    return text.strip("._")[:150] or "document"
