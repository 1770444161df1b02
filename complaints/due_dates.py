"""Complaint service levels count business days: weekdays that are not NZ public holidays.

A business day is the working day of the settings (08:00 to 17:00 by default), so the
arithmetic is the jobs' business-hours arithmetic: "2 business days" from Friday 10:00 is
Tuesday 10:00, or Wednesday 10:00 when Monday is a holiday.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from jobs.due_dates import _parse_time, add_target


def business_day_hours() -> float:
    start, end = _parse_time(settings.BUSINESS_DAY_START), _parse_time(settings.BUSINESS_DAY_END)
    return (end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60


def add_business_days(start: datetime, days: int) -> datetime:
    return add_target(start, business_day_hours() * days, business_hours=True)


def complaint_due_dates(*, received_at: datetime, service_level) -> tuple[datetime, datetime]:
    """Acknowledgement and resolution due times, counted from when the customer complained."""
    return (
        add_business_days(received_at, service_level.acknowledge_business_days),
        add_business_days(received_at, service_level.resolve_business_days),
    )
