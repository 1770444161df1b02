"""Publishing a period computes its figures from the snapshot it stores and reports from: a job
closed by another session while the figures are being computed is in neither (PostgreSQL)."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from jobs.enums import JobStatus
from jobs.models import Job
from reporting import services
from reporting.periods import fy
from tests.factories import CategoryFactory, JobFactory, PriorityFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NZ = ZoneInfo("Pacific/Auckland")


def _in_another_session(work) -> None:
    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_publishing_computes_its_figures_in_the_snapshot_it_reports_from(council, suburb, analyst_user,
                                                                         casemanager_user, monkeypatch):
    urgent, fault = PriorityFactory(name="P1", is_urgent=True), CategoryFactory(service="water_supply")
    t = dt.datetime(2025, 9, 1, 9, tzinfo=NZ)
    common = {"council": council, "suburb": suburb, "priority": urgent, "category": fault,
              "created_by": casemanager_user, "notified_at": t}
    done = JobFactory(status=JobStatus.CLOSED, attended_at=t + dt.timedelta(hours=1),
                      completed_at=t + dt.timedelta(hours=3), **common)
    late = JobFactory(status=JobStatus.ATTENDED, attended_at=t + dt.timedelta(hours=1), **common)

    real = services.dia_measures

    def figures_then_a_write_elsewhere(**kwargs):
        figures = real(**kwargs)
        # Another session resolves and closes the late job, and commits, after the figures were read.
        _in_another_session(lambda: Job.objects.filter(pk=late.pk).update(
            status=JobStatus.CLOSED, completed_at=t + dt.timedelta(hours=5)))
        return figures

    monkeypatch.setattr(services, "dia_measures", figures_then_a_write_elsewhere)
    report = services.period_publish(council=council, service="water_supply", period=fy(2025), by=analyst_user)

    resolution = next(f for f in report.figures["water_supply"]["figures"] if f["key"] == "water-urgent-resolution")
    assert (resolution["counted"], resolution["pending"]) == (1, 1)  # the late job was not yet resolved
    assert report.jobs_reported == 1
    assert Job.objects.get(pk=done.pk).status == JobStatus.REPORTED
    assert Job.objects.get(pk=late.pk).status == JobStatus.CLOSED  # not published: the figures did not see it
