"""The outbox: rows written with the change, published after the commit, delivered once,
retried over hours, failed rows shown to the admin with a "Retry" action."""

import io
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_fsm_log.models import StateLog

from common import outbox as outbox_module
from common import sms
from common.enums import OutboxChannel, OutboxStatus
from common.models import OutboxMessage
from common.outbox import (
    outbox_add,
    outbox_deliver,
    outbox_due_ids,
    outbox_failed_count,
    outbox_for,
    outbox_retry,
    outbox_sweep,
)
from tests.factories import EnquiryFactory, UserFactory


def _add(key="k-1", **overrides):
    fields = {"channel": OutboxChannel.EMAIL, "recipient": "aroha@example.co.nz", "subject": "Your enquiry",
              "body": "Kia ora", "key": key}
    fields.update(overrides)
    return outbox_add(**fields)


class RefusingMailBackend:
    """Every delivery fails as a mail server that refuses connections would."""

    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        RefusingMailBackend.calls += 1
        raise ConnectionRefusedError(111, "Connection refused")


class RejectingRecipientBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"nobody@example.co.nz": (550, b"5.1.1 no such mailbox")})


@pytest.fixture
def refusing_mail(settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.RefusingMailBackend"
    RefusingMailBackend.calls = 0
    return RefusingMailBackend


def _due_now(message):
    """Move a deferred message's retry time to now, as the passing of time would."""
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


# Queueing ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_outbox_add_sends_nothing_before_the_commit_and_once_after(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = _add()
    assert mail.outbox == [] and message.status == OutboxStatus.PENDING and len(callbacks) == 1
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [["aroha@example.co.nz"]]
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.status == OutboxStatus.SENT and message.attempts == 1 and message.sent_at is not None


@pytest.mark.django_db
def test_outbox_add_with_the_same_key_returns_the_row_and_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = _add(key="enquiry-acknowledgement-7")
        second = _add(key="enquiry-acknowledgement-7", body="a different body")
    assert first.pk == second.pk and len(callbacks) == 1
    assert OutboxMessage.objects.count() == 1 and len(mail.outbox) == 1 and mail.outbox[0].body == "Kia ora"


@pytest.mark.django_db
def test_outbox_add_rolled_back_with_its_transaction_leaves_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValueError):
        with transaction.atomic():
            _add()
            raise ValueError("the change that caused the message fails")
    assert OutboxMessage.objects.count() == 0 and mail.outbox == []


@pytest.mark.django_db
def test_outbox_add_refuses_an_unknown_channel_or_a_missing_key():
    with pytest.raises(ValueError):
        _add(channel="pigeon")
    with pytest.raises(ValueError):
        _add(key="")


@pytest.mark.django_db
def test_outbox_add_keeps_html_and_attachments_for_the_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _add(html_body="<p>Kia ora</p>", attachments=[("report.pdf", b"%PDF-1.4 binary\x00\xff", "application/pdf")])
    [email] = mail.outbox
    assert email.alternatives[0][0] == "<p>Kia ora</p>"
    assert email.attachments == [("report.pdf", b"%PDF-1.4 binary\x00\xff", "application/pdf")]
    assert email.extra_headers["Message-ID"].startswith("<outbox-")


@pytest.mark.django_db
def test_outbox_add_not_before_waits_for_the_sweep(django_capture_on_commit_callbacks):
    later = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = _add(not_before=later)
    assert callbacks == [] and mail.outbox == []
    assert outbox_due_ids() == []
    assert outbox_due_ids(now=later + timedelta(seconds=1)) == [message.pk]


@pytest.mark.django_db
def test_outbox_for_lists_an_objects_messages_newest_first(django_assert_num_queries):
    enquiry, other = EnquiryFactory(), EnquiryFactory()
    first = _add(key="a", about=enquiry)
    second = _add(key="b", about=enquiry)
    _add(key="c", about=other)
    _add(key="d")
    with django_assert_num_queries(1):
        assert list(outbox_for(enquiry)) == [second, first]
    assert first.about == enquiry


