"""An enquiry that joins a completed job gets the call-back its customer asked for; a finished job
(closed, reported, cancelled, merged) refuses it and says what to do instead. Every link path:
one enquiry, ticked enquiries, a merge into a completed job, and the pages that make them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from enquiries.enums import EnquiryStatus
from feedback.models import CallBack
from jobs import services
from jobs.enums import CancelReason, JobStatus
from jobs.models import Job
from tests.closeout import make_completed_job
from tests.factories import EnquiryFactory, JobFactory


@pytest.fixture
def completed(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak):
    job, enquiries = make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                        crew=crew_user, contractor=contractor, priority=p2, category=main_leak)
    return job


def _late_caller(council, suburb, leak, *, callback=True):
    return EnquiryFactory(council=council, suburb=suburb, issue_type=leak, callback_requested=callback,
                          received_at=timezone.now() - timedelta(minutes=20))


def test_linking_an_enquiry_to_a_completed_job_schedules_its_call_back(completed, council, suburb, leak,
                                                                      casemanager_user):
    late = _late_caller(council, suburb, leak)
    services.enquiry_link_to_job(enquiry=late, job=completed, by=casemanager_user)
    callback = CallBack.objects.get(enquiry=late)
    assert callback.job_id == completed.pk
    assert callback.resolution == completed.resolutions.get()
    # The job's own enquiries keep the one call-back each they already had.
    assert CallBack.objects.filter(job=completed).count() == 2


def test_ticked_enquiries_linked_to_a_completed_job_each_get_a_call_back(completed, council, suburb, leak,
                                                                        casemanager_user):
    late = [_late_caller(council, suburb, leak), _late_caller(council, suburb, leak),
            _late_caller(council, suburb, leak, callback=False)]
    services.enquiries_link_to_job(enquiries=late, job=completed, by=casemanager_user)
    assert set(CallBack.objects.filter(enquiry__in=late).values_list("enquiry_id", flat=True)) == {
        late[0].pk, late[1].pk}


def test_merging_a_duplicate_into_a_completed_job_schedules_the_moved_enquiries_call_backs(
    completed, council, suburb, leak, casemanager_user,
):
    late = _late_caller(council, suburb, leak)
    duplicate = services.job_create_from_enquiries(enquiries=[late], by=casemanager_user)
    services.job_merge(job=duplicate, into=completed, by=casemanager_user, reason="Same burst")
    assert CallBack.objects.get(enquiry=late).job_id == completed.pk


def test_link_page_schedules_the_call_back_of_an_enquiry_linked_to_a_completed_job(
    client_for, completed, council, suburb, leak, casemanager_user, submission_token,
):
    late = _late_caller(council, suburb, leak)
    response = client_for(casemanager_user).post(
        reverse("enquiries:enquiry-link", args=[late.reference]),
        {"job_reference": completed.reference, "submission_token": submission_token(casemanager_user),
         "confirm_overdue": "1"})
    assert response.status_code == 302
    assert CallBack.objects.filter(enquiry=late, job=completed).exists()


def _finished(status, council, suburb, p2, main_leak, **extra):
    return JobFactory(council=council, suburb=suburb, status=status, priority=p2, category=main_leak,
                      attended_at=timezone.now() - timedelta(hours=2), **extra)


@pytest.mark.parametrize(("status", "words"), [
    (JobStatus.CLOSED, "is closed: its call ticket is finished. Reopen it, or create a new job for this enquiry."),
    (JobStatus.REPORTED, "is reported: its figures are published. Reopen it, or create a new job for this enquiry."),
    (JobStatus.CANCELLED, "is cancelled. Reopen it, or create a new job for this enquiry."),
])
def test_linking_to_a_finished_job_is_refused_saying_why_and_what_to_do(council, suburb, leak, p2, main_leak,
                                                                        casemanager_user, status, words):
    job = _finished(status, council, suburb, p2, main_leak)
    enquiry = _late_caller(council, suburb, leak)
    with pytest.raises(ValidationError) as refused:
        services.enquiry_link_to_job(enquiry=enquiry, job=job, by=casemanager_user)
    assert refused.value.messages == [f"{job.reference} {words}"]
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.job_id) == (EnquiryStatus.NEW, None)


def test_linking_to_a_merged_duplicate_points_to_the_job_it_was_merged_into(council, suburb, leak, casemanager_user):
    survivor = services.job_create_from_enquiries(enquiries=[_late_caller(council, suburb, leak)],
                                                  by=casemanager_user)
    duplicate = services.job_create_from_enquiries(enquiries=[_late_caller(council, suburb, leak)],
                                                   by=casemanager_user)
    services.job_merge(job=duplicate, into=survivor, by=casemanager_user)
    enquiry = _late_caller(council, suburb, leak)
    with pytest.raises(ValidationError) as refused:
        services.enquiry_link_to_job(enquiry=enquiry, job=duplicate, by=casemanager_user)
    assert refused.value.messages == [
        f"{duplicate.reference} was merged into {survivor.reference}: link this enquiry to {survivor.reference} "
        "instead."]


@pytest.mark.parametrize("status", [JobStatus.CLOSED, JobStatus.REPORTED])
def test_link_page_refuses_a_finished_job_with_the_reason_not_an_error_page(
    client_for, council, suburb, leak, p2, main_leak, casemanager_user, submission_token, status,
):
    job = _finished(status, council, suburb, p2, main_leak)
    enquiry = _late_caller(council, suburb, leak)
    response = client_for(casemanager_user).post(
        reverse("enquiries:enquiry-link", args=[enquiry.reference]),
        {"job_reference": job.reference, "submission_token": submission_token(casemanager_user),
         "confirm_overdue": "1"})
    assert response.status_code == 400
    assert "Reopen it, or create a new job for this enquiry." in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == EnquiryStatus.NEW


def test_ticking_enquiries_to_link_to_a_reported_job_says_why_not_an_error_page(
    client_for, council, suburb, leak, p2, main_leak, casemanager_user, submission_token,
):
    job = _finished(JobStatus.REPORTED, council, suburb, p2, main_leak)
    enquiry = _late_caller(council, suburb, leak)
    response = client_for(casemanager_user).post(
        reverse("jobs:job-create"),
        {"enquiries": [enquiry.pk], "link_job": job.reference, "submission_token": submission_token(casemanager_user)},
        follow=True)
    assert response.status_code == 200
    assert f"{job.reference} is reported: its figures are published. Reopen it" in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == EnquiryStatus.NEW


def test_merging_into_a_closed_job_is_refused_saying_what_to_do(council, suburb, leak, p2, main_leak,
                                                                casemanager_user):
    closed = _finished(JobStatus.CLOSED, council, suburb, p2, main_leak)
    duplicate = services.job_create_from_enquiries(enquiries=[_late_caller(council, suburb, leak)],
                                                   by=casemanager_user)
    with pytest.raises(ValidationError, match="is closed: its call ticket is finished. Reopen it"):
        services.job_merge(job=duplicate, into=closed, by=casemanager_user)
    assert Job.objects.get(pk=duplicate.pk).cancel_reason != CancelReason.MERGED
