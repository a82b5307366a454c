"""The forms world of tests/inspections (a campaign sent to two schools), for the merge tests."""

from tests.inspections.conftest import insp  # noqa: F401  (a fixture)
