"""The DIA Non-Financial Performance Measures Rules 2013, computed from each job's own history.

Definitions (the report's method page prints this docstring's rules in words):

- **Population**: jobs not cancelled (merged duplicates are cancelled too), of that council and
  service, whose notification time (``Job.notified_at``: the earliest linked enquiry's received
  time, or when staff or telemetry found the fault) falls in the period, in New Zealand time.
  Jobs excluded from the measures (with an audited reason) stay in the population's count but
  are left out of every median, and are counted beside them.
- **Urgent or non-urgent, and which measure**: the classification in force at the time of the
  measure (``facts.Classification``): at arrival on site for attendance time, at the confirmed
  resolution for resolution time. A job categorised only after its arrival takes its first
  classification; a job not yet attended or resolved takes its current one.
- **Attendance time** = first arrival on site (``Job.attended_at``, the first ``Visit``) minus
  notification. **Resolution time** = the last confirmed resolution (``Job.completed_at``; a
  reopened job is unresolved until it is resolved again) minus notification. Jobs not yet
  attended or resolved are left out of that median and counted beside it.
- **Median**: the middle value; for an even count, the mean of the two middle values. Shown in
  minutes for attendance and in hours (one decimal) for resolution.
- **Per 1000 connections**: a count divided by the council's connections (connected properties
  for stormwater) for the financial year the period falls in, times 1000.
- **Complaints**: every enquiry whose issue type maps to a DIA complaint category, plus every
  complaint (stage 3) in a DIA category, received in the period; a complaint raised on an
  enquiry already counted is not counted again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.enums import OrganisationKind
from accounts.models import Organisation
from enquiries.enums import DIA_CATEGORY_SERVICE, DiaComplaintCategory, Service
from enquiries.models import Enquiry
from jobs.enums import JobStatus, KpiClass
from jobs.models import Classification, ConnectionCount, Job

from . import inputs
from .periods import Period
from .replica import on_replica


def median(values: Iterable[float]) -> float | None:
    """The middle value; for an even count, the mean of the two middle values; None when empty."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True)
class JobRow:
    """One job's inputs to the measures, as read from its history."""

    id: int
    council_id: int
    service: str
    notified_at: datetime
    attended_at: datetime | None
    completed_at: datetime | None
    urgent_at_arrival: bool | None
    kpi_at_arrival: str
    urgent_at_resolution: bool | None
    kpi_at_resolution: str
    excluded: bool
    status: str
    suburb_id: int
    urgent_now: bool | None
    kpi_now: str
    fault: dict = field(default_factory=dict, compare=False)

    @property
    def attendance_minutes(self) -> float | None:
        if self.attended_at is None:
            return None
        return (self.attended_at - self.notified_at).total_seconds() / 60

    @property
    def resolution_hours(self) -> float | None:
        if self.completed_at is None:
            return None
        return (self.completed_at - self.notified_at).total_seconds() / 3600


def _classification(value: str, moment: str | None):
    facts = Classification.objects.filter(job=OuterRef("pk"))
    first = Subquery(facts.order_by("at", "id").values(value)[:1])
    if moment is None:
        return first
    at_moment = Subquery(facts.filter(at__lte=OuterRef(moment)).order_by("-at", "-id").values(value)[:1])
    return Coalesce(at_moment, first, F(value))


def population(*, period: Period, council_ids: Iterable[int] | None = None, services: Iterable[str] | None = None):
    """The jobs the measures count: not cancelled, notified in the period (half-open, NZ time)."""
    jobs = Job.objects.exclude(status=JobStatus.CANCELLED).filter(
        notified_at__gte=period.start, notified_at__lt=period.end)
    if council_ids is not None:
        jobs = jobs.filter(council_id__in=list(council_ids))
    if services is not None:
        jobs = jobs.filter(service__in=list(services))
    return jobs


