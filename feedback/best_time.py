"""How the customer's "best time to call" is read.

What the customer said is free text typed during the call. ``best_time_read`` turns it into a
``BestTime``: the windows of the day they named, the days of the week they allow, and whether
the words could be read at all. Nothing in it raises, and ``feedback.scheduling.callback_due_at``
gives a due time for any string. The rules, as a person means the words:

* Nobody is rung before ``EARLIEST_CALL`` (7 am) or after ``LATEST_CALL`` (8 pm), whatever they
  said. A window is cut to those hours; one that lies wholly outside them cannot be honoured.
* A stated window is honoured inside business hours where the two overlap ("before 9am" is rung
  8-9 am). Where they do not overlap ("after 5pm", "before 8am", "7-8") the customer's own
  window wins, because they asked for it.
* Hours with am/pm, or written on the 24-hour clock ("17:30", "07:00"), mean what they say.
  A bare hour is read as a daytime caller means it: 1 to 8 are afternoon or evening
  (1 pm-8 pm), 9 to 11 are morning, 12 is noon. A bare hour that would then leave no time to
  call takes the other half of the day: "after 8" is 8 am (after 8 pm is too late), "by 8" and
  "before 8" are 8 pm (7-8 am would leave an hour before the office opens), "till 9" is 9 am.
* A range shares a stated am/pm: "between 7 and 8pm" is 7-8 pm, "10 to 2pm" is 10 am-2 pm
  (10 pm would end before it starts), "9am to 5" is 9 am-5 pm. A range of two bare hours is read
  by the rule above, then with 7 or 8 in the morning, then both in the first hour's half of the
  day, whichever first starts before it ends: "7-8" is 7-8 pm (one evening hour after work),
  "8-10" is 8-10 am, "10-2" is 10 am-2 pm, "5-9" is 5-8 pm.
* "after X" runs to 8 pm, "before X" / "by X" / "till X" from 7 am. "at X", a lone "Xpm" or
  "4:30" is the hour from X.
* Named parts of the day: mornings 8-12, lunchtime 12-1:30, afternoons 12-5, after school
  3-8 pm, evenings, after work and tonight 5-8 pm.
* Several windows narrow each other where they all meet ("evenings after 6" is 6-8 pm,
  "after 9 but before 3" 9 am-3 pm, "lunchtime or afternoons" 12-1:30); where they do not meet
  they are alternatives ("mornings or after 5pm"), the earliest that fits used. Either way the
  call falls in every part of what was said that can hold at once.
* "not mornings", "not between 12 and 1", "not at 3", "not after 3", "not before 10" take those
  hours out of what was said, or out of the calling day when nothing else was.
* Days: weekdays unless the words name days. "weekends", "Saturdays", "Mondays" and the like
  allow only those days, and a Saturday or Sunday the customer asked for is used with the same
  hours as a business day. "not Fridays", "except Mon" take days out. Public holidays are
  never used. A time and days together mean the time on those days ("weekend mornings").
* "any time", "whenever", "no preference", "asap", "as soon as possible": no constraint, so the
  first business-hours moment after the delay.
* Text that names no time or day ("ring my son Tom") and text that reads to nothing possible
  ("after 9pm", "between 10pm and 2am", "not weekdays or weekends") are not understood: the
  call-back is due in business hours on a weekday, and the queue and "Record call-back" page
  show the customer's words with "Could not read as a time: due in business hours".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

EARLIEST_CALL = time(7, 0)  # nobody is rung earlier than this, whatever they said
LATEST_CALL = time(20, 0)  # nobody is rung later than this, whatever they said
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The field holds 120 characters; anything longer is read only this far, so that no text can
# make reading slow.
READ_LIMIT = 400

Window = tuple[time, time]


@dataclass(frozen=True)
class BestTime:
    """The customer's words and what they were read as."""

    words: str
    windows: tuple[Window, ...] = ()  # () when no time of day was named: business hours
    days: frozenset[int] = WEEKDAYS  # the weekdays (0 is Monday) a call may be made
    understood: bool = True

    @property
    def summary(self) -> str:
        """What the words were read as, for the caller ("Weekends, 8:00 am-12:00 pm")."""
        if not self.understood:
            return "Could not read as a time: due in business hours"
        if self.days == WEEKDAYS:
            days = "Weekdays"
        elif self.days == frozenset({5, 6}):
            days = "Weekends"
        else:
            days = ", ".join(DAY_NAMES[d] for d in sorted(self.days))
        hours = " or ".join(f"{_clock_label(s)}-{_clock_label(e)}" for s, e in self.windows) or "business hours"
        return f"{days}, {hours}"


def _clock_label(value: time) -> str:
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'am' if value.hour < 12 else 'pm'}"


