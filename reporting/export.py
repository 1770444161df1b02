"""CSV export of jobs with every timestamp and the measures' inputs, streamed.

Rows are read in key order, a batch at a time (keyset, not OFFSET), and written as they
come: memory stays flat however many jobs there are. There is no customer personal data
in it: no names, phone numbers, e-mail or street addresses; the suburb is the finest place.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.utils import timezone
from psycopg import sql as psycopg_sql

from common.csvsafe import spreadsheet_safe, spreadsheet_safe_sql

from .replica import on_replica, replica_alias
from .rounding import half_up

BATCH = 2000
COLUMNS = [
    ("reference", "reference"), ("council", "council__short_code"), ("service", "service"), ("source", "source"),
    ("suburb", "suburb__name"), ("category", "category__name"), ("priority", "priority__name"),
    # The one classification the measures count the job under (reporting.measures).
    ("urgent", "is_urgent"), ("dia_measure", "kpi_class"),
    ("status", "status"), ("notified_at", "notified_at"), ("found_at", "found_at"), ("created_at", "created_at"),
    ("categorised_at", "categorised_at"), ("allocated_at", "allocated_at"), ("dispatched_at", "dispatched_at"),
    ("attended_at", "attended_at"), ("assessed_at", "assessed_at"), ("repair_started_at", "repair_started_at"),
    ("completed_at", "completed_at"), ("closed_at", "closed_at"), ("reported_at", "reported_at"),
    ("cancelled_at", "cancelled_at"), ("cancel_reason", "cancel_reason"), ("reopened_at", "reopened_at"),
    ("attendance_due_at", "attendance_due_at"), ("resolution_due_at", "resolution_due_at"),
    ("excluded_from_measures", "excluded_from_measures"), ("excluded_reason", "excluded_reason"),
]
HEADER = [name for name, _c in COLUMNS] + ["attendance_minutes", "resolution_hours"]
_NOTIFIED = [c for _n, c in COLUMNS].index("notified_at")
_ATTENDED = [c for _n, c in COLUMNS].index("attended_at")
_COMPLETED = [c for _n, c in COLUMNS].index("completed_at")


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return spreadsheet_safe(value)  # text a person typed never runs as a formula (common.csvsafe)


@on_replica
def _batch(jobs, after: int):
    annotated = jobs.filter(pk__gt=after).order_by("pk")
    return list(annotated.values_list("pk", *[c for _n, c in COLUMNS])[:BATCH])


_BOOLEANS = {"urgent", "excluded_from_measures"}


def _local_iso(column: str, zone: str) -> str:
    """SQL for a timestamp as local ISO 8601 with its offset (2026-12-07T09:14:00+13:00), like
    ``_cell``, converted with an explicit ``AT TIME ZONE``: the session's time zone is never changed.
    (A ``SET TIME ZONE`` outlives the request on a kept connection, and Django, which assumes a UTC
    session, then reads every timestamp hours off and a later save writes the shift back.)"""
    offset = f"(({column}) AT TIME ZONE {zone} - ({column}) AT TIME ZONE 'UTC')"
    return (f"to_char(({column}) AT TIME ZONE {zone}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END"
            f" || to_char(CASE WHEN {offset} < interval '0' THEN -{offset} ELSE {offset} END, 'HH24:MI')")


@on_replica
def _copy_csv(jobs) -> Iterator[bytes]:
    """PostgreSQL writes the CSV itself (COPY ... TO STDOUT), in the same format, streamed in chunks."""
    try:
        inner, params = jobs.order_by("pk").values_list(*[c for _n, c in COLUMNS]).query.sql_with_params()
    except EmptyResultSet:  # nothing can match: the header alone
        return
    zone = psycopg_sql.Literal(timezone.get_default_timezone_name()).as_string()
    names = [name for name, _c in COLUMNS]
    cells = []
    for i, name in enumerate(names):
        column = f"t.c{i}"
        if name.endswith("_at"):
            cells.append(_local_iso(column, zone))
        elif name in _BOOLEANS:
            cells.append(f"CASE WHEN {column} THEN 'yes' WHEN NOT {column} THEN 'no' END")
        else:
            cells.append(spreadsheet_safe_sql(f"{column}::text"))
    notified, attended, completed = (f"t.c{names.index(n)}" for n in ("notified_at", "attended_at", "completed_at"))
    cells.append(f"round((EXTRACT(EPOCH FROM ({attended} - {notified})) / 60)::numeric, 1)")
    cells.append(f"round((EXTRACT(EPOCH FROM ({completed} - {notified})) / 3600)::numeric, 2)")
    sql = (f"COPY (SELECT {', '.join(cells)} FROM ({inner}) AS t ({', '.join(f'c{i}' for i in range(len(names)))}))"
           " TO STDOUT WITH (FORMAT csv)")
    with connections[replica_alias()].cursor() as cursor:
        # Parameters are bound by the ORM's compiler; COPY takes none, so they are inlined safely.
        raw = cursor.cursor
        statement = raw.mogrify(sql, params) if params else sql
        with raw.copy(statement) as copy:
            for chunk in copy:
                yield bytes(chunk)


def job_rows_csv(jobs) -> Iterator[str]:
    """The CSV text for a queryset of jobs (already scoped by the caller), streamed."""
    writer = csv.writer(_Echo())
    if connections[replica_alias()].vendor == "postgresql":
        yield writer.writerow(HEADER)
        yield from _copy_csv(jobs)
        return
    yield writer.writerow(HEADER)
    after = 0
    while True:
        rows = _batch(jobs, after)
        if not rows:
            return
        for _pk, *values in rows:
            notified, attended, completed = values[_NOTIFIED], values[_ATTENDED], values[_COMPLETED]
            # Half-up, as PostgreSQL's round(numeric) in _copy_csv (reporting.rounding).
            minutes = f"{half_up((attended - notified).total_seconds() / 60, 1)}" if attended else ""
            hours = f"{half_up((completed - notified).total_seconds() / 3600, 2)}" if completed else ""
            yield writer.writerow([_cell(v) for v in values] + [minutes, hours])
        after = rows[-1][0]


def ids_csv(model_jobs, ids: Iterable[int]) -> Iterator[str]:
    return job_rows_csv(model_jobs.filter(pk__in=list(ids)))
