"""CSV export of jobs with every timestamp and the measures' inputs, streamed.

Rows are read in key order, a batch at a time (keyset, not OFFSET), and written as they
come: memory stays flat however many jobs there are. There is no customer personal data
in it: no names, phone numbers, e-mail or street addresses; the suburb is the finest place.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.utils import timezone

from .measures import _classification
from .replica import on_replica

BATCH = 2000
COLUMNS = [
    ("reference", "reference"), ("council", "council__short_code"), ("service", "service"), ("source", "source"),
    ("suburb", "suburb__name"), ("category", "category__name"), ("priority", "priority__name"),
    ("urgent_now", "is_urgent"), ("dia_measure_now", "kpi_class"),
    ("urgent_at_arrival", "urgent_at_arrival"), ("dia_measure_at_arrival", "kpi_at_arrival"),
    ("urgent_at_resolution", "urgent_at_resolution"), ("dia_measure_at_resolution", "kpi_at_resolution"),
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
    return value


@on_replica
def _batch(jobs, after: int):
    annotated = jobs.filter(pk__gt=after).annotate(
        urgent_at_arrival=_classification("is_urgent", "attended_at"),
        kpi_at_arrival=_classification("kpi_class", "attended_at"),
        urgent_at_resolution=_classification("is_urgent", "completed_at"),
        kpi_at_resolution=_classification("kpi_class", "completed_at"),
    ).order_by("pk")
    return list(annotated.values_list("pk", *[c for _n, c in COLUMNS])[:BATCH])


def job_rows_csv(jobs) -> Iterator[str]:
    """The CSV text, line by line, for a queryset of jobs (already scoped by the caller)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    after = 0
    while True:
        rows = _batch(jobs, after)
        if not rows:
            return
        for _pk, *values in rows:
            notified, attended, completed = values[_NOTIFIED], values[_ATTENDED], values[_COMPLETED]
            minutes = f"{(attended - notified).total_seconds() / 60:.1f}" if attended else ""
            hours = f"{(completed - notified).total_seconds() / 3600:.2f}" if completed else ""
            yield writer.writerow([_cell(v) for v in values] + [minutes, hours])
        after = rows[-1][0]


def ids_csv(model_jobs, ids: Iterable[int]) -> Iterator[str]:
    return job_rows_csv(model_jobs.filter(pk__in=list(ids)))
