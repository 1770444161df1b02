"""Key insights in words, each from a stated rule over the figures (never invented text).

Rules, in the order they are shown:

1. **Hotspots**: each flagged hotspot's sentence (see ``hotspots``).
2. **Largest rise**: the issue type whose enquiries rose most against the previous period
   (by count; at least 5 more and at least 25 % more).
3. **Missed targets**: service-level compliance below 95 % for attendance or resolution, with
   the previous period beside it.
4. **Medians that got worse**: a DIA median more than 20 % longer than in the previous period.
5. **Slowest stage**: the stage of the journey with the longest median time.
6. **Worst-rated stage**: the stage with the lowest average feedback score (once recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from enquiries.models import Enquiry

from .periods import Period
from .replica import on_replica

RISE_MIN_COUNT = 5
RISE_MIN_SHARE = 0.25
TARGET_PCT = 95.0
WORSE_SHARE = 0.20


@dataclass(frozen=True)
class Insight:
    rule: str
    text: str
    link: str = ""


@on_replica
def issue_type_rises(*, period: Period, council_id: int | None, services) -> list[tuple[str, int, int]]:
    """(issue type, this period, previous period) for every issue type: one query."""
    previous = period.previous()
    enquiries = Enquiry.objects.filter(service__in=services, received_at__gte=previous.start,
                                       received_at__lt=period.end)
    if council_id:
        enquiries = enquiries.filter(council_id=council_id)
    rows = enquiries.values_list("issue_type__name").annotate(
        now=Count("id", filter=Q(received_at__gte=period.start)),
        before=Count("id", filter=Q(received_at__lt=period.start)),
    ).order_by()
    return [(name, now, before) for name, now, before in rows]


def largest_rise(rises: list[tuple[str, int, int]]) -> Insight | None:
    candidates = [(now - before, name, now, before) for name, now, before in rises
                  if now - before >= RISE_MIN_COUNT and now >= before * (1 + RISE_MIN_SHARE)]
    if not candidates:
        return None
    _rise, name, now, before = max(candidates)
    share = f" (+{100 * (now - before) / before:.0f} %)" if before else ""
    return Insight("Largest rise", f"Enquiries about {name.lower()} rose most: {now} against {before} in the "
                                   f"previous period{share}.")


def key_insights(*, measures, hotspots, compliance, previous_compliance, stages, feedback, period: Period,
                 council_id: int | None, services) -> list[Insight]:
    found = [Insight("Hotspot", h.sentence) for h in hotspots]
    rise = largest_rise(issue_type_rises(period=period, council_id=council_id, services=services))
    if rise:
        found.append(rise)
    for what, key in (("attended", "attended_pct"), ("resolved", "resolved_pct")):
        pct = compliance[key]
        if pct is not None and pct < TARGET_PCT:
            before = previous_compliance[key]
            found.append(Insight("Missed targets", f"{pct:.1f} % of jobs were {what} within their service level "
                                 f"(target {TARGET_PCT:.0f} %; previous period "
                                 f"{'no jobs' if before is None else f'{before:.1f} %'})."))
    for block in measures:
        for now, before in block["pairs"]:
            if now.unit in ("minutes", "hours") and now.value and before.value and \
                    now.value > before.value * (1 + WORSE_SHARE):
                found.append(Insight("Worse median", f"{block['measures'].service_label}: {now.label.lower()} "
                                     f"rose to {now.display} from {before.display}."))
    timed = [s for s in stages if s["median_hours"] is not None and s["stage"] != "Reporting"]
    if timed:
        slowest = max(timed, key=lambda s: s["median_hours"])
        found.append(Insight("Slowest stage", f"The slowest stage is {slowest['stage'].lower()} "
                             f"({slowest['description']}): a median of {slowest['median_hours']:.1f} hours."))
    if feedback and feedback.get("worst_stage"):
        worst = feedback["worst_stage"]
        found.append(Insight("Worst-rated stage", f"Customers rated {worst['label'].lower()} lowest: "
                             f"{worst['average']:.1f} out of {feedback.get('scale', 5)}."))
    return found
