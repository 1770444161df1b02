"""The side-effect outbox: e-mails and SMS that survive a broker, worker or mail-server failure.

A side effect is first a row (``outbox_add``), written in the same transaction as the
change that causes it: if that transaction rolls back there is nothing to send, and if it
commits the row is there whatever happens next. After the commit one Celery task is
published (``common.tasks.outbox_deliver``); publishing never raises into the caller and
never waits on the broker more than about a second (the broker timeouts in settings).
Whatever the broker missed (down at the time, a worker lost mid-task, a retry that is
due) the periodic ``outbox_sweep`` publishes again.

Delivery marks the row "sending" in its own committed transaction before the external
call and "sent" in another after it, so no e-mail is ever sent inside a request's or any
other database transaction, nor while a row lock is held, and a second delivery of the
same task finds the row sent (or being sent) and sends nothing. Failed attempts are
retried on the schedule ``OUTBOX_RETRY_DELAYS`` (minutes, then hours); after the last one
the row is "failed", counted on the admin's home page and listed in the admin with a
"Retry" action.
"""

from __future__ import annotations

import base64
import logging
import os
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_fsm import has_transition_perm

from . import sms
from .enums import OutboxChannel, OutboxStatus
from .models import OutboxMessage

logger = logging.getLogger(__name__)

__all__ = ["outbox_add", "outbox_deliver", "outbox_failed_count", "outbox_for", "outbox_retry", "outbox_sweep"]


# Writes --------------------------------------------------------------------------------

