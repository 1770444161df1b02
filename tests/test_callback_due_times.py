"""When a call-back is due: the delay, the business day, public holidays and the customer's best time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from feedback.scheduling import best_time_window, callback_due_at

NZ = ZoneInfo("Pacific/Auckland")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=NZ)


@pytest.fixture(autouse=True)
def business_day(settings):
    settings.BUSINESS_DAY_START, settings.BUSINESS_DAY_END = "08:00", "17:00"
    settings.CALLBACK_DELAY_MINUTES = 60
    settings.HOLIDAY_SUBDIVISION = "WGN"


def test_callback_due_time_is_the_completion_plus_the_delay_inside_business_hours():
    # Wednesday 4 March 2026, 10:15 completed: due 11:15 the same day.
    assert callback_due_at(completed_at=at(2026, 3, 4, 10, 15)) == at(2026, 3, 4, 11, 15)


def test_callback_due_time_follows_the_delay_setting(settings):
    settings.CALLBACK_DELAY_MINUTES = 150
    assert callback_due_at(completed_at=at(2026, 3, 4, 10, 0)) == at(2026, 3, 4, 12, 30)


def test_callback_due_time_after_hours_moves_to_the_next_morning():
    assert callback_due_at(completed_at=at(2026, 3, 4, 16, 30)) == at(2026, 3, 5, 8, 0)


def test_callback_due_time_on_friday_evening_moves_to_monday():
    assert callback_due_at(completed_at=at(2026, 3, 6, 18, 0)) == at(2026, 3, 9, 8, 0)


def test_callback_due_time_skips_wellington_anniversary_day():
    # Friday 16 January 2026 late: Monday 19 January is Wellington Anniversary Day.
    assert callback_due_at(completed_at=at(2026, 1, 16, 16, 30)) == at(2026, 1, 20, 8, 0)


def test_callback_due_time_skips_christmas_and_boxing_day():
    # Thursday 24 December 2026 late: 25th and 26th (Saturday, Monday 28th observed) are holidays.
    due = callback_due_at(completed_at=at(2026, 12, 24, 16, 30))
    assert due == at(2026, 12, 29, 8, 0)


def test_callback_due_time_honours_mornings():
    assert callback_due_at(completed_at=at(2026, 3, 4, 11, 30), best_time="mornings") == at(2026, 3, 5, 8, 0)


def test_callback_due_time_honours_lunchtime():
    assert callback_due_at(completed_at=at(2026, 3, 4, 8, 0), best_time="lunchtime") == at(2026, 3, 4, 12, 0)


def test_callback_due_time_after_5pm_uses_the_customers_window_when_it_misses_the_business_day():
    assert callback_due_at(completed_at=at(2026, 3, 4, 9, 0), best_time="after 5pm") == at(2026, 3, 4, 17, 0)


def test_callback_due_time_after_5pm_still_skips_the_weekend():
    assert callback_due_at(completed_at=at(2026, 3, 6, 19, 30), best_time="after 5pm") == at(2026, 3, 9, 17, 0)


def test_callback_due_time_between_two_times_inside_the_business_day():
    assert callback_due_at(completed_at=at(2026, 3, 4, 8, 0), best_time="between 10 and 2") == at(2026, 3, 4, 10, 0)
    assert callback_due_at(completed_at=at(2026, 3, 4, 13, 30), best_time="between 10 and 2") == at(2026, 3, 5, 10, 0)


def test_callback_due_time_any_time_keeps_the_business_hours():
    assert callback_due_at(completed_at=at(2026, 3, 4, 16, 30), best_time="any time") == at(2026, 3, 5, 8, 0)


@pytest.mark.parametrize(("text", "window"), [
    ("mornings", ("08:00", "12:00")),
    ("after 5pm", ("17:00", "20:00")),
    ("after 3.30pm please", ("15:30", "20:00")),
    ("before 9am", ("08:00", "09:00")),
    ("between 10 and 2", ("10:00", "14:00")),
    ("1-3pm", ("13:00", "15:00")),
    ("any time", None),
    ("", None),
])
def test_best_time_text_is_read_as_a_window(text, window):
    found = best_time_window(text)
    assert (None if found is None else tuple(t.strftime("%H:%M") for t in found)) == window