@on_replica
def job_rows(*, period: Period, council_ids: Iterable[int] | None = None,
             services: Iterable[str] | None = None) -> list[JobRow]:
    """Every job of the population with its measure inputs: one query whatever the count."""
    jobs = population(period=period, council_ids=council_ids, services=services).annotate(
        urgent_at_arrival=_classification("is_urgent", "attended_at"),
        kpi_at_arrival=_classification("kpi_class", "attended_at"),
        urgent_at_resolution=_classification("is_urgent", "completed_at"),
        kpi_at_resolution=_classification("kpi_class", "completed_at"),
        **inputs.fault_annotations(),
    ).order_by()
    fault_columns = inputs.fault_columns()
    names = ["id", "council_id", "service", "notified_at", "attended_at", "completed_at", "urgent_at_arrival",
             "kpi_at_arrival", "urgent_at_resolution", "kpi_at_resolution", "excluded_from_measures", "status",
             "suburb_id", "is_urgent", "kpi_class", *fault_columns]
    rows = []
    for values in jobs.values_list(*names):
        base, extra = values[:15], values[15:]
        rows.append(JobRow(*base, fault=dict(zip(fault_columns, extra, strict=True)) if extra else {}))
    return rows


# Figures --------------------------------------------------------------------------------

@dataclass
class Figure:
    """One published number, with what it was computed from so an auditor can redo it."""

    key: str
    label: str
    unit: str  # minutes, hours, per1000, count
    value: float | None
    counted: int = 0  # jobs (or enquiries) in the figure
    pending: int = 0  # not yet attended / resolved: left out of a median
    excluded: int = 0  # excluded from the measures, with a reason
    numerator: int | None = None  # for per-1000 figures
    connections: int | None = None
    note: str = ""
    pending_label: str = ""

    @property
    def display(self) -> str:
        return format_value(self.value, self.unit)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "unit": self.unit, "value": self.value,
                "counted": self.counted, "pending": self.pending, "excluded": self.excluded,
                "numerator": self.numerator, "connections": self.connections, "note": self.note}


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "minutes":
        return f"{value:.0f} min" if float(value).is_integer() else f"{value:.1f} min"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "per1000":
        return f"{value:.2f}"
    return f"{value:.0f}"


@dataclass(frozen=True)
class MedianSpec:
    key: str
    label: str
    kind: str  # attendance or resolution
    kpi: str
    urgent: bool | None  # None: either
    extra: Callable[[JobRow], bool] | None = None

    def member(self, row: JobRow, *, now: bool = False) -> bool:
        """Does the row belong to this measure, by its classification at the measure's time
        (or its current one, ``now``, for a job still waiting for that time)?"""
        if now:
            kpi, urgent = row.kpi_now, row.urgent_now
        elif self.kind == "attendance":
            kpi, urgent = row.kpi_at_arrival, row.urgent_at_arrival
        else:
            kpi, urgent = row.kpi_at_resolution, row.urgent_at_resolution
        if kpi != self.kpi or (self.urgent is not None and bool(urgent) != self.urgent):
            return False
        return self.extra is None or self.extra(row)

    def value_of(self, row: JobRow) -> float | None:
        return row.attendance_minutes if self.kind == "attendance" else row.resolution_hours


MEDIANS = {
    Service.WATER_SUPPLY: [
        MedianSpec("water-urgent-attendance", "Urgent call-outs: median attendance time", "attendance",
                   KpiClass.WATER_FAULT, True),
        MedianSpec("water-urgent-resolution", "Urgent call-outs: median resolution time", "resolution",
                   KpiClass.WATER_FAULT, True),
        MedianSpec("water-nonurgent-attendance", "Non-urgent call-outs: median attendance time", "attendance",
                   KpiClass.WATER_FAULT, False),
        MedianSpec("water-nonurgent-resolution", "Non-urgent call-outs: median resolution time", "resolution",
                   KpiClass.WATER_FAULT, False),
    ],
    Service.WASTEWATER: [
        MedianSpec("wastewater-attendance", "Overflows from blockages or other faults: median attendance time",
                   "attendance", KpiClass.WASTEWATER_OVERFLOW, None, inputs.is_overflow_fault),
        MedianSpec("wastewater-resolution", "Overflows from blockages or other faults: median resolution time",
                   "resolution", KpiClass.WASTEWATER_OVERFLOW, None, inputs.is_overflow_fault),
    ],
    Service.STORMWATER: [
        MedianSpec("stormwater-attendance", "Flooding events: median attendance time", "attendance",
                   KpiClass.STORMWATER_FLOODING, None),
    ],
}


