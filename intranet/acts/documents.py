"""The control act on paper: one act, or every act of a year with each on new pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import current_app
from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from intranet.acts.models import ControlAct, ControlForm, Finding, content_hash
from intranet.acts.services import content_of
from intranet.documents import Document, Part, esc, safe_filename
from intranet.documents.fonts import SERIF
from intranet.i18n import gettext as _


def _d(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y") if iso else ""


def check_url(act: ControlAct, base: str | None = None) -> str:
    """The address a printed act's QR code leads to (it shows whether the act matches)."""
    base = (base or act.check_base_url or current_app.config["PUBLIC_URL"]).rstrip("/")
    return f"{base}/acts/{act.uuid}/check?h={act.content_hash}"


def sources_line(content: dict, title_chars: int | None = None) -> str:
    """What the act was made from; ``title_chars`` shortens each title (the footer keeps
    to two lines; the last page lists them in full)."""
    parts = []
    for s in content.get("sources") or []:
        kind = _("form") if s.get("kind") == "submission" else _("roadmap")
        title = s.get("title", "")
        if title_chars and len(title) > title_chars:
            title = title[: title_chars - 1].rstrip() + "…"
        parts.append(_("%(kind)s «%(title)s» v.%(n)s", kind=kind, title=title, n=s.get("version")))
    return "; ".join(parts) if parts else _("no accepted data (documentary control)")


