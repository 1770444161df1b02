"""The report task with a real Celery worker on Redis, consuming the reports queue only."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from config.celery import app
from reporting import services
from reporting.enums import ReportStatus
from reporting.models import Report
from reporting.periods import fy
from tests.test_reporting_measures import crafted, nz  # noqa: F401


def _close_worker_connections(**kwargs):
    connections.close_all()


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_report_task_runs_on_a_real_worker_on_the_reports_queue(crafted, council, analyst_user,  # noqa: F811
                                                                settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()
    task_postrun.connect(_close_worker_connections)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["reports"]):
            report = services.report_request(council=council, services=["water_supply"], period=fy(2025),
                                             by=analyst_user)
            assert _wait_for(lambda: Report.objects.get(pk=report.pk).status == ReportStatus.DONE)
    finally:
        task_postrun.disconnect(_close_worker_connections)
    report.refresh_from_db()
    assert report.progress == 100 and report.file.read(4) == b"%PDF"
    assert report.figures["water_supply"]["figures"][0]["value"] == 45.0
