"""A roadmap's item rows as HTML, built in one pass in Python: all of them on the roadmap
page (with a row naming each section where it starts), or the one row swapped back after
an edit, or shown again with the reasons a «mark done» was refused.

A page draws forty rows. As a template macro a row cost some 25 microseconds of template
machinery (an escape, an attribute lookup, a test for each piece), half the page's own
time; here it costs a few. What is the same on every row (labels, addresses, the CSRF
token) is worked out once per call. The risk list builds its rows the same way
(``objectivity.views._risk_rows``).

``item_rows`` is a template global that reads the page's context, as the macro did:
roadmap, today, comments, conflicted, overdue, status_labels, can_edit, can_review and
cols (``views._context``); remarks (a refused return), done_form and conflict (a refused
«mark done») when present.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import url_for
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from intranet.i18n import gettext as _
from intranet.roadmaps.display import deadline_html
from intranet.settings import is_school_copy
from intranet.text import link_labels

_ACCEPT = ".pdf,.docx,.xlsx,.png,.jpg,.jpeg,.gif"


class _Page:
    """What every row of one call shares."""

    def __init__(self, context: Context) -> None:
        roadmap = context["roadmap"]
        self.base = escape(
            url_for("roadmaps.detail", school_id=roadmap.school_id, roadmap_id=roadmap.id)
        )
        self.today = context["today"]
        self.comments = context["comments"]
        self.conflicted = context["conflicted"]
        self.overdue = context["overdue"]
        # Each state's badge, escaped once (a row looks its own up).
        self.status_badges = {
            value: f'<span class="badge status-{escape(value)}">{escape(label)}</span>'
            for value, label in context["status_labels"].items()
        }
        self.can_edit = context["can_edit"]
        self.can_review = context["can_review"]
        self.remarks = context.get("remarks") or {}
        self.done_form = context.get("done_form")
        self.conflict = context.get("conflict")
        cols = context["cols"]
        self.cols = cols
        self.on_copy = is_school_copy()
        self.sync_badge = context.get("sync_badge")
        self.csrf = escape(generate_csrf()) if self.can_edit else ""
        # Translations are trusted as the templates' _() trusts them; each _() is written
        # out so that the extractor of translations finds it.
        self.t = {
            "district_wording": Markup(_("District's wording")),
            "school_wording": Markup(_("School's wording")),
            "in_conflict": Markup(_("in conflict")),
            "result": Markup(_("Result")),
            "remark": Markup(_("Remark")),
            "remark_on_item": Markup(_("Remark on this item")),
            "deadline": Markup(_("Deadline")),
            "overdue": Markup(_("overdue")),
            "responsible": Markup(_("Responsible")),
            "progress": Markup(_("Progress")),
            "mark_done": Markup(_("Mark done")),
            "date_done": Markup(_("Date done")),
            "what_was_done": Markup(_("What was done")),
            "evidence_file": Markup(_("Evidence: a file")),
            "or_link": Markup(_("or a link")),
            "evidence": Markup(_("Evidence")),
            "remove": Markup(_("Remove")),
            "remove_evidence": Markup(_("Remove this evidence?")),
            "attach": Markup(_("Attach")),
            "file": Markup(_("File")),
            "edit": Markup(_("Edit")),
            "delete": Markup(_("Delete")),
        }


@pass_context
def item_rows(context: Context, items: Iterable[Any], sections: bool = False) -> Markup:
    page = _Page(context)
    out: list[str] = []
    section = None
    for item in items:
        if sections and item.section != section:
            section = item.section
            if section:
                out.append(
                    f'\n  <tr class="section-row"><td colspan="{page.cols["count"]}">'
                    f"{escape(section)}</td></tr>"
                )
        out.append(_row(page, item))
    return Markup("".join(out))


def _errors(errors: Iterable[Any], tag: str, attrs: str = "") -> str:
    return "".join(f"<{tag}{attrs}>{escape(e)}</{tag}>" for e in errors)


def _row(page: _Page, item: Any) -> str:
    t = page.t
    id_ = item.id
    item_url = f"{page.base}/items/{id_}"
    is_overdue = id_ in page.overdue
    remarks_here = page.comments.get(item.uuid)
    number = escape(item.number)
    css = ("overdue" if is_overdue else "") + (" commented" if remarks_here else "")
    out = [f'\n  <tr id="item-{id_}" class="{css}">\n    <td>{number}</td>\n    <td>']

    # The measure: the district's words (and the school's beside them), its conflicts,
    # its expected result and the remarks of a return.
    if item.school_text:
        out.append(
            '\n      <div class="wording-pair">\n        <div class="district-wording">'
            f'<span class="label">{t["district_wording"]}</span> '
            f'<span class="pre">{escape(item.text)}</span></div>\n'
            '        <div class="school-wording">'
            f'<span class="label">{t["school_wording"]}</span> '
            f'<span class="pre">{escape(item.school_text)}</span></div>\n      </div>'
        )
    else:
        out.append(f'\n      <span class="pre">{escape(item.text)}</span>')
    if id_ in page.conflicted:
        fields = escape(", ".join(sorted(page.conflicted[id_])))
        out.append(f' <span class="badge in-conflict" title="{fields}">{t["in_conflict"]}</span>')
    out.append("\n      ")
    if item.result:
        out.append(f'<br><small class="muted">{t["result"]}: {escape(item.result)}</small>')
    for event in remarks_here or ():
        out.append(
            f'\n        <div class="remark"><strong>{t["remark"]}:</strong> '
            f'<span class="pre">{escape(event.text)}</span> '
            f'<small class="muted">({escape(event.author_name)})</small></div>'
        )
    if page.can_review:
        remark = escape(page.remarks.get(item.uuid, ""))
        out.append(
            f'\n        <details class="remark-input"{" open" if remark else ""}>'
            f"<summary>{t['remark_on_item']}</summary>\n"
            f'          <textarea name="comment-{escape(item.uuid)}" form="return-form" rows="2" '
            f'aria-label="{t["remark_on_item"]} {number}">{remark}</textarea></details>'
        )
    out.append("\n    </td>")

    if page.cols["deadline_text"]:
        badge = f'<br><span class="badge overdue-badge">{t["overdue"]}</span>' if is_overdue else ""
        out.append(f'\n    <td data-label="{t["deadline"]}">{deadline_html(item)}{badge}</td>')
    if page.cols["responsible"]:
        out.append(
            f'\n    <td class="pre" data-label="{t["responsible"]}">{escape(item.responsible)}</td>'
        )

    # Progress: the state, when and what was done, and the school's «mark done».
    sync = page.sync_badge("roadmap_item", id_, item.school_id) if page.on_copy else ""
    out.append(
        f'\n    <td data-label="{t["progress"]}">\n      {page.status_badges[item.status]} {sync}'
    )
    if item.done_on:
        out.append(f"<br><small>{item.done_on.strftime('%d.%m.%Y')}</small>")
    out.append("\n      ")
    if item.progress_note:
        out.append(f'<div class="pre small">{escape(item.progress_note)}</div>')
    if page.can_edit and (item.status != "done" or page.done_form is not None):
        out.append(_done_form(page, item, item_url))
    out.append("\n    </td>")

    if page.cols["evidence"]:
        out.append(_evidence(page, item, item_url))
    if page.cols["actions"]:
        out.append('\n    <td class="row-actions no-print">')
        if page.can_edit:
            out.append(
                f'\n      <a href="{item_url}/edit"\n         hx-get="{item_url}/edit"\n'
                f'         hx-target="#item-{id_}" hx-swap="outerHTML">{t["edit"]}</a>'
            )
            if item.is_own:
                confirm = Markup(_("Delete item %(n)s?")) % {"n": item.number}
                out.append(
                    f'\n      <form method="post" action="{item_url}/delete" class="inline">\n'
                    f'        <input type="hidden" name="csrf_token" value="{page.csrf}">\n'
                    f'        <button type="submit" class="link danger" data-confirm="{confirm}">'
                    f"{t['delete']}</button>\n      </form>"
                )
        out.append("\n    </td>")
    out.append("\n  </tr>")
    return "".join(out)


def _done_form(page: _Page, item: Any, item_url: str) -> str:
    """«Отметить выполнение», folded; open, with what was typed and why it was refused,
    when the page comes back with ``done_form``."""
    t, df = page.t, page.done_form
    if df is not None:
        done_on = df.done_on._value()
        note = df.progress_note.data or ""
        url = df.url.data or ""
    else:
        done_on = (item.done_on or page.today).isoformat()
        note, url = item.progress_note, ""

    def errors(name: str) -> str:
        # After the field they are about, a space apart (as the template wrote them).
        messages = getattr(df, name).errors if df is not None else ()
        return "\n          " + _errors(messages, "span", ' class="error"')

    conflict = f'<p class="error" role="alert">{escape(page.conflict)}</p>' if page.conflict else ""
    refusals = _errors(df.form_errors if df is not None else (), "p", ' class="error" role="alert"')
    invalid = ' aria-invalid="true"' if df is not None and df.progress_note.errors else ""
    return (
        f'\n      <details class="mark-done no-print"{" open" if df is not None else ""}>'
        f"<summary>{t['mark_done']}</summary>\n"
        f'        <form method="post" enctype="multipart/form-data" action="{item_url}/done"\n'
        f'              hx-post="{item_url}/done" hx-encoding="multipart/form-data"\n'
        f'              hx-target="#item-{item.id}" hx-swap="outerHTML" novalidate>\n'
        f'          <input type="hidden" name="csrf_token" value="{page.csrf}">\n'
        f'          <input type="hidden" name="revision" value="{escape(item.revision)}">\n'
        f"          {conflict}\n"
        f"          {refusals}\n"
        f"          <label>{t['date_done']}\n"
        f'            <input type="date" name="done_on" value="{escape(done_on)}"></label>'
        + errors("done_on")
        + f"\n          <label>{t['what_was_done']}\n"
        f'            <textarea name="progress_note" rows="2"{invalid}>{escape(note)}</textarea>'
        "</label>" + errors("progress_note") + f"\n          <label>{t['evidence_file']}\n"
        f'            <input type="file" name="file" accept="{_ACCEPT}"></label>'
        + errors("file")
        + f"\n          <label>{t['or_link']}\n"
        f'            <input type="url" name="url" placeholder="https://..." value="{escape(url)}">'
        "</label>"
        + errors("url")
        + f'\n          <button type="submit" class="primary">{t["mark_done"]}</button>\n'
        "        </form>\n      </details>"
    )


def _evidence(page: _Page, item: Any, item_url: str) -> str:
    """The files and links attached, each removable by the school, and «Прикрепить»."""
    t = page.t
    out = [f'\n    <td class="evidence-cell" data-label="{t["evidence"]}">']
    evidence = item.evidence
    if evidence:
        labels = iter(link_labels([e.url for e in evidence if not e.is_file]))
        for e in evidence:
            out.append('\n        <div class="evidence">\n          ')
            if e.is_file:
                size = int(round(e.size / 1024, 0))
                out.append(
                    f'<a href="{page.base}/evidence/{e.id}">{escape(e.filename)}</a> '
                    f'<small class="muted">{size} КБ</small>'
                )
            else:
                label = str(escape(next(labels))).replace("/", "/<wbr>")
                out.append(
                    f'<a href="{escape(e.url)}" title="{escape(e.url)}" '
                    f'rel="noopener noreferrer" target="_blank">{label}</a>'
                )
            if page.can_edit:
                out.append(
                    f'\n          <form method="post" action="{page.base}/evidence/{e.id}/delete"'
                    ' class="inline no-print">\n'
                    f'            <input type="hidden" name="csrf_token" value="{page.csrf}">\n'
                    f'            <button type="submit" class="link danger" title="{t["remove"]}"'
                    f' data-confirm="{t["remove_evidence"]}">×</button>\n          </form>'
                )
            out.append("\n        </div>")
    if page.can_edit:
        out.append(
            f'\n      <details class="add-evidence no-print"><summary>{t["attach"]}</summary>\n'
            '        <form method="post" enctype="multipart/form-data"'
            f' action="{item_url}/evidence">\n'
            f'          <input type="hidden" name="csrf_token" value="{page.csrf}">\n'
            f'          <input type="file" name="file" accept="{_ACCEPT}"'
            f' aria-label="{t["file"]}">\n'
            '          <input type="url" name="url" placeholder="https://..."'
            f' aria-label="{t["or_link"]}">\n'
            f'          <button type="submit">{t["attach"]}</button>\n'
            "        </form>\n      </details>"
        )
    out.append("\n    </td>")
    return "".join(out)
