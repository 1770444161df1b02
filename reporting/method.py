"""The report's method page: each rule the figures follow, in plain words (no code names or
markup), so a reader can check a figure without the source. The modules' docstrings give the
same definitions for developers; a test holds the two to the same rules."""

from __future__ import annotations

import re

MEASURES = [
    "Which jobs count. Every job that is not cancelled, for the council and service, whose "
    "notification time falls in the period, in New Zealand time. The notification time is when the "
    "first customer told us, or when staff or telemetry found the fault. A duplicate job merged into "
    "another is cancelled, so it is never counted twice.",
    "One classification for each job. A job counts under its current service, and under one urgency "
    "(urgent or non-urgent) and one DIA measure: the classification it has now. The urgency is fixed "
    "when the job is categorised. Only a case manager's recorded correction moves it: a "
    "reclassification with a reason, or a change of service. A correction moves the whole job, so its "
    "attendance time, its resolution time and every count it is in move together. A job that is "
    "reopened, moved to another service and attended again is counted once, under its new service.",
    "Call-outs. The attendance and resolution medians are about call-outs: jobs a customer or member "
    "of the public told us about. Jobs raised by our own staff or by network telemetry are reported "
    "beside them, in medians of their own, and never inside the call-out medians.",
    "Attendance time is the first arrival on site minus the notification time. Resolution time is the "
    "last confirmed resolution minus the notification time: a reopened job is unresolved until it is "
    "resolved again. A job not yet attended or resolved is left out of that median and counted beside it.",
    "Wastewater medians cover overflows caused by blockages or other faults: jobs categorised as such "
    "an overflow and, once the crew has assessed them, found to be a wastewater fault (an overflow, a "
    "blockage or another fault). Other wastewater jobs, such as odour reports, are not in them.",
    "Excluded jobs. A case manager may exclude an attended job from the measures, giving a reason. An "
    "excluded job leaves the medians only, and is counted beside them. It stays in the number of jobs "
    "and in the event counts (dry-weather overflows, flooding events, habitable floors), unless the "
    "reason says the asset is not the council's (a private or third-party asset).",
    "Events, not callers. A dry-weather overflow and a flooding event are counted as events. Several "
    "callers about one overflow are one job (their enquiries are linked to it, or duplicate jobs are "
    "merged into it), so one event. Jobs the crew recorded under one flooding event are one event.",
    "Stormwater. The number of flooding events is a count. The habitable floors affected are counted "
    "once per property and event, and given per 1000 connected properties.",
    "The median is the middle value; for an even number of values, the mean of the two middle ones. "
    "Per 1000 connections means the count divided by the council's connections (connected properties "
    "for stormwater) for the financial year the period falls in, times 1000.",
    "Complaints. Every enquiry whose issue type is a DIA complaint matter, and every formal complaint "
    "in a DIA category, received in the period. A formal complaint about an enquiry already counted is "
    "not counted again, except a complaint about our response: it counts under response (water 4(f), "
    "wastewater 4(d)) even when its enquiry is counted under another matter.",
    "Rounding. Figures are kept exact and rounded once, where they are shown, with halves rounded up: "
    "a median of 3.25 hours reads 3.3, a rate of 0.075 per 1000 reads 0.08.",
]


def plain(text: str) -> list[str]:
    """A docstring as plain paragraphs: without code quotes, bold marks or hard line breaks."""
    text = re.sub(r"``([^`]*)``", r"\1", text or "").replace("**", "")
    paragraphs: list[list[str]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        paragraphs.append([])
        for line in block.splitlines():
            line = line.strip()
            if re.match(r"(- |\d+\. )", line) and paragraphs[-1]:  # a list item starts a paragraph
                paragraphs.append([])
            paragraphs[-1].append(line.removeprefix("- "))
    return [" ".join(lines) for lines in paragraphs]


def method_sections() -> list[tuple[str, list[str]]]:
    from . import hotspots, insights

    return [("The DIA measures", MEASURES), ("Hotspots", plain(hotspots.__doc__)),
            ("Key insights", plain(insights.__doc__))]
