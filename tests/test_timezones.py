"""A district's time zone: its days end at midnight there, and its pages show times in it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from intranet.extensions import db
from intranet.review import services as review
from intranet.roadmaps.models import SchoolRoadmap
from intranet.schools.models import District
from intranet.timezones import ZONES, today_in
from tests.fixtures.roadmaps import element, text_of


@pytest.mark.parametrize(
    ("zone", "local_day"),
    [
        # 15:30 UTC on the 1st of March: still the 1st in Kaliningrad and Moscow, already
        # the 2nd in Vladivostok, where a form due on the 1st is now overdue.
        ("Europe/Kaliningrad", date(2026, 3, 1)),
        ("Europe/Moscow", date(2026, 3, 1)),
        ("Asia/Irkutsk", date(2026, 3, 1)),
        ("Asia/Vladivostok", date(2026, 3, 2)),
    ],
)
def test_the_day_ends_at_midnight_in_the_district(zone, local_day):
    assert today_in(zone, datetime(2026, 3, 1, 15, 30, tzinfo=UTC)) == local_day


def test_zones_run_from_kaliningrad_to_primorye():
    offsets = [offset for _name, offset in ZONES]
    assert offsets == [f"UTC+{n}" for n in range(2, 11)]
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    for name, offset in ZONES:
        assert winter.astimezone(ZoneInfo(name)).utcoffset().seconds == int(offset[4:]) * 3600


def test_a_new_district_is_on_moscow_time(make):
    assert make.district().time_zone == "Europe/Moscow"


def _submitted_at(published, moment: datetime) -> None:
    review.submit(published.head, published.roadmap)
    db.session.execute(
        update(SchoolRoadmap)
        .where(SchoolRoadmap.id == published.roadmap.id)
        .values(review_state_at=moment)
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Kaliningrad", "01.03.2026 22:00"),
        ("Europe/Moscow", "01.03.2026 23:00"),
        ("Asia/Vladivostok", "02.03.2026 06:00"),
    ],
)
def test_times_on_pages_are_in_the_districts_zone(client, published, login_as, zone, shown):
    db.session.execute(
        update(District).where(District.id == published.district.id).values(time_zone=zone)
    )
    db.session.commit()
    _submitted_at(published, datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
    login_as(published.reviewer)
    waiting = element(text_of(client.get("/district/")), "waiting")
    assert shown in waiting.text_content()


def test_the_time_zone_is_set_from_the_command_line(runner, app_ctx):
    result = runner.invoke(
        args=["districts", "create", "УО Приморья", "--time-zone", "Asia/Vladivostok"]
    )
    assert result.exit_code == 0, result.output
    district = db.session.scalar(db.select(District).where(District.name == "УО Приморья"))
    assert district.time_zone == "Asia/Vladivostok"
    refused = runner.invoke(
        args=["districts", "time-zone", "Europe/London", "--district", str(district.id)]
    )
    assert refused.exit_code != 0
    ok = runner.invoke(
        args=["districts", "time-zone", "Europe/Kaliningrad", "--district", str(district.id)]
    )
    assert ok.exit_code == 0, ok.output
    db.session.expire_all()
    assert db.session.get(District, district.id).time_zone == "Europe/Kaliningrad"
    assert "Europe/Kaliningrad" in runner.invoke(args=["districts", "list"]).output


@pytest.mark.parametrize(
    ("zone", "on_time"),
    [
        # Submitted at 20:00 UTC on the due date: 23:00 in Moscow, but 06:00 of the next
        # day in Vladivostok, where the form came late.
        ("Europe/Moscow", 1),
        ("Asia/Vladivostok", 0),
    ],
)
def test_on_time_means_before_midnight_in_the_district(make, zone, on_time):
    from datetime import timedelta

    from intranet.auth.roles import Role
    from intranet.inspections import services as inspections
    from intranet.inspections.models import Campaign, Submission
    from tests.inspections.conftest import SCHEMA, launch, submission_of

    admin = make.user(Role.DISTRICT_ADMIN)
    admin.district.time_zone = zone
    school = make.school(admin.district)
    template = inspections.create_template(admin, admin.district_id, "Форма", "", SCHEMA)
    inspections.publish_version(admin, template.latest)
    due = date.today() + timedelta(days=3)
    campaign = launch(admin, template, due=due)
    sub = submission_of(campaign, school)
    db.session.execute(
        update(Submission)
        .where(Submission.id == sub.id)
        .values(first_submitted_at=datetime.combine(due, datetime.min.time(), UTC).replace(hour=20))
    )
    inspections.refresh_campaign_counts(campaign.id)
    db.session.commit()
    counted = db.session.get(Campaign, campaign.id)
    db.session.refresh(counted)
    assert (counted.submitted_count, counted.on_time_count) == (1, on_time)