class ControlActDocument(Document):
    """One or more acts; an act is a part (its own head, page numbers and footer)."""

    font_size = 12
    table_font_size = 10.5
    # One family for the whole paper (as official papers are): one font fewer to embed.
    font_sans = SERIF

    def __init__(self, acts: Iterable[ControlAct], *, base_url: str = "") -> None:
        super().__init__()
        self.acts = list(acts)
        self.base_url = base_url
        first = self.acts[0] if self.acts else None
        self.title = _("Control act")
        if first is not None:
            content = content_of(first)
            self.district_name = content["district"]

    def filename(self) -> str:
        if len(self.acts) == 1:
            act = self.acts[0]
            content = content_of(act)
            number = act.number or _("draft")
            return safe_filename(_("Act"), number, content["school_short_name"]) + ".pdf"
        years = sorted({a.year for a in self.acts if a.year})
        return safe_filename(_("Acts"), *years) + ".pdf"

    # -- parts ---------------------------------------------------------------------

    def parts(self):
        for act in self.acts:
            content = content_of(act)
            yield Part(
                story=lambda act=act, content=content: self.act_story(act, content),
                footer=self.footer_for(act, content),
                title=_("Act No. %(number)s", number=act.number) if act.number else _("Draft act"),
                extra={"content": content, "act": act},
            )

    def footer_for(self, act: ControlAct, content: dict) -> str:
        if act.is_issued:
            head = _(
                "Act No. %(number)s of %(date)s, %(school)s",
                number=act.number,
                date=_d(content.get("act_date")),
                school=content["school_short_name"],
            )
            digest = act.content_hash
        else:
            head = _("DRAFT act, %(school)s", school=content["school_short_name"])
            digest = content_hash(content)
        return " · ".join(
            [head, _("made from: %(sources)s", sources=sources_line(content, 40)),
             _("hash %(hash)s", hash=digest[:10])]
        )  # fmt: skip

    def head_flowables(self, part: Part) -> list:
        content = part.extra["content"]
        act: ControlAct = part.extra["act"]
        out = [
            self.p(content["district"], "District"),
            HRFlowable(
                width="100%", thickness=0.8, color=colors.black, spaceBefore=3, spaceAfter=10
            ),  # fmt: skip
            self.markup(esc(_("ACT")), "Title"),
        ]
        form = ControlForm(content["control_form"])
        kind = (
            _("of a documentary check")
            if form is ControlForm.DOCUMENTARY
            else _("of an on-site check")
        )
        out.append(self.markup(f"{esc(kind)}<br/>{esc(content['school_name'])}", "Subtitle"))
        number = content["number"] or _("(draft, no number)")
        row = [[
            self.p(_d(content.get("act_date")) or "«___» ____________ 20__", "Left"),
            self.p(content.get("place") or "", "Center"),
            self.p(_("No. %(number)s", number=number) if content["number"] else number, "Right"),
        ]]  # fmt: skip
        t = Table(row, colWidths=[self.frame_width * 0.3, self.frame_width * 0.4,
                                  self.frame_width * 0.3])  # fmt: skip
        t.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
        out += [Spacer(1, 2 * mm), t, Spacer(1, 4 * mm)]
        if not act.is_issued:
            out.append(self.p(_("DRAFT: not issued, has no force."), "Center"))
        return out

    # -- the act ---------------------------------------------------------------------

    def _line(self, label: str, value: str) -> object:
        return self.markup(f"<b>{esc(label)}</b> {esc(value)}", "Body")

    def act_story(self, act: ControlAct, content: dict) -> list:
        s: list = []
        basis = _(
            "order of the district No. %(number)s of %(date)s",
            number=content["order_number"] or "____",
            date=_d(content.get("order_date")) or "________",
        )
        s.append(self._line(_("Basis:"), basis + "."))
        if content.get("replaces"):
            rep = content["replaces"]
            s.append(
                self._line(
                    _("Correction:"),
                    _(
                        "this act replaces act No. %(number)s of %(date)s.",
                        number=rep["number"],
                        date=_d(rep["act_date"]),
                    ),
                )
            )
        period = _(
            "from %(start)s to %(end)s",
            start=_d(content.get("period_start")),
            end=_d(content.get("period_end")),
        )
        s.append(self._line(_("Period of control:"), period + "."))
        s.append(
            self._line(_("Form of control:"), ControlForm(content["control_form"]).label + ".")
        )
        if content.get("subject"):
            s.append(self._line(_("Subject of control:"), content["subject"]))
        s.append(
            self._line(
                _("Organisation checked:"),
                _(
                    "%(name)s; head: %(head)s.",
                    name=content["school_name"],
                    head=content["head_name"],
                ),
            )
        )
        commission_label = _("The commission:")
        s.append(self.markup(f"<b>{esc(commission_label)}</b>", "Body"))
        for n, member in enumerate(content["commission"]):
            role = _("chair") if n == 0 else _("member")
            text = f"{member['name']}, {member['post']}" if member.get("post") else member["name"]
            s.append(self.p(f"{role}: {text}", "Indented"))
        s.append(Spacer(1, 3 * mm))

        s += self.heading(_("1. Results of the check"))
        rows = []
        source_label = _("source")
        for n, item in enumerate(content["items"], start=1):
            finding = Finding(item["finding"]).label if item.get("finding") else "—"
            note = item.get("note") or ""
            if item.get("source"):
                note = (
                    f"{note}\n({source_label}: {item['source']})" if note else f"({item['source']})"
                )
            rows.append([str(n), item["topic"], finding, note])
        if rows:
            s.append(
                self.table(
                    ["№", _("Item checked"), _("Finding"), _("Note")],
                    rows,
                    [0.06, 0.42, 0.17, 0.35],
                    styles=["CellCenter", "Cell", "CellCenter", "Cell"],
                )
            )
        else:
            s.append(self.p(_("No items were checked."), "Body"))
        counts = {
            f: sum(1 for i in content["items"] if i.get("finding") == f.value) for f in Finding
        }
        s.append(Spacer(1, 2 * mm))
        s.append(
            self.p(
                _(
                    "Items checked: %(n)d; comply: %(a)d; partly comply: %(b)d; do not comply: %(c)d.",
                    n=len(content["items"]),
                    a=counts[Finding.COMPLIES],
                    b=counts[Finding.PARTLY],
                    c=counts[Finding.FAILS],
                ),
                "Body",
            )
        )
        s += self.heading(_("2. Conclusions"))
        for para in (content.get("conclusions") or "—").split("\n\n"):
            s.append(self.p(para, "Body"))
        s += self.heading(_("3. Recommendations"))
        recs = content.get("recommendations") or []
        if recs:
            s.append(
                self.table(
                    ["№", _("Recommendation"), _("Deadline"), _("Responsible")],
                    [
                        [str(n), r["text"], _d(r.get("deadline")), r.get("responsible", "")]
                        for n, r in enumerate(recs, start=1)
                    ],
                    [0.06, 0.54, 0.15, 0.25],
                    styles=["CellCenter", "Cell", "CellCenter", "Cell"],
                )  # fmt: skip
            )
            s.append(Spacer(1, 1.5 * mm))
            s.append(
                self.p(
                    _(
                        "The recommendations are added to the school's roadmap, section «%(section)s»; "
                        "the school reports on them there.",
                        section=_("By the results of control"),
                    ),
                    "Small",
                )  # fmt: skip
            )
        else:
            s.append(self.p(_("None."), "Body"))
        s.append(Spacer(1, 6 * mm))
        s += self.signatures(content)
        s.append(self.check_block(act, content))
        return s

    def signatures(self, content: dict) -> list:
        people = [
            ((_("Chair of the commission") if n == 0 else _("Member of the commission"))
             + (f", {m['post']}" if m.get("post") else ""), m["name"])
            for n, m in enumerate(content["commission"])
        ]  # fmt: skip
        commission = [
            self.p(_("Signatures of the commission:"), "Heading"),
            self.signature_lines(people),
        ]
        acquainted = [
            Spacer(1, 5 * mm),
            self.markup(
                "<b>" + esc(_("I have read the act and received a copy:")) + "</b>", "Left"
            ),
            self.signature_lines(
                [
                    (
                        _("Head of %(school)s", school=content["school_short_name"]),
                        content["head_name"],
                    )
                ]
            ),
            Spacer(1, 2 * mm),
            self.p(_("Date: «___» ______________ 20___"), "Left"),
            Spacer(1, 4 * mm),
            self.p(
                _("Note of a refusal to sign: ") + "_" * 40,
                "Left",
            ),
            self.p("_" * 78, "Left"),
        ]
        return [KeepTogether(commission), KeepTogether(acquainted)]

    def check_block(self, act: ControlAct, content: dict) -> KeepTogether:
        """The QR code to the check page (issued acts), and what the act was made from."""
        digest = act.content_hash if act.is_issued else content_hash(content)
        lines = [
            _("Made from: %(sources)s.", sources=sources_line(content)),
            _("Content hash (SHA-256): %(hash)s", hash=digest),
        ]
        cells: list = []
        if act.is_issued:
            url = check_url(act, self.base_url or None)
            lines.insert(0, _("Check this act against the database: %(url)s", url=url))
            # ReportLab's flowable QR code draws straight on the canvas (its widget makes a
            # shape per module: ten times slower for the same code).
            cells.append(QrCode(url, width=30 * mm, height=30 * mm, qrLevel="M"))
        text = [self.p(line, "Small") for line in lines]
        if cells:
            t = Table([[cells[0], text]], colWidths=[33 * mm, self.frame_width - 33 * mm])
        else:
            t = Table([[text]], colWidths=[self.frame_width])
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("LINEABOVE", (0, 0), (-1, 0), 0.4, colors.grey)]))  # fmt: skip
        return KeepTogether([Spacer(1, 6 * mm), t])

    def decorate_page(self, canv, doc) -> None:
        super().decorate_page(canv, doc)
        act = doc.part.extra["act"] if doc.part else None
        if act is not None and not act.is_issued:
            # A draft must never pass for an issued act.
            canv.saveState()
            canv.setFont(self.font + "-Bold", 72)
            canv.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.18))
            width, height = self.page_size
            canv.translate(width / 2, height / 2)
            canv.rotate(45)
            canv.drawCentredString(0, 0, _("DRAFT"))
            canv.restoreState()
