"""Writes for stage 4: call-backs, feedback requests and feedback.

The job hooks (``completed``, ``closed``, ``reopened``, registered in ``FeedbackConfig.ready``)
run inside the jobs service's transaction, so a completed job always has its call-backs and a
closed one its feedback requests, and a rolled-back change leaves neither. Every message goes
through the outbox in the same transaction, keyed so that it is sent once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransition

from accounts import permissions
from accounts.models import User
from enquiries.enums import ContactChannel
from enquiries.models import Customer, Enquiry
from jobs.enums import JobStatus
from jobs.models import Job, Resolution

from . import tokens
from .enums import CallBackOutcome, CallBackStatus, FeedbackChannel, FeedbackSource, FixedAnswer
from .models import CallBack, CallBackAttempt, Feedback, FeedbackRequest
from .scheduling import callback_due_at


class CallBackChanged(Exception):
    """Someone recorded this call-back while the form was open."""

    def __init__(self, callback: CallBack):
        super().__init__("This call-back was recorded by someone else meanwhile.")
        self.callback = callback


class FeedbackLinkRefused(Exception):
    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# Call-backs ----------------------------------------------------------------------------------

def callbacks_schedule(*, job: Job, by) -> list[CallBack]:
    """Hook on completion: a call-back per enquiry whose customer asked for one, due after the
    delay, in business hours and at their best time. Unique per enquiry and completion."""
    resolution = Resolution.objects.filter(job=job).order_by("-recorded_at", "-id").first()
    if resolution is None:
        return []
    created = []
    wanted = Enquiry.objects.filter(job=job, callback_requested=True).order_by("received_at", "id")
    for enquiry in wanted:
        due = callback_due_at(completed_at=resolution.resolved_at, best_time=enquiry.callback_best_time)
        # Never due before the completion was typed in: a backdated completion still waits the delay.
        due = max(due, callback_due_at(completed_at=resolution.recorded_at, best_time=enquiry.callback_best_time)) \
            if resolution.recorded_at > resolution.resolved_at else due
        try:
            with transaction.atomic():
                callback, made = CallBack.objects.get_or_create(
                    enquiry=enquiry, resolution=resolution,
                    defaults={"job": job, "council_id": job.council_id, "due_at": due},
                )
        except IntegrityError:  # a concurrent hook made it first
            continue
        if made:
            created.append(callback)
    return created


def callbacks_supersede(*, job: Job, by) -> int:
    """Hook on reopen: the scheduled call-backs of the old completion are superseded; the next
    completion brings fresh ones."""
    now = timezone.now()
    count = 0
    for callback in CallBack.objects.select_for_update().filter(job=job, status=CallBackStatus.SCHEDULED):
        callback.supersede(at=now, by=permissions.actor_user(by), description="Job reopened")
        callback.save()
        count += 1
    return count


def callback_blockers(job: Job):
    """Close blocker: every call-back of the job's latest completion is done or exhausted."""
    from jobs.states import CloseBlocker

    waiting = CallBack.objects.filter(job=job, status=CallBackStatus.SCHEDULED).count()
    if not waiting:
        return []
    noun = "call-back is" if waiting == 1 else "call-backs are"
    return [CloseBlocker(f"{waiting} {noun} still to make: record each one (done, or no answer until "
                         f"the attempts run out) before closing the call ticket.")]


@dataclass(frozen=True)
class RecordedCallBack:
    callback: CallBack
    attempt: CallBackAttempt


def callback_record(*, callback: CallBack, outcome: str, by, note: str = "", expected_attempts: int | None = None,
                    at: datetime | None = None) -> RecordedCallBack:
    """'Record call-back': one attempt, kept; no answer schedules the next one until the last."""
    if outcome not in CallBackOutcome.values:
        raise ValidationError({"outcome": "Choose what happened on the call."})
    if outcome == CallBackOutcome.NOT_SATISFIED and not note.strip():
        raise ValidationError({"note": "Say why the customer is not satisfied."})
    permissions.actor_user(by)
    at = at or timezone.now()
    try:
        with transaction.atomic():
            locked = CallBack.objects.select_for_update(of=("self",)).select_related("job", "enquiry") \
                .get(pk=callback.pk)
            if not permissions.is_system(by) and not (
                permissions.may_view_job(by, locked.job) and permissions.may_record_callback(locked, by)
            ):
                raise PermissionDenied
            if expected_attempts is not None and locked.attempts != expected_attempts:
                raise CallBackChanged(locked)
            if locked.status != CallBackStatus.SCHEDULED:
                raise CallBackChanged(locked)
            actor = permissions.actor_user(by)
            label = CallBackOutcome(outcome).label
            text = label + (f": {note.strip()}" if note.strip() else "")
            if outcome in (CallBackOutcome.SATISFIED, CallBackOutcome.NOT_SATISFIED):
                locked.reached(outcome=outcome, at=at, by=actor, description=text)
            elif outcome == CallBackOutcome.NO_ANSWER:
                # The next attempt, like the first, falls in business hours and the customer's best time.
                retry_at = callback_due_at(completed_at=at, best_time=locked.enquiry.callback_best_time,
                                           delay_minutes=settings.CALLBACK_RETRY_MINUTES)
                locked.no_answer(at=at, retry_at=retry_at, by=actor, description=text)
            else:
                locked.wrong_number(at=at, by=actor, description=text)
            locked.save()
            attempt = CallBackAttempt.objects.create(callback=locked, job_id=locked.job_id, number=locked.attempts,
                                                     outcome=outcome, at=at, by=actor, note=note.strip())
    except ConcurrentTransition as exc:
        raise CallBackChanged(CallBack.objects.get(pk=callback.pk)) from exc
    return RecordedCallBack(callback=locked, attempt=attempt)


