"""The database session Django relies on stays as Django set it: a CSV download must not move
the session time zone, or every timestamp read and saved afterwards on that connection shifts."""

import csv
import io
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from common.db import session_time_zone_check
from jobs import services
from jobs.models import Job
from tests.factories import EnquiryFactory

NZ = ZoneInfo("Pacific/Auckland")


def _session_zone() -> str:
    connection.ensure_connection()
    return connection.connection.info.parameter_status("TimeZone")


@pytest.fixture
def summer_job(council, suburb, leak, casemanager_user):
    """A job notified in daylight saving time (+13:00), made through the services."""
    received = timezone.now() - timedelta(days=2)
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, received_at=received)
    return services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)


@pytest.mark.postgres
def test_csv_download_leaves_the_session_time_zone_and_later_saves_alone(
        summer_job, analyst_user, casemanager_user, client_for, council, suburb, caplog):
    before = Job.objects.values("created_at", "notified_at").get(pk=summer_job.pk)
    notified = timezone.localtime(summer_job.notified_at)
    period = f"FY{notified.year - (notified.month < 7)}"  # the financial year it falls in
    with caplog.at_level(logging.ERROR, logger="common.db"):
        response = client_for(analyst_user).get(reverse("reporting:export-jobs"),
                                                {"council": council.pk, "period": period})
        body = b"".join(response.streaming_content).decode()
    assert _session_zone() == "UTC"
    assert not caplog.records, "the download changed the session time zone"
    row = next(r for r in csv.DictReader(io.StringIO(body)) if r["reference"] == summer_job.reference)
    assert row["notified_at"] == timezone.localtime(summer_job.notified_at).isoformat(timespec="seconds")
    # The same connection then saves the job: its times stay where they were.
    services.job_update_location(job=Job.objects.get(pk=summer_job.pk), by=casemanager_user,
                                 street_address="12 Other Street", suburb=suburb)
    assert Job.objects.values("created_at", "notified_at").get(pk=summer_job.pk) == before


@pytest.mark.postgres
def test_csv_times_carry_the_offset_of_their_own_date(summer_job, analyst_user, client_for, council):
    """Daylight saving (+13:00) and standard time (+12:00) rows in one download, as Python writes them."""
    winter = datetime(2025, 8, 1, 10, 0, tzinfo=NZ)
    summer = datetime(2025, 12, 1, 10, 0, tzinfo=NZ)
    Job.objects.filter(pk=summer_job.pk).update(notified_at=summer, created_at=winter)
    response = client_for(analyst_user).get(reverse("reporting:export-jobs"),
                                            {"council": council.pk, "period": "FY2025"})
    row = next(r for r in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert row["notified_at"] == "2025-12-01T10:00:00+13:00"
    assert row["created_at"] == "2025-08-01T10:00:00+12:00"


@pytest.mark.postgres
def test_a_request_ending_with_a_changed_session_time_zone_is_set_back_and_logged(db, caplog):
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Pacific/Auckland'")
    assert _session_zone() == "Pacific/Auckland"
    with caplog.at_level(logging.ERROR, logger="common.db"):
        assert session_time_zone_check() == ["default"]
    assert _session_zone() == "UTC"
    assert "Pacific/Auckland" in caplog.text
    assert session_time_zone_check() == []
