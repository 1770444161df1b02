"""Does every job's copy of its history still agree with the history? (``manage.py kpi_check``)

The measures read columns of ``jobs_job`` that the services copy from append-only facts when
they write them (one row a job is what keeps a year's measures fast). The facts cannot be
changed (``common.history``), but the copies can: a raw UPDATE, a bad migration, a restore.
This reads, for every job at once, what each copy should be:

- ``attended_at``: the first visit's arrival (the first recorded; a revisit is kept beside it).
- ``completed_at``: the last recorded resolution, unless the job was reopened after it (the
  job's latest "complete" or "reopen" in the state log is a reopen): then none, until the
  next resolution.
- ``is_urgent``, ``kpi_class``, ``category``, ``priority``: the latest classification; none
  (``kpi_class`` blank) before the first.
- ``expected_completion_at``: the latest assessment or variation (by its time; at the same
  time the variation, which comes after the assessment it varies); none before the first.
- ``status``: the state the job's latest state-log row moved it to.

Not checked, because no fact holds them: the notification time (the earliest enquiry, which
is not append-only), ``reopened_at`` (stamped by the transition, a moment apart from its log
row), ``assessed_at``, the exclusion from measures (a job event).

One query over every table (window functions, so PostgreSQL and SQLite alike); it returns only
the jobs that disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import Job

# (column, what the history says it is, how the value is read back)
_DATETIME, _BOOLEAN, _PLAIN = "datetime", "boolean", "plain"
CHECKED = (
    ("attended_at", "first visit's arrival", _DATETIME),
    ("completed_at", "resolution in force", _DATETIME),
    ("is_urgent", "latest classification", _BOOLEAN),
    ("kpi_class", "latest classification", _PLAIN),
    ("category_id", "latest classification", _PLAIN),
    ("priority_id", "latest classification", _PLAIN),
    ("expected_completion_at", "latest assessment or variation", _DATETIME),
    ("status", "latest state-log row", _PLAIN),
)

_SQL = """
WITH first_visit AS (
    SELECT job_id, arrived_at AS value FROM (
        SELECT job_id, arrived_at, ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY id) AS n FROM jobs_visit
    ) v WHERE n = 1
), last_resolution AS (
    SELECT job_id, resolved_at AS value FROM (
        SELECT job_id, resolved_at, ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY id DESC) AS n
        FROM jobs_resolution
    ) r WHERE n = 1
), job_log AS (
    SELECT object_id AS job_id, id, state, transition FROM django_fsm_log_statelog WHERE content_type_id = %s
), last_turn AS (
    SELECT job_id, transition FROM (
        SELECT job_id, transition, ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY id DESC) AS n
        FROM job_log WHERE transition IN ('complete', 'reopen')
    ) t WHERE n = 1
), last_state AS (
    SELECT job_id, state FROM (
        SELECT job_id, state, ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY id DESC) AS n FROM job_log
    ) s WHERE n = 1
), last_classification AS (
    SELECT job_id, is_urgent, kpi_class, category_id, priority_id FROM (
        SELECT job_id, is_urgent, kpi_class, category_id, priority_id,
               ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY id DESC) AS n
        FROM jobs_classification
    ) c WHERE n = 1
), last_expectation AS (
    SELECT job_id, expected_completion_at AS value FROM (
        SELECT job_id, expected_completion_at,
               ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY at DESC, kind DESC, id DESC) AS n
        FROM (
            SELECT job_id, expected_completion_at, at, 0 AS kind, id FROM jobs_assessment
            UNION ALL
            SELECT job_id, expected_completion_at, at, 1 AS kind, id FROM jobs_variation
        ) both_kinds
    ) e WHERE n = 1
), expected AS (
    SELECT j.id, j.reference,
           j.attended_at, v.value AS h_attended_at,
           j.completed_at, CASE WHEN t.transition = 'reopen' THEN NULL ELSE r.value END AS h_completed_at,
           j.is_urgent, c.is_urgent AS h_is_urgent,
           j.kpi_class, COALESCE(c.kpi_class, '') AS h_kpi_class,
           j.category_id, c.category_id AS h_category_id,
           j.priority_id, c.priority_id AS h_priority_id,
           j.expected_completion_at, e.value AS h_expected_completion_at,
           j.status, s.state AS h_status
    FROM jobs_job j
    LEFT JOIN first_visit v ON v.job_id = j.id
    LEFT JOIN last_resolution r ON r.job_id = j.id
    LEFT JOIN last_turn t ON t.job_id = j.id
    LEFT JOIN last_state s ON s.job_id = j.id
    LEFT JOIN last_classification c ON c.job_id = j.id
    LEFT JOIN last_expectation e ON e.job_id = j.id
)
SELECT {columns} FROM expected WHERE {differs} ORDER BY reference
"""


@dataclass(frozen=True)
class CopyDisagreement:
    """One column of one job that does not say what the job's history says."""

    job_id: int
    reference: str
    column: str
    source: str  # where the history keeps it
    job_value: object
    history_value: object


def _distinct(left: str, right: str) -> str:
    operator = "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"
    return f"{left} {operator} {right}"


def _read(kind: str, value):
    """The database's value as Python (SQLite hands back text and integers)."""
    if value is None:
        return None
    if kind == _DATETIME:
        if isinstance(value, str):
            value = parse_datetime(value)
        return timezone.make_aware(value, dt.UTC) if timezone.is_naive(value) else value
    if kind == _BOOLEAN:
        return bool(value)
    return value


def job_copies_disagreeing() -> list[CopyDisagreement]:
    """Every job column copied from a fact that disagrees with the facts, one entry a job and column."""
    names = [name for name, _source, _kind in CHECKED]
    columns = ", ".join(["id", "reference"] + [f"{name}, h_{name}" for name in names])
    differs = " OR ".join(_distinct(name, f"h_{name}") for name in names)
    sql = _SQL.format(columns=columns, differs=differs)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ContentType.objects.get_for_model(Job).pk])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        job_id, reference, values = row[0], row[1], row[2:]
        for index, (name, source, kind) in enumerate(CHECKED):
            ours, history = _read(kind, values[2 * index]), _read(kind, values[2 * index + 1])
            if ours != history:
                found.append(CopyDisagreement(job_id=job_id, reference=reference, column=name.removesuffix("_id"),
                                              source=source, job_value=ours, history_value=history))
    return found


def describe(value) -> str:
    """A value as an operator reads it: local time for moments, 'none' for nothing."""
    if value is None or value == "":
        return "none"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(sep=" ", timespec="microseconds")
    return str(value)
