"""When a call-back is due: the delay, the business day, public holidays and the customer's best time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from feedback.scheduling import best_time_read, callback_due_at

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
    ("before 9am", ("07:00", "09:00")),
    ("between 10 and 2", ("10:00", "14:00")),
    ("1-3pm", ("13:00", "15:00")),
    ("any time", None),
    ("", None),
])
def test_best_time_text_is_read_as_a_window(text, window):
    found = best_time_read(text).windows
    assert (tuple(t.strftime("%H:%M") for t in found[0]) if found else None) == window


def test_callback_due_time_before_9am_is_rung_when_the_office_opens():
    assert callback_due_at(completed_at=at(2026, 3, 4, 9, 30), best_time="before 9am") == at(2026, 3, 5, 8, 0)


# Words that once read as an empty window and made the due time raise -----------------------------

@pytest.mark.parametrize(("text", "completed", "due"), [
    # "by 8" / "before 8": any time up to 8 pm, so business hours apply.
    ("by 8", at(2026, 3, 4, 10, 15), at(2026, 3, 4, 11, 15)),
    ("before 8", at(2026, 3, 4, 16, 30), at(2026, 3, 5, 8, 0)),
    # "before 8am": the customer's own early hour, before the office opens.
    ("before 8am", at(2026, 3, 4, 10, 0), at(2026, 3, 5, 7, 0)),
    ("till 9", at(2026, 3, 4, 10, 0), at(2026, 3, 5, 8, 0)),
    ("between 7 and 8pm", at(2026, 3, 4, 10, 0), at(2026, 3, 4, 19, 0)),
    ("7-8", at(2026, 3, 4, 19, 30), at(2026, 3, 5, 19, 0)),
])
def test_callback_due_time_for_words_that_once_read_as_an_empty_window(text, completed, due):
    assert callback_due_at(completed_at=completed, best_time=text) == due


def test_callback_due_time_weekends_falls_on_saturday_in_business_hours():
    # Wednesday 4 March 2026: the next Saturday is the 7th.
    assert callback_due_at(completed_at=at(2026, 3, 4, 10, 0), best_time="weekends") == at(2026, 3, 7, 8, 0)


def test_callback_due_time_saturday_evenings_is_rung_on_saturday_by_8pm():
    assert callback_due_at(completed_at=at(2026, 3, 7, 18, 0), best_time="saturday evenings") == at(2026, 3, 7, 19, 0)
    assert callback_due_at(completed_at=at(2026, 3, 7, 19, 30), best_time="saturday evenings") == at(2026, 3, 14, 17, 0)


def test_callback_due_time_not_fridays_skips_friday():
    # Thursday 5 March 2026 late: Friday the 6th is excluded, the weekend is not business days.
    assert callback_due_at(completed_at=at(2026, 3, 5, 16, 30), best_time="not Fridays") == at(2026, 3, 9, 8, 0)


def test_callback_due_time_asap_is_the_first_business_hours_moment():
    assert callback_due_at(completed_at=at(2026, 3, 6, 16, 30), best_time="asap") == at(2026, 3, 9, 8, 0)


def test_callback_due_time_unreadable_words_give_business_hours():
    assert callback_due_at(completed_at=at(2026, 3, 4, 16, 30), best_time="ring my son Tom") == at(2026, 3, 5, 8, 0)
    assert callback_due_at(completed_at=at(2026, 3, 4, 10, 0), best_time="after 9pm") == at(2026, 3, 4, 11, 0)


def test_callback_due_time_weekends_skip_a_public_holiday_on_a_weekend():
    # Saturday 26 December 2026 is Boxing Day; Sunday 27th is not a holiday.
    assert callback_due_at(completed_at=at(2026, 12, 24, 12, 0), best_time="weekends") == at(2026, 12, 27, 8, 0)