def _median_tally(spec: MedianSpec, rows: list[JobRow]) -> tuple[tuple[float | None, int, int, int], list[int]]:
    """(median, counted, pending, excluded) and the jobs counted."""
    values, ids, pending, excluded = [], [], 0, 0
    for row in rows:
        done = (row.attended_at if spec.kind == "attendance" else row.completed_at) is not None
        if not done:
            # Not yet attended or resolved: its current classification says which measure waits.
            if spec.member(row, now=True) and not row.excluded:
                pending += 1
            continue
        if not spec.member(row):
            continue
        if row.excluded:
            excluded += 1
            continue
        values.append(spec.value_of(row))
        ids.append(row.id)
    return (median(values), len(values), pending, excluded), ids


def _median_figure(spec: MedianSpec, tally: tuple[float | None, int, int, int]) -> Figure:
    value, counted, pending, excluded = tally
    unit = "minutes" if spec.kind == "attendance" else "hours"
    return Figure(spec.key, spec.label, unit, _round(value, unit), counted=counted, pending=pending,
                  excluded=excluded,
                  pending_label="not yet attended" if spec.kind == "attendance" else "not yet resolved")


@dataclass
class Tally:
    """What one service's figures are made from: counted here from the job rows (``tally_rows``),
    or aggregated in PostgreSQL by ``reporting.fast`` to the same definitions."""

    medians: dict[str, tuple[float | None, int, int, int]] = field(default_factory=dict)  # see _median_tally
    population: int = 0
    excluded: int = 0
    dry_overflows: int = 0
    flooding_events: int = 0
    habitable_floors: int | None = 0
    ids: dict[str, list[int]] = field(default_factory=dict)


def tally_rows(service: str, rows: list[JobRow]) -> Tally:
    """The reference definitions, over one service's rows (the SQL path is held to these)."""
    tally = Tally(population=len(rows), excluded=sum(1 for r in rows if r.excluded))
    for spec in MEDIANS[service]:
        tally.medians[spec.key], tally.ids[spec.key] = _median_tally(spec, rows)
    if service == Service.WASTEWATER:
        dry = [r.id for r in rows if r.kpi_at_arrival == KpiClass.WASTEWATER_OVERFLOW and inputs.is_dry_weather(r)
               and not r.excluded]
        tally.dry_overflows, tally.ids["wastewater-dry-overflows"] = len(dry), dry
    if service == Service.STORMWATER:
        tally.flooding_events = inputs.flooding_events(rows)
        tally.habitable_floors = inputs.habitable_floors(rows)
        event_ids = [r.id for r in rows if r.kpi_at_arrival == KpiClass.STORMWATER_FLOODING and not r.excluded]
        tally.ids["stormwater-events"] = tally.ids["stormwater-floors"] = event_ids
    return tally


def _round(value: float | None, unit: str) -> float | None:
    if value is None:
        return None
    return round(value, 1 if unit in ("minutes", "hours") else 2)


def per_thousand(count: int, connections: int | None) -> float | None:
    if not connections:
        return None
    return round(count * 1000 / connections, 2)


# Complaints -----------------------------------------------------------------------------

@on_replica
def complaint_counts(*, period: Period, council_ids: Iterable[int] | None = None) -> dict[tuple[int, str], int]:
    """(council id, DIA category) -> complaints received in the period, each counted once."""
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for council_id, category, n in dia_enquiries(period=period, council_ids=council_ids).values_list(
            "council_id", "issue_type__dia_category").annotate(n=Count("id")).order_by():
        counts[(council_id, category)] += n
    if inputs.complaints_ready():
        for council_id, category, n in inputs.dia_complaints(period=period, council_ids=council_ids).values_list(
                "council_id", "category__dia_measure").annotate(n=Count("id")).order_by():
            counts[(council_id, category)] += n
    return counts