def outbox_add(
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    key: str,
    about=None,
    html_body: str = "",
    attachments: list[tuple[str, bytes, str]] | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue one message, to be sent once the caller's transaction commits.

    Call it inside the transaction of the change that causes the message. ``key`` makes it
    idempotent: a second call with the same key returns the row already there and queues
    nothing. ``about`` is the object the message is about (a job, an enquiry), so its page
    can list its messages (``outbox_for``). ``attachments`` are (file name, content,
    MIME type). A message with ``not_before`` in the future is left to the sweep.
    """
    if channel not in OutboxChannel.values:
        raise ValueError(f"Unknown outbox channel {channel!r}.")
    if not key or len(key) > OutboxMessage._meta.get_field("key").max_length:
        raise ValueError("An outbox key is required, of at most 200 characters.")
    if not recipient.strip():
        raise ValidationError("An outbox message needs a recipient.")
    now = timezone.now()
    due_at = max(now, not_before) if not_before else now
    defaults = {
        "channel": channel,
        "recipient": recipient.strip(),
        "subject": subject[:255],
        "body": body,
        "html_body": html_body,
        "attachments": [[name, base64.b64encode(content).decode("ascii"), mimetype]
                        for name, content, mimetype in attachments or []],
        "created_at": now,
        "next_attempt_at": due_at,
    }
    if about is not None:
        defaults["about_type"] = ContentType.objects.get_for_model(about)
        defaults["about_id"] = about.pk
    # A savepoint of its own: a concurrent insert of the same key must not break the caller's transaction.
    with transaction.atomic():
        message, created = OutboxMessage.objects.get_or_create(key=key, defaults=defaults)
    if created and due_at <= now:
        transaction.on_commit(partial(_publish, message.pk), robust=True)
    return message


# Publishing waits at most OUTBOX_PUBLISH_WAIT_SECONDS, however the broker misbehaves: the
# broker's own socket timeouts bound each operation, but a fresh connection to a frozen
# Redis can take more than one. So a publish runs in a small pool of threads and the
# caller stops waiting at the deadline; when every thread is busy with a stuck broker
# the caller does not wait at all. A publish that completes late is harmless (the
# delivery finds the row claimed or sent).
_PUBLISH_THREADS = 4
_publisher: tuple[int, ThreadPoolExecutor, threading.BoundedSemaphore] | None = None


def _publisher_for_this_process() -> tuple[ThreadPoolExecutor, threading.BoundedSemaphore]:
    global _publisher
    if _publisher is None or _publisher[0] != os.getpid():  # threads do not survive a fork
        _publisher = (os.getpid(), ThreadPoolExecutor(_PUBLISH_THREADS, thread_name_prefix="outbox-publish"),
                      threading.BoundedSemaphore(_PUBLISH_THREADS))
    return _publisher[1], _publisher[2]


def _publish(message_id: int) -> bool:
    """Hand the delivery to Celery. Never raises: a message not published is the sweep's."""
    from .tasks import outbox_deliver as deliver_task

    def publish() -> None:
        deliver_task.apply_async((message_id,), retry=False)

    try:
        if deliver_task.app.conf.task_always_eager:
            publish()  # no broker: the task runs here and now (the embedded set-up)
            return True
        executor, slots = _publisher_for_this_process()
        if not slots.acquire(blocking=False):
            raise TimeoutError("every publishing thread is waiting on the broker")

        def publish_and_free_the_slot() -> None:
            try:
                publish()
            finally:
                slots.release()

        executor.submit(publish_and_free_the_slot).result(timeout=settings.OUTBOX_PUBLISH_WAIT_SECONDS)
    except Exception as exc:  # broker down, frozen or refusing: the row waits for the sweep
        logger.warning("outbox: message %s not published (%s); the sweep will publish it",
                       message_id, str(exc) or type(exc).__name__)
        return False
    return True


def outbox_deliver(*, message_id: int, claim: str = "") -> str:
    """Deliver one message, at most once in all but one small window. Returns what happened.

    1. In a transaction of its own, lock the row and mark it "sending" (attempt count and
       time, and ``claim``: the Celery task id), then commit: the lock is released before
       anything leaves the building.
    2. Send, outside any transaction (SMTP with ``EMAIL_TIMEOUT``; the task has soft and
       hard time limits).
    3. In another transaction, mark it "sent"; or, when the attempt failed, "pending" again
       with the next retry time from ``OUTBOX_RETRY_DELAYS``, or "failed" after the last.

    A second delivery of the task finds the row "sent", or "sending" under another claim,
    and sends nothing. The window: if the worker dies after the provider accepted the
    message but before step 3 committed, the row stays "sending" and the message is sent
    again, either at once when the broker redelivers the same task (the claim is this task's
    own, so the earlier run is known dead: acks_late + reject_on_worker_lost), or by the
    sweep once the row has been "sending" for longer than the hard task time limit
    (``OUTBOX_SENDING_STALE_SECONDS``; by then a live attempt has been killed). We chose
    "at least once" over "at most once" for that window: a lost acknowledgement or
    call-back costs more than a rare duplicate, and SMTP has no idempotency key (the
    Message-ID is fixed per row, so a receiving server or client may fold duplicates).
    """
    message = _claim(message_id, claim)
    if message is None:
        return "skipped"
    try:
        _send(message)
    except Exception as exc:  # includes the soft time limit
        return _record_failure(message_id, claim, exc)
    _record_sent(message_id, claim)
    return "sent"


def _claim(message_id: int, claim: str) -> OutboxMessage | None:
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.OUTBOX_SENDING_STALE_SECONDS)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return None
        if message.status == OutboxStatus.PENDING:
            claimable = message.next_attempt_at <= now
        elif message.status == OutboxStatus.SENDING:
            redelivered = bool(claim) and message.claim == claim
            claimable = redelivered or (message.last_attempt_at is not None and message.last_attempt_at <= stale_before)
        else:
            claimable = False
        if not claimable:
            return None
        attempt = message.attempts + 1
        message.start_sending(claim=claim, description=f"Attempt {attempt}")
        message.save()
    return message


