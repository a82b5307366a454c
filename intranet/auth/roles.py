"""The four roles and what each may reach."""

from __future__ import annotations

from enum import StrEnum

from intranet.i18n import lazy_gettext as _l


class Role(StrEnum):
    SCHOOL_STAFF = "school_staff"
    SCHOOL_HEAD = "school_head"
    DISTRICT_REVIEWER = "district_reviewer"
    DISTRICT_ADMIN = "district_admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_school(self) -> bool:
        return self in SCHOOL_ROLES

    @property
    def is_district(self) -> bool:
        return self in DISTRICT_ROLES


ROLE_LABELS = {
    Role.SCHOOL_STAFF: _l("School staff"),
    Role.SCHOOL_HEAD: _l("School head"),
    Role.DISTRICT_REVIEWER: _l("District reviewer"),
    Role.DISTRICT_ADMIN: _l("District administrator"),
}

SCHOOL_ROLES = frozenset({Role.SCHOOL_STAFF, Role.SCHOOL_HEAD})
DISTRICT_ROLES = frozenset({Role.DISTRICT_REVIEWER, Role.DISTRICT_ADMIN})
ALL_ROLES = frozenset(Role)
