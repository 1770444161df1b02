"""The DIA Non-Financial Performance Measures Rules 2013, computed from each job's own history.

Definitions (the report's method page states the same rules in plain words: ``reporting.method``):

- **Population**: jobs not cancelled (merged duplicates are cancelled too), of that council and
  service, whose notification time (``Job.notified_at``: the earliest linked enquiry's received
  time, or when staff or telemetry found the fault) falls in the period, in New Zealand time.
- **One classification per job**: a job counts under its current service and under one urgency
  and one DIA measure, its classification in force now (the latest ``Classification``, which
  ``Job.is_urgent`` and ``Job.kpi_class`` copy). The urgency is fixed when the job is
  categorised; only a case manager's logged correction (a reclassification with a reason, or a
  change of service) moves it, and it moves the whole job: attendance, resolution and counts.
- **Call-outs**: the medians are about call-outs, jobs a customer or member of the public told
  us about (``JobSource.CUSTOMER``). Jobs raised by staff or telemetry have their own medians,
  reported beside the call-outs' and never inside them.
- **Attendance time** = first arrival on site (``Job.attended_at``, the first ``Visit``) minus
  notification. **Resolution time** = the last confirmed resolution (``Job.completed_at``; a
  reopened job is unresolved until it is resolved again) minus notification. Jobs not yet
  attended or resolved are left out of that median and counted beside it.
- **Wastewater medians** cover overflows caused by blockages or other faults: jobs whose DIA
  measure is the overflow measure and, once the crew has assessed them, whose fault type is a
  wastewater fault (overflow, blockage or other fault).
- **Excluded jobs** (with an audited reason) leave the medians only, counted beside them; they
  stay in the population and in the event counts (dry-weather overflows, flooding events,
  habitable floors), unless the reason says the asset is not the council's
  (``inputs.not_our_asset``).
- **Median**: the middle value; for an even count, the mean of the two middle values. Shown in
  minutes for attendance and in hours for resolution, to one decimal.
- **Events**: a dry-weather overflow and a flooding event are events, not jobs: callers about one
  overflow are one job (their enquiries are linked to it, or its duplicates merged into it and
  cancelled); jobs the crew put in one recorded flooding event are one event.
- **Stormwater**: the number of flooding events is a count; the habitable floors affected are per
  1000 connected properties.
- **Per 1000 connections**: a count divided by the council's connections (connected properties
  for stormwater) for the financial year the period falls in, times 1000.
- **Complaints**: every enquiry whose issue type maps to a DIA complaint category, plus every
  complaint (stage 3) in a DIA category, received in the period; a complaint raised on an
  enquiry already counted is not counted again, except a complaint about our response, which
  counts under "response" when its enquiry was counted under another matter.
- **Rounding**: decimal half-up, once, where a figure is shown (``reporting.rounding``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models import Count

from accounts.enums import OrganisationKind
from accounts.models import Organisation
from enquiries.enums import DIA_CATEGORY_SERVICE, DiaComplaintCategory, Service
from enquiries.models import Enquiry
from jobs.enums import JobSource, JobStatus, KpiClass
from jobs.models import ConnectionCount, Job

from . import inputs
from .periods import Period
from .replica import on_replica
from .rounding import format_value


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
    """One job's inputs to the measures: its own columns (``MEASURE_COLUMNS``) and its latest
    assessment."""

    id: int
    council_id: int
    service: str
    source: str
    notified_at: datetime
    attended_at: datetime | None
    completed_at: datetime | None
    is_urgent: bool | None
    kpi_class: str
    excluded: bool
    excluded_reason: str
    status: str
    suburb_id: int
    fault: dict = field(default_factory=dict, compare=False)

    @property
    def call_out(self) -> bool:
        return self.source == JobSource.CUSTOMER

    @property
    def in_events(self) -> bool:
        """Counted in the event counts: every job but one excluded as not the council's asset."""
        return not (self.excluded and inputs.not_our_asset(self.excluded_reason))

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


# The job columns the measures read, in JobRow's order: the one list the Python rows, the SQL
# aggregate (``reporting.fast``) and the stored months' triggers (``reporting.triggers``) use.
MEASURE_COLUMNS = ("id", "council_id", "service", "source", "notified_at", "attended_at", "completed_at",
                   "is_urgent", "kpi_class", "excluded_from_measures", "excluded_reason", "status", "suburb_id")


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
        **inputs.fault_annotations()).order_by()
    fault_columns = inputs.fault_columns()
    width = len(MEASURE_COLUMNS)
    rows = []
    for values in jobs.values_list(*MEASURE_COLUMNS, *fault_columns):
        base, extra = values[:width], values[width:]
        rows.append(JobRow(*base, fault=dict(zip(fault_columns, extra, strict=True)) if extra else {}))
    return rows


# Figures --------------------------------------------------------------------------------

@dataclass
class Figure:
    """One published number, with what it was computed from so an auditor can redo it. The
    value is exact; it is rounded once, where it is shown (``display``)."""

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