def _callback_digest_key(user: User, callbacks: list[CallBack]) -> str:
    marks = ",".join(f"{c.pk}.{c.attempts}" for c in sorted(callbacks, key=lambda c: c.pk))
    return f"callbacks-due:{user.pk}:{hashlib.sha256(marks.encode()).hexdigest()[:32]}"


def callbacks_notify_due(*, now: datetime | None = None) -> int:
    """Beat sweep: tell each council's call-centre about call-backs that have come due since the
    last sweep (one e-mail per person per sweep). The queue itself reads the database and does not
    wait for this. Returns how many call-backs were announced."""
    from common.outbox import outbox_add

    now = now or timezone.now()
    announced = 0
    with transaction.atomic():
        due = list(
            CallBack.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=CallBackStatus.SCHEDULED, due_at__lte=now)
            .select_related("job", "enquiry", "council")
            .order_by("council_id", "due_at", "id")[:500]
        )
        due = [c for c in due if c.notified_attempt < c.attempts + 1]
        by_council: dict[int, list[CallBack]] = {}
        for callback in due:
            by_council.setdefault(callback.council_id, []).append(callback)
        for council_id, callbacks in by_council.items():
            staff = User.objects.filter(is_active=True, role_call_centre=True, organisation_id=council_id) \
                .exclude(email="")
            link = _site(reverse("feedback:callback-queue"))
            body = render_to_string("feedback/email/callbacks_due.txt", {
                "callbacks": callbacks, "council": callbacks[0].council, "link": link,
            })
            subject = f"{len(callbacks)} call-back{'s' if len(callbacks) != 1 else ''} due"
            for person in staff:
                outbox_add(channel="email", recipient=person.email, subject=subject, body=body,
                           key=_callback_digest_key(person, callbacks), about=callbacks[0].council)
            for callback in callbacks:
                CallBack.objects.filter(pk=callback.pk).update(notified_attempt=callback.attempts + 1)
            announced += len(callbacks)
    return announced


# Feedback requests ----------------------------------------------------------------------------

def _channel_for(customer: Customer) -> str:
    """The customer's preferred channel where it can carry a link; otherwise the next that can."""
    preferred = customer.preferred_channel
    if preferred == ContactChannel.EMAIL and customer.email:
        return FeedbackChannel.EMAIL
    if preferred == ContactChannel.SMS and customer.phone:
        return FeedbackChannel.SMS
    if preferred == ContactChannel.LETTER and customer.postal_address:
        return FeedbackChannel.LETTER
    if preferred in (ContactChannel.PHONE, ContactChannel.FACE_TO_FACE) and customer.phone:
        return FeedbackChannel.PHONE
    if customer.email:
        return FeedbackChannel.EMAIL
    if customer.postal_address:
        return FeedbackChannel.LETTER
    return FeedbackChannel.PHONE


def feedback_link(request: FeedbackRequest) -> str:
    reference = request.job.reference
    return _site(reverse("feedback:give", args=[reference, tokens.link_token(reference=reference,
                                                                               code=request.code)]))


def feedback_short_link(request: FeedbackRequest) -> str:
    return _site(reverse("feedback:give-code", args=[request.code]))


def _send_request_message(request: FeedbackRequest, *, reminder: bool) -> None:
    from common.outbox import outbox_add

    if request.channel not in (FeedbackChannel.EMAIL, FeedbackChannel.SMS):
        return
    customer = request.customer
    context = {"request": request, "job": request.job, "link": feedback_link(request), "reminder": reminder,
               "days": settings.FEEDBACK_LINK_DAYS}
    kind = "reminder" if reminder else "request"
    if request.channel == FeedbackChannel.EMAIL:
        outbox_add(channel="email", recipient=customer.email,
                   subject=("Reminder: " if reminder else "") + f"How did we do? {request.job.reference}",
                   body=render_to_string("feedback/email/feedback_request.txt", context),
                   key=f"feedback-{kind}:{request.pk}", about=request.job)
    else:
        outbox_add(channel="sms", recipient=customer.phone, subject="",
                   body=render_to_string("feedback/sms/feedback_request.txt", context).strip(),
                   key=f"feedback-{kind}:{request.pk}", about=request.job)