def _send(message: OutboxMessage) -> None:
    if message.channel == OutboxChannel.SMS:
        sms.send_sms(to=message.recipient, body=message.body)
        return
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        # The same Message-ID on every attempt: a receiver that keeps them can fold a duplicate.
        headers={"Message-ID": f"<outbox-{message.pk}@{DNS_NAME}>"},
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    for name, content, mimetype in message.attachments:
        email.attach(name, base64.b64decode(content), mimetype)
    email.send(fail_silently=False)


def _is_permanent(exc: Exception) -> bool:
    """Only a refusal every retry would meet again: all recipients refused with a 5xx code."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, sms.PermanentSMSError)


def _record_sent(message_id: int, claim: str) -> None:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.status != OutboxStatus.SENDING:
            return  # marked by another attempt meanwhile; it went out either way
        message.mark_sent(description=f"Sent on attempt {message.attempts}")
        message.save()


def _record_failure(message_id: int, claim: str, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    delays = settings.OUTBOX_RETRY_DELAYS
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.status != OutboxStatus.SENDING or message.claim != claim:
            return "superseded"
        if _is_permanent(exc) or message.attempts > len(delays):
            message.give_up(error=error, description=f"Failed for good after {message.attempts} attempts: {error}")
            outcome = "failed"
        else:
            until = timezone.now() + timedelta(seconds=delays[message.attempts - 1])
            message.defer(error=error, until=until, description=f"Attempt {message.attempts} failed: {error}")
            outcome = "retry"
        message.save()
    logger.warning("outbox: message %s attempt %s %s: %s", message_id, message.attempts,
                   "failed for good" if outcome == "failed" else "failed, will retry", error)
    return outcome


def outbox_sweep(*, limit: int = 500) -> int:
    """Publish the messages that are due and not delivered. Returns how many were published.

    Due: pending rows whose retry time has come; never-tried rows older than
    ``OUTBOX_SWEEP_GRACE_SECONDS`` (younger ones were published on commit a moment ago) or
    held back by ``not_before`` (never published);
    rows "sending" for longer than ``OUTBOX_SENDING_STALE_SECONDS`` (their worker died).
    Publishing a row twice is harmless: the second delivery finds it claimed. When the
    broker is down the sweep stops at the first failure and the next run tries again.
    """
    published = 0
    for message_id in outbox_due_ids(limit=limit):
        if not _publish(message_id):
            break
        published += 1
    return published


@transaction.atomic
def outbox_retry(*, message: OutboxMessage, by) -> OutboxMessage:
    """Staff's "Retry" on a message that failed for good: a fresh schedule of attempts."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != OutboxStatus.FAILED:
        raise ValidationError(f"Only a failed message can be retried; this one is {message.get_status_display()}.")
    if not has_transition_perm(message.retry, by):
        raise PermissionDenied
    message.retry(by=by, description=f"Retried by {by.get_username()} after: {message.last_error}"[:500])
    message.save()
    transaction.on_commit(partial(_publish, message.pk), robust=True)
    return message


# Reads ---------------------------------------------------------------------------------

def outbox_for(obj) -> QuerySet[OutboxMessage]:
    """The messages about one object, newest first (uses the ``outbox_about`` index)."""
    return OutboxMessage.objects.filter(
        about_type=ContentType.objects.get_for_model(obj), about_id=obj.pk
    ).order_by("-created_at", "-id")


def outbox_failed_count() -> int:
    return OutboxMessage.objects.filter(status=OutboxStatus.FAILED).count()


def outbox_due_ids(*, limit: int = 500, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    fresh_after = now - timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    stale_before = now - timedelta(seconds=settings.OUTBOX_SENDING_STALE_SECONDS)
    due = (
        Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        & (Q(attempts__gt=0) | Q(created_at__lte=fresh_after) | Q(next_attempt_at__gt=F("created_at")))
    ) | Q(status=OutboxStatus.SENDING, last_attempt_at__lte=stale_before)
    return list(OutboxMessage.objects.filter(due).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
