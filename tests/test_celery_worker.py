"""A real Celery worker consumes from Redis: the acknowledgement is delivered there, once."""

import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections

from common.enums import OutboxStatus
from common.outbox import outbox_for
from config.celery import app
from enquiries import services
from tests.failing_services import wait_for


class TaskRuns:
    """Counts finished runs of each task in the worker, so a test can wait for a redelivery."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def __call__(self, sender=None, **kwargs):
        connections.close_all()  # as a worker process would, so the test database can be dropped
        with self._lock:
            self.counts[sender.name] = self.counts.get(sender.name, 0) + 1

    def of(self, name: str) -> int:
        with self._lock:
            return self.counts.get(name, 0)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_logging_an_enquiry_queues_the_acknowledgement_and_a_real_worker_sends_it_once(
    callcentre_user, council, suburb, leak
):
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()  # a clean queue: nothing left over from earlier runs
    runs = TaskRuns()
    task_postrun.connect(runs, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            enquiry = services.enquiry_log(
                by=callcentre_user, council=council, street_address="12 Cuba Street", suburb=suburb,
                service="water_supply", issue_type=leak, description="Leak by the gate", channel="phone",
                customer_details={"name": "Mele Tuilagi", "phone": "021 555 0199", "email": "mele@example.co.nz",
                                  "postal_address": "", "preferred_channel": "email"},
            )
            [message] = outbox_for(enquiry)
            assert wait_for(lambda: runs.of("common.tasks.outbox_deliver") == 1)
            message.refresh_from_db(fields=["sent_at"])
            assert message.sent_at is not None
            assert [m.to for m in mail.outbox] == [["mele@example.co.nz"]]
            assert enquiry.reference in mail.outbox[0].body

            # Delivered twice (a broker redelivery, say): wait until the worker has really run
            # it again, then count. A second run that sent again would show here.
            app.send_task("common.tasks.outbox_deliver", args=[message.pk])
            assert wait_for(lambda: runs.of("common.tasks.outbox_deliver") == 2)
            assert len(mail.outbox) == 1
            assert outbox_for(enquiry).get().status == OutboxStatus.SENT
    finally:
        task_postrun.disconnect(runs)
