"""An e-mail about a job that failed for good is shown on the job page with "Retry" (issue 7)."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django_fsm_log.models import StateLog

from common.enums import OutboxStatus
from common.models import OutboxMessage
from common.outbox import outbox_add, outbox_deliver
from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(council, suburb, contractor, leak, settings):
    """A job whose first caller's acknowledgement e-mail was refused by the mail server until it gave up."""
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, contractor=contractor)
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked",
                             customer=CustomerFactory(council=council, email="aroha@example.co.nz"))
    with transaction.atomic():
        message = outbox_add(channel="email", recipient="aroha@example.co.nz", subject="We have your enquiry",
                             body="Kia ora", key=f"ack-{enquiry.pk}", about=enquiry)
    settings.EMAIL_BACKEND = "tests.test_outbox.RefusingMailBackend"
    settings.OUTBOX_RETRY_DELAYS = []  # no second try: it fails for good at once
    assert outbox_deliver(message_id=message.pk, claim="first") == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return job, OutboxMessage.objects.get(pk=message.pk)


def _retry_url(job, message):
    return reverse("jobs:job-message-retry", args=[job.reference, message.pk])


def test_a_failed_message_about_the_job_is_shown_to_the_case_manager_with_retry(failed, client_for,
                                                                                casemanager_user):
    job, message = failed
    page = client_for(casemanager_user).get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "1 message could not be sent" in page
    assert "aroha@example.co.nz: We have your enquiry" in page and "Connection refused" in page
    assert _retry_url(job, message) in page


@pytest.mark.parametrize("role", ["callcentre", "crew", "analyst"])
def test_other_roles_do_not_see_the_failed_messages_nor_may_retry_them(failed, client_for, user_for_role, role):
    job, message = failed
    client = client_for(user_for_role(role))
    page = client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "could not be sent" not in page and "aroha@example.co.nz" not in page
    assert client.post(_retry_url(job, message)).status_code == 403
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.FAILED


def test_retry_queues_the_message_again_logged_and_it_is_sent_once(failed, client_for, casemanager_user):
    job, message = failed
    client = client_for(casemanager_user)
    response = client.post(_retry_url(job, message), follow=True)
    assert "queued to be sent again" in response.content.decode()
    message = OutboxMessage.objects.get(pk=message.pk)  # a protected state field: read it again
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    log = StateLog.objects.for_(message).get(transition="retry")
    assert log.by == casemanager_user and "Connection refused" in log.description
    assert outbox_deliver(message_id=message.pk, claim="second") == "sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["aroha@example.co.nz"]
    # A second click (another tab, a colleague) is told, and nothing is queued twice.
    again = client.post(_retry_url(job, message), follow=True).content.decode()
    assert "Only a failed message can be retried" in again
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.SENT
    page = client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "could not be sent" not in page


def test_a_message_about_another_job_answers_404_from_this_one(failed, client_for, casemanager_user, council,
                                                               suburb):
    _job, message = failed
    other = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED)
    assert client_for(casemanager_user).post(_retry_url(other, message)).status_code == 404
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.FAILED


def test_a_failed_escalation_email_is_shown_on_the_complaint_with_retry(client_for, casemanager_user,
                                                                       callcentre_user, council, settings):
    from tests.factories import ComplaintFactory, ComplaintServiceLevelFactory

    ComplaintServiceLevelFactory()
    complaint = ComplaintFactory(council=council)
    with transaction.atomic():
        message = outbox_add(channel="email", recipient="manager@utility.example", key="escalation-test",
                             subject=f"Complaint {complaint.reference} escalated to you (manager)", body="Please",
                             about=complaint)
    settings.EMAIL_BACKEND = "tests.test_outbox.RefusingMailBackend"
    settings.OUTBOX_RETRY_DELAYS = []
    assert outbox_deliver(message_id=message.pk, claim="first") == "failed"
    url = reverse("complaints:complaint-detail", args=[complaint.reference])
    retry = reverse("complaints:complaint-message-retry", args=[complaint.reference, message.pk])
    client = client_for(casemanager_user)
    page = client.get(url).content.decode()
    assert "1 message could not be sent" in page and retry in page
    assert "could not be sent" not in client_for(callcentre_user).get(url).content.decode()
    assert client_for(callcentre_user).post(retry).status_code == 403
    assert "queued to be sent again" in client.post(retry, follow=True).content.decode()
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.PENDING
