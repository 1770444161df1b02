"""Customer updates: who is owed one, logging one for one customer or for all of them, and the
letters. Services (``*_log``, ``*_add``) and the selectors they need.

E-mail and SMS are outbox rows written in the update's transaction (``common.outbox``); a
letter is a ``Letter`` row written in the same transaction and rendered by a task, swept
again if the broker missed it (``letters``: ``letter_render``, ``letters_sweep``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts import permissions
from common.enums import OutboxStatus
from common.models import OutboxMessage
from common.outbox import outbox_add
from enquiries.enums import ContactChannel
from enquiries.models import Customer

from .due_dates import add_target
from .enums import Complexity, JobEventKind, UpdateReason, VariationKind
from .letters import LETTER_MAX_ATTEMPTS, letter_render, letters_sweep  # noqa: F401  (callers import them from here)
from .models import CustomerUpdate, Job, JobEvent, Letter, UpdateOwed, UpdateRecipient

logger = logging.getLogger(__name__)

# A customer's preferred channel, when it cannot be used (no e-mail address, no phone), falls back in this order.
PREFERRED = "preferred"
FALLBACK = (ContactChannel.EMAIL, ContactChannel.SMS, ContactChannel.LETTER, ContactChannel.PHONE)


# Reads -------------------------------------------------------------------------------------

def job_customers(*, job: Job) -> QuerySet[Customer]:
    """Every customer on the job (through its enquiries), each once."""
    return Customer.objects.filter(enquiries__job=job).distinct().order_by("name", "id")


def updates_owed_open(*, job: Job) -> list[UpdateOwed]:
    return list(job.updates_owed.filter(cleared_at__isnull=True).select_related("customer").order_by("due_at", "id"))


def jobs_owing_updates(*, jobs: QuerySet[Job]) -> QuerySet[Job]:
    """The jobs (of those given) that owe a customer an update, the earliest due first."""
    # "updates_owed__cleared_at__isnull" alone would also match jobs with no row at all (an outer join).
    return (
        jobs.filter(pk__in=UpdateOwed.objects.filter(cleared_at__isnull=True).values("job_id"))
        .annotate(owed_count=Count("updates_owed__customer", filter=Q(updates_owed__cleared_at__isnull=True),
                                  distinct=True),
                  owed_due_at=Min("updates_owed__due_at", filter=Q(updates_owed__cleared_at__isnull=True)))
    )


def job_updates(*, job: Job) -> list[CustomerUpdate]:
    """The job's updates, with recipients counted by channel and the deliveries that failed:
    three queries however many updates and recipients (a burst main has hundreds)."""
    updates = list(job.customer_updates.select_related("by").order_by("at", "id"))
    channels: dict[int, list] = {}
    labels = dict(ContactChannel.choices)
    for row in (UpdateRecipient.objects.filter(update__job=job).values("update_id", "channel")
                .annotate(n=Count("id")).order_by("update_id", "channel")):
        channels.setdefault(row["update_id"], []).append((labels.get(row["channel"], row["channel"]), row["n"]))
    failed = _failed_deliveries(job)
    for update in updates:
        update.by_channel = channels.get(update.pk, [])
        update.failed = failed.get(update.pk, [])
    return updates


def _failed_deliveries(job: Job) -> dict[int, list]:
    """E-mails and SMS the outbox gave up on, by update: recorded and shown, never lost."""
    recipients = UpdateRecipient.objects.filter(update__job=job)
    messages = list(
        OutboxMessage.objects.filter(about_type=ContentType.objects.get_for_model(UpdateRecipient),
                                     about_id__in=recipients.values("pk"), status=OutboxStatus.FAILED)
        .only("about_id", "recipient", "channel", "last_error")[:500])
    if not messages:
        return {}
    owners = dict(recipients.filter(pk__in=[m.about_id for m in messages]).values_list("pk", "update_id"))
    names = dict(recipients.filter(pk__in=owners).values_list("pk", "customer__name"))
    failed: dict[int, list] = {}
    for message in messages:
        message.customer_name = names.get(message.about_id, "")
        failed.setdefault(owners.get(message.about_id), []).append(message)
    return failed


def customer_update_history(*, customer: Customer) -> list[UpdateRecipient]:
    return list(
        UpdateRecipient.objects.filter(customer=customer)
        .select_related("update", "update__job", "update__by").order_by("-update__at", "-id")[:200]
    )


def job_letters(*, job: Job) -> list[Letter]:
    return list(job.letters.order_by("created_at", "id"))


@dataclass(frozen=True)
class Prefill:
    issue: str
    complexity: str
    expected_completion_at: object
    message: str
    reason: str


def update_prefill(*, job: Job) -> Prefill:
    """The template staff edit before sending: from the assessment and the latest variation."""
    assessment = job.assessments.select_related("fault_type").order_by("-at", "-id").first()
    variation = job.variations.order_by("-at", "-id").first()
    # Only words meant for customers: the fault's name and the crew's public summary, never their notes.
    issue = assessment.fault_type.name if assessment else (job.category.name if job.category else "The fault")
    if assessment and assessment.public_summary:
        issue = f"{issue}: {assessment.public_summary}"
    complexity = assessment.complexity if assessment else ""
    expected = job.expected_completion_at
    reason = UpdateReason.VARIATION if variation and (not assessment or variation.at > assessment.at) \
        else UpdateReason.ASSESSMENT if assessment else UpdateReason.OTHER
    lines = [f"Kia ora, this is an update about the {job.get_service_display().lower()} fault at "
             f"{job.street_address}, {job.suburb.name} (our reference {job.reference})."]
    lines.append(f"What our crew found: {issue}.")
    if complexity:
        lines.append(f"It is a {Complexity(complexity).label.lower()}-complexity job.")
    if reason == UpdateReason.VARIATION:
        lines.append(f"The work has changed: {variation.public_reason}" if variation.public_reason
                     else f"The work has changed ({VariationKind(variation.kind).label.lower()}).")
    if expected:
        lines.append(f"We expect the work to be finished by {timezone.localtime(expected):%A %d %B, %I:%M %p}.")
    lines.append("If you have any questions, please contact us and quote the reference.")
    return Prefill(issue=issue, complexity=complexity, expected_completion_at=expected,
                   message="\n".join(lines), reason=reason)


# Writes ------------------------------------------------------------------------------------

def _due_hours(job: Job) -> Decimal | float:
    if job.priority is not None and job.priority.customer_update_hours is not None:
        return job.priority.customer_update_hours
    return settings.CUSTOMER_UPDATE_DUE_HOURS


def updates_owed_add(*, job: Job, reason: str, variation=None, now=None) -> int:
    """After an assessment or a variation every customer on the job is owed an update.

    Call inside the transaction of the assessment or variation. Returns how many are owed.
    """
    now = now or timezone.now()
    due_at = add_target(now, _due_hours(job), business_hours=True)
    customer_ids = list(job_customers(job=job).values_list("pk", flat=True))
    UpdateOwed.objects.bulk_create([
        UpdateOwed(job=job, customer_id=pk, reason=reason, variation=variation, owed_from=now, due_at=due_at)
        for pk in customer_ids
    ])
    return len(customer_ids)


def _is_mobile(phone: str) -> bool:
    """Only a mobile takes a text: a landline or an 0800 number never receives it."""
    import phonenumbers

    try:
        number = phonenumbers.parse(phone or "", "NZ")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _unusable(customer: Customer, channel: str) -> str:
    """Why ``channel`` cannot reach this customer ('' when it can)."""
    return {
        ContactChannel.EMAIL: "" if customer.email else "no e-mail address",
        ContactChannel.SMS: "" if _is_mobile(customer.phone) else
        ("no mobile number" if not customer.phone else "their phone is not a mobile"),
        ContactChannel.LETTER: "" if customer.postal_address.strip() else "no postal address",
        ContactChannel.PHONE: "" if (customer.phone_digits or customer.phone) else "no phone number",
        ContactChannel.FACE_TO_FACE: "",
    }.get(channel, "not a channel")


def usable_channels(customer: Customer) -> list[str]:
    return [channel for channel in ContactChannel.values if not _unusable(customer, channel)]


def channel_for(customer: Customer, wanted: str) -> str:
    """The channel an update to this customer goes by: the wanted one if it can be used, else the
    first that can (said on the form before sending and on the timeline: see ``channel_plan``)."""
    if not _unusable(customer, wanted):
        return wanted
    for channel in FALLBACK:
        if not _unusable(customer, channel):
            return channel
    return ContactChannel.FACE_TO_FACE


@dataclass(frozen=True)
class ChannelPlan:
    customer: Customer
    wanted: str
    channel: str
    why_not: str  # why the wanted channel cannot be used ('' when it is)


def channel_plan(customers: Iterable[Customer], channel: str = PREFERRED) -> list[ChannelPlan]:
    """How each customer would be reached: their preferred channel (or the one chosen), or, when
    that cannot reach them, the one that will, with why."""
    plans = []
    for customer in customers:
        wanted = customer.preferred_channel if channel == PREFERRED else channel
        plans.append(ChannelPlan(customer, wanted, channel_for(customer, wanted), _unusable(customer, wanted)))
    return plans


def _label(channel: str) -> str:
    return ContactChannel(channel).label.lower()


def channel_refusal(plans: list[ChannelPlan], names) -> str:
    """The message for a chosen channel that cannot reach everyone: who, why, and what would."""
    missing = [p for p in plans if p.why_not]
    working = [c for c in ContactChannel.values
               if all(not _unusable(p.customer, c) for p in plans)]
    who = "; ".join(f"{names(p.customer)}: {p.why_not}" for p in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    offer = ", ".join(_label(c) for c in working)
    return (f"{ContactChannel(missing[0].wanted).label} cannot reach {len(missing)} of the customers chosen "
            f"({who}{more}). Channels that reach all of them: {offer}; or choose each customer's preferred channel.")


def _address(customer: Customer, channel: str) -> str:
    if channel == ContactChannel.EMAIL:
        return customer.email
    if channel in (ContactChannel.SMS, ContactChannel.PHONE):
        return customer.phone_digits or customer.phone
    if channel == ContactChannel.LETTER:
        return customer.postal_address.strip()
    return ""


def customer_update_log(
    *, job: Job, by, message: str, issue: str, complexity: str = "", expected_completion_at=None,
    questions_answered: str = "", customers: Iterable[Customer] | None = None, channel: str = PREFERRED,
    reason: str = "", expected_version: int | None = None,
) -> CustomerUpdate:
    """'Log customer update': to one customer (or a few), or to every customer on the job (``customers=None``).

    Each recipient is reached by ``channel``, or by their preferred channel; e-mail and SMS
    are queued in the outbox, letters go into one PDF for the update; the updates owed to
    these customers are cleared; the timeline and each customer's history show it.
    """
    from .services import _lock, _save

    actor = permissions.actor_user(by)
    errors = {}
    if not message.strip():
        errors["message"] = "Write what you told the customers."
    if not issue.strip():
        errors["issue"] = "Say what the issue is."
    if complexity and complexity not in Complexity.values:
        errors["complexity"] = "Choose low, medium or high."
    if channel != PREFERRED and channel not in ContactChannel.values:
        errors["channel"] = "Choose a channel."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Scope, permission, then the version: a form sent twice (a double tap, a retry) logs once.
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_update_customers(j, user))
        everyone = list(job_customers(job=locked))
        if customers is None:
            chosen = everyone
        else:
            on_job = {c.pk: c for c in everyone}
            chosen = [on_job[c.pk] for c in customers if c.pk in on_job]
            if len(chosen) != len({c.pk for c in customers}):
                raise ValidationError({"customer": "That customer is not on this job."})
        if not chosen:
            raise ValidationError({"customer": "There is no customer on this job to update."})
        plans = channel_plan(chosen, channel)
        if channel != PREFERRED and any(p.why_not for p in plans):
            # The channel staff chose is the one customers get, or staff are told: never silently another.
            names = partial(_name_for, user=actor, job=locked)
            raise ValidationError({"channel": channel_refusal(plans, names)})
        now = timezone.now()
        owed_reason = reason or _owed_reason(locked)
        update = CustomerUpdate.objects.create(
            job=locked, at=now, by=actor, reason=owed_reason, issue=issue.strip(), complexity=complexity,
            expected_completion_at=expected_completion_at, questions_answered=questions_answered.strip(),
            message=message.strip(), to_everyone=customers is None, recipient_count=len(chosen),
        )
        recipients = UpdateRecipient.objects.bulk_create([
            UpdateRecipient(update=update, customer=plan.customer, channel=plan.channel,
                            address=_address(plan.customer, plan.channel)[:300])
            for plan in plans
        ])
        if any(r.pk is None for r in recipients):  # a database that does not return keys from bulk inserts
            recipients = list(update.recipients.select_related("customer").order_by("id"))
        subject = f"Update on {locked.reference}: {locked.street_address}"
        for recipient in recipients:
            if recipient.channel in (ContactChannel.EMAIL, ContactChannel.SMS):
                body = message.strip() if recipient.channel == ContactChannel.EMAIL else _sms_text(locked, message)
                outbox_add(channel=recipient.channel, recipient=recipient.address, subject=subject, body=body,
                           key=f"customer-update-{recipient.pk}", about=recipient)
        if any(r.channel == ContactChannel.LETTER for r in recipients):
            letter = Letter.objects.create(job=locked, update=update, created_at=now)
            transaction.on_commit(lambda: _queue_letter(letter.pk), robust=True)
        _save(locked, by)
        cleared = UpdateOwed.objects.filter(
            job=locked, cleared_at__isnull=True, customer_id__in=[c.pk for c in chosen]
        ).update(cleared_at=now, cleared_by=update)
        counts = {}
        for recipient in recipients:
            counts[recipient.get_channel_display()] = counts.get(recipient.get_channel_display(), 0) + 1
        by_channel = ", ".join(f"{n} by {label.lower()}" for label, n in sorted(counts.items()))
        # A count, never names: the timeline is read by roles that may not see who the customers are.
        who = "every customer" if customers is None else update_recipients_text(len(chosen))
        fallbacks = [f"preferred {_label(p.wanted)} had {p.why_not}, so {_label(p.channel)}"
                     for p in plans if p.why_not]
        instead = f"; {len(fallbacks)} not by their preferred channel: {'; '.join(fallbacks[:5])}" if fallbacks else ""
        JobEvent.objects.create(
            job=locked, kind=JobEventKind.CUSTOMER_UPDATE, at=now, by=actor,
            text=f"Update to {who} ({len(chosen)}: {by_channel}{instead})"
                 f"{f'; {cleared} owed cleared' if cleared else ''}. {message.strip()[:300]}",
        )
    return update


def update_recipients_text(count: int) -> str:
    return "the customer" if count == 1 else f"{count} customers"


def _name_for(customer: Customer, *, user, job: Job) -> str:
    """A customer's name as this user may see it (a crew sees only the site contact's)."""
    from enquiries.privacy import customer_contact

    return customer_contact(user=user, record=job, customer=customer).name


def _owed_reason(job: Job) -> str:
    open_owed = job.updates_owed.filter(cleared_at__isnull=True).order_by("-owed_from").first()
    return open_owed.reason if open_owed else UpdateReason.OTHER


def sms_affixes(job: Job) -> tuple[str, str]:
    """What every customer-update text carries around the message: the reference first, the
    status page's link last (the form's counter counts them too)."""
    return f"{job.reference}: ", f" Status: {settings.SITE_URL.rstrip('/')}/status/"


def _sms_text(job: Job, message: str) -> str:
    """The whole message, never cut mid-sentence: a long update goes as several parts (the form
    counts them as staff type and warns past three), with the status link at the end."""
    prefix, suffix = sms_affixes(job)
    return prefix + " ".join(message.split()) + suffix


def _queue_letter(letter_id: int) -> None:
    from .tasks import letter_render as task

    try:
        task.delay(letter_id)
    except Exception as exc:  # broker down: the sweep renders it
        logger.warning("letter %s not queued (%s); the sweep will render it", letter_id, exc)
