"""The analyst dashboard and the report's content: aggregated in SQL (or one pass over one
query's rows), so the number of queries does not grow with the data. Reads go to the
replica when there is one (``reporting.replica``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from enquiries.enums import DiaComplaintCategory, Service
from enquiries.models import Enquiry
from jobs.enums import OPEN_STATUSES, STAGE_OF_STATUS, JobStatus, Stage
from jobs.models import Job, Priority

from . import fast, inputs
from .charts import bar_chart, point_map
from .hotspots import hotspots, suburb_points
from .insights import key_insights
from .measures import ServiceMeasures, complaint_counts, councils, dia_measures_periods, median, population
from .periods import MONTH_NAMES, Period, month
from .replica import on_replica
from .rounding import half_up_float


@dataclass
class Scope:
    """What the analyst chose: a council (or all), the services and the period."""

    council_id: int | None
    services: list[str]
    period: Period

    @property
    def council_ids(self) -> list[int] | None:
        return [self.council_id] if self.council_id else None

    def query(self, **extra) -> str:
        from urllib.parse import urlencode

        params = {"council": self.council_id or "", "period": self.period.key, **extra}
        return urlencode([*params.items(), *[("service", s) for s in self.services]])


def _jobs(scope: Scope):
    jobs = Job.objects.filter(service__in=scope.services)
    return jobs.filter(council_id=scope.council_id) if scope.council_id else jobs


@on_replica
def open_work(*, scope: Scope) -> dict:
    """Open jobs now, by stage and priority: one query."""
    counts = (_jobs(scope).filter(status__in=OPEN_STATUSES).values_list("status", "priority__name")
              .annotate(n=Count("id")).order_by())
    priorities = list(Priority.objects.order_by("sort_order", "name").values_list("name", flat=True)) + [None]
    stages = [Stage.ENQUIRY, Stage.UPDATES, Stage.MANAGE]
    table = {stage: dict.fromkeys(priorities, 0) for stage in stages}
    for status, priority, n in counts:
        table[STAGE_OF_STATUS[JobStatus(status)]][priority] += n
    used = [p for p in priorities if any(table[s][p] for s in stages)]
    return {
        "priorities": ["Not yet categorised" if p is None else p for p in used],
        "rows": [(stage.label, [table[stage][p] for p in used], sum(table[stage].values())) for stage in stages],
        "total": sum(sum(row.values()) for row in table.values()),
    }


@on_replica
def compliance(*, scope: Scope, period: Period | None = None) -> dict:
    """Service-level compliance for the period's jobs: attended and resolved on time, %."""
    period = period or scope.period
    jobs = population(period=period, council_ids=scope.council_ids, services=scope.services).filter(
        excluded_from_measures=False)
    figures = jobs.aggregate(
        attended=Count("id", filter=Q(attended_at__isnull=False, attendance_due_at__isnull=False)),
        attended_on_time=Count("id", filter=Q(attended_at__lte=F("attendance_due_at"))),
        resolved=Count("id", filter=Q(completed_at__isnull=False, resolution_due_at__isnull=False)),
        resolved_on_time=Count("id", filter=Q(completed_at__lte=F("resolution_due_at"))),
    )
    figures["attended_pct"] = _pct(figures["attended_on_time"], figures["attended"])
    figures["resolved_pct"] = _pct(figures["resolved_on_time"], figures["resolved"])
    return figures


def _pct(part: int, whole: int) -> float | None:
    return half_up_float(100 * part / whole, 1) if whole else None


def _month_keys(period: Period) -> list[tuple[int, int]]:
    """Twelve months ending with the period's last month."""
    last_year, last_month = period.month_starts()[-1]
    index = last_year * 12 + last_month - 1
    return [divmod(i, 12) for i in range(index - 11, index + 1)]


@on_replica
def by_month(*, scope: Scope) -> dict:
    """Enquiries received and jobs notified, month by month for twelve months: two queries."""
    months = [(y, m + 1) for y, m in _month_keys(scope.period)]
    start, end = month(*months[0]).start, month(*months[-1]).end
    tz = timezone.get_default_timezone()
    enquiries = Enquiry.objects.filter(service__in=scope.services, received_at__gte=start, received_at__lt=end)
    jobs = _jobs(scope).exclude(status=JobStatus.CANCELLED).filter(notified_at__gte=start, notified_at__lt=end)
    if scope.council_id:
        enquiries = enquiries.filter(council_id=scope.council_id)
    counts = {}
    for name, queryset, column in (("enquiries", enquiries, "received_at"), ("jobs", jobs, "notified_at")):
        rows = queryset.annotate(m=TruncMonth(column, tzinfo=tz)).values_list("m").annotate(n=Count("id")).order_by()
        found = {(timezone.localtime(m).year, timezone.localtime(m).month): n for m, n in rows}
        counts[name] = [found.get(key, 0) for key in months]
    labels = [f"{MONTH_NAMES[m - 1][:3]} {y % 100:02d}" for y, m in months]
    return {"labels": labels, **counts}


