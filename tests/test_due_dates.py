"""Due dates: clock hours run straight through; business hours skip nights, weekends and NZ holidays."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from jobs.due_dates import add_target, due_dates_for
from tests.factories import PriorityFactory

NZ = ZoneInfo("Pacific/Auckland")


def nz(*args) -> datetime:
    return datetime(*args, tzinfo=NZ)


def test_clock_hours_run_through_the_night():
    assert add_target(nz(2026, 11, 27, 16, 30), Decimal("4"), business_hours=False) == nz(2026, 11, 27, 20, 30)


def test_business_hours_skip_the_weekend():
    # Friday 4pm + 2 business hours: one hour on Friday, one on Monday from 8am.
    assert add_target(nz(2026, 11, 27, 16, 0), Decimal("2"), business_hours=True) == nz(2026, 11, 30, 9, 0)


def test_business_hours_skip_wellington_anniversary_day():
    # Logged late on the Friday before Wellington Anniversary Day (Monday 25 January 2027):
    # 30 minutes on Friday, Monday is a holiday, then 9 h Tuesday, 9 h Wednesday, 8.5 h Thursday.
    due = add_target(nz(2027, 1, 22, 16, 30), Decimal("27"), business_hours=True)
    assert due == nz(2027, 1, 28, 16, 30)


def test_business_hours_started_after_hours_on_a_saturday_begin_on_monday_morning():
    assert add_target(nz(2026, 11, 28, 22, 15), Decimal("1.5"), business_hours=True) == nz(2026, 11, 30, 9, 30)


def test_business_hours_skip_christmas_and_boxing_day_observed():
    # Thursday 24 December 2026, 4pm + 3 business hours: Fri 25 and Mon 28 (Boxing Day observed) are holidays.
    assert add_target(nz(2026, 12, 24, 16, 0), Decimal("3"), business_hours=True) == nz(2026, 12, 29, 10, 0)


def test_clock_hours_cross_the_daylight_saving_change_by_real_elapsed_time():
    # NZ daylight saving starts 2am Sunday 27 September 2026: 4 real hours from midnight is 5am local.
    assert add_target(nz(2026, 9, 27, 0, 0), Decimal("4"), business_hours=False) == nz(2026, 9, 27, 5, 0)


@pytest.mark.django_db
def test_due_dates_for_a_priority_give_attendance_before_resolution():
    priority = PriorityFactory(name="P9", label="Test", attendance_target_hours=Decimal("27"),
                               resolution_target_hours=Decimal("90"), business_hours=True)
    attend, resolve = due_dates_for(notified_at=nz(2027, 1, 22, 16, 30), priority=priority)
    assert attend == nz(2027, 1, 28, 16, 30)
    # 90 business hours = 10 working days; the anniversary Monday pushes it one day further.
    assert resolve == nz(2027, 2, 9, 16, 30)
