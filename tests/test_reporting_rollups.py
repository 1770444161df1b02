"""A year's measures on PostgreSQL add up stored months (``reporting.rollups``). They must stay
exactly the Python definitions' figures through every kind of change, committed in other
transactions as the application commits them, including one committed while a month was
being read; and a month another transaction is storing is computed, not waited for."""

import datetime as dt
import io
from contextlib import contextmanager
from unittest import mock

import psycopg
import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from jobs.enums import JobStatus
from jobs.models import Assessment, Classification, FaultType, Job
from reporting import fast, rollups
from reporting.measures import dia_measures, dia_measures_every_council
from reporting.models import MeasureChange, MeasureMonth
from reporting.periods import fy
from tests.test_reporting_sql_aggregates import _figures, random_jobs  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("random_jobs")]

YEAR = fy(2025)


def _reference(council_id=None):
    with mock.patch.object(fast, "available", lambda: False):  # the Python definitions, as on SQLite
        return _figures(dia_measures(period=YEAR, council_id=council_id))


def _assert_exact(councils):
    """Every council's and all councils' figures from the stored months equal the definitions'."""
    for council_id in [c.pk for c in councils] + [None]:
        got, want = _figures(dia_measures(period=YEAR, council_id=council_id)), _reference(council_id)
        assert got == want, council_id
    every = dia_measures_every_council(period=YEAR)
    for c in councils:
        assert _figures([every[(c.pk, "water_supply")], every[(c.pk, "wastewater")],
                         every[(c.pk, "stormwater")]]) == _reference(c.pk)


def _changes_in_year():
    return MeasureChange.objects.filter(month__gte=dt.date(2025, 7, 1), month__lt=dt.date(2026, 7, 1)).exists()


def _computed_at():
    return dict(MeasureMonth.objects.values_list("id", "computed_at"))


@contextmanager
def _other_connection():
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                         dbname=settings["NAME"], password=settings["PASSWORD"] or None) as other:
        yield other


def _a_job(**filters):
    return Job.objects.exclude(status=JobStatus.CANCELLED).filter(
        notified_at__gte=YEAR.start + dt.timedelta(days=40), notified_at__lt=YEAR.end, **filters,
    ).order_by("pk").first()


def _reclassify(job, at):
    job.refresh_from_db()
    Job.objects.filter(pk=job.pk).update(is_urgent=not job.is_urgent)
    Classification.objects.create(job=job, at=at, category=job.category, priority=job.priority,
                                  is_urgent=not job.is_urgent, kpi_class=job.kpi_class)


def test_the_stored_months_follow_every_change_to_what_the_measures_read(council, other_council):
    _assert_exact([council, other_council])
    # Two councils x three services x twelve months, computed once and stored.
    assert MeasureMonth.objects.filter(month__gte=dt.date(2025, 7, 1), month__lt=dt.date(2026, 7, 1)).count() == 72
    stored = _computed_at()
    with CaptureQueriesContext(connection) as queries:
        dia_measures(period=YEAR)
    assert not any('"jobs_job"' in q["sql"] for q in queries.captured_queries)  # read from the months alone
    assert _computed_at() == stored

    water = _a_job(service="water_supply", kpi_class="water_fault", attended_at__isnull=False)
    wastewater = _a_job(service="wastewater")
    stormwater = _a_job(service="stormwater", attended_at__isnull=False)
    changes = [
        lambda: Job.objects.filter(pk=water.pk).update(attended_at=F("attended_at") + dt.timedelta(hours=7)),
        lambda: Job.objects.filter(pk=water.pk).update(excluded_from_measures=~F("excluded_from_measures")),
        # Reclassified as the application does it: the job's own urgency and a classification
        # row together; once before the arrival, once after it (the history then decides).
        lambda: _reclassify(water, water.notified_at + dt.timedelta(minutes=1)),
        lambda: _reclassify(water, water.attended_at + dt.timedelta(hours=1)),
        lambda: Assessment.objects.create(job=stormwater, fault_type=FaultType.objects.filter(
            service="water_supply").first(), weather="dry", complexity="medium",
            expected_completion_at=stormwater.notified_at, at=stormwater.attended_at + dt.timedelta(minutes=5)),
        lambda: Job.objects.filter(pk=wastewater.pk).update(status=JobStatus.CANCELLED),
        lambda: Job.objects.filter(pk=water.pk).update(notified_at=F("notified_at") - dt.timedelta(days=35)),
        lambda: Job.objects.filter(pk=stormwater.pk).update(council=other_council),
    ]
    for step, change in enumerate(changes):
        with transaction.atomic():
            change()
        assert _changes_in_year(), step
        before = _computed_at()
        _assert_exact([council, other_council])
        assert not _changes_in_year()  # each change seen by the month stored after it
        recomputed = {pk for pk, at in _computed_at().items() if before.get(pk) != at}
        assert 0 < len(recomputed) <= 12, "only the months a change touched are read again"

    # A change to every month at once (a fault type's service): no stored month is used after it.
    before = _computed_at()
    fault = Assessment.objects.filter(job=stormwater).latest("pk").fault_type
    FaultType.objects.filter(pk=fault.pk).update(service="stormwater")
    _assert_exact([council, other_council])
    assert all(before[pk] != at for pk, at in _computed_at().items() if pk in before)