# Delivery -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_outbox_deliver_twice_sends_once():
    message = _add()
    assert outbox_deliver(message_id=message.pk, claim="task-1") == "sent"
    assert outbox_deliver(message_id=message.pk, claim="task-2") == "skipped"
    assert outbox_deliver(message_id=message.pk, claim="task-1") == "skipped"
    assert len(mail.outbox) == 1
    logs = StateLog.objects.for_(OutboxMessage.objects.get(pk=message.pk)).order_by("id")
    assert [(log.source_state, log.state) for log in logs] == [("pending", "sending"), ("sending", "sent")]


@pytest.mark.django_db
def test_outbox_deliver_skips_a_row_another_delivery_is_sending():
    message = _add()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENDING, claim="task-1",
                                                       last_attempt_at=timezone.now(), attempts=1)
    assert outbox_deliver(message_id=message.pk, claim="task-2") == "skipped"
    assert mail.outbox == []


@pytest.mark.django_db
def test_outbox_deliver_sends_again_when_its_own_task_is_redelivered_after_a_lost_worker():
    # The broker redelivers a task only when the worker running it died (acks_late +
    # reject_on_worker_lost): the same task id finding its own claim means the first run is gone.
    message = _add()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENDING, claim="task-1",
                                                       last_attempt_at=timezone.now(), attempts=1)
    assert outbox_deliver(message_id=message.pk, claim="task-1") == "sent"
    assert len(mail.outbox) == 1 and OutboxMessage.objects.get(pk=message.pk).attempts == 2


@pytest.mark.django_db
def test_outbox_deliver_does_not_send_a_deferred_message_early(refusing_mail, settings):
    message = _add()
    assert outbox_deliver(message_id=message.pk, claim="t1") == "retry"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_deliver(message_id=message.pk, claim="t2") == "skipped"  # its retry is not due yet
    assert mail.outbox == []


@pytest.mark.django_db
def test_outbox_retries_back_off_then_the_message_fails_for_good(refusing_mail, settings):
    settings.OUTBOX_RETRY_DELAYS = [60, 300, 1800, 7200, 21600]
    message = _add()
    waits = []
    for attempt in range(1, 6):
        before = timezone.now()
        assert outbox_deliver(message_id=message.pk, claim=f"t{attempt}") == "retry"
        message = OutboxMessage.objects.get(pk=message.pk)
        assert message.status == OutboxStatus.PENDING and message.attempts == attempt
        waits.append(round((message.next_attempt_at - before).total_seconds() / 60))
        _due_now(message)
    assert waits == [1, 5, 30, 120, 360]  # minutes: over hours, not seconds
    assert outbox_deliver(message_id=message.pk, claim="t6") == "failed"
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.status == OutboxStatus.FAILED and message.attempts == 6 and refusing_mail.calls == 6
    assert "Connection refused" in message.last_error and outbox_failed_count() == 1
    assert outbox_due_ids(now=timezone.now() + timedelta(days=30)) == []  # the sweep leaves it alone


