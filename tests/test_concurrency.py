"""Two case managers act on one job at once: one wins, the other is told, nothing is lost."""

import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections
from django_fsm_log.models import StateLog

from jobs import services
from jobs.enums import CancelReason, JobStatus
from jobs.models import Job
from tests.factories import CategoryFactory, JobFactory, PriorityFactory


def _run_together(*actions):
    """Run each action in its own thread (its own database connection), released at the same instant."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def worker(index, action):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", action())
        except Exception as exc:  # the loser's exception is the point of the test
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_case_managers_categorising_at_once_one_wins_the_other_is_told(
    council, suburb, casemanager_user, other_casemanager_user
):
    p1 = PriorityFactory(name="P1", label="Emergency", attendance_target_hours=1, resolution_target_hours=4)
    p3 = PriorityFactory(name="P3", label="Non-urgent", attendance_target_hours=36, resolution_target_hours=120)
    burst = CategoryFactory(name="Water main burst")
    leak = CategoryFactory(name="Water main leak")
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.LOGGED)
    seen_version = job.version

    outcomes = _run_together(
        lambda: services.job_categorise(job=job, category=burst, priority=p1, by=casemanager_user,
                                        expected_version=seen_version),
        lambda: services.job_categorise(job=job, category=leak, priority=p3, by=other_casemanager_user,
                                        expected_version=seen_version),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    winner = next(value for kind, value in outcomes if kind == "ok")
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, services.JobChanged)
    assert loser.job.version == seen_version + 1  # the loser is handed the fresh job

    job.refresh_from_db()
    assert (job.category_id, job.priority_id) == (winner.category_id, winner.priority_id)
    assert StateLog.objects.for_(job).filter(transition="categorise").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_dispatch_racing_a_cancel_leaves_exactly_one_outcome(council, suburb, contractor, casemanager_user,
                                                             other_casemanager_user, p2, main_leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                     case_manager=casemanager_user)
    outcomes = _run_together(
        lambda: services.job_dispatch(job=job, contractor=contractor, by=casemanager_user,
                                      expected_version=job.version),
        lambda: services.job_cancel(job=job, reason=CancelReason.DUPLICATE, by=other_casemanager_user,
                                    expected_version=job.version),
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    winner = next(value for kind, value in outcomes if kind == "ok")
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, services.JobChanged) and loser.job.status == winner.status
    job.refresh_from_db()
    assert job.status == winner.status and job.status in (JobStatus.DISPATCHED, JobStatus.CANCELLED)
    assert list(StateLog.objects.for_(job).values_list("state", flat=True)) == [winner.status]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_creates_from_the_same_enquiry_make_one_job(council, suburb, leak, casemanager_user,
                                                        other_casemanager_user):
    from tests.factories import EnquiryFactory

    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    outcomes = _run_together(
        lambda: services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user),
        lambda: services.job_create_from_enquiries(enquiries=[enquiry], by=other_casemanager_user),
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, ValidationError)
    assert loser.messages == [f"Already dealt with: {enquiry.reference}. Refresh the list and choose again."]
    assert Job.objects.count() == 1


def test_a_stale_form_is_refused_with_the_fresh_job_and_the_users_input_kept(
    client_for, council, suburb, casemanager_user, other_casemanager_user, p2, p4, main_leak
):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.LOGGED)
    stale_version = job.version
    # The other case manager categorises first.
    services.job_categorise(job=job, category=main_leak, priority=p2, by=other_casemanager_user)

    response = client_for(casemanager_user).post(f"/jobs/{job.reference}/categorise/", {
        "version": stale_version, "category": main_leak.pk, "priority": p4.pk, "note": "Customer says it is worse",
    })
    assert response.status_code == 200
    body = response.content.decode()
    assert f"was changed by {other_casemanager_user}" in body
    assert "Nothing of yours was saved" in body
    assert "Customer says it is worse" in body  # their note is still in the form
    assert f'value="{p4.pk}" selected' in body  # and their choice of priority
    assert f'name="version" value="{stale_version + 1}"' in body  # a second submit applies it
    job.refresh_from_db()
    assert job.priority == p2

    response = client_for(casemanager_user).post(f"/jobs/{job.reference}/categorise/", {
        "version": stale_version + 1, "category": main_leak.pk, "priority": p4.pk, "note": "Customer says it is worse",
    })
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.priority == p4


def test_an_action_no_longer_available_says_so_instead_of_failing(client_for, council, suburb, casemanager_user,
                                                                  other_casemanager_user, contractor, p2, main_leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                     case_manager=casemanager_user)
    version = job.version
    services.job_cancel(job=job, reason=CancelReason.DUPLICATE, by=other_casemanager_user)
    response = client_for(casemanager_user).post(f"/jobs/{job.reference}/dispatch/", {
        "version": version, "contractor": contractor.pk, "note": "Urgent please"})
    body = response.content.decode()
    # The page stays (no redirect, nothing saved): the user is told who cancelled it and keeps their note.
    told = (f"{job.reference} was changed by {other_casemanager_user} while you were working on it; it is now "
            "cancelled. Nothing of yours was saved: check your entries below against the job as it is now and "
            "submit again.")
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [told]
    assert told in body
    assert re.search(r"<textarea name=\"note\"[^>]*>\s*Urgent please</textarea>", body)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.contractor_id is None


def test_the_changed_message_names_whoever_changed_the_job_last(client_for, council, suburb, leak, casemanager_user,
                                                                callcentre_user, p2, main_leak):
    from tests.factories import EnquiryFactory

    job = JobFactory(council=council, suburb=suburb, status=JobStatus.LOGGED)
    stale_version = job.version
    services.enquiry_link_to_job(enquiry=EnquiryFactory(council=council, suburb=suburb, issue_type=leak), job=job,
                                 by=callcentre_user)
    response = client_for(casemanager_user).post(f"/jobs/{job.reference}/categorise/", {
        "version": stale_version, "category": main_leak.pk, "priority": p2.pk})
    assert f"was changed by {callcentre_user}" in response.content.decode()