def test_a_change_committed_while_a_month_was_read_is_not_lost(council, other_council):
    job = _a_job(council=council, attended_at__isnull=False)
    with _other_connection() as other:
        # Another transaction changes the job and commits only after this one has read and
        # stored the month: its snapshot did not see the change, so the month is not used again.
        other.execute("UPDATE jobs_job SET excluded_from_measures = NOT excluded_from_measures WHERE id = %s",
                      [job.pk])
        with connection.cursor() as cursor:  # a later transaction completes: the other one is now
            cursor.execute("SELECT pg_current_xact_id()")  # in the snapshot's list of those running
        before = _figures(dia_measures(period=YEAR, council_id=council.pk))
        assert MeasureMonth.objects.filter(council=council).count() == 36
        other.commit()
    after = _figures(dia_measures(period=YEAR, council_id=council.pk))
    assert after != before
    assert after == _reference(council.pk)


def test_a_month_another_transaction_is_storing_is_computed_not_waited_for(council, other_council):
    with _other_connection() as other:
        month = dt.date(2025, 10, 1)
        other.execute("SELECT pg_advisory_xact_lock(%s)", [rollups._lock_key(council.pk, month)])
        figures = _figures(dia_measures(period=YEAR, council_id=council.pk))
        stored = set(MeasureMonth.objects.filter(council=council).values_list("month", flat=True))
        assert month not in stored and len(stored) == 11
        other.rollback()
    assert figures == _reference(council.pk)


def test_the_job_trigger_watches_every_job_column_the_tallies_read():
    from reporting.triggers import watched_columns

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgname = 'reporting_job_update'")
        (definition,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'reporting_classification_changed'")
        assert cursor.fetchone() == (0,)  # the measures read no classification row
    assert set(fast.JOB_COLUMNS) - {"status"} <= set(watched_columns())
    for column in watched_columns():
        assert f"old.{column.split(' ')[0]}" in definition.lower(), column


def _tamper(sql: str) -> None:
    """A write to one stored month from outside the application."""
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{ONE}", "(SELECT id FROM reporting_measuremonth WHERE counts->>'population' <> '0' "
                                            "ORDER BY id LIMIT 1)"))


def test_rollups_verify_finds_a_month_written_with_the_triggers_bypassed_and_rebuild_mends_it(council, other_council):
    from django.core.management import CommandError, call_command

    _assert_exact([council, other_council])  # stores the months
    call_command("rollups", "verify")
    _tamper("SET session_replication_role = replica; "
            "UPDATE reporting_measuremonth SET counts = jsonb_set(counts, '{population}', '999') WHERE id = {ONE}; "
            "SET session_replication_role = origin")
    with pytest.raises(CommandError, match="1 stored months differ from the jobs or are not trusted"):
        call_command("rollups", "verify")
    _assert_exact([council, other_council])  # the untrusted month is read from the jobs, not used

    call_command("rollups", "rebuild")
    call_command("rollups", "verify")
    assert MeasureMonth.objects.count() > 0


def test_rollups_verify_finds_a_sealed_month_that_differs_from_its_jobs(council, other_council):
    from django.core.management import CommandError, call_command

    _assert_exact([council, other_council])
    _tamper("UPDATE reporting_measuremonth SET counts = jsonb_set(counts, '{population}', '999') WHERE id = {ONE}")
    with pytest.raises(CommandError):
        call_command("rollups", "verify")


def test_the_time_zone_is_data_not_sql_and_a_different_one_retires_the_stored_months(council, other_council,
                                                                                    settings):
    from django.core.management import CommandError, call_command

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('reporting_measure_month(timestamptz)'::regprocedure)")
        assert settings.TIME_ZONE not in cursor.fetchone()[0]
    _assert_exact([council, other_council])
    assert MeasureMonth.objects.exists()
    with connection.cursor() as cursor:  # as after a deployment whose TIME_ZONE changed
        cursor.execute("UPDATE reporting_measure_settings SET zone = 'UTC'")
    stored = _computed_at()
    _assert_exact([council, other_council])  # from the jobs: the stored months are not used...
    assert _computed_at() == stored  # ...nor stored again
    said = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rollups", "verify", stderr=said)
    assert "changes by the time zone UTC" in said.getvalue()

    call_command("rollups", "rebuild")
    call_command("rollups", "verify")
    _assert_exact([council, other_council])
