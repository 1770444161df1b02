"""Hotspots: a suburb where one kind of fault is far above its own usual rate.

The rule, stated on the dashboard and in the report's method page:

- For each suburb and fault type (the job's category) the period's count of jobs (not
  cancelled, by notification time) is set against the **expected count**: the same suburb
  and fault type's count over the 12 months before the period, per month, times the
  period's months, times a **seasonal factor**, and at least 0.1 a month.
- The seasonal factor allows for the time of year: the service's jobs (every suburb) in
  the same months a year earlier, against the service's monthly average over those 12
  months; used only when those 12 months hold at least 24 jobs, and kept between 0.5 and 2.
- A hotspot is flagged when the Poisson probability of seeing at least that count, given
  the expected count, is below 0.01 (``HOTSPOT_P_VALUE``) and the count is at least 3
  (``HOTSPOT_MIN_COUNT``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from enquiries.enums import Service
from jobs.enums import JobStatus
from jobs.models import Job

from .periods import Period, month
from .replica import on_replica

MIN_EXPECTED_PER_MONTH = 0.1
ACTIONS = {
    Service.WATER_SUPPLY: "Consider the mains for renewal.",
    Service.WASTEWATER: "Consider a CCTV survey of the pipes for renewal.",
    Service.STORMWATER: "Consider the capacity of the drains and inlets.",
}


def poisson_tail(count: int, expected: float) -> float:
    """P(X >= count) for X ~ Poisson(expected), summed exactly (no scipy needed)."""
    if count <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    log_term = -expected + count * math.log(expected) - math.lgamma(count + 1)
    if count > expected:
        # Sum the upper tail directly: its terms fall away quickly past the mean.
        total, term, i = 0.0, math.exp(log_term), count
        while term > 1e-18 * max(total, 1e-300) and i < count + 10_000:
            total += term
            i += 1
            term *= expected / i
        return min(1.0, total)
    below, term = 0.0, math.exp(-expected)
    for i in range(count):
        below += term
        term *= expected / (i + 1)
    return max(0.0, 1.0 - below)


@dataclass
class Hotspot:
    suburb_id: int
    suburb: str
    category_id: int
    category: str
    service: str
    count: int
    expected: float
    p_value: float
    period: Period
    job_ids: list[int] = field(default_factory=list)

    @property
    def fault_words(self) -> str:
        name = self.category.lower()
        if ":" in name or self.count == 1:
            return f"{'job' if self.count == 1 else 'jobs'} for {name}" if ":" in name else name
        return f"{name}s" if not name.endswith("s") else name

    @property
    def when(self) -> str:
        from .periods import MONTH_NAMES

        return f"in {MONTH_NAMES[self.period.month - 1]}" if self.period.kind == "month" else f"in {self.period.label}"

    @property
    def sentence(self) -> str:
        return (f"{self.suburb}: {self.count} {self.fault_words} {self.when} against {self.expected:.1f} expected. "
                f"{ACTIONS[Service(self.service)]}")


def _month_index(moment) -> int:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return local.year * 12 + local.month - 1


@on_replica
def hotspot_candidates(*, period: Period, council_id: int | None = None, services=None) -> list[Hotspot]:
    """Every suburb and fault type with jobs in the period, with its expected count and tail
    probability: two queries whatever the volume."""
    first_index = _month_index(period.start) - 12
    history_start = month(first_index // 12, first_index % 12 + 1).start
    jobs = Job.objects.exclude(status=JobStatus.CANCELLED).filter(
        notified_at__gte=history_start, notified_at__lt=period.end, category__isnull=False)
    if council_id:
        jobs = jobs.filter(council_id=council_id)
    if services:
        jobs = jobs.filter(service__in=list(services))
    grouped = (jobs.annotate(m=TruncMonth("notified_at", tzinfo=timezone.get_default_timezone()))
               .values_list("suburb_id", "suburb__name", "category_id", "category__name", "service", "m")
               .annotate(n=Count("id")).order_by())
    period_first = _month_index(period.start)
    months = period.months
    history: dict[tuple, int] = defaultdict(int)
    current: dict[tuple, int] = defaultdict(int)
    names: dict[tuple, tuple] = {}
    service_by_month: dict[tuple[str, int], int] = defaultdict(int)
    for suburb_id, suburb, category_id, category, service, m, n in grouped:
        key = (suburb_id, category_id)
        names[key] = (suburb, category, service)
        index = _month_index(m)
        if index >= period_first:
            current[key] += n
        else:
            history[key] += n
            service_by_month[(service, index)] += n
    found = []
    for key, count in current.items():
        suburb, category, service = names[key]
        factor = _seasonal_factor(service_by_month, service, period_first, months)
        per_month = max(history.get(key, 0) / 12, MIN_EXPECTED_PER_MONTH)
        expected = per_month * months * factor
        found.append(Hotspot(key[0], suburb, key[1], category, service, count, round(expected, 2),
                             poisson_tail(count, expected), period))
    found.sort(key=lambda h: (h.p_value, -h.count, h.suburb))
    return found


def _seasonal_factor(service_by_month, service: str, period_first: int, months: int) -> float:
    trailing = [service_by_month.get((service, period_first - 12 + i), 0) for i in range(12)]
    total = sum(trailing)
    if total < 24 or months >= 12:
        return 1.0
    same_months_last_year = sum(trailing[i] for i in range(months))
    monthly_mean = total / 12
    factor = (same_months_last_year / months) / monthly_mean
    return min(2.0, max(0.5, factor))


def hotspots(*, period: Period, council_id: int | None = None, services=None) -> list[Hotspot]:
    """The flagged ones: tail probability below the threshold and at least the minimum count."""
    flagged = [h for h in hotspot_candidates(period=period, council_id=council_id, services=services)
               if h.p_value < settings.HOTSPOT_P_VALUE and h.count >= settings.HOTSPOT_MIN_COUNT]
    return flagged


def hotspot_job_ids(*, hotspot: Hotspot) -> list[int]:
    return list(Job.objects.exclude(status=JobStatus.CANCELLED).filter(
        suburb_id=hotspot.suburb_id, category_id=hotspot.category_id,
        notified_at__gte=hotspot.period.start, notified_at__lt=hotspot.period.end).values_list("id", flat=True))


@on_replica
def suburb_points(*, period: Period, council_id: int | None = None, services=None) -> list[dict]:
    """Each suburb with jobs in the period: where its jobs are on average, and how many."""
    jobs = Job.objects.exclude(status=JobStatus.CANCELLED).filter(
        notified_at__gte=period.start, notified_at__lt=period.end, latitude__isnull=False, longitude__isnull=False)
    if council_id:
        jobs = jobs.filter(council_id=council_id)
    if services:
        jobs = jobs.filter(service__in=list(services))
    rows = jobs.values("suburb_id", "suburb__name").annotate(
        lat=Avg("latitude"), lng=Avg("longitude"), n=Count("id")).order_by("-n")
    return [{"suburb_id": r["suburb_id"], "name": r["suburb__name"], "lat": float(r["lat"]), "lng": float(r["lng"]),
             "count": r["n"]} for r in rows]