@pytest.mark.django_db
def test_outbox_a_recipient_refused_for_good_fails_at_once(settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.RejectingRecipientBackend"
    message = _add(recipient="nobody@example.co.nz")
    assert outbox_deliver(message_id=message.pk, claim="t1") == "failed"
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1


class WatchingMailBackend:
    """Notes, at the moment of sending, whether a transaction is open and whether the row is locked."""

    seen: list = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        message_id = int(messages[0].extra_headers["Message-ID"].split("-")[1].split("@")[0])
        row_free = True
        if connection.vendor == "postgresql":
            # Another session can lock the row at once: delivery holds no lock while sending.
            from django.db import connections

            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute("SELECT status FROM common_outboxmessage WHERE id = %s FOR UPDATE NOWAIT",
                                   [message_id])
                    status = cursor.fetchone()[0]
            except Exception:
                row_free, status = False, None
            finally:
                other.close()
        else:
            status = OutboxMessage.objects.get(pk=message_id).status
        WatchingMailBackend.seen.append((connection.in_atomic_block, row_free, status))
        return len(messages)


@pytest.mark.django_db(transaction=True)
def test_outbox_sends_outside_any_transaction_and_without_a_row_lock(settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.WatchingMailBackend"
    WatchingMailBackend.seen = []
    with transaction.atomic():
        message = _add()
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.SENT
    # Not in a transaction, the row free, and marked "sending" (committed: another session
    # reads it) when the mail went out.
    assert WatchingMailBackend.seen == [(False, True, OutboxStatus.SENDING)]


# The sweep ------------------------------------------------------------------------

@pytest.mark.django_db
def test_outbox_sweep_publishes_what_the_broker_missed_and_nothing_fresh(settings, monkeypatch):
    settings.OUTBOX_SWEEP_GRACE_SECONDS = 60
    settings.OUTBOX_SENDING_STALE_SECONDS = 150
    now = timezone.now()
    fresh = _add(key="fresh")  # published on commit a moment ago
    missed = _add(key="missed")
    OutboxMessage.objects.filter(pk=missed.pk).update(created_at=now - timedelta(minutes=5),
                                                      next_attempt_at=now - timedelta(minutes=5))
    retry_due = _add(key="retry-due")
    OutboxMessage.objects.filter(pk=retry_due.pk).update(attempts=1, next_attempt_at=now - timedelta(seconds=1))
    retry_later = _add(key="retry-later")
    OutboxMessage.objects.filter(pk=retry_later.pk).update(attempts=1, next_attempt_at=now + timedelta(minutes=5))
    stale = _add(key="stale")
    OutboxMessage.objects.filter(pk=stale.pk).update(status=OutboxStatus.SENDING, attempts=1,
                                                     last_attempt_at=now - timedelta(seconds=200))
    busy = _add(key="busy")
    OutboxMessage.objects.filter(pk=busy.pk).update(status=OutboxStatus.SENDING, attempts=1,
                                                    last_attempt_at=now - timedelta(seconds=30))
    sent = _add(key="sent")
    OutboxMessage.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT, created_at=now - timedelta(hours=1))

    published = []
    monkeypatch.setattr(outbox_module, "_publish", lambda pk: published.append(pk) or True)
    assert outbox_sweep() == 3
    assert sorted(published) == sorted([missed.pk, retry_due.pk, stale.pk])
    assert fresh.pk not in published


@pytest.mark.django_db
def test_outbox_sweep_stops_at_the_first_publish_that_fails(settings, monkeypatch):
    settings.OUTBOX_SWEEP_GRACE_SECONDS = 0
    for n in range(3):
        _add(key=f"m{n}")
    tried = []
    monkeypatch.setattr(outbox_module, "_publish", lambda pk: tried.append(pk) and False)
    assert outbox_sweep() == 0 and len(tried) == 1


@pytest.mark.django_db
def test_outbox_publish_failure_never_reaches_the_caller(monkeypatch, django_capture_on_commit_callbacks):
    from common import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(tasks.outbox_deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = _add()
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.PENDING


@pytest.mark.django_db
def test_outbox_sweep_is_a_periodic_task_every_minute_editable_in_the_admin():
    task = PeriodicTask.objects.get(task="common.tasks.outbox_sweep")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "minutes"


# SMS --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_outbox_sms_goes_through_the_sms_backend(sms_in_memory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _add(channel=OutboxChannel.SMS, recipient="+64 21 555 0199", subject="",
                       body="Your reference is ENQ-2026-000001")
    assert [(m.to, m.body) for m in sms_in_memory] == [("+64 21 555 0199", "Your reference is ENQ-2026-000001")]
    assert mail.outbox == [] and OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.SENT


@pytest.mark.django_db
def test_outbox_sms_to_a_number_that_cannot_take_a_text_fails_at_once(sms_in_memory):
    message = _add(channel=OutboxChannel.SMS, recipient="n/a")
    assert outbox_deliver(message_id=message.pk, claim="t1") == "failed" and sms_in_memory == []


def test_sms_email_gateway_backend_mails_the_number_at_the_gateway(settings):
    settings.SMS_EMAIL_GATEWAY_DOMAIN = "sms.example.net"
    assert sms.send_sms(to="+64 21 555 0199", body="Crew on the way", backend="common.sms.EmailGatewayBackend") == 1
    [email] = mail.outbox
    assert email.to == ["64215550199@sms.example.net"] and email.body == "Crew on the way"


def test_sms_email_gateway_backend_needs_its_domain(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.SMS_EMAIL_GATEWAY_DOMAIN = ""
    with pytest.raises(ImproperlyConfigured):
        sms.get_backend("common.sms.EmailGatewayBackend")


def test_sms_console_backend_writes_the_text():
    stream = io.StringIO()
    sms.ConsoleBackend(stream=stream).send_messages([sms.SMSMessage(to="021 555 0199", body="Kia ora")])
    assert "SMS to 021 555 0199" in stream.getvalue() and "Kia ora" in stream.getvalue()


# Failed messages: the admin sees them and retries ---------------------------------------

def _failed_message(key="failed-1"):
    message = _add(key=key)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, attempts=6,
                                                       last_error="ConnectionRefusedError: refused")
    return OutboxMessage.objects.get(pk=message.pk)


@pytest.mark.django_db
def test_admin_home_counts_the_failed_messages(client_for, admin_user):
    client = client_for(admin_user)
    assert b"could not be sent" not in client.get("/accounts/admin-home/").content
    _failed_message("f1")
    _failed_message("f2")
    response = client.get("/accounts/admin-home/")
    assert b"2 messages could not be sent" in response.content
    assert b"/admin/common/outboxmessage/?status__exact=failed" in response.content


@pytest.mark.django_db
def test_admin_lists_failed_messages_and_retry_sends_them(client_for, admin_user,
                                                          django_capture_on_commit_callbacks):
    message = _failed_message()
    client = client_for(admin_user)
    listing = client.get("/admin/common/outboxmessage/?status__exact=failed")
    assert listing.status_code == 200 and b"aroha@example.co.nz" in listing.content
    assert b"Retry the selected failed messages" in listing.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/common/outboxmessage/", {
            "action": "retry_messages", "_selected_action": [message.pk], "index": 0}, follow=True)
    assert b"1 queued again." in response.content
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.status == OutboxStatus.SENT and len(mail.outbox) == 1 and outbox_failed_count() == 0
    retry_log = StateLog.objects.for_(message).get(transition="retry")
    assert retry_log.by == admin_user and "refused" in retry_log.description


