"""Customer-update e-mails and texts go through the outbox: sent once by a real Celery worker on
Redis, and a final failure is recorded against the update and shown on the job page."""

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.urls import reverse

from common.enums import OutboxStatus
from common.models import OutboxMessage
from config.celery import app
from enquiries.enums import ContactChannel
from jobs import customer_updates
from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory
from tests.failing_services import wait_for
from tests.test_celery_worker import TaskRuns


def _job_with_two_customers(council, suburb, contractor, leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.ASSESSED, contractor=contractor,
                     street_address="40 Tory Street")
    emailer = CustomerFactory(council=council, name="Mere Email", email="mere@example.co.nz",
                              preferred_channel=ContactChannel.EMAIL)
    texter = CustomerFactory(council=council, name="Tama Text", phone="021 555 0142",
                             preferred_channel=ContactChannel.SMS)
    for customer in (emailer, texter):
        EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked", customer=customer)
    return job


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_update_email_and_sms_are_sent_once_by_a_real_worker(casemanager_user, council, suburb, contractor, leak,
                                                            sms_in_memory):
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()
    job = _job_with_two_customers(council, suburb, contractor, leak)
    runs = TaskRuns()
    task_postrun.connect(runs, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main",
                                                 message="The crew expects to finish by 4 pm.")
            assert wait_for(lambda: runs.of("common.tasks.outbox_deliver") == 2)
            assert [m.to for m in mail.outbox] == [["mere@example.co.nz"]]
            assert "finish by 4 pm" in mail.outbox[0].body and job.reference in mail.outbox[0].subject
            assert len(sms_in_memory) == 1 and "finish by 4 pm" in sms_in_memory[0].body
            assert job.reference in sms_in_memory[0].body

            # Both delivered again (a broker redelivery): nothing is sent twice.
            for message in OutboxMessage.objects.all():
                app.send_task("common.tasks.outbox_deliver", args=[message.pk])
            assert wait_for(lambda: runs.of("common.tasks.outbox_deliver") == 4)
            assert len(mail.outbox) == 1 and len(sms_in_memory) == 1
            assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    finally:
        task_postrun.disconnect(runs)


def test_a_final_delivery_failure_is_recorded_on_the_update_and_shown(casemanager_user, council, suburb, contractor,
                                                                      leak, client_for,
                                                                      django_capture_on_commit_callbacks):
    job = _job_with_two_customers(council, suburb, contractor, leak)
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main", message="Soon.")
    texted = OutboxMessage.objects.get(channel="sms")
    OutboxMessage.objects.filter(pk=texted.pk).update(status=OutboxStatus.FAILED,
                                                      last_error="Gateway refused the number")
    [update] = customer_updates.job_updates(job=job)
    assert [m.customer_name for m in update.failed] == ["Tama Text"]
    page = client_for(casemanager_user).get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "Not delivered: Tama Text" in page and "Gateway refused the number" in page
