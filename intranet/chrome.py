"""The frame of every page that depends only on who looks, not on the request: the links
to the page's files, the brand and the menu.

Rendered once per role, school and mode and then reused: the menu is a dozen ``url_for``
calls and translations, the same on every page a user opens all day, and was a fifth of
a simple page's server time. What belongs to one person (the name, the CSRF token) stays
in ``base.html`` and is rendered every time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app, render_template, request
from markupsafe import Markup

from intranet.settings import is_school_copy

_KEY = "intranet.chrome"
# Kept per app: district staff share one menu; each school's users one per school.
# An entry is about 2 KB; the least recently used beyond this are rendered again.
MAX_ENTRIES = 2048


class _Renders:
    """A bounded cache of rendered fragments, least recently used out first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, Markup] = OrderedDict()

    def get(self, key: Hashable, render: Callable[[], str]) -> Markup:
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
            return found
        made = Markup(render())
        self.items[key] = made
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return made


def _once(key: Hashable, render: Callable[[], str]) -> Markup:
    app = current_app
    if app.debug or app.jinja_env.auto_reload:
        return Markup(render())  # a developer's edit of the template shows at once
    renders = app.extensions.get(_KEY)
    if renders is None:
        renders = app.extensions[_KEY] = _Renders(MAX_ENTRIES)
    return renders.get((request.script_root, *key), render)


def page_files() -> Markup:
    """The stylesheet and scripts every page links, by their hashed names."""
    return _once(("files",), lambda: render_template("_chrome/files.html"))


def top_menu(user) -> Markup:
    """The brand, the phone's «Меню» toggle and the main menu of ``user``: they depend
    on the role, the school (a school's own pages) and whether this is a school's copy."""
    copy = is_school_copy()
    return _once(
        ("menu", user.role, user.school_id, copy),
        lambda: render_template("_chrome/menu.html", user=user, school_copy=copy),
    )


def init_app(app: Flask) -> None:
    app.jinja_env.globals["page_files"] = page_files
    app.jinja_env.globals["top_menu"] = top_menu
