"""Service-level due dates: clock hours, or business hours that skip weekends and
New Zealand public holidays (with the region's anniversary day) via ``holidays``."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import businesstimedelta
import holidays
import pytz
from django.conf import settings


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=1)
def business_rules() -> businesstimedelta.Rules:
    tz = pytz.timezone(settings.TIME_ZONE)  # businesstimedelta localises with pytz
    workday = businesstimedelta.WorkDayRule(
        start_time=_parse_time(settings.BUSINESS_DAY_START),
        end_time=_parse_time(settings.BUSINESS_DAY_END),
        working_days=[0, 1, 2, 3, 4],
        tz=tz,
    )
    public_holidays = holidays.country_holidays("NZ", subdiv=settings.HOLIDAY_SUBDIVISION or None)
    return businesstimedelta.Rules([workday, businesstimedelta.HolidayRule(public_holidays, tz=tz)])


def add_target(start: datetime, hours: Decimal | float, *, business_hours: bool) -> datetime:
    """The moment ``hours`` of (business or clock) time after ``start``."""
    if not business_hours:
        # In UTC, so a daylight-saving change does not add or lose an hour.
        return start.astimezone(UTC) + timedelta(hours=float(hours))
    local = start.astimezone(pytz.timezone(settings.TIME_ZONE))
    whole_hours = int(hours)
    seconds = round((float(hours) - whole_hours) * 3600)
    due = local + businesstimedelta.BusinessTimeDelta(business_rules(), hours=whole_hours, seconds=seconds)
    return due.astimezone(ZoneInfo(settings.TIME_ZONE))


def due_dates_for(*, notified_at: datetime, priority) -> tuple[datetime, datetime]:
    """Attendance and resolution due times, counted from the customer's notification."""
    return (
        add_target(notified_at, priority.attendance_target_hours, business_hours=priority.business_hours),
        add_target(notified_at, priority.resolution_target_hours, business_hours=priority.business_hours),
    )
