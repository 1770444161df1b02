"""The times a crew types for arrival and completion: the state log carries them from the moment
it is written (no row rewritten afterwards), and they are checked against the job as locked,
not against a copy read before someone else moved its notification or its arrival."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.models import StateLog

from jobs import services
from jobs.enums import JobStatus
from jobs.models import Job
from tests.factories import EnquiryFactory, JobFactory, assessment_kwargs


def _dispatched(council, suburb, p2, main_leak, contractor, casemanager_user, **extra):
    return JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                      case_manager=casemanager_user, contractor=contractor, **extra)


def _statelog_writes(queries) -> list[str]:
    return [q["sql"] for q in queries
            if "django_fsm_log_statelog" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "DELETE"))]


def test_backdated_arrival_is_logged_at_the_arrival_time_without_rewriting_the_log(
    council, suburb, p2, main_leak, contractor, casemanager_user, crew_user,
):
    job = _dispatched(council, suburb, p2, main_leak, contractor, casemanager_user,
                      notified_at=timezone.now() - timedelta(hours=3))
    arrived = timezone.now() - timedelta(hours=2)
    with CaptureQueriesContext(connection) as queries:
        services.job_record_arrival(job=job, by=crew_user, arrived_at=arrived, backdate_reason="Radio was down")
    log = StateLog.objects.for_(job).get(transition="record_arrival")
    assert log.timestamp == arrived
    assert "(recorded " in log.description and "Radio was down" in log.description
    assert _statelog_writes(queries.captured_queries) == []


def test_backdated_completion_is_logged_at_the_completion_time_without_rewriting_the_log(
    council, suburb, p2, main_leak, contractor, casemanager_user, crew_user,
):
    job = _dispatched(council, suburb, p2, main_leak, contractor, casemanager_user,
                      notified_at=timezone.now() - timedelta(hours=5))
    job = services.job_record_arrival(job=job, by=crew_user, arrived_at=timezone.now() - timedelta(hours=4),
                                      backdate_reason="Radio was down")
    job = services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())
    completed = timezone.now() - timedelta(hours=1)
    with CaptureQueriesContext(connection) as queries:
        services.job_complete(job=job, by=crew_user, completed_at=completed, backdate_reason="Typed in at the depot")
    assert StateLog.objects.for_(job).get(transition="complete").timestamp == completed
    assert _statelog_writes(queries.captured_queries) == []


def test_an_arrival_typed_as_now_is_logged_now(council, suburb, p2, main_leak, contractor, casemanager_user,
                                               crew_user):
    job = _dispatched(council, suburb, p2, main_leak, contractor, casemanager_user)
    before = timezone.now()
    job = services.job_record_arrival(job=job, by=crew_user)
    log = StateLog.objects.for_(job).get(transition="record_arrival")
    assert before <= log.timestamp <= timezone.now()
    assert log.timestamp == job.attended_at


def test_arrival_time_is_checked_against_the_notification_as_locked_not_as_loaded(
    council, suburb, leak, p2, main_leak, contractor, casemanager_user, crew_user,
):
    first = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                           received_at=timezone.now() - timedelta(hours=3))
    second = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                            received_at=timezone.now() - timedelta(hours=1))
    job = services.job_create_from_enquiries(enquiries=[first, second], by=casemanager_user)
    job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
    loaded = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
    # While the crew's form is open, the first enquiry is unlinked: the notification moves an hour later ...
    services.enquiry_unlink_from_job(enquiry=first, job=loaded, by=casemanager_user, reason="Another street")
    # ... so an arrival two hours ago, after the notification as loaded, is now before it.
    with pytest.raises(ValidationError, match="after the customer's notification"):
        services.job_record_arrival(job=loaded, by=crew_user, arrived_at=timezone.now() - timedelta(hours=2),
                                    backdate_reason="Radio was down")
    fresh = Job.objects.get(pk=job.pk)
    assert (fresh.status, fresh.attended_at) == (JobStatus.DISPATCHED, None)
    assert not fresh.visits.exists()


def test_completion_time_is_checked_against_the_arrival_as_locked_not_as_loaded(
    council, suburb, p2, main_leak, contractor, casemanager_user, crew_user,
):
    job = _dispatched(council, suburb, p2, main_leak, contractor, casemanager_user,
                      notified_at=timezone.now() - timedelta(hours=6))
    job = services.job_record_arrival(job=job, by=crew_user, arrived_at=timezone.now() - timedelta(hours=5),
                                      backdate_reason="Radio was down")
    loaded = services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())
    # Loaded with no arrival known to it (a copy read before the arrival reached it) ...
    loaded.attended_at = None
    loaded.notified_at = timezone.now() - timedelta(hours=6)
    # ... a completion before the arrival is still refused: the locked job knows the arrival.
    with pytest.raises(ValidationError, match="before the crew arrived"):
        services.job_complete(job=loaded, by=crew_user, completed_at=timezone.now() - timedelta(hours=5, minutes=30),
                              backdate_reason="Typed in later")
    assert Job.objects.get(pk=job.pk).status == JobStatus.ASSESSED