def dia_enquiries(*, period: Period, council_ids: Iterable[int] | None = None):
    enquiries = Enquiry.objects.exclude(issue_type__dia_category="").filter(
        received_at__gte=period.start, received_at__lt=period.end)
    if council_ids is not None:
        enquiries = enquiries.filter(council_id__in=list(council_ids))
    return enquiries


# Connections ----------------------------------------------------------------------------

@on_replica
def connections_for(*, financial_year: int, council_ids: Iterable[int] | None = None) -> dict[tuple[int, str], int]:
    counts = ConnectionCount.objects.filter(financial_year=financial_year)
    if council_ids is not None:
        counts = counts.filter(council_id__in=list(council_ids))
    return {(c, s): n for c, s, n in counts.values_list("council_id", "service", "connections")}


# The measures for a council (or several together) and a service --------------------------

@dataclass
class ServiceMeasures:
    service: str
    figures: list[Figure]
    population: int
    excluded: int
    ids: dict[str, list[int]] = field(default_factory=dict, repr=False)

    @property
    def service_label(self) -> str:
        return Service(self.service).label

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def service_measures(*, service: str, rows: list[JobRow], complaints: dict[tuple[int, str], int],
                     connections: dict[tuple[int, str], int], council_ids: list[int]) -> ServiceMeasures:
    rows = [r for r in rows if r.service == service and r.council_id in council_ids]
    return measures_from(service=service, tally=tally_rows(service, rows), complaints=complaints,
                         connections=connections, council_ids=council_ids)


def measures_from(*, service: str, tally: Tally, complaints: dict[tuple[int, str], int],
                  connections: dict[tuple[int, str], int], council_ids: list[int]) -> ServiceMeasures:
    figures = [_median_figure(spec, tally.medians.get(spec.key, (None, 0, 0, 0))) for spec in MEDIANS[service]]
    connected = sum(connections.get((c, service), 0) for c in council_ids) or None
    if service == Service.WASTEWATER:
        dry = tally.dry_overflows
        figures.append(Figure("wastewater-dry-overflows", "Dry-weather overflows per 1000 connections", "per1000",
                              per_thousand(dry, connected) if inputs.fieldwork_ready() else None,
                              counted=dry, numerator=dry, connections=connected,
                              note="" if inputs.fieldwork_ready() else inputs.AWAITS_FIELDWORK))
    if service == Service.STORMWATER:
        events, floors = tally.flooding_events, tally.habitable_floors
        figures.append(Figure("stormwater-events", "Flooding events per 1000 connected properties", "per1000",
                              per_thousand(events, connected), counted=events, numerator=events,
                              connections=connected,
                              note="" if inputs.fieldwork_ready() else "Each flooding job counted as one event "
                                                                       "until events are recorded (issue 9)."))
        figures.append(Figure("stormwater-floors", "Habitable floors affected per 1000 connected properties",
                              "per1000", per_thousand(floors, connected) if floors is not None else None,
                              counted=floors or 0, numerator=floors, connections=connected,
                              note="" if floors is not None else inputs.AWAITS_FIELDWORK))
    total = 0
    for category in DiaComplaintCategory:
        if DIA_CATEGORY_SERVICE[category] != service:
            continue
        count = sum(complaints.get((c, category.value), 0) for c in council_ids)
        total += count
        figures.append(Figure(f"complaints-{category.value}", f"Complaints per 1000 connections: "
                              f"{category.label.split(': ', 1)[1]}", "per1000", per_thousand(count, connected),
                              counted=count, numerator=count, connections=connected))
    figures.append(Figure(f"complaints-{service}", "Complaints per 1000 connections: total", "per1000",
                          per_thousand(total, connected), counted=total, numerator=total, connections=connected))
    return ServiceMeasures(service=service, figures=figures, population=tally.population, excluded=tally.excluded,
                           ids=tally.ids)


def councils(council_id: int | None = None):
    found = Organisation.objects.filter(kind=OrganisationKind.COUNCIL).order_by("name")
    return found.filter(pk=council_id) if council_id else found


