"""The worlds the reports are printed from: a published plan, a campaign, a year of ВПР."""

from __future__ import annotations

import pytest

from intranet.objectivity import importer
from tests.acts.conftest import control  # noqa: F401  (a fixture)
from tests.inspections.conftest import insp  # noqa: F401  (a fixture)
from tests.objectivity.conftest import TITLE
from tests.objectivity.conftest import vpr as vpr_world  # noqa: F401  (a fixture)
from tests.objectivity.files import xlsx


@pytest.fixture
def vpr(vpr_world):  # noqa: F811
    """The objectivity district with its 2024 mathematics grade 5 imported (markers made)."""
    parsed = importer.parse(
        vpr_world["district"].id, xlsx(vpr_world["rows"], title=TITLE), "r.xlsx"
    )
    importer.apply(vpr_world["admin"], vpr_world["district"].id, parsed, "r.xlsx")
    return vpr_world
