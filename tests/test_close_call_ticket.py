"""'Close call ticket': each condition refuses on its own with its reason on the disabled button;
closing closes the enquiries; a case manager may close over an overridable blocker with a reason."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_fsm_log.models import StateLog

from enquiries.enums import EnquiryStatus
from feedback import services as feedback_services
from feedback.enums import CallBackOutcome
from feedback.models import CallBack
from jobs import services, states
from jobs.enums import JobStatus
from jobs.models import Job
from tests.closeout import make_completed_job
from tests.factories import JobFactory


@pytest.fixture
def completed(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak):
    def make(**kwargs):
        return make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                  crew=crew_user, contractor=contractor, priority=p2, category=main_leak, **kwargs)
    return make


@pytest.fixture
def complaint_open(monkeypatch):
    """A higher app's overridable blocker, registered the way complaints registers its own."""
    state = {"open": True}

    def open_complaint(job):
        return [states.CloseBlocker("Complaint CMP-2026-000001 about this job is open.", overridable=True)] \
            if state["open"] else []

    monkeypatch.setattr(states, "_close_checks", [*states._close_checks, open_complaint])
    return state


def _finish_callbacks(job, by, outcome=CallBackOutcome.SATISFIED):
    for callback in CallBack.objects.filter(job=job):
        CallBack.objects.filter(pk=callback.pk).update(due_at=timezone.now() - timedelta(minutes=1))
        feedback_services.callback_record(callback=callback, outcome=outcome, by=by)


def test_close_is_refused_until_the_job_is_completed(council, suburb, casemanager_user, client_for):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.IN_REPAIR)
    with pytest.raises(services.ActionNotAvailable, match="is in repair: that action is not available now"):
        services.job_close(job=job, by=casemanager_user)
    page = client_for(casemanager_user).get(f"/jobs/{job.reference}/").content.decode()
    assert 'disabled aria-describedby="close-reasons">Close call ticket' in page
    assert "The job is not completed yet." in page


def test_close_is_refused_while_a_callback_is_outstanding(completed, callcentre_user, client_for):
    job, _ = completed()
    with pytest.raises(services.ActionNotAvailable, match="1 call-back is still to make"):
        services.job_close(job=job, by=callcentre_user)
    page = client_for(callcentre_user).get(f"/jobs/{job.reference}/").content.decode()
    assert "1 call-back is still to make" in page and "disabled" in page
    response = client_for(callcentre_user).post(f"/jobs/{job.reference}/close/", {"version": job.version})
    assert "1 call-back is still to make" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


@pytest.mark.parametrize("outcome", [CallBackOutcome.SATISFIED, CallBackOutcome.NOT_SATISFIED,
                                     CallBackOutcome.WRONG_NUMBER])
def test_close_is_allowed_once_every_callback_is_done(completed, callcentre_user, outcome):
    job, _ = completed()
    CallBack.objects.filter(job=job).update(due_at=timezone.now())
    feedback_services.callback_record(callback=CallBack.objects.get(job=job), outcome=outcome, by=callcentre_user,
                                      note="Noted")
    job = services.job_close(job=job, by=callcentre_user)
    assert job.status == JobStatus.CLOSED


def test_close_is_allowed_once_the_callback_is_exhausted(completed, callcentre_user, settings):
    settings.CALLBACK_MAX_ATTEMPTS = 2
    job, _ = completed()
    for _ in range(2):
        _finish_callbacks(job, callcentre_user, CallBackOutcome.NO_ANSWER)
    assert not CallBack.objects.filter(job=job, status="scheduled").exists()
    job = services.job_close(job=job, by=callcentre_user)
    assert job.status == JobStatus.CLOSED


