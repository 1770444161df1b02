"""The measures' tallies for every council and service at once, aggregated inside PostgreSQL.

The same definitions as ``measures`` (a test holds the two to the same figures on random
data): each job under its current service and its one classification (its own ``kpi_class``
and ``is_urgent``), call-outs apart from jobs raised by staff or telemetry, excluded jobs beside
the medians, the crew's latest assessment for the fault type, the weather and the flooding
event. Every input is a column of the job or of its latest assessment: no per-job look-up.

The jobs are aggregated into ``Chunk``s (a group's counts and each median's values in ascending
order), per period or per month (``reporting.rollups`` stores the months). Medians are exact,
not interpolated: ``merged`` takes the two middle values of all a period's chunks together
(the same one for an odd count) and their mean as ``measures.median`` does, so the figures
match to the last bit.
"""

from __future__ import annotations

import re
import struct
import sys
from array import array
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Case, F, IntegerField, Sum, Value, When

from enquiries.enums import Service
from jobs.enums import JobSource, KpiClass

from . import inputs
from .measures import MEDIANS, Tally, population
from .periods import Period, month
from .replica import on_replica, replica_alias

# The job columns the tallies read (and the population's filter, ``status``): the stored months'
# trigger (``reporting.triggers``) watches exactly these, so a change to any of them is logged.
JOB_COLUMNS = ("service", "source", "kpi_class", "is_urgent", "excluded_from_measures", "excluded_reason",
               "notified_at", "attended_at", "completed_at", "status")


def available() -> bool:
    return connections[replica_alias()].vendor == "postgresql"


def middle(lower: float | None, upper: float | None, count: int, scale: int) -> float | None:
    """``measures.median`` from the two middle values (in seconds), in the figure's unit."""
    if not count or lower is None:
        return None
    lower, upper = lower / scale, upper / scale
    return lower if count % 2 else (lower + upper) / 2


_SCALE = {"attendance": 60, "resolution": 3600}
_SPECS = [(service, spec) for service in Service.values for spec in MEDIANS[service]]


def _literal(value: str) -> str:
    """A code constant (a service or DIA measure name) written into the SQL."""
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValueError(value)
    return f"'{value}'"


def _member(service: str, spec) -> str:
    """``MedianSpec.member`` in SQL, over the columns of ``t`` in ``chunks``."""
    condition = f"t.service = {_literal(service)} AND t.kpi = {_literal(spec.kpi)}"
    if spec.urgent is not None:
        condition += f" AND t.urgent IS {'TRUE' if spec.urgent else 'NOT TRUE'}"
    condition += f" AND t.found IS {'TRUE' if spec.found else 'FALSE'}"
    if service == Service.WASTEWATER:  # inputs.is_overflow_fault: not assessed, or a wastewater fault
        condition += " AND (t.f_service IS NULL OR t.f_service = 'wastewater')"
    return condition


# percentile_disc(p) is the value at row ceil(p * n) of the ordered values: p = 0.5 gives the lower
# middle value (the middle one for an odd count), p = 0.5 + 1e-9 the upper middle one for any
# count under 5 x 10^8. The two share one sort (``span_medians``).
_UPPER = "0.500000001"


def _aggregates() -> list[str]:
    """Per median: its values in ascending order (``float8send``: eight bytes each, big-endian, as
    ``Chunk`` reads them), and the counted, pending and excluded jobs. A job's median is numbered
    once per kind in ``t`` (``a_spec``, ``r_spec``), so each of these filters compares integers
    rather than evaluating the median's definition again on every job."""
    columns = []
    for i, (_service, spec) in enumerate(_SPECS):
        prefix = spec.kind[0]
        seconds, member = f"t.{prefix}_sec", f"t.{prefix}_spec = {i}"
        counted = f"{member} AND {seconds} IS NOT NULL AND NOT t.excl"
        columns += [f"string_agg(float8send({seconds}), ''::bytea ORDER BY {seconds}) FILTER (WHERE {counted})",
                    f"count(*) FILTER (WHERE {counted})",
                    f"count(*) FILTER (WHERE {member} AND {seconds} IS NULL AND NOT t.excl)",
                    f"count(*) FILTER (WHERE {member} AND {seconds} IS NOT NULL AND t.excl)"]
    return columns


