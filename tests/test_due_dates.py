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


def test_business_hours_run_over_a_weekend_from_friday_into_monday():
    # Friday 27 November 2026, 11:00 + 12 business hours: 6 h Friday, then Monday 08:00 + 6 h.
    assert add_target(nz(2026, 11, 27, 11, 0), Decimal("12"), business_hours=True) == nz(2026, 11, 30, 14, 0)


def test_business_hours_skip_wellington_anniversary_day_only_in_wellington(settings):
    # Monday 25 January 2027 is Wellington Anniversary Day; Auckland's is Monday 1 February.
    friday = nz(2027, 1, 22, 16, 0)
    assert add_target(friday, Decimal("2"), business_hours=True) == nz(2027, 1, 26, 9, 0)
    settings.HOLIDAY_SUBDIVISION = "AUK"
    assert add_target(friday, Decimal("2"), business_hours=True) == nz(2027, 1, 25, 9, 0)


def test_business_hours_across_the_daylight_saving_change_count_working_hours_not_elapsed():
    # Friday 25 September 2026 16:00 NZST + 2 business hours: 1 h Friday, then Monday 28th 08:00 NZDT + 1 h,
    # although the clocks went forward on the Sunday.
    due = add_target(nz(2026, 9, 25, 16, 0), Decimal("2"), business_hours=True)
    assert due == nz(2026, 9, 28, 9, 0)
    assert due.utcoffset().total_seconds() == 13 * 3600


@pytest.mark.parametrize(("start", "expected"), [
    (nz(2026, 11, 30, 6, 45), nz(2026, 11, 30, 11, 0)),   # before opening: counts from 08:00
    (nz(2026, 11, 30, 17, 0), nz(2026, 12, 1, 11, 0)),    # at closing: from the next morning
    (nz(2026, 11, 30, 21, 30), nz(2026, 12, 1, 11, 0)),   # in the evening: from the next morning
    (nz(2026, 11, 29, 12, 0), nz(2026, 11, 30, 11, 0)),   # on a Sunday: from Monday morning
])
def test_business_hours_started_outside_working_hours_count_from_the_next_opening(start, expected):
    assert add_target(start, Decimal("3"), business_hours=True) == expected


@pytest.mark.parametrize(("hours", "expected"), [
    (Decimal("0.25"), nz(2026, 11, 30, 10, 15)),
    (Decimal("1.75"), nz(2026, 11, 30, 11, 45)),
    (Decimal("7"), nz(2026, 11, 30, 17, 0)),            # lands on closing: stays that day
    (Decimal("7.01"), nz(2026, 12, 1, 8, 0, 36)),
    (0.1, nz(2026, 11, 30, 10, 6)),                      # a float is taken as written
])
def test_business_hours_take_fractional_hours_to_the_second(hours, expected):
    assert add_target(nz(2026, 11, 30, 10, 0), hours, business_hours=True) == expected


def test_business_hours_far_from_today_extend_the_calendar_on_demand():
    # Christmas 2031 (Thursday, Boxing Day Friday) and New Year 2032 (Thursday 1 and Friday 2 January).
    assert add_target(nz(2031, 12, 24, 16, 0), Decimal("2"), business_hours=True) == nz(2031, 12, 29, 9, 0)
    assert add_target(nz(2031, 12, 31, 16, 0), Decimal("2"), business_hours=True) == nz(2032, 1, 5, 9, 0)
    # And backwards in time, and a target more than a year of working hours away.
    assert add_target(nz(2019, 12, 24, 16, 0), Decimal("3"), business_hours=True) == nz(2019, 12, 27, 10, 0)
    far = add_target(nz(2026, 11, 30, 8, 0), Decimal("4500"), business_hours=True)
    assert far == _walk(nz(2026, 11, 30, 8, 0), Decimal("4500")) and far.year == 2028


def _walk(start: datetime, hours: Decimal) -> datetime:
    """The slow, obvious rule, day by day: what the fast calendar must agree with."""
    from datetime import time, timedelta

    import holidays

    public = holidays.country_holidays("NZ", subdiv="WGN")
    left = timedelta(hours=float(hours))
    day, moment = start.date(), start
    while True:
        opens, closes = (datetime.combine(day, time(8), tzinfo=NZ), datetime.combine(day, time(17), tzinfo=NZ))
        if day.weekday() < 5 and day not in public and moment < closes:
            begin = max(moment, opens)
            if closes - begin >= left:
                return begin + left
            left -= closes - begin
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=NZ)


def test_business_hours_agree_with_the_day_by_day_rule_for_many_starts():
    import random

    rng = random.Random(2026)
    for _ in range(300):
        start = datetime.fromtimestamp(nz(2025, 1, 1).timestamp() + rng.random() * 3 * 365 * 86400, NZ)
        start = start.replace(second=0, microsecond=0)
        hours = Decimal(rng.choice(["0.5", "1", "4", "8.25", "27", "36", "90", "180"]))
        assert add_target(start, hours, business_hours=True) == _walk(start, hours), (start, hours)


def test_the_benchmark_uses_the_same_business_hours_rule_on_floats():
    from jobs.due_dates import business_calendar, business_time_after

    calendar = business_calendar(first_year=2026, last_year=2027)  # what bench/seed.py calls
    start = nz(2027, 1, 22, 16, 30)
    assert abs(calendar.add(start.timestamp(), 27.0) - nz(2027, 1, 28, 16, 30).timestamp()) < 1e-3

    start = nz(2027, 1, 22, 16, 30)
    due = business_time_after(start.timestamp(), 27.0)
    assert abs(due - nz(2027, 1, 28, 16, 30).timestamp()) < 1e-3
    assert business_time_after(start.timestamp(), 0.0) == start.timestamp()
    with pytest.raises(ValueError):
        business_time_after(start.timestamp(), -1.0)
