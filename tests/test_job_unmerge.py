"""A merged duplicate is finished: it cannot be reopened, completed, linked to or merged into, and
the measures never count it. Only "Unmerge" (a case manager, with a reason) brings it back, as it
was before the merge, with its own enquiries; the job it was merged into has its clock recomputed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from enquiries.enums import EnquiryStatus
from jobs import services
from jobs.corrections import job_unmerge
from jobs.enums import CancelReason, JobEventKind, JobStatus
from jobs.models import Job, JobEvent
from jobs.models.job import JobMerge
from tests.factories import EnquiryFactory, JobFactory


def _enquiry(council, suburb, leak, hours_ago):
    return EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                          received_at=timezone.now() - timedelta(hours=hours_ago))


@pytest.fixture
def merged(council, suburb, leak, casemanager_user, contractor, p2, main_leak):
    """A dispatched duplicate (notified 5 hours ago) merged into a triaged job notified 2 hours ago."""
    survivor_enquiry = _enquiry(council, suburb, leak, 2)
    survivor = services.job_create_from_enquiries(enquiries=[survivor_enquiry], by=casemanager_user)
    survivor = services.job_categorise(job=survivor, category=main_leak, priority=p2, by=casemanager_user)
    duplicate_enquiry = _enquiry(council, suburb, leak, 5)
    duplicate = services.job_create_from_enquiries(enquiries=[duplicate_enquiry], by=casemanager_user)
    duplicate = services.job_categorise(job=duplicate, category=main_leak, priority=p2, by=casemanager_user)
    duplicate = services.job_allocate(job=duplicate, case_manager=casemanager_user, by=casemanager_user)
    duplicate = services.job_dispatch(job=duplicate, contractor=contractor, by=casemanager_user)
    before = {"survivor_notified": survivor.notified_at, "survivor_due": survivor.attendance_due_at,
              "duplicate_due": duplicate.attendance_due_at}
    survivor = services.job_merge(job=duplicate, into=survivor, by=casemanager_user, reason="Same burst")
    duplicate.refresh_from_db()
    return {"survivor": survivor, "duplicate": duplicate, "survivor_enquiry": survivor_enquiry,
            "duplicate_enquiry": duplicate_enquiry, **before}


def test_unmerge_brings_the_duplicate_back_as_it_was_with_its_own_enquiries(merged, casemanager_user):
    survivor, duplicate = merged["survivor"], merged["duplicate"]
    assert survivor.notified_at == merged["duplicate_enquiry"].received_at  # the merge moved the clock

    duplicate = job_unmerge(job=duplicate, by=casemanager_user, reason="Two bursts, 300 m apart",
                            expected_version=duplicate.version)

    assert duplicate.status == JobStatus.DISPATCHED
    assert (duplicate.merged_into_id, duplicate.cancel_reason, duplicate.cancelled_at) == (None, "", None)
    assert duplicate.attendance_due_at == merged["duplicate_due"]
    assert duplicate.next_due_at == duplicate.attendance_due_at
    enquiry = merged["duplicate_enquiry"]
    enquiry.refresh_from_db()
    assert (enquiry.job_id, enquiry.status) == (duplicate.pk, EnquiryStatus.LINKED)
    survivor.refresh_from_db()
    assert list(survivor.enquiries.all()) == [merged["survivor_enquiry"]]
    assert survivor.notified_at == merged["survivor_notified"]
    assert survivor.attendance_due_at == merged["survivor_due"]
    assert survivor.updated_by == casemanager_user


def test_unmerge_is_logged_on_both_jobs_and_in_the_state_log(merged, casemanager_user):
    survivor, duplicate = merged["survivor"], merged["duplicate"]
    job_unmerge(job=duplicate, by=casemanager_user, reason="Two bursts, 300 m apart")
    log = StateLog.objects.for_(duplicate).latest("id")
    enquiry = merged["duplicate_enquiry"].reference
    assert (log.transition, log.source_state, log.state, log.by) == (
        "unmerge", JobStatus.CANCELLED, JobStatus.DISPATCHED, casemanager_user)
    assert log.description == f"Unmerged from {survivor.reference} ({enquiry}): Two bursts, 300 m apart"
    unmerged = JobEvent.objects.get(job=survivor, kind=JobEventKind.UNMERGED)
    assert (unmerged.by, unmerged.text) == (
        casemanager_user, f"{duplicate.reference} unmerged ({enquiry} moved back to it): Two bursts, 300 m apart")
    assert JobEvent.objects.filter(job=duplicate, kind=JobEventKind.ENQUIRY_LINKED,
                                   text=f"{enquiry} moved back from {survivor.reference} (unmerged)").exists()
    # The page of each job shows it.
    from jobs.selectors import job_timeline

    assert any("Two bursts" in entry.text for entry in job_timeline(job=survivor, user=casemanager_user))
    assert any("Two bursts" in entry.text for entry in job_timeline(job=duplicate, user=casemanager_user))


def test_unmerge_needs_a_reason_and_a_case_manager(merged, callcentre_user, crew_user, casemanager_user):
    duplicate = merged["duplicate"]
    with pytest.raises(ValidationError, match="Say why"):
        job_unmerge(job=duplicate, by=casemanager_user, reason="  ")
    for user in (callcentre_user, crew_user):
        with pytest.raises(PermissionDenied):
            job_unmerge(job=duplicate, by=user, reason="Not the same")
    duplicate.refresh_from_db()
    assert duplicate.cancel_reason == CancelReason.MERGED
    assert not StateLog.objects.for_(duplicate).filter(transition="unmerge").exists()


def test_unmerge_with_a_stale_form_is_refused_with_the_fresh_job(merged, casemanager_user):
    duplicate = merged["duplicate"]
    with pytest.raises(services.JobChanged):
        job_unmerge(job=duplicate, by=casemanager_user, reason="Not the same", expected_version=duplicate.version - 1)


def test_merged_duplicate_cannot_be_reopened_only_unmerged(merged, casemanager_user):
    duplicate = merged["duplicate"]
    with pytest.raises(services.ActionNotAvailable, match="unmerge it to bring it back"):
        services.job_reopen(job=duplicate, by=casemanager_user, reason="Customer rang again")
    assert Job.objects.get(pk=duplicate.pk).status == JobStatus.CANCELLED


def test_merged_duplicate_cannot_be_completed_linked_to_or_merged_into(merged, casemanager_user, crew_user,
                                                                      council, suburb, leak):
    duplicate, survivor = merged["duplicate"], merged["survivor"]
    with pytest.raises(services.ActionNotAvailable):
        services.job_complete(job=duplicate, by=casemanager_user)
    with pytest.raises(ValidationError, match=f"link this enquiry to {survivor.reference} instead"):
        services.enquiry_link_to_job(enquiry=_enquiry(council, suburb, leak, 1), job=duplicate, by=casemanager_user)
    other = services.job_create_from_enquiries(enquiries=[_enquiry(council, suburb, leak, 1)], by=casemanager_user)
    with pytest.raises(ValidationError, match=f"was merged into {survivor.reference}"):
        services.job_merge(job=other, into=duplicate, by=casemanager_user)
    assert Job.objects.get(pk=duplicate.pk).status == JobStatus.CANCELLED


def test_merged_duplicate_is_not_counted_in_the_measures(merged):
    from reporting.measures import population
    from reporting.periods import period_containing

    jobs = population(period=period_containing(timezone.now(), "month"))
    assert merged["survivor"].pk in set(jobs.values_list("pk", flat=True))
    assert merged["duplicate"].pk not in set(jobs.values_list("pk", flat=True))


def test_unmerge_is_refused_for_a_job_cancelled_but_not_merged(council, suburb, leak, casemanager_user):
    job = services.job_create_from_enquiries(enquiries=[_enquiry(council, suburb, leak, 1)], by=casemanager_user)
    job = services.job_cancel(job=job, reason=CancelReason.NO_FAULT, by=casemanager_user)
    with pytest.raises(services.ActionNotAvailable, match="was cancelled, not merged: reopen it instead"):
        job_unmerge(job=job, by=casemanager_user, reason="Oops")


def test_unmerge_waits_until_the_job_merged_into_is_reopened(merged, casemanager_user, contractor, p2, main_leak):
    survivor = merged["survivor"]
    Job.objects.filter(pk=survivor.pk).update(status=JobStatus.COMPLETED, attended_at=timezone.now(),
                                              completed_at=timezone.now())
    with pytest.raises(services.ActionNotAvailable, match=f"{survivor.reference} is completed: reopen it first"):
        job_unmerge(job=merged["duplicate"], by=casemanager_user, reason="Not the same")
    assert Job.objects.get(pk=merged["duplicate"].pk).cancel_reason == CancelReason.MERGED


def test_unmerge_gives_back_the_found_time_the_duplicate_brought(council, suburb, leak, casemanager_user):
    survivor = services.job_create_from_enquiries(enquiries=[_enquiry(council, suburb, leak, 1)],
                                                  by=casemanager_user)
    found = services.job_create_found(by=casemanager_user, council=council, service="water_supply",
                                      source="telemetry", street_address="1 Cuba Street", suburb=suburb,
                                      description="Pressure drop", found_at=timezone.now() - timedelta(hours=4),
                                      backdate_reason="Alarm overnight")
    survivor = services.job_merge(job=found, into=survivor, by=casemanager_user)
    assert survivor.notified_at == found.found_at
    job_unmerge(job=found, by=casemanager_user, reason="Different zone")
    survivor.refresh_from_db()
    assert survivor.found_at is None
    assert survivor.notified_at == survivor.enquiries.get().received_at
    assert Job.objects.get(pk=found.pk).status == JobStatus.LOGGED


def test_merges_made_before_the_merge_record_are_recorded_from_their_history(merged, casemanager_user):
    from importlib import import_module

    from django.apps import apps

    JobMerge.objects.all().delete()
    import_module("jobs.migrations.0014_job_merge_record").record_earlier_merges(apps, None)
    record = JobMerge.objects.get(duplicate=merged["duplicate"])
    assert record.survivor_id == merged["survivor"].pk
    assert record.status_before == JobStatus.DISPATCHED
    assert list(record.enquiries.all()) == [merged["duplicate_enquiry"]]
    assert job_unmerge(job=merged["duplicate"], by=casemanager_user, reason="Not the same").status == \
        JobStatus.DISPATCHED


def test_job_page_offers_unmerge_not_reopen_and_the_form_unmerges(client_for, merged, casemanager_user,
                                                                  callcentre_user):
    duplicate = merged["duplicate"]
    client = client_for(casemanager_user)
    url = reverse("jobs:job-unmerge", args=[duplicate.reference])
    page = client.get(reverse("jobs:job-detail", args=[duplicate.reference])).content.decode()
    assert f'href="{url}">Unmerge</a>' in page
    assert reverse("jobs:job-reopen", args=[duplicate.reference]) not in page
    assert client_for(callcentre_user).post(url, {"version": duplicate.version, "reason": "x"}).status_code == 403
    response = client.post(url, {"version": duplicate.version, "reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"version": duplicate.version, "reason": "Two bursts"}, follow=True)
    assert "Unmerged: its enquiries are back on it" in response.content.decode()
    assert Job.objects.get(pk=duplicate.pk).status == JobStatus.DISPATCHED
    # Unmerged: the step is gone, and the page sends a second visit back to the job.
    assert client.get(url).status_code == 302


def test_unmerge_page_on_a_job_never_merged_goes_back_to_the_job(client_for, council, suburb, casemanager_user):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.CANCELLED, cancel_reason=CancelReason.NO_FAULT)
    response = client_for(casemanager_user).post(reverse("jobs:job-unmerge", args=[job.reference]),
                                                 {"version": job.version, "reason": "Oops"}, follow=True)
    assert response.status_code == 200
    assert "not merged: reopen it instead" in response.content.decode()
