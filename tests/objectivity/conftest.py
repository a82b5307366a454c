from __future__ import annotations

import pytest

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.objectivity.models import MarkScale
from tests.objectivity.files import RESULT_HEADER, district_year, pupil, school_pupils

TITLE = "ВПР 2024. Математика, 5 класс"


@pytest.fixture
def vpr(make):
    """A district of five ordinary schools and one that looks too good, with an admin,
    a reviewer, a scale for 2024 mathematics grade 5 (max 20), and the rows of a file."""
    district = make.district()
    schools = {code: make.school(district, code=code) for code in ("s1", "s2", "s3", "s4", "s5")}
    schools["top"] = make.school(district, code="top", short_name="Гимназия «Успех»")
    schools["tiny"] = make.school(district, code="tiny", short_name="Малокомплектная ООШ")
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district)
    db.session.add(
        MarkScale(
            district_id=district.id,
            year=2024,
            subject="Математика",
            grade=5,
            min3=6,
            min4=11,
            min5=16,
            max_score=20,
        )
    )
    db.session.commit()
    rows = district_year(["s1", "s2", "s3", "s4", "s5"], 20)
    # Top: every pupil just above the «5» boundary, and the journal ranks them the
    # other way round: both federal markers.
    top_scores = [16, 16, 16, 17, 16, 16, 17, 16, 16, 20, 19, 20, 20, 19, 20, 20, 19, 20, 20, 20]
    top_journal = [5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3]
    rows += school_pupils("top", top_scores, top_journal, start=500)
    rows += school_pupils("tiny", [10, 12, 14, 9, 20], [3, 4, 4, 3, 5], start=600)
    rows.append(pupil("s1", 700, 0, 2, None, absent=True))
    return {
        "district": district,
        "schools": schools,
        "admin": admin,
        "reviewer": reviewer,
        "rows": [RESULT_HEADER, *rows],
    }
