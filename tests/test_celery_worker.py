"""A real Celery worker consumes from Redis: the acknowledgement task runs there, once."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections

from config.celery import app
from enquiries import services
from enquiries.models import Enquiry


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_logging_an_enquiry_queues_the_acknowledgement_and_a_real_worker_sends_it(
    callcentre_user, council, suburb, leak
):
    assert app.conf.broker_url.startswith("redis://")
    app.control.purge()  # a clean queue: nothing left over from earlier runs
    # The worker runs in a thread of this process: close its database connection after each
    # task, as a worker process would, so the test database can be dropped at the end.
    task_postrun.connect(_close_worker_connections)
    try:
        _exercise_worker(callcentre_user, council, suburb, leak)
    finally:
        task_postrun.disconnect(_close_worker_connections)


def _close_worker_connections(**kwargs):
    connections.close_all()


def _exercise_worker(callcentre_user, council, suburb, leak):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        enquiry = services.enquiry_log(
            by=callcentre_user, council=council, street_address="12 Cuba Street", suburb=suburb,
            service="water_supply", issue_type=leak, description="Leak by the gate", channel="phone",
            customer_details={"name": "Mele Tuilagi", "phone": "021 555 0199", "email": "mele@example.co.nz",
                              "postal_address": "", "preferred_channel": "email"},
        )
        assert _wait_for(lambda: Enquiry.objects.filter(pk=enquiry.pk, acknowledged_at__isnull=False).exists())
        assert [m.to for m in mail.outbox] == [["mele@example.co.nz"]]
        assert enquiry.reference in mail.outbox[0].body

        # Delivered twice (a broker redelivery, say): the second run sends nothing.
        app.send_task("enquiries.tasks.enquiry_send_acknowledgement", args=[enquiry.pk])
        time.sleep(1.5)
        assert len(mail.outbox) == 1
