"""Service-level due dates: clock hours, or business hours that skip weekends and
New Zealand public holidays (with the region's anniversary day) via ``holidays``.

Business hours are counted on a calendar of working days laid out once as sorted
arrays (each day's start and end, and the working seconds before it): adding hours is
two bisects, about a microsecond, so the benchmark and the demo data use the very same
rule as a job's page. The calendar covers a range of years and is rebuilt wider when a
time falls outside it, and forgotten when a test changes the settings it is built from.
"""

from __future__ import annotations

import bisect
import math
import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

HOUR = 3600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WORKING_SECONDS_PER_YEAR = 250 * 8 * HOUR  # a lower bound, to know how far to extend


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class BusinessCalendar:
    """The working days of ``first_year`` to ``last_year``: weekdays, not public holidays,
    from ``day_start`` to ``day_end`` local time (whole seconds since the epoch)."""

    def __init__(self, *, first_year: int, last_year: int, tz_name: str, day_start: str, day_end: str,
                 subdivision: str | None):
        tz = ZoneInfo(tz_name)
        public_holidays = holidays.country_holidays("NZ", subdiv=subdivision or None,
                                                    years=range(first_year, last_year + 1))
        opens, closes = _parse_time(day_start), _parse_time(day_end)
        self.first_year, self.last_year = first_year, last_year
        self.begins = int(datetime.combine(date(first_year, 1, 1), time(0), tzinfo=tz).timestamp())
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.before: list[int] = []  # working seconds in the calendar before each day
        self.through: list[int] = []  # ... and up to the end of it
        total = 0
        day, last = date(first_year, 1, 1), date(last_year, 12, 31)
        while day <= last:
            if day.weekday() < 5 and day not in public_holidays:
                start = int(datetime.combine(day, opens, tzinfo=tz).timestamp())
                end = int(datetime.combine(day, closes, tzinfo=tz).timestamp())
                self.starts.append(start)
                self.ends.append(end)
                self.before.append(total)
                total += end - start
                self.through.append(total)
            day += timedelta(days=1)

    def add(self, t, hours):
        """The POSIX time ``hours`` working hours after POSIX time ``t``, or None when that
        runs past the calendar. Floats give a float (fast); Fractions give an exact Fraction.

        A start outside working hours counts from the next opening; a due time that lands
        exactly on a closing stays on that day (17:00, not 08:00 the next working day).
        """
        if t < self.begins:
            return None
        i = bisect.bisect_right(self.ends, t)
        if i == len(self.ends):
            return None
        target = self.before[i] + max(0, t - self.starts[i]) + hours * HOUR
        j = bisect.bisect_left(self.through, target)
        if j == len(self.through):
            return None
        return self.starts[j] + (target - self.before[j])


_current: BusinessCalendar | None = None  # for the settings in force; widened on demand
_building = threading.Lock()
CALENDAR_SETTINGS = {"TIME_ZONE", "BUSINESS_DAY_START", "BUSINESS_DAY_END", "HOLIDAY_SUBDIVISION"}


@receiver(setting_changed)
def _forget_the_calendar(*, setting, **kwargs):
    global _current
    if setting in CALENDAR_SETTINGS:
        _current = None


def business_calendar(*, first_year: int, last_year: int) -> BusinessCalendar:
    """The calendar for the settings in force, covering at least these years. Its ``add``
    is the whole rule; the benchmark's seeding calls it directly, a million times."""
    global _current
    with _building:
        current = _current
        if current is not None and current.first_year <= first_year and last_year <= current.last_year:
            return current
        if current is not None:
            first_year, last_year = min(first_year, current.first_year), max(last_year, current.last_year)
        _current = BusinessCalendar(first_year=first_year, last_year=last_year, tz_name=settings.TIME_ZONE,
                                    day_start=settings.BUSINESS_DAY_START, day_end=settings.BUSINESS_DAY_END,
                                    subdivision=settings.HOLIDAY_SUBDIVISION or None)
        return _current


def business_time_after(t, hours):
    """``hours`` business hours after POSIX time ``t`` (seconds), as a POSIX time.

    Floats in, float out: the benchmark's seeding calls this for every job. Give
    Fractions for an exact answer (``add_target`` does).
    """
    calendar = _current
    if calendar is not None and hours > 0:
        due = calendar.add(t, hours)
        if due is not None:
            return due
    if hours < 0:
        raise ValueError("Business hours to add cannot be negative.")
    if hours == 0:
        return t
    year = datetime.fromtimestamp(float(t), ZoneInfo(settings.TIME_ZONE)).year
    extra_years = math.ceil(hours * HOUR / WORKING_SECONDS_PER_YEAR) + 1
    calendar = business_calendar(first_year=year - 1, last_year=year + extra_years)
    due = calendar.add(t, hours)
    if due is None:  # cannot happen: the range covers the start and more working time than asked for
        raise RuntimeError(f"Business calendar {calendar.first_year}-{calendar.last_year} too short for {hours} h")
    return due


def add_target(start: datetime, hours: Decimal | float, *, business_hours: bool) -> datetime:
    """The moment ``hours`` of (business or clock) time after ``start``."""
    if not business_hours:
        # In UTC, so a daylight-saving change does not add or lose an hour.
        return start.astimezone(UTC) + timedelta(hours=float(hours))
    micros = (start - EPOCH) // timedelta(microseconds=1)
    exact_hours = Fraction(hours) if isinstance(hours, (int, Decimal, Fraction)) else Fraction(str(hours))
    due = business_time_after(Fraction(micros, 1_000_000), exact_hours)
    return (EPOCH + timedelta(microseconds=round(due * 1_000_000))).astimezone(ZoneInfo(settings.TIME_ZONE))


def due_dates_for(*, notified_at: datetime, priority) -> tuple[datetime, datetime]:
    """Attendance and resolution due times, counted from the customer's notification."""
    return (
        add_target(notified_at, priority.attendance_target_hours, business_hours=priority.business_hours),
        add_target(notified_at, priority.resolution_target_hours, business_hours=priority.business_hours),
    )
