"""When a call-back is due: the completion time plus ``CALLBACK_DELAY_MINUTES``, moved into
the council's business hours (weekdays that are not NZ public holidays, the region's
anniversary day included) and into the customer's stated best time to call.

The best time is free text typed during the call ("mornings", "after 5pm", "lunchtime",
"between 10 and 2"). What it says is honoured on a business day; when it does not overlap
the business day at all (after 5pm with a day ending at 17:00) the customer's own window
wins, on a business day, because they asked for it. Text that names no time ("any time")
leaves the business hours as they are.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

LATEST_CALL = time(20, 0)  # nobody is rung later than this, whatever they said
NAMED_WINDOWS = (
    (re.compile(r"\bmorning"), time(8, 0), time(12, 0)),
    (re.compile(r"\blunch"), time(12, 0), time(13, 30)),
    (re.compile(r"\bafternoon"), time(12, 0), time(17, 0)),
    (re.compile(r"\b(evening|after work)"), time(17, 0), LATEST_CALL),
)
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
_BETWEEN = re.compile(rf"(?:between\s+)?{_CLOCK}\s*(?:-|–|to|and)\s*{_CLOCK}")
_AFTER = re.compile(rf"\b(?:after|from)\s+{_CLOCK}")
_BEFORE = re.compile(rf"\b(?:before|until|by)\s+{_CLOCK}")


def _parse_setting(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _clock(hours: str, minutes: str | None, meridiem: str | None, *, assume_pm_below: int = 0) -> time | None:
    hour, minute = int(hours), int(minutes or 0)
    if hour > 23 or minute > 59:
        return None
    meridiem = (meridiem or "").replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and hour < assume_pm_below:
        hour += 12  # "between 10 and 2": 2 means 2 in the afternoon
    return time(hour, minute)


def best_time_window(text: str) -> tuple[time, time] | None:
    """The customer's stated window as (from, to) local times, or None when it names no time."""
    text = (text or "").strip().lower()
    if not text:
        return None
    match = _BETWEEN.search(text)
    if match:
        start = _clock(*match.group(1, 2, 3), assume_pm_below=7)
        end = _clock(*match.group(4, 5, 6), assume_pm_below=8)
        if start and end and start < end:
            return start, end
    match = _AFTER.search(text)
    if match:
        start = _clock(*match.group(1, 2, 3), assume_pm_below=7)
        if start and start < LATEST_CALL:
            return start, LATEST_CALL
    match = _BEFORE.search(text)
    if match:
        end = _clock(*match.group(1, 2, 3), assume_pm_below=7)
        if end:
            return min(_parse_setting(settings.BUSINESS_DAY_START), end), end
    for pattern, start, end in NAMED_WINDOWS:
        if pattern.search(text):
            return start, end
    return None


@lru_cache(maxsize=8)
def _holidays(subdivision: str):
    return holidays.country_holidays("NZ", subdiv=subdivision or None)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(settings.HOLIDAY_SUBDIVISION)


def _day_window(best: tuple[time, time] | None) -> tuple[time, time]:
    open_, close = _parse_setting(settings.BUSINESS_DAY_START), _parse_setting(settings.BUSINESS_DAY_END)
    if best is None:
        return open_, close
    start, end = max(open_, best[0]), min(close, best[1])
    if start < end:
        return start, end
    return best  # no overlap with the business day: the customer asked, the customer's window wins


def callback_due_at(*, completed_at: datetime, best_time: str = "", delay_minutes: int | None = None) -> datetime:
    """The first moment at least the delay after ``completed_at`` that suits both sides."""
    delay = settings.CALLBACK_DELAY_MINUTES if delay_minutes is None else delay_minutes
    tz = ZoneInfo(settings.TIME_ZONE)
    earliest = (completed_at + timedelta(minutes=delay)).astimezone(tz)
    start, end = _day_window(best_time_window(best_time))
    day = earliest.date()
    for _ in range(400):
        if is_business_day(day):
            opens = datetime.combine(day, start, tzinfo=tz)
            closes = datetime.combine(day, end, tzinfo=tz)
            candidate = max(earliest, opens)
            if candidate < closes:
                return candidate
        day += timedelta(days=1)
    raise ValueError("No business day within a year: check the holiday settings.")
