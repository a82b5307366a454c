"""The inline edit of one item (of a plan or of a school's roadmap), with stale-edit
protection: saved, the row comes back (htmx) or the page does; refused or overtaken by
another person's save, the form comes back with the reason and what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, render_template

from intranet.errors import Refused
from intranet.extensions import htmx
from intranet.i18n import gettext as _
from intranet.roadmaps.services import StaleEdit


def edit_item(
    item: Any,
    form: Any,
    save: Callable[[], None],
    row: Callable[[], Any],
    back: Callable[[], Any],
    row_id: str,
    templates: tuple[str, str],
    context: dict[str, Any],
):
    """``templates`` are (the form alone, swapped into the row; the whole edit page)."""
    conflict = None
    if form.validate_on_submit():
        try:
            save()
        except StaleEdit as exc:
            conflict = exc
            form.set_revision(item.revision)
        except Refused as exc:
            exc.attach(form)
        else:
            if htmx:
                return row()
            flash(_("Item %(n)s saved.", n=item.number), "success")
            return back()
    context = {**context, "item": item, "form": form, "conflict": conflict}
    partial, page = templates
    return render_template(partial if htmx and htmx.target == row_id else page, **context)