def test_closing_closes_the_enquiries_and_logs_who(completed, callcentre_user, client_for):
    job, enquiries = completed()
    _finish_callbacks(job, callcentre_user)
    client = client_for(callcentre_user)
    page = client.get(f"/jobs/{job.reference}/").content.decode()
    assert f'href="/jobs/{job.reference}/close/">Close call ticket' in page
    response = client.post(f"/jobs/{job.reference}/close/", {"version": job.version, "note": "Customer happy"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CLOSED and job.closed_at is not None
    assert {e.status for e in type(enquiries[0]).objects.filter(job=job)} == {EnquiryStatus.CLOSED}
    log = StateLog.objects.for_(job).filter(transition="close").get()
    assert log.by == callcentre_user and log.description == "Customer happy"


def test_close_is_refused_to_another_councils_call_centre_and_to_crews(completed, callcentre_user,
                                                                      other_callcentre_user, crew_user, client_for):
    job, _ = completed()
    _finish_callbacks(job, callcentre_user)
    for user in (other_callcentre_user, crew_user):
        with pytest.raises(PermissionDenied):
            services.job_close(job=job, by=user)
    assert client_for(other_callcentre_user).get(f"/jobs/{job.reference}/close/").status_code == 404
    assert client_for(crew_user).post(f"/jobs/{job.reference}/close/", {"version": job.version}).status_code == 403
    assert Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED


def test_an_open_complaint_blocks_close_and_only_a_case_manager_closes_over_it_with_a_reason(
        completed, callcentre_user, casemanager_user, client_for, complaint_open):
    job, _ = completed()
    _finish_callbacks(job, callcentre_user)
    with pytest.raises(services.ActionNotAvailable, match="Complaint CMP-2026-000001"):
        services.job_close(job=job, by=callcentre_user)
    with pytest.raises(PermissionDenied):
        services.job_close(job=job, by=callcentre_user, override_reason="Customer agreed")
    # The call-centre sees the reason and no way round it; the case manager is offered the override.
    assert "Close over the complaint" not in client_for(callcentre_user).get(f"/jobs/{job.reference}/").content.decode()
    manager = client_for(casemanager_user)
    assert "Close over the complaint" in manager.get(f"/jobs/{job.reference}/").content.decode()
    response = manager.post(f"/jobs/{job.reference}/close/", {"version": job.version, "override_reason": ""})
    assert response.status_code == 400
    response = manager.post(f"/jobs/{job.reference}/close/", {"version": job.version,
                                                             "override_reason": "Complaint is about billing"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CLOSED
    log = StateLog.objects.for_(job).filter(transition="close").get()
    assert log.description == "Closed over: Complaint is about billing"


def test_an_override_never_passes_a_blocker_that_is_not_overridable(completed, casemanager_user, complaint_open):
    job, _ = completed()  # the call-back is still outstanding
    with pytest.raises(services.ActionNotAvailable, match="call-back"):
        services.job_close(job=job, by=casemanager_user, override_reason="In a hurry")


def test_a_closed_complaint_no_longer_blocks(completed, callcentre_user, complaint_open):
    job, _ = completed()
    _finish_callbacks(job, callcentre_user)
    complaint_open["open"] = False
    assert services.job_close(job=job, by=callcentre_user).status == JobStatus.CLOSED


def test_every_registered_reason_is_listed(completed, callcentre_user, complaint_open, client_for):
    job, _ = completed()
    page = client_for(callcentre_user).get(f"/jobs/{job.reference}/close/").content.decode()
    assert "1 call-back is still to make" in page and "Complaint CMP-2026-000001" in page
    assert 'type="submit">Close call ticket' not in page


def test_close_is_refused_while_a_customer_update_is_owed(completed, callcentre_user):
    if not hasattr(Job, "updates_owed"):
        pytest.skip("the field-work issue's customer updates (UpdateOwed) are not on this branch yet")
    from jobs.models import UpdateOwed

    job, [enquiry] = completed(callback=False)
    owed = UpdateOwed.objects.create(job=job, customer=enquiry.customer, reason="variation",
                                     due_at=timezone.now() + timedelta(hours=4))
    with pytest.raises(services.ActionNotAvailable, match="customer update is owed to 1 customer"):
        services.job_close(job=job, by=callcentre_user)
    UpdateOwed.objects.filter(pk=owed.pk).update(cleared_at=timezone.now())
    assert services.job_close(job=job, by=callcentre_user).status == JobStatus.CLOSED
