"""The web shell: home, page-or-fragment rendering, security headers and error pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from intranet.auth.access import logged_in, public
from intranet.extensions import htmx
from intranet.i18n import gettext as _
from intranet.paging import MAX_INT

bp = Blueprint("web", __name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def render_page(template: str, target: str, partial: str, **context: Any):
    """Render the whole page, or only ``partial`` when HTMX asks to swap ``target``.

    The page includes the very partial, so both always agree. A history restore gets the
    whole page, since htmx swaps it into the body.
    """
    if htmx and htmx.target == target and not htmx.history_restore_request:
        return render_template(partial, **context)
    return render_template(template, **context)


@bp.route("/")
@logged_in
def home():
    if current_user.is_district_staff:
        return redirect(url_for("home.index"))
    return redirect(url_for("schools.detail", school_id=current_user.school_id))


@bp.route("/healthz")
@public
def healthz():
    return {"status": "ok"}


HANDLED_CODES = frozenset({400, 403, 404, 405, 413, 429, 500})


def _error_text(code: int) -> str:
    texts = {
        400: _("The request could not be understood. Reload the page and try again."),
        403: _("Your role does not allow this page."),
        404: _("There is no such page, or it belongs to another school."),
        405: _("This address does not accept this kind of request."),
        413: _("The file is too large. Make it smaller or split it, then try again."),
        429: _("Too many requests. Wait a few minutes and try again."),
        500: _("Something went wrong on the server. Your data was not changed; try again later."),
    }
    return texts.get(code, _("Error."))


def _error_title(code: int) -> str:
    titles = {
        400: _("Bad request"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        413: _("File too large"),
        429: _("Too many requests"),
        500: _("Server error"),
    }
    return titles.get(code, _("Error"))


def render_error(code: int, text: str | None = None):
    return (
        render_template(
            "errors/error.html", code=code, title=_error_title(code), text=text or _error_text(code)
        ),
        code,
    )


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number the database cannot hold is no page (404)
    rather than an error of the database driver (500)."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def init_routing(app: Flask) -> None:
    """Before any blueprint: rules take their converters when they are added."""
    app.url_map.converters["int"] = IdConverter


def init_app(app: Flask) -> None:
    if app.config.get("PROXY_COUNT"):
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400,
            _(
                "The form has expired or was sent from another page. Reload the page; "
                "what you typed was not saved."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code in HANDLED_CODES:
            return render_error(exc.code)
        return exc

    @app.errorhandler(500)
    def server_error(exc):
        return render_error(500)

    @app.before_request
    def force_password_change():
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in {"auth.password", "auth.logout", "static"}
        ):
            return redirect(url_for("auth.password"))
        return None

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.vary.add("HX-Request")
        if request.endpoint != "static":
            # Downloads too (send_file says "no-cache", which still lets a shared PC
            # keep a school's evidence or the district's workbook on disk).
            response.headers["Cache-Control"] = "no-store"
        return response