@on_replica
def stage_durations(*, scope: Scope) -> list[dict]:
    """Median hours each stage of the journey took, for the period's jobs: one query."""
    steps = [
        (Stage.ENQUIRY, "notified_at", "attended_at", "notification to arrival on site"),
        (Stage.UPDATES, "attended_at", "repair_started_at", "arrival to the start of the repair"),
        (Stage.MANAGE, "repair_started_at", "completed_at", "start of the repair to resolution"),
        (Stage.CLOSE, "completed_at", "closed_at", "resolution to closing the call ticket"),
        (Stage.REPORTING, "closed_at", "reported_at", "closing to the published report"),
    ]
    jobs = population(period=scope.period, council_ids=scope.council_ids, services=scope.services)
    if fast.available():
        found = fast.span_medians(jobs=jobs, spans=[(a, b) for _s, a, b, _d in steps])
    else:
        columns = sorted({c for _s, a, b, _d in steps for c in (a, b)})
        spans = defaultdict(list)
        for row in jobs.values_list(*columns).order_by():
            row = dict(zip(columns, row, strict=True))
            for stage, a, b, _d in steps:
                if row[a] and row[b] and row[b] >= row[a]:
                    spans[stage].append((row[b] - row[a]).total_seconds() / 3600)
        found = [(median(spans[stage]), len(spans[stage])) for stage, _a, _b, _d in steps]
    result = []
    for (stage, _a, _b, description), (value, count) in zip(steps, found, strict=True):
        result.append({"stage": stage.label, "description": description, "count": count,
                       "median_hours": half_up_float(value, 1)})
    return result


def slowest_stage(stages: list[dict]) -> dict | None:
    timed = [s for s in stages if s["median_hours"] is not None and s["stage"] != Stage.REPORTING.label]
    return max(timed, key=lambda s: s["median_hours"], default=None)


@on_replica
def complaints_by_category(*, scope: Scope) -> list[tuple[str, int]]:
    counts = complaint_counts(period=scope.period, council_ids=scope.council_ids)
    totals = defaultdict(int)
    for (_council, category), n in counts.items():
        totals[category] += n
    return [(category.label, totals.get(category.value, 0)) for category in DiaComplaintCategory
            if any(category.value.startswith(_prefix(s)) for s in scope.services)]


def _prefix(service: str) -> str:
    return {"water_supply": "water_", "wastewater": "wastewater_", "stormwater": "stormwater_"}[service]


@on_replica
def feedback_summary(*, scope: Scope) -> dict | None:
    """Feedback scores for the period's jobs (stage 4), or None until feedback is recorded."""
    return inputs.feedback_scores(period=scope.period, council_ids=scope.council_ids, services=scope.services)


def measures_with_previous(*, scope: Scope) -> list[dict]:
    before = scope.period.previous()
    found = dia_measures_periods(periods=[scope.period, before], council_id=scope.council_id,
                                 services=scope.services)
    current, previous = found[scope.period.key], found[before.key]
    result = []
    for now, before in zip(current, previous, strict=True):
        result.append({"measures": now, "previous": before,
                       "pairs": [(f, before.figure(f.key)) for f in now.figures]})
    return result


def report_content(*, scope: Scope) -> dict:
    """Everything the dashboard and the PDF show, computed once."""
    with fast.analytic():
        return _report_content(scope=scope)


def _report_content(*, scope: Scope) -> dict:
    measures = measures_with_previous(scope=scope)
    found_hotspots = hotspots(period=scope.period, council_id=scope.council_id, services=scope.services)
    points = suburb_points(period=scope.period, council_id=scope.council_id, services=scope.services)
    months = by_month(scope=scope)
    stages = stage_durations(scope=scope)
    complaints = complaints_by_category(scope=scope)
    now_compliance = compliance(scope=scope)
    before_compliance = compliance(scope=scope, period=scope.period.previous())
    feedback = feedback_summary(scope=scope)
    charts = [
        bar_chart("chart-months", "Enquiries and jobs by month", months["labels"],
                  [("Enquiries", months["enquiries"]), ("Jobs", months["jobs"])]),
        bar_chart("chart-complaints", "Complaints by DIA category", [c.split(": ", 1)[-1] for c, _n in complaints],
                  [("Complaints", [n for _c, n in complaints])]),
        bar_chart("chart-stages", "Median hours in each stage", [s["stage"] for s in stages],
                  [("Median hours", [s["median_hours"] or 0 for s in stages])], unit=" h"),
    ]
    hot_map = point_map("chart-map", "Jobs by suburb", points, flagged={h.suburb_id for h in found_hotspots})
    return {
        "scope": scope,
        "council": councils(scope.council_id).first() if scope.council_id else None,
        "services": [Service(s).label for s in scope.services],
        "open_work": open_work(scope=scope),
        "compliance": now_compliance,
        "previous_compliance": before_compliance,
        "measures": measures,
        "months": months,
        "complaints": complaints,
        "feedback": feedback,
        "stages": stages,
        "slowest": slowest_stage(stages),
        "hotspots": found_hotspots,
        "charts": charts,
        "map": hot_map,
        "insights": key_insights(measures=measures, hotspots=found_hotspots, compliance=now_compliance,
                                 previous_compliance=before_compliance, stages=stages, feedback=feedback,
                                 period=scope.period, council_id=scope.council_id, services=scope.services),
    }


def measures_as_dict(measures: list[ServiceMeasures]) -> dict:
    return {m.service: {"population": m.population, "excluded": m.excluded,
                        "figures": [f.as_dict() for f in m.figures]} for m in measures}
