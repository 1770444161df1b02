"""Reports: the PDF read back, the progress page, publishing a period, frozen jobs, CSV export,
the beat schedule, and the pages an analyst uses."""

import csv
import datetime as dt
import io
import json
import subprocess
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from django_fsm_log.models import StateLog

from jobs import services as job_services
from jobs.enums import JobStatus
from jobs.models import Job
from reporting import services
from reporting.enums import ReportKind, ReportStatus
from reporting.models import Report, ReportSubscription
from reporting.periods import fy
from tests.factories import CustomerFactory, EnquiryFactory
from tests.test_reporting_measures import crafted, nz  # noqa: F401  (the hand-worked data set)


@pytest.fixture(autouse=True)
def reports_in_tmp(settings, tmp_path):
    settings.REPORTS_ROOT = tmp_path / "reports"


def _pdf_text(report: Report) -> str:
    return subprocess.run(["pdftotext", "-layout", report.file.path, "-"], check=True, capture_output=True,
                          text=True).stdout


def test_report_pdf_reads_back_with_its_figures(crafted, council, analyst_user,  # noqa: F811
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(council=council, services=["water_supply"], period=fy(2025),
                                         by=analyst_user)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.progress == 100
    text = _pdf_text(report)
    assert "Wellington City Council" in text and "financial year 2025/26" in text.lower()
    for figure in ("45 min", "4.0 h", "60 min", "24.0 h", "1.50"):
        assert figure in text, figure
    assert "Key insights" in text and "Hotspots" in text and "Method" in text
    words = " ".join(text.split())
    assert "for an even number of values, the mean of the two middle ones" in words
    assert "the classification it has now" in words and "halves rounded up" in words
    assert "``" not in words and "**" not in words
    assert report.figures["water_supply"]["figures"][0]["value"] == 45.0


def test_report_build_twice_builds_once(crafted, council, analyst_user,  # noqa: F811
                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(council=council, services=["water_supply"], period=fy(2025),
                                         by=analyst_user)
    report.refresh_from_db()
    name = report.file.name
    assert services.report_build(report_id=report.pk) is None  # already done: left as it is
    report.refresh_from_db()
    assert report.file.name == name


def test_generate_report_page_shows_progress_then_the_download(crafted, council, analyst_user,  # noqa: F811
                                                                 casemanager_user, client_for,
                                                                 django_capture_on_commit_callbacks):
    client = client_for(analyst_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("reporting:report-create"),
                               {"council": council.pk, "service": ["water_supply"], "period": "FY2025"})
    report = Report.objects.get()
    assert response.status_code == 302 and response.url == reverse("reporting:report-detail", args=[report.reference])
    page = client.get(response.url).content.decode()
    assert "Queued" in page and 'hx-trigger="every 1s"' in page  # polling while the task waits
    for callback in callbacks:
        callback()
    partial = client.get(reverse("reporting:report-progress", args=[report.reference])).content.decode()
    assert "Ready" in partial and "hx-trigger" not in partial and "Download PDF" in partial
    download = client_for(casemanager_user).get(reverse("reporting:report-download", args=[report.reference]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_report_list_query_count_does_not_grow(council, analyst_user, client_for, django_assert_max_num_queries):
    client = client_for(analyst_user)
    Report.objects.create(reference="RPT-2026-000001", council=council, services=["water_supply"],
                          period_key="FY2025", requested_by=analyst_user)
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("reporting:report-list"))
    for n in range(2, 30):
        Report.objects.create(reference=f"RPT-2026-{n:06d}", council=council, services=["water_supply"],
                              period_key="FY2025", requested_by=analyst_user)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("reporting:report-list"))
    assert "RPT-2026-000029" in response.content.decode()


def test_dashboard_shows_the_measures_and_links_each_to_its_jobs(crafted, council, analyst_user,  # noqa: F811
                                                                  client_for):
    client = client_for(analyst_user)
    response = client.get(reverse("reporting:dashboard"),
                          {"council": council.pk, "service": ["water_supply"], "period": "FY2025"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "45 min" in page and "Key insights" in page and "<svg" in page and "Open work" in page
    figure = client.get(reverse("reporting:figure-detail"), {"council": council.pk, "service": "water_supply",
                                                             "period": "FY2025", "figure": "water-urgent-attendance"})
    listed = figure.content.decode()
    assert "3 jobs" in listed
    for key in "ABC":
        assert crafted[key].reference in listed
    assert crafted["D"].reference not in listed
    as_csv = client.get(reverse("reporting:figure-detail"), {
        "council": council.pk, "service": "water_supply", "period": "FY2025", "figure": "water-urgent-attendance",
        "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(as_csv.streaming_content).decode())))
    assert sorted(r["reference"] for r in rows) == sorted(crafted[k].reference for k in "ABC")
    complaints = client.get(reverse("reporting:figure-detail"), {
        "council": council.pk, "service": "water_supply", "period": "FY2025", "figure": "complaints-water_taste"})
    assert "3 enquiries" in complaints.content.decode()


def test_dashboard_query_count_is_bounded(crafted, council, analyst_user, client_for,  # noqa: F811
                                          django_assert_max_num_queries):
    # A fixed number of panels, whatever the rows; this first view also reads the (missing)
    # snapshot, sets the analytic session and stores the snapshot.
    with django_assert_max_num_queries(55):
        client_for(analyst_user).get(reverse("reporting:dashboard"), {"period": "FY2025"})


def test_csv_export_has_every_timestamp_and_no_personal_data(crafted, council, analyst_user,  # noqa: F811
                                                              client_for, suburb):
    customer = CustomerFactory(council=council, name="Aroha Ngata", phone="021 555 0101", email="aroha@example.org")
    EnquiryFactory(council=council, suburb=suburb, customer=customer, job=crafted["A"], street_address="9 Secret Lane")
    response = client_for(analyst_user).get(reverse("reporting:export-jobs"),
                                            {"council": council.pk, "service": ["water_supply"], "period": "FY2025"})
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 9  # A B C D E G H J, and I (cancelled, with its reason); not F or K
    a = next(r for r in rows if r["reference"] == crafted["A"].reference)
    assert a["notified_at"] == "2025-08-01T10:00:00+12:00" and a["attendance_minutes"] == "30.0"
    assert a["resolution_hours"] == "4.00" and a["urgent"] == "yes" and a["dia_measure"] == "water_fault"
    for secret in ("Aroha", "Ngata", "021 555", "aroha@", "Secret Lane", "Cuba Street"):
        assert secret not in body


def test_publishing_a_period_reports_closed_jobs_and_freezes_the_figures(crafted, council, analyst_user,  # noqa: F811
                                                                          casemanager_user):
    report = services.period_publish(council=council, service="water_supply", period=fy(2025), by=analyst_user)
    closed = [k for k in "ABCEGHJ"]  # every closed job of the period (D is still open)
    assert report.jobs_reported == len(closed)
    for key in closed:
        job = Job.objects.get(pk=crafted[key].pk)
        assert job.status == JobStatus.REPORTED and job.reported_at is not None
        log = StateLog.objects.filter(object_id=job.pk, transition="mark_reported").get()
        assert log.by == analyst_user and report.reference in log.description
    assert Job.objects.get(pk=crafted["D"].pk).status == JobStatus.DISPATCHED
    assert Job.objects.get(pk=crafted["F"].pk).status == JobStatus.CLOSED  # next year's
    published = report.figures["water_supply"]["figures"][0]
    assert published["key"] == "water-urgent-attendance" and published["value"] == 45.0
    with pytest.raises(ValidationError):
        services.period_publish(council=council, service="water_supply", period=fy(2025), by=analyst_user)

    # A reported job refuses changes until it is reopened (audited); the published figures stay.
    a = Job.objects.get(pk=crafted["A"].pk)
    with pytest.raises(job_services.ActionNotAvailable):
        job_services.job_exclude_from_measures(job=a, reason="Changed my mind", by=casemanager_user)
    with pytest.raises(job_services.ActionNotAvailable):
        job_services.job_cancel(job=a, reason="no_fault", by=casemanager_user)
    a = job_services.job_reopen(job=a, reason="Customer says it leaks again", by=casemanager_user)
    assert StateLog.objects.filter(object_id=a.pk, transition="reopen", by=casemanager_user).exists()
    report.refresh_from_db()
    assert report.figures["water_supply"]["figures"][0]["value"] == 45.0
    difference = {row["label"]: row for row in services.publication_difference(report=report)}
    rerun = difference["Urgent call-outs: median resolution time"]
    # A is no longer resolved: the re-run leaves it out, the publication keeps it.
    assert rerun["published"] == 4.0 and rerun["now"] == 4.0 and rerun["now_counted"] == 2 and rerun["changed"]


def test_publishing_refuses_a_period_not_yet_ended(council, analyst_user):
    from reporting.periods import period_containing

    with pytest.raises(ValidationError):
        services.period_publish(council=council, service="water_supply",
                                period=period_containing(nz(2099, 1, 1), "year"), by=analyst_user)


def test_publish_page_for_analysts(crafted, council, analyst_user, client_for):  # noqa: F811
    client = client_for(analyst_user)
    response = client.post(reverse("reporting:period-publish"),
                           {"council": council.pk, "service": "water_supply", "period": "FY2025"})
    assert Report.objects.get(kind=ReportKind.PUBLICATION).jobs_reported == 7
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "7 closed jobs moved to reported" in page and "As published" in page


def test_beat_schedule_runs_the_periodic_report_task(council, analyst_user, settings,
                                                     django_capture_on_commit_callbacks):
    from django.core import mail
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    analyst_user.email = "analyst@example.org"
    analyst_user.save()
    ReportSubscription.objects.create(user=analyst_user, council=None)
    task = PeriodicTask.objects.get(name="Monthly trend reports (every council)")
    assert task.task == "reporting.tasks.reports_schedule_periodic" and json.loads(task.kwargs) == {"kind": "monthly"}
    assert task.crontab.day_of_month == "1" and str(task.crontab.timezone) == "Pacific/Auckland"
    scheduler = DatabaseScheduler(app=app, lazy=True)
    entry = scheduler.Entry(task, app=app)
    assert entry.task == "reporting.tasks.reports_schedule_periodic" and entry.options["queue"] == "reports"
    app.loader.import_default_modules()  # as beat and the worker do at start: every app's tasks
    # Beat closes stale connections between runs (its process hygiene): here that would close the
    # test's own transaction, so it is left out.
    with django_capture_on_commit_callbacks(execute=True), \
            mock.patch("django_celery_beat.schedulers.close_old_connections"):
        scheduler.apply_entry(entry, producer=None)  # beat's own call; tasks run in-process here
    report = Report.objects.get(kind=ReportKind.MONTHLY, council=council)
    assert report.status == ReportStatus.DONE and report.requested_by is None
    assert [m.to for m in mail.outbox] == [["analyst@example.org"]]
    assert reverse("reporting:report-detail", args=[report.reference]) in mail.outbox[0].body
    assert PeriodicTask.objects.filter(name="Financial-year reports (every council)", crontab__month_of_year="7",
                                       enabled=True).exists()
    # Run again for the same month: nothing new.
    services.reports_schedule(kind=ReportKind.MONTHLY)
    assert Report.objects.filter(kind=ReportKind.MONTHLY).count() == 1


def test_report_tasks_go_to_their_own_queue():
    from config.celery import app

    assert app.amqp.router.route({}, "reporting.tasks.report_build")["queue"].name == "reports"
    assert app.amqp.router.route({}, "enquiries.tasks.enquiry_send_acknowledgement")["queue"].name != "reports"


def test_replica_router_sends_reporting_reads_to_the_replica():
    from types import SimpleNamespace

    from reporting import replica
    from reporting.replica import ReplicaRouter, on_replica

    router = ReplicaRouter()
    with mock.patch.object(replica, "settings", SimpleNamespace(DATABASES={"default": {}, "replica": {}})):
        assert router.db_for_read(Job) is None  # outside a reporting selector: the default
        assert on_replica(lambda: router.db_for_read(Job))() == "replica"
        assert on_replica(lambda: router.db_for_write(Job))() == "default"
        assert on_replica(replica.replica_alias)() == "replica"
    # Without REPLICA_DATABASE_URL there is no replica: the default database serves the reads.
    assert on_replica(lambda: router.db_for_read(Job))() is None
    assert replica.replica_alias() == "default"


def test_figure_job_list_query_count_does_not_grow(council, suburb, analyst_user, casemanager_user, client_for,
                                                   django_assert_max_num_queries):
    from jobs.models import Category
    from tests.factories import JobFactory, PriorityFactory

    urgent, fault = PriorityFactory(name="P2", is_urgent=True), Category.objects.get(name="Water main leak")
    client = client_for(analyst_user)
    params = {"council": council.pk, "service": "water_supply", "period": "FY2025",
              "figure": "water-urgent-attendance"}

    def add(n):
        for i in range(n):
            notified = nz(2025, 8, 1 + i % 27, 9)
            JobFactory(council=council, suburb=suburb, priority=urgent, category=fault, notified_at=notified,
                       attended_at=notified + dt.timedelta(minutes=30 + i), status=JobStatus.ATTENDED,
                       created_by=casemanager_user)

    add(1)
    with django_assert_max_num_queries(20) as one:
        assert "1 job," in client.get(reverse("reporting:figure-detail"), params).content.decode()
    add(25)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "26 jobs" in client.get(reverse("reporting:figure-detail"), params).content.decode()