_DAY_PATTERNS = (
    r"mon(?:day)?s?", r"tue(?:s|sday)?s?", r"wed(?:nesday)?s?", r"thu(?:r|rs|rsday)?s?", r"fri(?:day)?s?",
    r"sat(?:urday)?s?", r"sun(?:day)?s?",
)
_DAY = (r"(?:" + "|".join(_DAY_PATTERNS) + r"|week ?ends?|week ?days?)")
_DAY_WORD = re.compile(rf"\b{_DAY}\b")
_DAY_RANGE = re.compile(rf"\b({_DAY}) ?(?:-|to|till|until|through|thru) ?({_DAY})\b")
_NEGATED_DAYS = re.compile(
    rf"\b(?:not|no|except|excluding|any ?day but|anything but|never|avoid(?:ing)?)(?: on)?(?: an?| the)? {_DAY}\b"
    rf"(?:(?: ?,| or| and| nor| &| ?/) ?(?:on )?{_DAY}\b)*"
)


def _clock_pattern(*, stated: bool = False) -> str:
    """An hour, with minutes and am/pm (required when ``stated``); never part of a longer number,
    so a phone number is not read as a time."""
    meridiem = r" ?(am|pm)" if stated else r"(?: ?(am|pm))?"
    return rf"(?<![0-9a-z:.])([0-9]{{1,2}})(?:[:.]([0-9]{{2}}))?{meridiem}(?![0-9a-z])"


_CLOCK = _clock_pattern()
# "not between 12 and 1", "not at 3", "not 5pm": hours taken out. ("not after 3" is rewritten.)
_NOT = r"(?:\b(not|no|except|never|avoid|avoiding) (?:between |from |at |around )?)?"
_RANGE = re.compile(rf"{_NOT}(?:\bbetween |\bfrom )?{_CLOCK} ?(?:-|to|till|til|until|and) ?{_CLOCK}")
_AFTER = re.compile(rf"\b(?:after|from|since|past) {_CLOCK}")
_BEFORE = re.compile(rf"\b(?:before|by|until|till|til|up to|upto) {_CLOCK}")
_AT = re.compile(rf"{_NOT}\b(?:at|around|about|approx|approximately|say) {_CLOCK}")
_STATED = re.compile(_NOT + _clock_pattern(stated=True))  # a lone "5pm"
_WITH_MINUTES = re.compile(r"(?<![0-9a-z:.])([0-9]{1,2})[:.]([0-9]{2})()(?![0-9a-z:.])")  # a lone "4:30"
_ONLY_AN_HOUR = re.compile(_CLOCK)  # the whole text "5"
_NEGATION = r"(?:not|no|except|never|avoid(?:ing)?)(?: in| on| at| during)?(?: the)? "
_NAMED = (
    (r"(?:early )?mornings?|first thing", time(8, 0), time(12, 0)),
    (r"lunch ?(?:time|times|hour)?s?", time(12, 0), time(13, 30)),
    (r"(?:late )?afternoons?", time(12, 0), time(17, 0)),
    (r"school hours", time(9, 0), time(15, 0)),
    (r"after school", time(15, 0), LATEST_CALL),
    (r"evenings?|after work|after dinner|tonight|(?:week ?)?nights?", time(17, 0), LATEST_CALL),
)
_NAMED_WINDOWS = tuple(
    (re.compile(rf"\b({_NEGATION})?(?:{words})\b"), start, end) for words, start, end in _NAMED
)
_NO_PREFERENCE = re.compile(
    r"\b(?:any ?time|any ?day|whenever|no preference|no pref|all day|asap|a\.s\.a\.p|as soon as possible|"
    r"straight away|right away|soon|any|flexible|(?:business|office|work|working) hours|n/a|none|nil)\b"
)

# Words rewritten before reading, so each pattern above has one spelling to find.
_REWRITES = (
    (re.compile(r"\s+"), " "),
    (re.compile(r"(?<![a-z])a\.m\.?"), "am"), (re.compile(r"(?<![a-z])p\.m\.?"), "pm"),
    (re.compile(r"[–—‐‑]"), "-"),
    (re.compile(r"\bo'? ?clock\b"), ""),
    (re.compile(r"(?<=[0-9])ish\b"), ""),
    (re.compile(r"\b(?:noon|midday|mid-day)\b"), "12pm"),
    (re.compile(r"\bmidnight\b"), "12am"),
    (re.compile(r"\bhalf past ([0-9]{1,2})\b"), r"\1:30"),
    (re.compile(r"\b(?:not before|no earlier than|not earlier than) (?=[0-9])"), "after "),
    (re.compile(r"\b(?:not after|no later than|not later than) (?=[0-9])"), "before "),
    (re.compile(r"\b([0-9]{1,2}(?:[:.][0-9]{2})? ?(?:am|pm)?) ?(?:onwards?|or later|and later)\b"), r"after \1"),
    (re.compile(r"\b([0-9]{1,2}(?:[:.][0-9]{2})? ?(?:am|pm)?) ?(?:or earlier|at the latest)\b"), r"before \1"),
)