def _numbered(kind: str) -> str:
    """The number (index in _SPECS) of the job's median of this kind, or NULL: at most one, as a
    service's medians of one kind exclude each other."""
    return "CASE " + " ".join(f"WHEN {_member(service, spec)} THEN {i}" for i, (service, spec) in enumerate(_SPECS)
                              if spec.kind == kind) + " END"


# The dry-weather, flooding-event and habitable-floor counts (``measures.tally_rows``): by the
# job's one DIA measure, every job but one excluded as not the council's asset (``t.gone``).
_DRY = (f"t.service = {_literal(Service.WASTEWATER)} AND t.kpi = {_literal(KpiClass.WASTEWATER_OVERFLOW)} "
        "AND t.f_weather = 'dry' AND NOT t.gone")
_FLOODING = (f"t.service = {_literal(Service.STORMWATER)} AND t.kpi = {_literal(KpiClass.STORMWATER_FLOODING)} "
             "AND NOT t.gone")


@contextmanager
def analytic():
    """One transaction on the reporting database for a dashboard's or report's queries, with
    PostgreSQL's JIT off and a larger sort memory. The measures' plans carried huge cost estimates,
    so the planner compiled them: at 1M enquiries 2.3 of the tallies' 3.9 s once went to JIT
    compilation, and the sorts spilled to disk (a
    year's 237,000 jobs sort in 42 MB: 128 MB keeps them in memory, for this transaction only)."""
    alias = replica_alias()
    if connections[alias].vendor != "postgresql" or _analytic.get():
        yield
        return
    token = _analytic.set(True)
    try:
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '128MB', true)")
            yield
    finally:
        _analytic.reset(token)


_analytic: ContextVar[bool] = ContextVar("analytic", default=False)


@dataclass
class Chunk:
    """One group's tallies before their medians are taken (a council's or several councils'
    service in a period or a month): what ``merged`` adds up into a ``Tally``. ``medians``: per
    median key, its values in seconds, ascending, as eight bytes each (big-endian float8), then
    the counted, pending and excluded jobs. ``reporting.rollups`` stores a month's."""

    population: int = 0
    excluded: int = 0
    dry_overflows: int = 0
    events: list[int] = field(default_factory=list)  # recorded flooding events
    lone_events: int = 0  # flooding jobs with no event recorded: each one its own event
    lone_floors: int = 0  # the habitable floors on those jobs' assessments
    medians: dict[str, tuple[bytes, int, int, int]] = field(default_factory=dict)


def _middle_values(parts: list[bytes], count: int) -> tuple[float, float]:
    """The lower and upper middle values of the ``count`` values in the sorted parts together."""
    lower_at, upper_at = (count - 1) // 2, count // 2
    parts = [part for part in parts if part]
    if len(parts) == 1:
        return struct.unpack_from(">d", parts[0], 8 * lower_at)[0], struct.unpack_from(">d", parts[0], 8 * upper_at)[0]
    values = array("d")
    values.frombytes(b"".join(parts))
    if sys.byteorder == "little":
        values.byteswap()
    ordered = sorted(values)  # Timsort merges the parts' sorted runs
    return ordered[lower_at], ordered[upper_at]


def merged(service: str, chunks: list[Chunk], floors: dict[int, int]) -> Tally:
    """The service's Tally from its chunks (``floors``: habitable floors per recorded event):
    counts add up, an event on jobs in two chunks counts once, and each median is the middle
    of all the chunks' values, exactly as ``measures.median`` takes it."""
    events = {e for chunk in chunks for e in chunk.events}
    tally = Tally(population=sum(c.population for c in chunks), excluded=sum(c.excluded for c in chunks),
                  dry_overflows=sum(c.dry_overflows for c in chunks),
                  flooding_events=len(events) + sum(c.lone_events for c in chunks),
                  habitable_floors=sum(c.lone_floors for c in chunks) + sum(floors.get(e, 0) for e in events))
    for spec in MEDIANS[service]:
        parts = [c.medians[spec.key] for c in chunks if spec.key in c.medians]
        counted, pending, left_out = (sum(p[i] for p in parts) for i in (1, 2, 3))
        value = None
        if counted:
            lower, upper = _middle_values([p[0] for p in parts], counted)
            value = middle(lower, upper, counted, _SCALE[spec.kind])
        tally.medians[spec.key] = (value, counted, pending, left_out)
    return tally