def feedback_requests_send(*, job: Job, by) -> list[FeedbackRequest]:
    """Hook on close: every customer on the job is asked for feedback, once per closing."""
    now = timezone.now()
    made = []
    enquiries = Enquiry.objects.filter(job=job).select_related("customer").order_by("received_at", "id")
    seen = set()
    for enquiry in enquiries:
        if enquiry.customer_id in seen:
            continue
        seen.add(enquiry.customer_id)
        request, created = FeedbackRequest.objects.get_or_create(
            job=job, customer=enquiry.customer, job_closed_at=job.closed_at,
            defaults={"enquiry": enquiry, "channel": _channel_for(enquiry.customer), "code": tokens.new_code(),
                      "sent_at": now, "expires_at": now + timedelta(days=settings.FEEDBACK_LINK_DAYS)},
        )
        if created:
            request.job = job
            _send_request_message(request, reminder=False)
            made.append(request)
    return made


def feedback_send_reminders(*, now: datetime | None = None) -> int:
    """Beat task: one reminder, after FEEDBACK_REMINDER_DAYS, to whoever has not answered yet."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FEEDBACK_REMINDER_DAYS)
    sent = 0
    with transaction.atomic():
        requests = (
            FeedbackRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(answered_at__isnull=True, reminder_sent_at__isnull=True, sent_at__lte=cutoff,
                    expires_at__gt=now, channel__in=[FeedbackChannel.EMAIL, FeedbackChannel.SMS])
            .select_related("job", "customer").order_by("sent_at", "id")[:500]
        )
        for request in requests:
            request.reminder_sent_at = now
            request.save(update_fields=["reminder_sent_at"])
            _send_request_message(request, reminder=True)
            sent += 1
    return sent


# Feedback ------------------------------------------------------------------------------------

def _clean_answers(answers: dict) -> dict:
    errors = {}
    cleaned = {}
    for name in ("overall", "timeliness", "communication"):
        value = answers.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = "Choose from 1 to 5."
        cleaned[name] = value
    if answers.get("fixed") not in FixedAnswer.values:
        errors["fixed"] = "Say whether it was fixed."
    cleaned["fixed"] = answers.get("fixed")
    cleaned["comment"] = (answers.get("comment") or "").strip()[:2000]
    if errors:
        raise ValidationError(errors)
    return cleaned


def feedback_submit(*, request: FeedbackRequest, answers: dict) -> Feedback:
    """The customer's answers through their link: once, before it expires."""
    cleaned = _clean_answers(answers)
    with transaction.atomic():
        locked = FeedbackRequest.objects.select_for_update().get(pk=request.pk)
        if locked.answered_at is not None:
            raise FeedbackLinkRefused(tokens.USED)
        if locked.expires_at <= timezone.now():
            raise FeedbackLinkRefused(tokens.EXPIRED)
        locked.answered_at = timezone.now()
        locked.save(update_fields=["answered_at"])
        return Feedback.objects.create(job_id=locked.job_id, request=locked, customer_id=locked.customer_id,
                                       source=FeedbackSource.LINK, given_at=locked.answered_at, **cleaned)


def feedback_record_by_phone(*, job: Job, enquiry: Enquiry, answers: dict, by) -> Feedback:
    """Staff type in feedback a customer gave on the phone (on the call-back, or later)."""
    permissions.actor_user(by)
    if not permissions.is_system(by) and not (permissions.may_record_feedback(by)
                                               and permissions.may_view_job(by, job)):
        raise PermissionDenied
    if not Enquiry.objects.filter(pk=enquiry.pk, job=job).exists():
        raise ValidationError({"enquiry": "Choose a customer on this job."})
    if job.status not in (JobStatus.COMPLETED, JobStatus.CLOSED, JobStatus.REPORTED):
        raise ValidationError("Feedback is taken once the work is done.")
    cleaned = _clean_answers(answers)
    with transaction.atomic():
        request = (FeedbackRequest.objects.select_for_update()
                   .filter(job=job, customer_id=enquiry.customer_id, answered_at__isnull=True)
                   .order_by("-sent_at").first())
        now = timezone.now()
        if request is not None:
            request.answered_at = now
            request.save(update_fields=["answered_at"])
        return Feedback.objects.create(job=job, request=request, customer_id=enquiry.customer_id,
                                       source=FeedbackSource.PHONE, given_at=now,
                                       recorded_by=permissions.actor_user(by), **cleaned)
