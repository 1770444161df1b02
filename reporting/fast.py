"""The water supply medians for every council at once, aggregated inside PostgreSQL.

The same definitions as ``measures`` (and a test holds the two to the same figures): the
classification in force at the measure's time, or the current one for a job still waiting;
excluded jobs beside; the median is ``percentile_cont(0.5)``, which for an even count is the
mean of the two middle values. Only a job classified again after the measure's time needs
its history looked up; for every other job the classification in force is its current one.
Water supply is most of the jobs: aggregating it in SQL keeps the yearly run fast at scale.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Exists, F, OuterRef, Value, When

from enquiries.enums import Service
from jobs.models import Classification

from .measures import MEDIANS, Figure, _classification, _round, population
from .periods import Period
from .replica import on_replica, replica_alias


def available() -> bool:
    return connections[replica_alias()].vendor == "postgresql"


def _in_force(value: str, moment: str):
    reclassified_after = Exists(Classification.objects.filter(job=OuterRef("pk"), at__gt=OuterRef(moment)))
    return Case(
        When(**{f"{moment}__isnull": True}, then=F(value)),
        When(reclassified_after, then=_classification(value, moment)),
        default=F(value),
    )


@on_replica
def water_medians(*, period: Period, council_ids: list[int], together: bool = False) -> tuple[dict, dict]:
    """{(council id, figure key): Figure} and {council id: (population, excluded)} for water supply;
    ``together``: the councils as one, under the key None."""
    jobs = population(period=period, council_ids=council_ids, services=[Service.WATER_SUPPLY]).order_by()
    figures, totals = {}, {}
    for kind, moment in (("attendance", "attended_at"), ("resolution", "completed_at")):
        annotated = jobs.annotate(m_kpi=_in_force("kpi_class", moment), m_urgent=_in_force("is_urgent", moment),
                                  m_done=Case(When(**{f"{moment}__isnull": False}, then=Value(True)),
                                              default=Value(False)))
        if together:
            annotated = annotated.annotate(group_id=Value(0))
        group = "group_id" if together else "council_id"
        try:
            inner, params = annotated.values_list(group, "m_kpi", "m_urgent", "m_done", "excluded_from_measures",
                                                  "notified_at", moment).query.sql_with_params()
        except EmptyResultSet:  # no council at all: nothing to aggregate
            continue
        sql = f"""
            SELECT t.col1, t.col2, t.col3,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (t.col7 - t.col6)))
                       FILTER (WHERE t.col4 AND NOT t.col5),
                   count(*) FILTER (WHERE t.col4 AND NOT t.col5),
                   count(*) FILTER (WHERE NOT t.col4 AND NOT t.col5),
                   count(*) FILTER (WHERE t.col4 AND t.col5),
                   count(*), count(*) FILTER (WHERE t.col5)
            FROM ({inner}) AS t (col1, col2, col3, col4, col5, col6, col7)
            GROUP BY 1, 2, 3"""
        with connections[replica_alias()].cursor() as cursor:
            cursor.execute(sql, params)
            groups = cursor.fetchall()
        for council_id, kpi, urgent, seconds, counted, pending, excluded, _all, _excluded in groups:
            council_id = None if together else council_id
            if kind == "attendance":
                population_count, excluded_count = totals.get(council_id, (0, 0))
                totals[council_id] = (population_count + _all, excluded_count + _excluded)
            for spec in MEDIANS[Service.WATER_SUPPLY]:
                if spec.kind != kind or spec.kpi != kpi or bool(urgent) != spec.urgent:
                    continue
                unit = "minutes" if kind == "attendance" else "hours"
                value = None if seconds is None else seconds / (60 if kind == "attendance" else 3600)
                figures[(council_id, spec.key)] = Figure(
                    spec.key, spec.label, unit, _round(value, unit), counted=counted, pending=pending,
                    excluded=excluded,
                    pending_label="not yet attended" if kind == "attendance" else "not yet resolved")
    for council_id in [None] if together else council_ids:
        for spec in MEDIANS[Service.WATER_SUPPLY]:
            figures.setdefault((council_id, spec.key), Figure(
                spec.key, spec.label, "minutes" if spec.kind == "attendance" else "hours", None,
                pending_label="not yet attended" if spec.kind == "attendance" else "not yet resolved"))
    return figures, totals



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
        parts.append(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ({alias[end]} - {alias[start]})))"
                     f" FILTER (WHERE {ok})")
        parts.append(f"count(*) FILTER (WHERE {ok})")
    sql = (f"SELECT {', '.join(parts)} FROM ({inner}) AS t ({', '.join(f'c{i}' for i in range(len(columns)))})")
    with connections[replica_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
    return [(None if values[2 * i] is None else values[2 * i] / 3600, values[2 * i + 1]) for i in range(len(spans))]