def event_floors(event_ids: set[int]) -> dict[int, int]:
    """Habitable floors affected per recorded flooding event (each property once per event)."""
    from jobs.models import FloodedProperty

    if not event_ids:
        return {}
    return dict(FloodedProperty.objects.using(replica_alias()).filter(event_id__in=event_ids).values_list(
        "event_id").annotate(n=Sum("habitable_floors")).order_by())


@on_replica
def tallies(*, period: Period, council_ids: list[int], services: list[str] | None = None,
            together: bool = False) -> dict[tuple[int | None, str], Tally]:
    """{(council id, service): Tally} for the period; ``together``: the councils as one, under
    the council id None. A council and service with no jobs has no entry."""
    found = tallies_for_periods(periods=[period], council_ids=council_ids, services=services, together=together)
    return {(council_id, service): tally for (_key, council_id, service), tally in found.items()}


@on_replica
def tallies_for_periods(*, periods: list[Period], council_ids: list[int], services: list[str] | None = None,
                        together: bool = False) -> dict[tuple[str, int | None, str], Tally]:
    """{(period key, council id, service): Tally} for several periods that do not overlap (the
    dashboard's and the one before it). From the stored months (``reporting.rollups``) where
    they can be kept, else in one pass over the jobs."""
    from . import rollups

    if not periods:
        return {}
    ordered = sorted(periods, key=lambda p: p.start)
    if any(later.start < earlier.end for earlier, later in zip(ordered, ordered[1:], strict=False)):
        raise ValueError("The periods overlap.")
    services = list(services or Service.values)
    groups: dict[tuple[str, int | None, str], list[Chunk]] = defaultdict(list)
    if rollups.enabled():
        period_of = {month(*start): p.key for p in periods for start in p.month_starts()}
        stored = rollups.month_chunks(months=list(period_of), council_ids=council_ids)
        key_of = {one.key: key for one, key in period_of.items()}
        for (month_key, council_id, service), chunk in stored.items():
            if service in services and chunk.population:
                groups[(key_of[month_key], None if together else council_id, service)].append(chunk)
    else:
        found = chunks(periods=periods, council_ids=council_ids, services=services, together=together)[0]
        for (index, group_id, service), chunk in found.items():
            groups[(periods[index].key, None if together else group_id, service)].append(chunk)
    floors = event_floors({e for parts in groups.values() for chunk in parts for e in chunk.events})
    return {key: merged(key[2], parts, floors) for key, parts in groups.items()}


