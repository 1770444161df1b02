"""When a call-back is due: the completion time plus ``CALLBACK_DELAY_MINUTES``, moved to the
first moment that suits both sides: the council's business hours (``BUSINESS_DAY_START`` to
``BUSINESS_DAY_END``) on a day that is not an NZ public holiday (the region's anniversary day
included, from the ``holidays`` package), inside the customer's best time to call as
``feedback.best_time`` reads it. Any text gives a due time: words that cannot be read, or cannot
be met, give business hours on a weekday, and the words are shown to the caller.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from .best_time import EARLIEST_CALL, LATEST_CALL, BestTime, Window, best_time_read

__all__ = ["EARLIEST_CALL", "LATEST_CALL", "BestTime", "best_time_read", "callback_due_at", "calling_windows",
           "is_business_day", "is_public_holiday"]


def _parse_setting(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=8)
def _holidays(subdivision: str):
    return holidays.country_holidays("NZ", subdiv=subdivision or None)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day)


def is_public_holiday(day: date) -> bool:
    return day in _holidays(settings.HOLIDAY_SUBDIVISION)


def calling_windows(best: BestTime) -> list[Window]:
    """The hours of a day to ring this customer: business hours inside their window, or their
    window alone where the two do not overlap (they asked for it)."""
    open_, close = _parse_setting(settings.BUSINESS_DAY_START), _parse_setting(settings.BUSINESS_DAY_END)
    if not best.windows:
        return [(open_, close)]
    windows = []
    for start, end in best.windows:
        inside = (max(open_, start), min(close, end))
        windows.append(inside if inside[0] < inside[1] else (start, end))
    return windows


def _first_moment(*, earliest: datetime, best: BestTime) -> datetime | None:
    tz = earliest.tzinfo
    windows = calling_windows(best)
    day = earliest.date()
    for _ in range(400):
        if day.weekday() in best.days and not is_public_holiday(day):
            moments = []
            for start, end in windows:
                moment = max(earliest, datetime.combine(day, start, tzinfo=tz))
                if moment < datetime.combine(day, end, tzinfo=tz):
                    moments.append(moment)
            if moments:
                return min(moments)
        day += timedelta(days=1)
    return None


def callback_due_at(*, completed_at: datetime, best_time: str = "", delay_minutes: int | None = None) -> datetime:
    """The first moment at least the delay after ``completed_at`` that suits both sides. Any text
    gives a time: words that cannot be read, or cannot be met, give business hours."""
    delay = settings.CALLBACK_DELAY_MINUTES if delay_minutes is None else delay_minutes
    earliest = (completed_at + timedelta(minutes=delay)).astimezone(ZoneInfo(settings.TIME_ZONE))
    best = best_time_read(best_time)
    due = _first_moment(earliest=earliest, best=best)
    if due is None:  # only when the settings leave no business hours at all
        due = _first_moment(earliest=earliest, best=BestTime(words=best.words, understood=False))
    return due or earliest