@dataclass(frozen=True)
class MedianSpec:
    key: str
    label: str
    kind: str  # attendance or resolution
    kpi: str
    urgent: bool | None  # None: either
    extra: Callable[[JobRow], bool] | None = None
    found: bool = False  # jobs raised by staff or telemetry, beside the call-outs

    def member(self, row: JobRow) -> bool:
        """Is the job in this median's population: its current service's, by its one
        classification (``Job.kpi_class``, ``Job.is_urgent``) and who told us?"""
        if row.kpi_class != self.kpi or (self.urgent is not None and bool(row.is_urgent) != self.urgent):
            return False
        if row.call_out == self.found:
            return False
        return self.extra is None or self.extra(row)

    def value_of(self, row: JobRow) -> float | None:
        return row.attendance_minutes if self.kind == "attendance" else row.resolution_hours


def _with_found(specs: list[MedianSpec]) -> list[MedianSpec]:
    """The call-out medians, then the same medians of the jobs staff or telemetry raised."""
    def label(text: str) -> str:
        if "call-outs" in text:
            return text.replace("call-outs", "jobs raised by staff or telemetry (not call-outs)")
        return f"Raised by staff or telemetry (not call-outs): {text[0].lower()}{text[1:]}"

    beside = [replace(s, key=f"{s.key}-found", found=True, label=label(s.label)) for s in specs]
    return specs + beside


MEDIANS = {
    Service.WATER_SUPPLY: _with_found([
        MedianSpec("water-urgent-attendance", "Urgent call-outs: median attendance time", "attendance",
                   KpiClass.WATER_FAULT, True),
        MedianSpec("water-urgent-resolution", "Urgent call-outs: median resolution time", "resolution",
                   KpiClass.WATER_FAULT, True),
        MedianSpec("water-nonurgent-attendance", "Non-urgent call-outs: median attendance time", "attendance",
                   KpiClass.WATER_FAULT, False),
        MedianSpec("water-nonurgent-resolution", "Non-urgent call-outs: median resolution time", "resolution",
                   KpiClass.WATER_FAULT, False),
    ]),
    Service.WASTEWATER: _with_found([
        MedianSpec("wastewater-attendance", "Overflows from blockages or other faults: median attendance time",
                   "attendance", KpiClass.WASTEWATER_OVERFLOW, None, inputs.is_overflow_fault),
        MedianSpec("wastewater-resolution", "Overflows from blockages or other faults: median resolution time",
                   "resolution", KpiClass.WASTEWATER_OVERFLOW, None, inputs.is_overflow_fault),
    ]),
    Service.STORMWATER: _with_found([
        MedianSpec("stormwater-attendance", "Flooding events: median attendance time", "attendance",
                   KpiClass.STORMWATER_FLOODING, None),
    ]),
}


def _median_tally(spec: MedianSpec, rows: list[JobRow]) -> tuple[tuple[float | None, int, int, int], list[int]]:
    """(median, counted, pending, excluded) and the jobs counted."""
    values, ids, pending, excluded = [], [], 0, 0
    for row in rows:
        if not spec.member(row):
            continue
        value = spec.value_of(row)
        if row.excluded:
            excluded += value is not None
        elif value is None:
            pending += 1
        else:
            values.append(value)
            ids.append(row.id)
    return (median(values), len(values), pending, excluded), ids


def _median_figure(spec: MedianSpec, tally: tuple[float | None, int, int, int]) -> Figure:
    value, counted, pending, excluded = tally
    unit = "minutes" if spec.kind == "attendance" else "hours"
    return Figure(spec.key, spec.label, unit, value, counted=counted, pending=pending, excluded=excluded,
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
    tally = Tally(population=len(rows), excluded=sum(1 for r in rows if r.excluded), ids={"population": [
        r.id for r in rows]})
    for spec in MEDIANS[service]:
        tally.medians[spec.key], tally.ids[spec.key] = _median_tally(spec, rows)
    if service == Service.WASTEWATER:
        dry = [r.id for r in rows if r.kpi_class == KpiClass.WASTEWATER_OVERFLOW and inputs.is_dry_weather(r)
               and r.in_events]
        tally.dry_overflows, tally.ids["wastewater-dry-overflows"] = len(dry), dry
    if service == Service.STORMWATER:
        tally.flooding_events = inputs.flooding_events(rows)
        tally.habitable_floors = inputs.habitable_floors(rows)
        event_ids = [r.id for r in inputs.flooding_rows(rows)]
        tally.ids["stormwater-events"] = tally.ids["stormwater-floors"] = event_ids
    return tally


def per_thousand(count: int, connections: int | None) -> float | None:
    """Exact: rounded where it is shown (``reporting.rounding``)."""
    if not connections:
        return None
    return count * 1000 / connections


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
        figures.append(Figure("stormwater-events", "Number of flooding events", "count", events,
                              counted=events,
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