@pytest.mark.django_db
def test_outbox_retry_is_refused_without_the_permission_and_for_a_message_not_failed(casemanager_user, admin_user):
    from django.core.exceptions import PermissionDenied, ValidationError

    message = _failed_message()
    with pytest.raises(PermissionDenied):
        outbox_retry(message=message, by=casemanager_user)
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.FAILED
    with pytest.raises(ValidationError):
        outbox_retry(message=_add(key="pending"), by=admin_user)


@pytest.mark.django_db
def test_admin_outbox_list_is_only_for_the_admin(client_for, casemanager_user):
    _failed_message()
    assert client_for(casemanager_user).get("/admin/common/outboxmessage/").status_code == 403


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_writes_nothing(client):
    UserFactory(email="known@example.co.nz")
    client.post("/accounts/password_reset/", {"email": "unknown@example.co.nz"})
    assert OutboxMessage.objects.count() == 0 and mail.outbox == []


@pytest.mark.django_db
def test_admin_shows_a_messages_attempts_read_only(client_for, admin_user, refusing_mail):
    message = _add()
    outbox_deliver(message_id=message.pk, claim="t1")
    response = client_for(admin_user).get(f"/admin/common/outboxmessage/{message.pk}/change/")
    assert response.status_code == 200
    assert b"Attempt 1 failed: ConnectionRefusedError" in response.content
    assert b'name="_save"' not in response.content  # read-only: it changes only through the outbox
