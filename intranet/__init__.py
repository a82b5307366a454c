"""District intranet: roadmaps, self-inspections and district control of schools."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, instance config, ``INTRANET_*`` environment, then ``config``."""
    app = Flask(
        __name__,
        # A school's offline copy keeps its database and key wherever it is told to.
        instance_path=os.environ.get("INTRANET_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from intranet import settings

    settings.init_config(app, config)
    init_extensions(app)
    init_routing(app)
    init_blueprints(app)
    init_web(app)
    init_school_mode(app)
    init_assets(app)
    init_cli(app)
    return app


def init_extensions(app: Flask) -> None:
    from intranet import extensions

    extensions.init_app(app)


def init_routing(app: Flask) -> None:
    from intranet import web

    web.init_routing(app)


def init_blueprints(app: Flask) -> None:
    from intranet.acts.views import bp as acts_bp
    from intranet.audit.views import bp as audit_bp
    from intranet.auth.views import bp as auth_bp
    from intranet.changelog.views import bp as changelog_bp
    from intranet.home.views import bp as home_bp
    from intranet.inspections.views import bp as inspections_bp
    from intranet.inspections.views import campaigns_bp, forms_bp
    from intranet.objectivity.views import bp as objectivity_bp
    from intranet.roadmaps.plan_views import bp as plans_bp
    from intranet.roadmaps.views import bp as roadmaps_bp
    from intranet.schools.views import bp as schools_bp
    from intranet.users.views import bp as users_bp
    from sync.views import bp as sync_bp

    for bp in (
        auth_bp,
        home_bp,
        schools_bp,
        users_bp,
        audit_bp,
        plans_bp,
        roadmaps_bp,
        forms_bp,
        campaigns_bp,
        inspections_bp,
        objectivity_bp,
        sync_bp,
        changelog_bp,
        acts_bp,
    ):
        app.register_blueprint(bp)


def init_web(app: Flask) -> None:
    from intranet import busy, chrome, web

    web.init_app(app)
    chrome.init_app(app)
    busy.init_app(app)


def init_school_mode(app: Flask) -> None:
    from intranet import schoolcopy

    schoolcopy.init_app(app)


def init_assets(app: Flask) -> None:
    from intranet import assets

    assets.init_app(app)


def init_cli(app: Flask) -> None:
    from intranet import cli

    cli.init_app(app)
