"""The customer's "best time to call", read as a person means it, and a due time for any words."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.best_time import EARLIEST_CALL, LATEST_CALL, WEEKDAYS, best_time_read
from feedback.scheduling import callback_due_at, calling_windows, is_public_holiday

WEEKEND = "Sat Sun"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def read(text: str) -> tuple[tuple[str, ...], str, bool]:
    """(windows as "HH:MM-HH:MM", days as "weekdays" or "Sat Sun", understood)."""
    best = best_time_read(text)
    windows = tuple(f"{start:%H:%M}-{end:%H:%M}" for start, end in best.windows)
    days = "weekdays" if best.days == WEEKDAYS else " ".join(DAYS[d] for d in sorted(best.days))
    return windows, days, best.understood


NOT_READ = ((), "weekdays", False)


@pytest.mark.parametrize(("text", "expected"), [
    # The phrases that made "Complete job" fail: an empty window.
    ("by 8", (("07:00-20:00",), "weekdays", True)),
    ("before 8", (("07:00-20:00",), "weekdays", True)),
    ("By 7", (("07:00-19:00",), "weekdays", True)),
    ("before 8am", (("07:00-08:00",), "weekdays", True)),
    ("till 9", (("07:00-09:00",), "weekdays", True)),
    ("until 5", (("07:00-17:00",), "weekdays", True)),
    # Bounds and ranges, the bare hour read as a daytime caller means it.
    ("after 5pm", (("17:00-20:00",), "weekdays", True)),
    ("after 5", (("17:00-20:00",), "weekdays", True)),
    ("after 8", (("08:00-20:00",), "weekdays", True)),
    ("after 7", (("19:00-20:00",), "weekdays", True)),
    ("after 3.30pm please", (("15:30-20:00",), "weekdays", True)),
    ("between 7 and 8pm", (("19:00-20:00",), "weekdays", True)),
    ("between 7 and 8", (("19:00-20:00",), "weekdays", True)),
    ("7-8", (("19:00-20:00",), "weekdays", True)),
    ("7-8am", (("07:00-08:00",), "weekdays", True)),
    ("7 – 9 pm", (("19:00-20:00",), "weekdays", True)),
    ("8-10", (("08:00-10:00",), "weekdays", True)),
    ("between 10 and 2", (("10:00-14:00",), "weekdays", True)),
    ("10 to 2pm", (("10:00-14:00",), "weekdays", True)),
    ("9am to 5", (("09:00-17:00",), "weekdays", True)),
    ("from 9 till 5", (("09:00-17:00",), "weekdays", True)),
    ("5-9", (("17:00-20:00",), "weekdays", True)),
    ("1-3pm", (("13:00-15:00",), "weekdays", True)),
    ("17:00-19:00", (("17:00-19:00",), "weekdays", True)),
    ("after 9 but before 3", (("09:00-15:00",), "weekdays", True)),
    ("not before 10", (("10:00-20:00",), "weekdays", True)),
    ("not after 3", (("07:00-15:00",), "weekdays", True)),
    ("6pm onwards", (("18:00-20:00",), "weekdays", True)),
    ("at 11", (("11:00-12:00",), "weekdays", True)),
    ("around 4:30", (("16:30-17:30",), "weekdays", True)),
    ("5pm", (("17:00-18:00",), "weekdays", True)),
    ("noon", (("12:00-13:00",), "weekdays", True)),
    ("half past 4", (("16:30-17:30",), "weekdays", True)),
    ("I am home after 6", (("18:00-20:00",), "weekdays", True)),
    # Named parts of the day.
    ("mornings", (("08:00-12:00",), "weekdays", True)),
    ("Evenings", (("17:00-20:00",), "weekdays", True)),
    ("lunchtime", (("12:00-13:30",), "weekdays", True)),
    ("afternoons", (("12:00-17:00",), "weekdays", True)),
    ("after work", (("17:00-20:00",), "weekdays", True)),
    ("mornings or after 5pm", (("08:00-12:00", "17:00-20:00"), "weekdays", True)),
    ("not mornings", (("07:00-08:00", "12:00-20:00"), "weekdays", True)),
    ("not lunchtime", (("07:00-12:00", "13:30-20:00"), "weekdays", True)),
    # Several windows narrow each other where they meet, else they are alternatives.
    ("mornings before 10", (("08:00-10:00",), "weekdays", True)),
    ("evenings after 6", (("18:00-20:00",), "weekdays", True)),
    ("lunchtime or afternoons", (("12:00-13:30",), "weekdays", True)),
    ("afternoons but not 2-3", (("12:00-14:00", "15:00-17:00"), "weekdays", True)),
    ("not between 12 and 1", (("07:00-12:00", "13:00-20:00"), "weekdays", True)),
    ("weekday evenings, not after 7", (("17:00-19:00",), "weekdays", True)),
    # Days.
    ("weekends", ((), WEEKEND, True)),
    ("weekend mornings", (("08:00-12:00",), WEEKEND, True)),
    ("Saturday", ((), "Sat", True)),
    ("Tuesdays 7-9pm", (("19:00-20:00",), "Tue", True)),
    ("not Fridays", ((), "Mon Tue Wed Thu", True)),
    ("any day but Friday", ((), "Mon Tue Wed Thu", True)),
    ("except mon/fri", ((), "Tue Wed Thu", True)),
    ("Mon-Wed after 6", (("18:00-20:00",), "Mon Tue Wed", True)),
    ("weekdays", ((), "weekdays", True)),
    ("not weekdays", ((), WEEKEND, True)),
    ("evenings or weekends", (("17:00-20:00",), WEEKEND, True)),
    # No preference: business hours.
    ("any time", ((), "weekdays", True)),
    ("Anytime", ((), "weekdays", True)),
    ("asap", ((), "weekdays", True)),
    ("ASAP please", ((), "weekdays", True)),
    ("as soon as possible", ((), "weekdays", True)),
    ("whenever", ((), "weekdays", True)),
    ("", ((), "weekdays", True)),
    ("-", ((), "weekdays", True)),
    # Words that name no time, or nothing that can be met: business hours, words kept.
    ("call my wife", NOT_READ),
    ("021 555 1234", NOT_READ),
    ("after 9pm", NOT_READ),
    ("before 7am", NOT_READ),
    ("between 10pm and 2am", NOT_READ),
    ("between 9 and 11pm", NOT_READ),
    ("not weekdays or weekends", NOT_READ),
    ("3am", NOT_READ),
    ("25:00", NOT_READ),
])
def test_best_time_is_read_as_a_person_means_it(text, expected):
    assert read(text) == expected


def test_best_time_keeps_the_customers_words():
    assert best_time_read("  ring my son Tom ").words == "ring my son Tom"
    assert best_time_read("by 8").words == "by 8"


def test_best_time_summary_says_what_was_read_or_that_it_could_not_be():
    assert best_time_read("weekend mornings").summary == "Weekends, 8:00 am-12:00 pm"
    assert best_time_read("not fridays").summary == "Mon, Tue, Wed, Thu, business hours"
    assert best_time_read("call my wife").summary == "Could not read as a time: due in business hours"


# No words can break a due time ---------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    "0", "1", "2", "5", "7", "8", "9", "10", "11", "12", "13", "23", "24", "99", "007", ":", ".", ":30", ".45",
    "am", "pm", "a.m.", "p.m.", "AM", "PM", "-", "–", "—", "/", ",", " ", "  ", "\t", "\n", "to", "and", "or",
    "between", "after", "before", "by", "till", "until", "from", "at", "around", "not", "no", "except",
    "never", "but", "any day but", "onwards", "or later", "noon", "midnight", "half past", "o'clock", "ish",
    "mornings", "lunch", "afternoon", "evenings", "after work", "tonight", "weekends", "weekdays", "mon", "fri",
    "Fridays", "sat", "sunday", "mon-fri", "fri-mon", "any time", "asap", "whenever", "é", "ß", "İ", "٣", "７",
    "😀", "\x00", "\u200b", "|",
])
PHRASES = st.lists(FRAGMENTS, max_size=14).map(" ".join) | st.lists(FRAGMENTS, max_size=14).map("".join)
RANGES = st.from_regex(r"(between |from )?[0-9]{1,2}([:.][0-9]{2})? ?(am|pm)? ?(-|to|and|till) ?[0-9]{1,2}"
                       r"([:.][0-9]{2})? ?(am|pm)?", fullmatch=True)
BOUNDS = st.builds(
    "{} {}{}{}".format,
    st.sampled_from(["after", "before", "by", "till", "until", "from", "at", "not before", "not after", "around"]),
    st.integers(min_value=0, max_value=25), st.sampled_from(["", ":30", ".15", ":75"]),
    st.sampled_from(["", "am", "pm", " pm", "a.m."]),
)
ANY_WORDS = (st.text() | st.text(alphabet=st.characters(codec="utf-8")) | PHRASES | RANGES | BOUNDS
             | st.tuples(BOUNDS | RANGES, PHRASES, BOUNDS).map(" ".join))
COMPLETIONS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC))
# The delays a council could set, from none to two weeks.
DELAYS = st.integers(min_value=0, max_value=14 * 24 * 60)
PROPERTY = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(words=ANY_WORDS)
def test_best_time_reading_never_raises_and_stays_in_the_calling_day(words):
    best = best_time_read(words)
    assert best.days and best.days <= set(range(7))
    for start, end in best.windows:
        assert EARLIEST_CALL <= start < end <= LATEST_CALL
    if not best.understood:
        assert best.windows == () and best.days == WEEKDAYS and best.words == words.strip()


@PROPERTY
@given(words=ANY_WORDS, completed_at=COMPLETIONS, delay=DELAYS)
def test_callback_due_time_for_any_words_is_after_the_delay_on_an_allowed_day(words, completed_at, delay):
    due = callback_due_at(completed_at=completed_at, best_time=words, delay_minutes=delay)
    assert due >= completed_at + timedelta(minutes=delay)
    best = best_time_read(words)
    local = due.astimezone(ZoneInfo(django_settings.TIME_ZONE))
    assert local.weekday() in best.days and not is_public_holiday(local.date())
    assert any(start <= local.time() < end for start, end in calling_windows(best))
    assert local.time() < LATEST_CALL and local.time() >= EARLIEST_CALL
