"""Every import page (schools, plans, ВПР results) refuses a file over the import limit
beside the file field, in Russian, and stages nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.uploads.models import StagedUpload


@pytest.mark.parametrize(
    ("url", "name", "fields"),
    [
        ("/schools/import", "schools.csv", {}),
        ("/plans/import", "plan.docx", {}),
        ("/objectivity/import", "vpr.xlsx", {}),
    ],
)
def test_a_file_over_the_import_limit_is_refused_and_nothing_is_staged(
    app, client, make, login_as, url, name, fields
):
    login_as(make.user(Role.DISTRICT_ADMIN))
    app.config["IMPORT_MAX_BYTES"] = 1024
    try:
        r = client.post(
            url,
            data={**fields, "file": (io.BytesIO(b"x" * 2048), name)},
            content_type="multipart/form-data",
        )
    finally:
        app.config["IMPORT_MAX_BYTES"] = 5 * 1024 * 1024
    assert r.status_code == 200 and "Файл больше" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StagedUpload)) == 0
