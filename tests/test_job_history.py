"""The job's history the DIA measures read: visits, resolutions, frozen classification, the times
in the log, no cancel after attendance, reopened targets, and the system actor."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.permissions import SYSTEM
from enquiries.enums import EnquiryStatus
from jobs import services
from jobs.enums import CancelReason, JobEventKind, JobStatus, KpiClass
from jobs.models import Classification, Job, JobEvent, Resolution, ServiceLevel, Visit
from tests.factories import CategoryFactory, EnquiryFactory, PriorityFactory


@pytest.fixture
def p3(db):
    return PriorityFactory(name="P3", label="Non-urgent", is_urgent=False, attendance_target_hours=36,
                           resolution_target_hours=120, business_hours=False)


@pytest.fixture
def story(council, suburb, leak, contractor, casemanager_user, crew_user, p2, main_leak):
    """A real enquiry made into a job by the services, ready to take further."""
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                             received_at=timezone.now() - timedelta(hours=3))
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)

    class Story:
        pass

    s = Story()
    s.enquiry, s.job, s.manager, s.crew, s.contractor, s.priority, s.category = (
        enquiry, job, casemanager_user, crew_user, contractor, p2, main_leak)

    def to(status):
        job = Job.objects.get(pk=s.job.pk)
        order = [JobStatus.TRIAGED, JobStatus.ALLOCATED, JobStatus.DISPATCHED, JobStatus.ATTENDED,
                 JobStatus.ASSESSED, JobStatus.IN_REPAIR, JobStatus.COMPLETED, JobStatus.CLOSED]
        steps = {
            JobStatus.TRIAGED: lambda j: services.job_categorise(job=j, category=main_leak, priority=p2,
                                                                 by=casemanager_user),
            JobStatus.ALLOCATED: lambda j: services.job_allocate(job=j, case_manager=casemanager_user,
                                                                 by=casemanager_user),
            JobStatus.DISPATCHED: lambda j: services.job_dispatch(job=j, contractor=contractor, by=casemanager_user),
            JobStatus.ATTENDED: lambda j: services.job_record_arrival(job=j, by=crew_user),
            JobStatus.ASSESSED: lambda j: services.job_record_assessment(job=j, assessment="Cracked main",
                                                                         by=crew_user),
            JobStatus.IN_REPAIR: lambda j: services.job_start_repair(job=j, by=crew_user),
            JobStatus.COMPLETED: lambda j: services.job_complete(job=j, by=crew_user),
            JobStatus.CLOSED: lambda j: services.job_close(job=j, by=casemanager_user),
        }
        for step in order[order.index(job.status) + 1 if job.status in order else 0: order.index(status) + 1]:
            job = steps[step](job)
        s.job = job
        return job

    s.to = to
    return s


def _logs(job):
    return StateLog.objects.filter(object_id=job.pk, content_type__model="job").order_by("id")


# Visits and resolutions ------------------------------------------------------------------

def test_arrival_is_a_visit_and_a_revisit_after_reopen_is_kept_beside_the_first(story):
    job = story.to(JobStatus.CLOSED)
    first = job.attended_at
    assert list(Visit.objects.filter(job=job).values_list("arrived_at", flat=True)) == [first]

    job = services.job_reopen(job=job, reason="Leak is back", by=story.manager)
    job = services.job_dispatch(job=job, contractor=story.contractor, by=story.manager)
    job = services.job_record_arrival(job=job, by=story.crew)

    visits = list(Visit.objects.filter(job=job))
    assert len(visits) == 2
    assert job.attended_at == first == visits[0].arrived_at  # the DIA attendance time stays the first visit
    assert visits[1].arrived_at > first


def test_reopen_keeps_the_earlier_resolution_and_a_new_completion_adds_one(story):
    job = story.to(JobStatus.CLOSED)
    first_resolution = job.completed_at
    job = services.job_reopen(job=job, reason="Leak is back", by=story.manager)
    assert job.completed_at is None
    assert list(Resolution.objects.filter(job=job).values_list("resolved_at", flat=True)) == [first_resolution]

    job = services.job_dispatch(job=job, contractor=story.contractor, by=story.manager)
    job = services.job_record_arrival(job=job, by=story.crew)
    job = services.job_record_assessment(job=job, assessment="Second leak", by=story.crew)
    job = services.job_complete(job=job, by=story.crew)
    resolutions = list(Resolution.objects.filter(job=job).values_list("resolved_at", flat=True))
    assert resolutions[0] == first_resolution
    assert len(resolutions) == 2
    assert job.completed_at == resolutions[-1]  # the measures use the last confirmed resolution


def test_facts_are_append_only(story):
    job = story.to(JobStatus.ATTENDED)
    visit = Visit.objects.get(job=job)
    visit.arrived_at = visit.arrived_at - timedelta(hours=1)
    with pytest.raises(ValueError, match="append-only"):
        visit.save()
    with pytest.raises(ValueError, match="append-only"):
        visit.delete()


def test_a_backdated_arrival_needs_a_reason_and_the_log_carries_the_arrival_time(story):
    job = story.to(JobStatus.DISPATCHED)
    arrived = timezone.now() - timedelta(hours=1)
    with pytest.raises(ValidationError) as refused:
        services.job_record_arrival(job=job, by=story.crew, arrived_at=arrived)
    assert "Say why the arrival time is earlier than now" in str(refused.value)

    job = services.job_record_arrival(job=job, by=story.crew, arrived_at=arrived, backdate_reason="No signal on site")
    log = _logs(job).last()
    assert log.transition == "record_arrival"
    assert log.timestamp == arrived
    assert "recorded" in log.description and "No signal on site" in log.description
    visit = Visit.objects.get(job=job)
    assert visit.backdate_reason == "No signal on site"
    assert visit.recorded_at > arrived


def test_a_backdated_completion_is_logged_at_the_resolution_time(story):
    job = story.to(JobStatus.DISPATCHED)
    job = services.job_record_arrival(job=job, by=story.crew, arrived_at=timezone.now() - timedelta(hours=2),
                                      backdate_reason="Entered at depot")
    job = story.to(JobStatus.IN_REPAIR)
    resolved = timezone.now() - timedelta(minutes=40)
    job = services.job_complete(job=job, by=story.crew, completed_at=resolved, backdate_reason="Entered at depot")
    assert _logs(job).last().timestamp == resolved
    assert Resolution.objects.get(job=job).resolved_at == resolved == job.completed_at


# Frozen classification ---------------------------------------------------------------------

def test_categorising_stamps_urgency_and_dia_measure_that_reference_edits_do_not_change(story):
    job = story.to(JobStatus.TRIAGED)
    assert job.is_urgent is True
    assert job.kpi_class == KpiClass.WATER_FAULT
    classification = Classification.objects.get(job=job)
    assert (classification.is_urgent, classification.kpi_class) == (True, KpiClass.WATER_FAULT)

    story.priority.is_urgent = False
    story.priority.save()
    story.category.kpi_class = KpiClass.NOT_CALLOUT
    story.category.save()
    job.refresh_from_db()
    assert job.is_urgent is True
    assert job.kpi_class == KpiClass.WATER_FAULT


def test_changing_priority_after_arrival_needs_a_reason_and_is_its_own_event(story, p3):
    job = story.to(JobStatus.ATTENDED)
    with pytest.raises(ValidationError) as refused:
        services.job_categorise(job=job, category=story.category, priority=p3, by=story.manager)
    assert "say why" in str(refused.value)
    job.refresh_from_db()
    assert job.is_urgent is True

    job = services.job_categorise(job=job, category=story.category, priority=p3, by=story.manager,
                                  note="Only a slow leak after all")
    assert job.is_urgent is False
    event = JobEvent.objects.get(job=job, kind=JobEventKind.RECLASSIFIED)
    assert "Only a slow leak after all" in event.text
    history = list(Classification.objects.filter(job=job).values_list("is_urgent", "reason"))
    # The attendance, already measured, keeps the urgent classification it had at arrival.
    assert history == [(True, ""), (False, "Only a slow leak after all")]


def test_first_times_are_kept_when_a_step_is_redone(story, other_contractor, other_casemanager_user):
    job = story.to(JobStatus.DISPATCHED)
    first = (job.categorised_at, job.allocated_at, job.dispatched_at)
    job = services.job_categorise(job=job, category=story.category, priority=story.priority, by=story.manager)
    job = services.job_allocate(job=job, case_manager=other_casemanager_user, by=story.manager)
    job = services.job_dispatch(job=job, contractor=other_contractor, by=story.manager)
    assert (job.categorised_at, job.allocated_at, job.dispatched_at) == first
    assert [log.transition for log in _logs(job)][-3:] == ["categorise", "allocate", "dispatch"]


# No cancel after attendance; exclusion instead ----------------------------------------------

def test_an_attended_job_cannot_be_cancelled_but_can_be_excluded_with_a_reason(story):
    job = story.to(JobStatus.ATTENDED)
    with pytest.raises(services.ActionNotAvailable, match="never cancelled out of the measures"):
        services.job_cancel(job=job, reason=CancelReason.NO_FAULT, by=story.manager)

    with pytest.raises(ValidationError):
        services.job_exclude_from_measures(job=job, reason=" ", by=story.manager)
    job = services.job_exclude_from_measures(job=job, reason="Private pipe, not our asset", by=story.manager)
    assert job.excluded_from_measures is True
    assert job.status == JobStatus.ATTENDED
    event = JobEvent.objects.get(job=job, kind=JobEventKind.EXCLUDED)
    assert event.by == story.manager and "Private pipe" in event.text


def test_a_reopened_attended_job_still_cannot_be_cancelled(story):
    job = story.to(JobStatus.CLOSED)
    job = services.job_reopen(job=job, reason="Back again", by=story.manager)
    with pytest.raises(services.ActionNotAvailable):
        services.job_cancel(job=job, reason=CancelReason.NO_FAULT, by=story.manager)


def test_excluding_needs_an_attended_job_and_the_right_role(story, crew_user):
    job = story.to(JobStatus.DISPATCHED)
    with pytest.raises(services.ActionNotAvailable, match="has not been attended"):
        services.job_exclude_from_measures(job=job, reason="Why not", by=story.manager)
    job = story.to(JobStatus.ATTENDED)
    with pytest.raises(PermissionDenied):
        services.job_exclude_from_measures(job=job, reason="Why not", by=crew_user)


# Reopen and due dates ------------------------------------------------------------------------

def test_recategorising_after_a_reopen_keeps_the_reopened_targets(story):
    job = story.to(JobStatus.CLOSED)
    job = services.job_reopen(job=job, reason="Back again", by=story.manager)
    reopened_due = job.resolution_due_at
    assert reopened_due > timezone.now()
    job = services.job_categorise(job=job, category=story.category, priority=story.priority, by=story.manager,
                                  note="Same fault")
    assert job.resolution_due_at == reopened_due
    assert not job.is_overdue


def test_linking_an_earlier_enquiry_after_a_reopen_moves_the_notification_not_the_targets(story, council, suburb,
                                                                                         leak):
    job = story.to(JobStatus.CLOSED)
    job = services.job_reopen(job=job, reason="Back again", by=story.manager)
    due = (job.attendance_due_at, job.resolution_due_at)
    earlier = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                             received_at=job.notified_at - timedelta(hours=10))
    job = services.enquiry_link_to_job(enquiry=earlier, job=job, by=story.manager)
    assert job.notified_at == earlier.received_at
    assert (job.attendance_due_at, job.resolution_due_at) == due


# Council service levels ------------------------------------------------------------------------

def test_a_councils_own_service_level_replaces_the_priority_default(story, council):
    ServiceLevel.objects.create(council=council, service="water_supply", priority=story.priority,
                                attendance_target_hours=Decimal("2"), resolution_target_hours=Decimal("8"))
    job = story.to(JobStatus.TRIAGED)
    assert job.attendance_due_at == job.notified_at + timedelta(hours=2)
    assert job.resolution_due_at == job.notified_at + timedelta(hours=8)


# Close with a call-back outstanding; the system actor -------------------------------------------

def test_closing_is_refused_while_a_requested_call_back_is_not_made(story):
    type(story.enquiry).objects.filter(pk=story.enquiry.pk).update(callback_requested=True)
    job = story.to(JobStatus.COMPLETED)
    with pytest.raises(services.ActionNotAvailable, match="call-back"):
        services.job_close(job=job, by=story.manager)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


def test_a_service_call_without_an_actor_is_refused_and_the_system_is_logged_as_no_user(story):
    with pytest.raises(TypeError, match="Say who acts"):
        services.job_categorise(job=story.job, category=story.category, priority=story.priority, by=None)
    job = services.job_categorise(job=story.job, category=story.category, priority=story.priority, by=SYSTEM)
    log = _logs(job).last()
    assert log.transition == "categorise" and log.by is None
    assert job.updated_by is None


def test_permission_is_checked_before_the_version(story, other_crew_user, other_contractor):
    job = story.to(JobStatus.DISPATCHED)
    stale = job.version
    job = services.job_dispatch(job=job, contractor=other_contractor, by=story.manager)
    # The first crew lost the job: it is told nothing about the job as it is now.
    with pytest.raises(PermissionDenied):
        services.job_record_arrival(job=job, by=story.crew, expected_version=stale)
    with pytest.raises(services.JobChanged):
        services.job_record_arrival(job=job, by=other_crew_user, expected_version=stale)


def test_unlinked_enquiry_returns_to_new_and_the_job_clock_is_recomputed(story, council, suburb, leak):
    job = story.to(JobStatus.TRIAGED)
    earlier = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                             received_at=job.notified_at - timedelta(hours=2))
    job = services.enquiry_link_to_job(enquiry=earlier, job=job, by=story.manager)
    assert job.notified_at == earlier.received_at

    with pytest.raises(ValidationError):
        services.enquiry_unlink_from_job(enquiry=earlier, job=job, by=story.manager, reason="")
    job = services.enquiry_unlink_from_job(enquiry=earlier, job=job, by=story.manager, reason="Different street")
    earlier.refresh_from_db()
    assert earlier.status == EnquiryStatus.NEW and earlier.job is None
    assert job.notified_at == story.enquiry.received_at
    log = StateLog.objects.filter(object_id=earlier.pk, content_type__model="enquiry").latest("id")
    assert log.transition == "unlink_from_job" and "Different street" in log.description
    assert JobEvent.objects.filter(job=job, kind=JobEventKind.ENQUIRY_UNLINKED, enquiry=earlier).exists()

    with pytest.raises(ValidationError, match="only enquiry"):
        services.enquiry_unlink_from_job(enquiry=story.enquiry, job=job, by=story.manager, reason="Oops")


def test_new_categories_carry_the_measure_of_their_service():
    category = CategoryFactory.build(service="wastewater", name="X", kpi_class=KpiClass.WATER_FAULT)
    with pytest.raises(ValidationError):
        category.clean()
