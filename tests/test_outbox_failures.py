"""Real failures, real services: a Redis of our own frozen (SIGSTOP) or gone, a prefork
Celery worker killed with SIGKILL mid-task, a mail server that refuses or stalls.

In each, the user's action answers within 2 s and the side effect arrives exactly once
after recovery, counted by what the SMTP server actually received.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections
from kombu import pools

from common.enums import OutboxStatus
from common.models import OutboxMessage
from common.outbox import outbox_failed_count, outbox_for, outbox_sweep
from config.celery import app
from enquiries.models import Enquiry
from tests.failing_services import PrivateRedis, SMTPServer, child_pids, free_port, wait_for
from tests.test_enquiry_intake import _form

PROJECT = Path(__file__).resolve().parent.parent
CUSTOMER_EMAIL = "mele@example.co.nz"

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _use_broker(url: str) -> None:
    """Point the Celery app (and its cached connection and producer pools) at another broker."""
    pools.reset()  # kombu keeps pools per broker URL, process-wide: close and forget them all
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    previous = app.conf.broker_url
    _use_broker(server.url)
    yield server
    server.kill()
    _use_broker(previous)


@pytest.fixture
def smtp(settings):
    server = SMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 1
    settings.OUTBOX_SWEEP_GRACE_SECONDS = 0
    yield server
    server.close()


def _close_worker_connections(**kwargs):
    connections.close_all()


@contextmanager
def worker_thread():
    """A solo Celery worker in a thread of this process (it sees the test's settings)."""
    task_postrun.connect(_close_worker_connections)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        task_postrun.disconnect(_close_worker_connections)


def _log_enquiry(client, council, suburb, leak):
    from accounts.models import User

    user = User.objects.get(pk=client.session["_auth_user_id"])  # the form's token is issued to them
    started = time.monotonic()
    response = client.post("/enquiries/new/", _form(user, council, suburb, leak, customer_email=CUSTOMER_EMAIL,
                                                    preferred_channel="email"))
    elapsed = time.monotonic() - started
    enquiry = Enquiry.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/enquiries/{enquiry.reference}/"
    return enquiry, elapsed


def _message(enquiry) -> OutboxMessage:
    [message] = outbox_for(enquiry)
    return message


def _sweep_until(condition, timeout=20.0) -> bool:
    """Run the sweep (as beat does every minute) until the condition holds."""
    def step():
        if condition():
            return True
        outbox_sweep()
        return False

    return wait_for(step, timeout=timeout, interval=0.5)


def _sweep_until_sent(enquiry, timeout=20.0) -> bool:
    return _sweep_until(lambda: _message(enquiry).status == OutboxStatus.SENT, timeout=timeout)


def _assert_received_once(smtp, enquiry):
    time.sleep(1.0)  # anything still on its way arrives now
    assert outbox_sweep() == 0  # nothing left to deliver
    assert [m.to for m in smtp.received] == [[CUSTOMER_EMAIL]]
    assert enquiry.reference in smtp.received[0].body


def test_broker_frozen_log_enquiry_answers_within_2s_and_the_acknowledgement_arrives_once(
    private_redis, smtp, client_for, callcentre_user, council, suburb, leak
):
    client = client_for(callcentre_user)
    private_redis.freeze()
    enquiry, elapsed = _log_enquiry(client, council, suburb, leak)
    assert elapsed < 2.0, f"Log enquiry took {elapsed:.1f}s with the broker frozen"
    assert _message(enquiry).status == OutboxStatus.PENDING and smtp.count() == 0

    private_redis.thaw()
    with worker_thread():
        assert _sweep_until_sent(enquiry)
        _assert_received_once(smtp, enquiry)


def test_broker_refused_log_enquiry_answers_within_2s_and_the_acknowledgement_arrives_once(
    private_redis, smtp, client_for, callcentre_user, council, suburb, leak
):
    client = client_for(callcentre_user)
    _use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    enquiry, elapsed = _log_enquiry(client, council, suburb, leak)
    assert elapsed < 2.0, f"Log enquiry took {elapsed:.1f}s with the broker refusing"
    assert _message(enquiry).status == OutboxStatus.PENDING

    _use_broker(private_redis.url)  # the broker is back
    with worker_thread():
        assert _sweep_until_sent(enquiry)
        _assert_received_once(smtp, enquiry)


def test_healthz_answers_503_within_2s_when_the_broker_is_frozen(private_redis, client, settings):
    settings.REDIS_URL = private_redis.url
    assert client.get("/healthz").status_code == 200
    private_redis.freeze()
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and response.json()["broker"] == "error" and elapsed < 2.0


def test_mail_server_refusing_then_stalling_the_request_is_fast_retries_happen_and_it_arrives_once(
    private_redis, smtp, settings, client_for, callcentre_user, council, suburb, leak
):
    settings.OUTBOX_RETRY_DELAYS = [1, 1, 1]
    client = client_for(callcentre_user)
    smtp.mode = "refuse"
    with worker_thread():
        enquiry, elapsed = _log_enquiry(client, council, suburb, leak)
        assert elapsed < 2.0
        assert wait_for(lambda: _message(enquiry).attempts == 1 and _message(enquiry).status == "pending")
        assert "421" in _message(enquiry).last_error

        smtp.mode = "stall"  # accepts the connection, never answers: EMAIL_TIMEOUT ends the attempt
        assert _sweep_until(lambda: _message(enquiry).attempts == 2 and _message(enquiry).status == "pending")
        assert "timed out" in _message(enquiry).last_error.lower()

        smtp.mode = "accept"
        assert _sweep_until_sent(enquiry)
        assert _message(enquiry).attempts == 3 and smtp.connections == 3
        _assert_received_once(smtp, enquiry)


def test_mail_server_down_for_good_the_admin_sees_the_failed_message_and_retry_sends_it_once(
    private_redis, smtp, settings, client_for, callcentre_user, admin_user, council, suburb, leak
):
    settings.OUTBOX_RETRY_DELAYS = [1]
    smtp.mode = "refuse"
    with worker_thread():
        enquiry, _ = _log_enquiry(client_for(callcentre_user), council, suburb, leak)
        assert _sweep_until(lambda: _message(enquiry).status == OutboxStatus.FAILED)
        assert _message(enquiry).attempts == 2 and outbox_failed_count() == 1

        admin = client_for(admin_user)
        assert b"1 message could not be sent" in admin.get("/accounts/admin-home/").content
        smtp.mode = "accept"
        response = admin.post("/admin/common/outboxmessage/", {
            "action": "retry_messages", "_selected_action": [_message(enquiry).pk], "index": 0}, follow=True)
        assert b"1 queued again." in response.content
        assert _sweep_until_sent(enquiry)
        _assert_received_once(smtp, enquiry)
    assert b"could not be sent" not in admin.get("/accounts/admin-home/").content


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def prefork_worker(tmp_path, *, broker_url: str, smtp_port: int, **settings_env):
    """``celery worker -P prefork -c 1`` as its own process, on the test database."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": broker_url, "DEBUG": "true",
           "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "EMAIL_TIMEOUT": "30", "LOG_LEVEL": "INFO",
           **settings_env}
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", "1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
             "-n", f"killtest-{os.getpid()}@%h"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        assert wait_for(lambda: "ready." in log_path.read_text() or proc.poll() is not None, timeout=60), \
            log_path.read_text()
        assert proc.poll() is None, log_path.read_text()
        yield proc, log_path
    finally:
        if proc.poll() is None:
            proc.terminate()  # warm shutdown
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.mark.postgres
def test_worker_killed_mid_send_a_new_worker_process_delivers_it_once(
    private_redis, smtp, tmp_path, callcentre_user, council, suburb, leak
):
    from enquiries import services

    smtp.mode = "stall_data"  # takes the message, then hangs before saying it was accepted
    with prefork_worker(tmp_path, broker_url=private_redis.url, smtp_port=smtp.port) as (worker, log_path):
        enquiry = services.enquiry_log(
            by=callcentre_user, council=council, street_address="12 Cuba Street", suburb=suburb,
            service="water_supply", issue_type=leak, description="Leak by the gate", channel="phone",
            customer_details={"name": "Mele Tuilagi", "phone": "021 555 0199", "email": CUSTOMER_EMAIL,
                              "postal_address": "", "preferred_channel": "email"},
        )
        assert smtp.stalled.wait(timeout=30), log_path.read_text()
        message = _message(enquiry)
        assert message.status == OutboxStatus.SENDING and message.attempts == 1
        [pool_process] = child_pids(worker.pid)

        smtp.mode = "accept"
        os.kill(pool_process, signal.SIGKILL)
        # The task comes back at once (reject_on_worker_lost), not after the visibility timeout.
        assert wait_for(lambda: _message(enquiry).status == OutboxStatus.SENT, timeout=30), log_path.read_text()
        assert child_pids(worker.pid) != [pool_process]
        assert _message(enquiry).attempts == 2
        _assert_received_once(smtp, enquiry)


@pytest.mark.postgres
def test_a_stalled_mail_server_holds_a_worker_no_longer_than_the_task_time_limit(
    private_redis, smtp, tmp_path, monkeypatch, callcentre_user, council, suburb, leak
):
    from common.tasks import outbox_deliver
    from enquiries import services

    # Celery puts the publisher's time limits in the message, so both sides get them.
    monkeypatch.setattr(outbox_deliver, "soft_time_limit", 2)
    monkeypatch.setattr(outbox_deliver, "time_limit", 4)
    monkeypatch.setattr(outbox_deliver, "_exec_options", None)
    smtp.mode = "stall"  # and EMAIL_TIMEOUT (30 s) longer than the task's soft limit (2 s)
    with prefork_worker(tmp_path, broker_url=private_redis.url, smtp_port=smtp.port, OUTBOX_RETRY_DELAYS="1",
                        CELERY_TASK_SOFT_TIME_LIMIT="2", CELERY_TASK_TIME_LIMIT="4") as (worker, log_path):
        enquiry = services.enquiry_log(
            by=callcentre_user, council=council, street_address="12 Cuba Street", suburb=suburb,
            service="water_supply", issue_type=leak, description="Leak by the gate", channel="phone",
            customer_details={"name": "Mele Tuilagi", "phone": "021 555 0199", "email": CUSTOMER_EMAIL,
                              "postal_address": "", "preferred_channel": "email"},
        )
        started = time.monotonic()
        assert wait_for(lambda: _message(enquiry).attempts == 1 and _message(enquiry).status == "pending",
                        timeout=20), log_path.read_text()
        assert time.monotonic() - started < 10
        assert "SoftTimeLimitExceeded" in _message(enquiry).last_error

        smtp.mode = "accept"  # the worker is free again and delivers the retry
        assert _sweep_until_sent(enquiry)
        _assert_received_once(smtp, enquiry)