def _in_sql(with_ids: bool = False) -> bool:
    """Aggregate in PostgreSQL (``reporting.fast``), unless the jobs behind each figure are
    wanted; SQLite (the demo, half the tests) computes from the rows by the same definitions."""
    from . import fast

    return not with_ids and fast.available() and inputs.fieldwork_ready()


def dia_measures(*, period: Period, council_id: int | None = None,
                 services: Iterable[str] | None = None, with_ids: bool = False) -> list[ServiceMeasures]:
    """The measures for one council (or all together) and each service: a few queries in all.
    On PostgreSQL they are aggregated in the database unless the jobs behind each figure are
    wanted (``with_ids``)."""
    from . import fast

    services = list(services or Service.values)
    council_ids = [council_id] if council_id else list(councils().values_list("pk", flat=True))
    complaints = complaint_counts(period=period, council_ids=council_ids)
    connections = connections_for(financial_year=period.financial_year, council_ids=council_ids)
    if _in_sql(with_ids):
        with fast.analytic():
            found = fast.tallies(period=period, council_ids=council_ids, services=services, together=True)
        return [measures_from(service=s, tally=found.get((None, s), Tally()), complaints=complaints,
                              connections=connections, council_ids=council_ids) for s in services]
    rows = job_rows(period=period, council_ids=council_ids, services=services)
    return [service_measures(service=s, rows=rows, complaints=complaints, connections=connections,
                             council_ids=council_ids) for s in services]


def dia_measures_periods(*, periods: list[Period], council_id: int | None = None,
                         services: Iterable[str] | None = None) -> dict[str, list[ServiceMeasures]]:
    """``dia_measures`` for several periods that do not overlap (the dashboard's and the one
    before it), keyed by period: on PostgreSQL the jobs are read once for all of them."""
    from . import fast

    if not _in_sql():
        return {p.key: dia_measures(period=p, council_id=council_id, services=services) for p in periods}
    services = list(services or Service.values)
    council_ids = [council_id] if council_id else list(councils().values_list("pk", flat=True))
    with fast.analytic():
        found = fast.tallies_for_periods(periods=periods, council_ids=council_ids, services=services, together=True)
        result = {}
        for period in periods:
            complaints = complaint_counts(period=period, council_ids=council_ids)
            connections = connections_for(financial_year=period.financial_year, council_ids=council_ids)
            result[period.key] = [
                measures_from(service=s, tally=found.get((period.key, None, s), Tally()), complaints=complaints,
                              connections=connections, council_ids=council_ids) for s in services]
    return result


def dia_measures_every_council(*, period: Period) -> dict[tuple[int, str], ServiceMeasures]:
    """Every measure for every council and service in the period, from one read of each source:
    aggregated in PostgreSQL (``reporting.fast``), or computed from the rows elsewhere."""
    from . import fast

    council_ids = list(councils().values_list("pk", flat=True))
    complaints = complaint_counts(period=period, council_ids=council_ids)
    connections = connections_for(financial_year=period.financial_year, council_ids=council_ids)
    if _in_sql():
        with fast.analytic():
            found = fast.tallies(period=period, council_ids=council_ids)
        return {(c, s): measures_from(service=s, tally=found.get((c, s), Tally()), complaints=complaints,
                                      connections=connections, council_ids=[c])
                for c in council_ids for s in Service.values}
    by_council: dict[int, list[JobRow]] = defaultdict(list)
    for row in job_rows(period=period, council_ids=council_ids):
        by_council[row.council_id].append(row)
    return {(c, s): service_measures(service=s, rows=by_council[c], complaints=complaints,
                                     connections=connections, council_ids=[c])
            for c in council_ids for s in Service.values}


def figure_job_ids(*, key: str, period: Period, council_id: int | None, service: str) -> list[int]:
    """The jobs behind one figure, found by the same code that computed it."""
    measures = dia_measures(period=period, council_id=council_id, services=[service], with_ids=True)[0]
    if key not in measures.ids:
        raise KeyError(key)
    return measures.ids[key]