def chunks(*, periods: list[Period], council_ids: list[int], services: list[str] | None = None,
           together: bool = False, snapshot_sql: str = "") -> tuple[dict[tuple[int, int, str], Chunk], tuple | None]:
    """{(period index, council id (0 together), service): Chunk} for periods that do not overlap,
    in one pass over their jobs; and, with ``snapshot_sql`` (a SELECT of one row), that row read
    in the same statement, so from the same database snapshot as the tallies."""
    from jobs.models import Assessment, FaultType

    jobs = population(period=periods[0], council_ids=council_ids, services=services)
    for other in periods[1:]:
        jobs = jobs | population(period=other, council_ids=council_ids, services=services)
    which = Case(*[When(notified_at__gte=p.start, notified_at__lt=p.end, then=Value(i))
                   for i, p in enumerate(periods)], output_field=IntegerField())
    jobs = jobs.order_by().annotate(group_id=Value(0) if together else F("council_id"), period_index=which)
    try:
        inner, params = jobs.values_list("id", "period_index", "group_id", *JOB_COLUMNS).query.sql_with_params()
    except EmptyResultSet:  # no council at all: nothing to aggregate
        return {}, None
    connection = connections[replica_alias()]
    quote = connection.ops.quote_name
    fieldwork = f"{_literal(Service.WASTEWATER)}, {_literal(Service.STORMWATER)}"
    # OFFSET 0 keeps each inner query a subquery: otherwise PostgreSQL pulls it up and repeats each
    # median's numbering in every FILTER that reads it.
    sql = f"""
        SELECT t.per, t.grp, t.service, count(*), count(*) FILTER (WHERE t.excl), count(*) FILTER (WHERE t.dry),
               array_agg(DISTINCT t.f_event) FILTER (WHERE t.flooding AND t.f_event IS NOT NULL),
               count(*) FILTER (WHERE t.flooding AND t.f_event IS NULL),
               coalesce(sum(coalesce(t.f_floors, 0)) FILTER (WHERE t.flooding AND t.f_event IS NULL), 0),
               {", ".join(_aggregates())}
        FROM (
          SELECT t.per, t.grp, t.service, t.excl, {_numbered("attendance")}, {_numbered("resolution")},
                 EXTRACT(EPOCH FROM (t.attended - t.notified))::float8,
                 EXTRACT(EPOCH FROM (t.completed - t.notified))::float8,
                 {_DRY}, {_FLOODING}, t.f_event, t.f_floors
          FROM (
            SELECT j.per, j.grp, j.service, j.source <> {_literal(JobSource.CUSTOMER)}, j.kpi_class, j.is_urgent,
                   j.excl, j.excl AND {inputs.not_our_asset_sql("j.reason")}, j.notified, j.attended_at,
                   j.completed_at, fa.service, fa.weather, fa.event, fa.floors
            FROM ({inner}) AS j (id, per, grp, service, source, kpi_class, is_urgent, excl, reason, notified,
                                 attended_at, completed_at, status)
            -- The crew's assessment in force (each job's latest), joined for the services that use
            -- it: one hash join (a lookup per job cost 0.5 s at 1M even with no assessments).
            LEFT JOIN (
                SELECT DISTINCT ON (a.job_id) a.job_id, ft.service, a.weather, a.flooding_event_id AS event,
                       a.habitable_floors AS floors
                FROM {quote(Assessment._meta.db_table)} a
                JOIN {quote(FaultType._meta.db_table)} ft ON ft.id = a.fault_type_id
                ORDER BY a.job_id, a.at DESC, a.id DESC) fa ON fa.job_id = j.id AND j.service IN ({fieldwork})
            OFFSET 0
          ) AS t (per, grp, service, found, kpi, urgent, excl, gone, notified, attended, completed,
                  f_service, f_weather, f_event, f_floors)
          OFFSET 0
        ) AS t (per, grp, service, excl, a_spec, r_spec, a_sec, r_sec, dry, flooding, f_event, f_floors)
        GROUP BY t.per, t.grp, t.service"""
    if snapshot_sql:
        sql = f"WITH g AS ({sql}) SELECT s.*, g.* FROM ({snapshot_sql}) AS s LEFT JOIN g ON true"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    extra = None
    if snapshot_sql:
        width = len(rows[0]) - 9 - 4 * len(_SPECS)
        extra, rows = rows[0][:width], [row[width:] for row in rows if row[width] is not None]
    found = {}
    for per, grp, service, count, excluded, dry, event_ids, lone, lone_floors, *medians in rows:
        chunk = Chunk(population=count, excluded=excluded, dry_overflows=dry, events=sorted(event_ids or []),
                      lone_events=lone, lone_floors=lone_floors)
        for i, (spec_service, spec) in enumerate(_SPECS):
            if spec_service == service:
                values, counted, pending, left_out = medians[4 * i:4 * i + 4]
                chunk.medians[spec.key] = (bytes(values or b""), counted, pending, left_out)
        found[(per, grp, service)] = chunk
    return found, extra


@on_replica
def span_medians(*, jobs, spans: list[tuple[str, str]]) -> list[tuple[float | None, int]]:
    """For each (from, to) pair of time columns: the median hours and the count of jobs that have
    both (to not before from), aggregated in PostgreSQL: one query."""
    columns = sorted({c for pair in spans for c in pair})
    try:
        inner, params = jobs.order_by().values_list(*columns).query.sql_with_params()
    except EmptyResultSet:
        return [(None, 0) for _span in spans]
    alias = {c: f"t.c{i}" for i, c in enumerate(columns)}
    parts = []
    for start, end in spans:
        ok = f"{alias[end]} >= {alias[start]}"
        seconds = f"EXTRACT(EPOCH FROM ({alias[end]} - {alias[start]}))::float8"
        parts.append(f"percentile_disc(0.5) WITHIN GROUP (ORDER BY {seconds}) FILTER (WHERE {ok})")
        parts.append(f"percentile_disc({_UPPER}) WITHIN GROUP (ORDER BY {seconds}) FILTER (WHERE {ok})")
        parts.append(f"count(*) FILTER (WHERE {ok})")
    sql = (f"SELECT {', '.join(parts)} FROM ({inner}) AS t ({', '.join(f'c{i}' for i in range(len(columns)))})")
    with connections[replica_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
    return [(middle(values[3 * i], values[3 * i + 1], values[3 * i + 2], 3600), values[3 * i + 2])
            for i in range(len(spans))]