def _normalise(words: str) -> str:
    text = words[:READ_LIMIT].lower()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text.strip()


def _make_time(hour: int, minute: int) -> time | None:
    if not 0 <= hour <= 23 or not 0 <= minute <= 59:
        return None
    return time(hour, minute)


def _readings(hours: str, minutes: str | None, meridiem: str | None) -> tuple[time | None, time | None, bool]:
    """(the usual reading, the other half of the day, whether am/pm is open to reading).

    A bare 1-8 is the afternoon or evening, 9-11 the morning, 12 noon; the 24-hour clock and
    a stated am/pm mean what they say."""
    hour, minute = int(hours), int(minutes or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            return None, None, False
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
        return _make_time(hour, minute), None, False
    if hour == 0 or hour > 12 or hours.startswith("0"):
        return _make_time(hour, minute), None, False
    if hour == 12:
        return _make_time(12, minute), _make_time(0, minute), True
    usual_pm = hour <= 8
    usual = _make_time(hour + (12 if usual_pm else 0), minute)
    other = _make_time(hour + (0 if usual_pm else 12), minute)
    return usual, other, True


def _in_calling_day(window: Window) -> Window | None:
    start, end = max(window[0], EARLIEST_CALL), min(window[1], LATEST_CALL)
    return (start, end) if start < end else None


def _real(*windows: Window | None) -> list[Window]:
    return [w for w in windows if w is not None and w[0] < w[1]]


def _first_real(*windows: Window | None) -> Window | None:
    """The first reading that starts before it ends, possible to call in or not."""
    return next(iter(_real(*windows)), None)


def _first_possible(*windows: Window | None) -> Window | None:
    """The first reading that leaves time to call; else the first that starts before it ends."""
    real = _real(*windows)
    return next((w for w in real if _in_calling_day(w)), real[0] if real else None)


def _hour_after(value: time) -> time:
    if value >= LATEST_CALL:
        return value
    return min(LATEST_CALL, (datetime.combine(date.min, value) + timedelta(hours=1)).time())


def _share(bare: tuple[time, time], said: str) -> tuple[time, time]:
    """A bare hour's readings, the one in the stated half of the day first."""
    usual, other = bare
    return (usual, other) if (usual.hour >= 12) == (said == "pm") else (other, usual)


def _read_range(groups) -> Window | None:
    a_usual, a_other, a_open = _readings(*groups[0:3])
    b_usual, b_other, b_open = _readings(*groups[3:6])
    if a_usual is None or b_usual is None:
        return None
    a_said, b_said = groups[2], groups[5]
    if a_open and b_said:  # "between 7 and 8pm": the bare hour shares the stated am/pm if it can
        first, second = _share((a_usual, a_other), b_said)
        return _first_real((first, b_usual), (second, b_usual))
    if b_open and a_said:
        first, second = _share((b_usual, b_other), a_said)
        return _first_real((a_usual, first), (a_usual, second))
    if a_open and b_open:  # "7-8", "8-10", "10-2", "5-9": see the module docstring
        def morning_if_7_or_8(hours: str, usual: time, other: time) -> time:
            return other if int(hours) in (7, 8) else usual

        b_in_a_half = _share((b_usual, b_other), "pm" if a_usual.hour >= 12 else "am")[0]
        return _first_possible(
            (a_usual, b_usual),
            (morning_if_7_or_8(groups[0], a_usual, a_other), morning_if_7_or_8(groups[3], b_usual, b_other)),
            (a_usual, b_in_a_half),
        )
    return _first_real((a_usual, b_usual))


def _read_bound(groups, *, make) -> Window | None:
    usual, other, _ = _readings(*groups)
    if usual is None:
        return None
    return _first_possible(make(usual), make(other) if other else None)


def _blank(text: str, match: re.Match) -> str:
    # The same length, so the other matches' places hold; a bar, so words either side never join.
    return text[:match.start()] + "|".center(match.end() - match.start()) + text[match.end():]


def _subtract(windows: list[Window], taken: Window) -> list[Window]:
    left = []
    for start, end in windows:
        if taken[1] <= start or end <= taken[0]:
            left.append((start, end))
            continue
        if start < taken[0]:
            left.append((start, taken[0]))
        if taken[1] < end:
            left.append((taken[1], end))
    return left


def _union(windows: list[Window]) -> tuple[Window, ...]:
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _meet_or_join(windows: list[Window]) -> tuple[Window, ...]:
    """Where every window holds ("evenings after 6" is 6-8 pm); if they never meet, they are
    alternatives ("mornings or after 5pm")."""
    start, end = max(w[0] for w in windows), min(w[1] for w in windows)
    return ((start, end),) if start < end else _union(windows)


def _day_set(word: str) -> frozenset[int]:
    word = word.replace(" ", "")
    if word.startswith("weekend"):
        return frozenset({5, 6})
    if word.startswith("weekday"):
        return WEEKDAYS
    return frozenset(i for i, pattern in enumerate(_DAY_PATTERNS) if re.fullmatch(pattern, word))


def _spell_day_range(match: re.Match) -> str:
    """"mon-fri" as "mon tue wed thu fri"; a range of anything but single days is left alone."""
    first, last = _day_set(match.group(1)), _day_set(match.group(2))
    if len(first) != 1 or len(last) != 1:
        return match.group(0)
    start, stop = min(first), min(last)
    return " ".join(DAY_NAMES[(start + n) % 7].lower() for n in range((stop - start) % 7 + 1))


def _read_days(text: str) -> tuple[str, frozenset[int] | None, bool]:
    """(text without the day words, the allowed days or None if none were named, possible)."""
    text = _DAY_RANGE.sub(_spell_day_range, text)
    excluded: set[int] = set()
    for match in list(_NEGATED_DAYS.finditer(text)):
        for word in _DAY_WORD.findall(match.group(0)):
            excluded |= _day_set(word)
    text = _NEGATED_DAYS.sub(" | ", text)
    named: set[int] = set()
    for word in _DAY_WORD.findall(text):
        named |= _day_set(word)
    text = _DAY_WORD.sub(" ", text)
    if not named and not excluded:
        return text, None, True
    allowed = (named or set(WEEKDAYS)) - excluded
    if not allowed and not named:  # "not weekdays": the days left are the weekend
        allowed = set(EVERY_DAY) - excluded
    return text, frozenset(allowed), bool(allowed)


def best_time_read(words: str) -> BestTime:
    """Read the customer's best time to call (see the module docstring). Never raises."""
    return _read(words.strip() if isinstance(words, str) else "")


@lru_cache(maxsize=2048)  # the queue reads the same few phrases on every row
def _read(words: str) -> BestTime:
    text = _normalise(words)
    if not any(ch.isalnum() for ch in text):  # nothing said, or only "-" or "?"
        return BestTime(words=words)
    text, days, days_possible = _read_days(text)
    wanted: list[Window | None] = []
    unwanted: list[Window | None] = []

    def take(pattern: re.Pattern, read, *, negatable: bool = False) -> None:
        nonlocal text
        for match in list(pattern.finditer(text)):
            groups = match.groups()
            negated, groups = (groups[0], groups[1:]) if negatable else (None, groups)
            (unwanted if negated else wanted).append(read(groups))
            text = _blank(text, match)

    def hour_from(groups) -> Window | None:
        return _read_bound(groups, make=lambda t: (t, _hour_after(t)))

    take(_RANGE, _read_range, negatable=True)
    take(_AFTER, lambda groups: _read_bound(groups, make=lambda t: (t, LATEST_CALL)))
    take(_BEFORE, lambda groups: _read_bound(groups, make=lambda t: (EARLIEST_CALL, t)))
    take(_AT, hour_from, negatable=True)
    take(_STATED, hour_from, negatable=True)
    take(_WITH_MINUTES, hour_from)
    if _ONLY_AN_HOUR.fullmatch(text.strip(" |")):
        take(_ONLY_AN_HOUR, hour_from)
    for pattern, start, end in _NAMED_WINDOWS:
        for match in pattern.finditer(text):
            (unwanted if match.group(1) else wanted).append((start, end))
    said_a_time = bool(wanted or unwanted)
    possible = [w for w in map(_in_calling_day, filter(None, wanted)) if w is not None]
    if possible:
        windows = _meet_or_join(possible)
    elif unwanted and not wanted:  # "not mornings": the rest of the calling day
        windows = ((EARLIEST_CALL, LATEST_CALL),)
    else:  # nothing said, or only what cannot be met ("after 9pm")
        windows = ()
    for window in filter(None, unwanted):
        windows = _subtract(list(windows), window)
    windows = _union(list(windows))
    if said_a_time:
        understood = bool(windows)
    else:
        understood = days is not None or bool(_NO_PREFERENCE.search(text))
    if not (understood and days_possible):
        return BestTime(words=words, understood=False)
    return BestTime(words=words, windows=windows, days=days if days is not None else WEEKDAYS)
