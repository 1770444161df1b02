"""Stage 4's messages under a real worker and real failures (the outbox's test patterns):
delivered twice, sent once; a worker killed mid-send, finished once by the next; the broker
gone while the crew completes and the call-centre closes, everything arrives once it is back."""

import os
import signal
import time
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.utils import timezone

from common.enums import OutboxStatus
from common.models import OutboxMessage
from common.outbox import outbox_sweep
from config.celery import app
from feedback import services as feedback_services
from feedback.models import CallBack, FeedbackRequest
from jobs import services as job_services
from tests.closeout import make_completed_job
from tests.failing_services import child_pids, free_port, wait_for
from tests.test_celery_worker import TaskRuns
from tests.test_outbox_failures import (  # noqa: F401 (fixtures)
    _use_broker,
    prefork_worker,
    private_redis,
    smtp,
    worker_thread,
)

CUSTOMER_EMAIL = "aroha@example.co.nz"

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def job_to_close(council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(council=council, email=CUSTOMER_EMAIL, preferred_channel="email")
    job, _ = make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                crew=crew_user, contractor=contractor, priority=p2, category=main_leak,
                                customers=[customer], callback=False)
    return job


def _feedback_message() -> OutboxMessage:
    return OutboxMessage.objects.get(key__startswith="feedback-request:")


def test_a_real_worker_sends_the_feedback_email_once_even_when_the_task_is_delivered_twice(
        job_to_close, callcentre_user):
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()
    runs = TaskRuns()
    task_postrun.connect(runs, weak=False)
    try:
        with worker_thread():
            job_services.job_close(job=job_to_close, by=callcentre_user)
            message = _feedback_message()
            assert wait_for(lambda: runs.of("common.tasks.outbox_deliver") == 1)
            assert [m.to for m in mail.outbox] == [[CUSTOMER_EMAIL]]
            request = FeedbackRequest.objects.get(job=job_to_close)
            assert f"/feedback/{job_to_close.reference}/{request.code}:" in mail.outbox[0].body
            app.send_task("common.tasks.outbox_deliver", args=[message.pk])  # a redelivery
            assert wait_for(lambda: runs.of("common.tasks.outbox_deliver") == 2)
            assert len(mail.outbox) == 1
            assert _feedback_message().status == OutboxStatus.SENT
    finally:
        task_postrun.disconnect(runs)


@pytest.mark.postgres
def test_a_worker_killed_mid_send_and_a_new_worker_send_the_feedback_request_once(
        private_redis, smtp, tmp_path, job_to_close, callcentre_user):  # noqa: F811
    smtp.mode = "stall_data"
    with prefork_worker(tmp_path, broker_url=private_redis.url, smtp_port=smtp.port) as (worker, log_path):
        job_services.job_close(job=job_to_close, by=callcentre_user)
        assert smtp.stalled.wait(timeout=30), log_path.read_text()
        assert _feedback_message().status == OutboxStatus.SENDING
        [pool_process] = child_pids(worker.pid)
        smtp.mode = "accept"
        os.kill(pool_process, signal.SIGKILL)
        assert wait_for(lambda: _feedback_message().status == OutboxStatus.SENT, timeout=30), log_path.read_text()
        time.sleep(1.0)
        assert outbox_sweep() == 0
        assert [m.to for m in smtp.received] == [[CUSTOMER_EMAIL]]
        assert job_to_close.reference in smtp.received[0].body


def test_broker_down_complete_job_succeeds_and_the_callback_reaches_the_queue_and_the_call_centre_once_back(
        private_redis, smtp, council, suburb, leak, casemanager_user, crew_user, contractor, p2, main_leak,  # noqa: F811
        callcentre_user, client_for):
    type(callcentre_user).objects.filter(pk=callcentre_user.pk).update(email="cc@wcc.example")
    live_broker = private_redis.url
    _use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    started = time.monotonic()
    job, [enquiry] = make_completed_job(council=council, suburb=suburb, leak=leak, casemanager=casemanager_user,
                                        crew=crew_user, contractor=contractor, priority=p2, category=main_leak)
    callback = CallBack.objects.get(job=job)
    assert time.monotonic() - started < 10
    # The queue reads the database: once due, the call-back is there with no worker and no broker.
    CallBack.objects.filter(pk=callback.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert enquiry.reference in client_for(callcentre_user).get("/callbacks/").content.decode()
    # Beat's sweep runs while the broker is still down: the notice is written, not lost.
    assert feedback_services.callbacks_notify_due() == 1
    notice = OutboxMessage.objects.get(key__startswith="callbacks-due:")
    assert notice.status == OutboxStatus.PENDING and smtp.count() == 0

    _use_broker(live_broker)
    with worker_thread():
        assert wait_for(lambda: (outbox_sweep() or True) and
                        OutboxMessage.objects.get(pk=notice.pk).status == OutboxStatus.SENT, timeout=20,
                        interval=0.5)
        time.sleep(1.0)
        assert feedback_services.callbacks_notify_due() == 0 and outbox_sweep() == 0
    assert [m.to for m in smtp.received] == [["cc@wcc.example"]]
    assert enquiry.reference in smtp.received[0].body
