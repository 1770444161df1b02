"""CSV export of jobs with every timestamp and the measures' inputs, streamed.

Rows are read in key order, a batch at a time (keyset, not OFFSET), and written as they
come: memory stays flat however many jobs there are. There is no customer personal data
in it: no names, phone numbers, e-mail or street addresses; the suburb is the finest place.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

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


@on_replica
def _copy_csv(jobs) -> Iterator[bytes]:
    """PostgreSQL writes the CSV itself (COPY ... TO STDOUT), in the same format, streamed in chunks."""
    try:
        inner, params = jobs.order_by("pk").values_list(*[c for _n, c in COLUMNS]).query.sql_with_params()
    except EmptyResultSet:  # nothing can match: the header alone
        return
    names = [name for name, _c in COLUMNS]
    cells = []
    for i, name in enumerate(names):
        column = f"t.c{i}"
        if name.endswith("_at"):
            cells.append(f"to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')")
        elif name in _BOOLEANS:
            cells.append(f"CASE WHEN {column} THEN 'yes' WHEN NOT {column} THEN 'no' END")
        else:
            cells.append(spreadsheet_safe_sql(f"{column}::text"))
    notified, attended, completed = (f"t.c{names.index(n)}" for n in ("notified_at", "attended_at", "completed_at"))
    cells.append(f"round((EXTRACT(EPOCH FROM ({attended} - {notified})) / 60)::numeric, 1)")
    cells.append(f"round((EXTRACT(EPOCH FROM ({completed} - {notified})) / 3600)::numeric, 2)")
    sql = (f"COPY (SELECT {', '.join(cells)} FROM ({inner}) AS t ({', '.join(f'c{i}' for i in range(len(names)))}))"
           " TO STDOUT WITH (FORMAT csv)")
    alias = replica_alias()
    # PostgreSQL writes local times with their offsets itself (TZH:TZM) under a time zone set for
    # this transaction only (set_config's is_local), and put back before it ends: the session's zone,
    # which Django assumes is UTC when it reads and saves timestamps, is never changed (a SET TIME
    # ZONE here once shifted every later save on the kept connection by 13 hours).
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone'), set_config('TimeZone', %s, true)",
                       [timezone.get_default_timezone_name()])
        session_zone = cursor.fetchone()[0]
        try:
            # Parameters are bound by the ORM's compiler; COPY takes none, so they are inlined safely.
            raw = cursor.cursor
            statement = raw.mogrify(sql, params) if params else sql
            with raw.copy(statement) as copy:
                for chunk in copy:
                    yield bytes(chunk)
        finally:
            try:
                cursor.execute("SELECT set_config('TimeZone', %s, true)", [session_zone])
            except DatabaseError:  # the copy was cut short: the transaction rolls back, which restores it too
                pass


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
