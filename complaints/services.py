"""Writes for complaints. Every change: lock, check version and permission, change, save, log.

Who acted is recorded as jobs record it: every service takes ``by`` (a user, or
``accounts.permissions.SYSTEM`` for the application itself; ``by=None`` is refused before
anything is read), and the complaint's ``updated_by``, its log row and its timeline entries
name that user (none for the system).

As for jobs: a stale form (the complaint moved on since the user loaded it) raises
``ComplaintChanged`` with the fresh complaint, so the view can say who changed it and show
the user's own input again. Notifications are outbox rows written in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm
from django_fsm_log.models import StateLog

from accounts import permissions
from common.backdating import check_past_time, is_backdated
from common.references import reference_next
from enquiries.models import Customer, Enquiry
from jobs.models import Job

from . import notifications
from .due_dates import add_business_days, complaint_due_dates
from .enums import LEVEL_ORDER, ComplaintEventKind, EscalationLevel
from .models import (
    Complaint,
    ComplaintAction,
    ComplaintCategory,
    ComplaintCause,
    ComplaintContact,
    ComplaintEvent,
    ComplaintServiceLevel,
)

# How far ahead a next step may be due: a date years away is a typing slip.
ACTION_MAX_DAYS_AHEAD = 366


class ComplaintChanged(Exception):
    """Someone else changed the complaint after this user loaded it."""

    def __init__(self, complaint: Complaint):
        super().__init__(f"{complaint.reference} was changed by someone else.")
        self.complaint = complaint


class ActionNotAvailable(Exception):
    """The step cannot be taken in the complaint's current state or conditions."""


def service_level_for(category: ComplaintCategory) -> ComplaintServiceLevel:
    level = category.service_level or ComplaintServiceLevel.objects.filter(is_default=True).first()
    if level is None:  # reference data removed in the admin: the published defaults still hold
        level = ComplaintServiceLevel(name="Default", acknowledge_business_days=2, resolve_business_days=20)
    return level


def _lock(complaint: Complaint, expected_version: int | None) -> Complaint:
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("category__service_level", "council", "job", "owner")
        .get(pk=complaint.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ComplaintChanged(locked)
    return locked


def _fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_related("updated_by").get(pk=complaint.pk)


def _may(by, check) -> bool:
    """The system acts without a role; a person needs the right one."""
    return permissions.is_system(by) or check()


def _save(complaint: Complaint, by) -> None:
    complaint.version += 1
    complaint.updated_by = permissions.actor_user(by)
    try:
        complaint.save()
    except ConcurrentTransition as exc:
        raise ComplaintChanged(_fresh(complaint)) from exc


def _transition(*, complaint: Complaint, name: str, by, expected_version: int | None, description: str = "",
                before=None, **kwargs) -> Complaint:
    """Run one transition under the row lock; raise PermissionDenied or ActionNotAvailable.

    ``before(locked)`` runs under the lock before the transition: checks against the fresh
    row, and rows that belong with the step (a contact, a next step) written in the same
    transaction as the state change and its log row.
    """
    actor = permissions.actor_user(by)
    try:
        with transaction.atomic():
            locked = _lock(complaint, expected_version)
            if not _may(by, lambda: permissions.may_view_complaint(by, locked)):
                raise PermissionDenied
            locked._open_action_count = locked.actions.filter(done_at__isnull=True).count()
            method = getattr(locked, name)
            if not _may(by, lambda: role_allows(locked, name, by)):
                raise PermissionDenied
            if not (can_proceed(method) if permissions.is_system(by) else has_transition_perm(method, by)):
                raise ActionNotAvailable(_not_available(locked, name))
            if before is not None:
                before(locked)
            try:
                method(by=actor, description=description or None, **kwargs)
            except TransitionNotAllowed as exc:
                raise ActionNotAvailable(str(exc)) from exc
            _save(locked, by)
            return locked
    except ConcurrentTransition as exc:
        raise ComplaintChanged(_fresh(complaint)) from exc


def role_allows(complaint: Complaint, name: str, user) -> bool:
    """Whether this user may ever take this step on this complaint, whatever its state now."""
    transitions = getattr(type(complaint), name)._django_fsm.transitions.values()
    return any(transition.has_perm(complaint, user) for transition in transitions)


def _not_available(complaint: Complaint, name: str) -> str:
    if name == "resolve" and complaint.is_open and complaint._open_action_count:
        return (f"{complaint.reference} has {complaint._open_action_count} next step(s) not done: "
                "mark them done before resolving.")
    if name == "escalate" and complaint.level == EscalationLevel.EXECUTIVE:
        return f"{complaint.reference} is already with the executive: it cannot go higher."
    return f"{complaint.reference} is {complaint.get_status_display().lower()}: that step is not available now."


def _with_note(description: str, note: str) -> str:
    note = (note or "").strip()
    return f"{description}. {note}" if note else description


# Log complaint --------------------------------------------------------------------------

@transaction.atomic
def complaint_log(
    *,
    by,
    customer: Customer,
    category: ComplaintCategory,
    description: str,
    channel: str,
    received_at: datetime | None = None,
    backdate_reason: str = "",
    job: Job | None = None,
    enquiry: Enquiry | None = None,
) -> Complaint:
    """'Log complaint' for a customer, about a job or an enquiry or on its own: a person logs it
    (``logged_by``), never the system."""
    if permissions.actor_user(by) is None:
        raise PermissionDenied("A complaint is logged by a person.")
    if not permissions.may_log_complaint(by) or not permissions.council_in_scope(by, customer.council_id):
        raise PermissionDenied
    if job is not None and (not permissions.may_view_job(by, job) or job.council_id != customer.council_id):
        raise PermissionDenied  # another council's job: never attached, whatever the form said
    if enquiry is not None and (not permissions.may_view_enquiry(by, enquiry)
                                or enquiry.council_id != customer.council_id):
        raise PermissionDenied
    errors = {}
    if not category.is_active:
        errors["category"] = f"{category.name} is no longer in use; choose another category."
    elif job is not None and category.service != job.service:
        errors["category"] = (f"{job.reference} is a {job.get_service_display().lower()} job: "
                              "choose one of its categories.")
    elif enquiry is not None and category.service != enquiry.service:
        errors["category"] = (f"{enquiry.reference} is about {enquiry.get_service_display().lower()}: "
                              "choose one of its categories.")
    if enquiry is not None and job is not None and enquiry.job_id not in (None, job.pk):
        errors["enquiry"] = f"{enquiry.reference} is on another job."
    if not description.strip():
        errors["description"] = "Write down what the customer says."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    received_at = received_at or now
    check_past_time(moment=received_at, reason=backdate_reason, field="received_at", what="received time", now=now)
    acknowledge_due, resolve_due = complaint_due_dates(received_at=received_at,
                                                       service_level=service_level_for(category))
    complaint = Complaint(
        reference=reference_next(prefix="CMP", at=now),
        council_id=customer.council_id,
        customer=customer,
        job=job if job is not None else (enquiry.job if enquiry is not None else None),
        enquiry=enquiry,
        service=category.service,
        category=category,
        channel=channel,
        received_at=received_at,
        backdate_reason=backdate_reason.strip() if is_backdated(received_at, recorded_at=now) else "",
        description=description.strip(),
        logged_at=now,
        logged_by=by,
        owner=by if permissions.is_case_manager(by) else None,
        acknowledge_due_at=acknowledge_due,
        resolve_due_at=resolve_due,
        updated_by=by,
    )
    complaint.refresh_next_due()
    complaint.save()
    StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Complaint), object_id=complaint.pk, source_state=None,
        state=complaint.status, transition="create", by=by, timestamp=now,
        description=f"{category.name}: {complaint.description[:200]}",
    )
    return complaint


# The steps --------------------------------------------------------------------------------

def complaint_understand(*, complaint: Complaint, cause: ComplaintCause, notes: str, by,
                         expected_version: int | None = None) -> Complaint:
    """Record the cause: the complaint is understood (and acknowledged)."""
    if not cause.is_active:
        raise ValidationError({"cause": f"{cause.name} is no longer in use; choose another cause."})
    if not notes.strip():
        raise ValidationError({"notes": "Note what the complaint is really about."})
    return _transition(complaint=complaint, name="understand", by=by, expected_version=expected_version,
                       description=f"Cause: {cause.name}. {notes.strip()}", cause=cause, notes=notes.strip())


def complaint_record_contact(*, complaint: Complaint, channel: str, contacted_at: datetime, summary: str, by,
                             expected_version: int | None = None) -> Complaint:
    """A contact with the customer: how, when, what was discussed."""
    from enquiries.enums import ContactChannel

    if channel not in ContactChannel.values:
        raise ValidationError({"channel": "Choose how the customer was contacted."})
    if not summary.strip():
        raise ValidationError({"summary": "Summarise what was discussed."})
    if contacted_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"contacted_at": "The contact cannot be in the future."})

    _person(by, "A contact with the customer is recorded by the person who made it.")

    def add_contact(locked):
        if contacted_at < locked.received_at - timedelta(minutes=5):
            raise ValidationError({"contacted_at": "The contact cannot be before the complaint was received."})
        ComplaintContact.objects.create(complaint=locked, channel=channel, at=contacted_at, summary=summary.strip(),
                                        by=by)

    label = ContactChannel(channel).label
    return _transition(complaint=complaint, name="record_contact", by=by, expected_version=expected_version,
                       description=f"{label} with the customer: {summary.strip()}", contacted_at=contacted_at,
                       before=add_contact)


def _person(by, message: str) -> None:
    """Facts a person is accountable for (a contact, an agreed step) name that person."""
    if permissions.actor_user(by) is None:
        raise PermissionDenied(message)


def _check_owner(owner, complaint: Complaint, field: str) -> None:
    if owner is None or not owner.is_active or not permissions.may_own_complaint_work(owner, complaint.council_id):
        raise ValidationError({field: f"{owner or 'That person'} cannot own this: choose someone at the utility "
                                      f"or at {complaint.council.name}."})


def complaint_agree_next_step(*, complaint: Complaint, text: str, owner, due_on: date, by,
                              expected_version: int | None = None) -> Complaint:
    """One agreed next step, with its owner and due date."""
    if not text.strip():
        raise ValidationError({"text": "Say what the next step is."})
    today = timezone.localdate()
    if due_on < today:
        raise ValidationError({"due_on": "The due date cannot be in the past."})
    if due_on > today + timedelta(days=ACTION_MAX_DAYS_AHEAD):
        raise ValidationError({"due_on": "The due date is more than a year away; check it."})

    _person(by, "A next step is agreed by a person.")

    def add_action(locked):
        _check_owner(owner, locked, "owner")
        ComplaintAction.objects.create(complaint=locked, text=text.strip(), owner=owner, due_on=due_on,
                                       created_by=by)

    return _transition(complaint=complaint, name="agree_next_step", by=by, expected_version=expected_version,
                       description=f"{text.strip()} (owner {owner}, due {due_on:%d/%m/%Y})", before=add_action)


def complaint_escalate(*, complaint: Complaint, level: str, owner, reason: str, by,
                       expected_version: int | None = None) -> Complaint:
    """'Escalate' to a named level and owner; the new owner is e-mailed (through the outbox)."""
    if level not in EscalationLevel.values:
        raise ValidationError({"level": "Choose the level to escalate to."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the complaint is escalated."})

    def check(locked):
        if LEVEL_ORDER[level] <= LEVEL_ORDER.get(locked.level, 0):
            raise ValidationError({"level": f"{locked.reference} is already at {locked.get_level_display().lower()}: "
                                            "escalate to a higher level."})
        _check_owner(owner, locked, "owner")

    with transaction.atomic():
        complaint = _transition(
            complaint=complaint, name="escalate", by=by, expected_version=expected_version, before=check,
            description=f"Escalated to {EscalationLevel(level).label.lower()}, owner {owner}: {reason.strip()}",
            level=level, owner=owner,
        )
        notifications.escalated(complaint=complaint, reason=reason.strip(), by=by)  # "by the system" in words
    return complaint


def complaint_resolve(*, complaint: Complaint, outcome: str, customer_accepts: bool, by,
                      expected_version: int | None = None) -> Complaint:
    if not outcome.strip():
        raise ValidationError({"outcome": "Describe the outcome."})
    accepts = "accepts" if customer_accepts else "does not accept"
    return _transition(complaint=complaint, name="resolve", by=by, expected_version=expected_version,
                       description=f"{outcome.strip()} (the customer {accepts} the outcome)",
                       outcome=outcome.strip(), customer_accepts=customer_accepts)


def complaint_close(*, complaint: Complaint, by, note: str = "", expected_version: int | None = None) -> Complaint:
    return _transition(complaint=complaint, name="close", by=by, expected_version=expected_version,
                       description=note.strip())


def complaint_withdraw(*, complaint: Complaint, reason: str, by, expected_version: int | None = None) -> Complaint:
    if not reason.strip():
        raise ValidationError({"reason": "Note what the customer said when withdrawing."})
    return _transition(complaint=complaint, name="withdraw", by=by, expected_version=expected_version,
                       description=f"Withdrawn by the customer: {reason.strip()}")


def complaint_reopen(*, complaint: Complaint, reason: str, by, expected_version: int | None = None) -> Complaint:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the complaint is reopened."})
    resolve_due_at = add_business_days(timezone.now(), service_level_for(complaint.category).resolve_business_days)
    return _transition(complaint=complaint, name="reopen", by=by, expected_version=expected_version,
                       description=f"Reopened: {reason.strip()}", resolve_due_at=resolve_due_at)


def complaint_action_set_done(*, action: ComplaintAction, done: bool, by,
                              expected_version: int | None = None) -> ComplaintAction:
    """Mark a next step done (or not done after all); the complaint's version moves with it."""
    actor = permissions.actor_user(by)
    try:
        with transaction.atomic():
            locked = _lock(action.complaint, expected_version)
            if not _may(by, lambda: permissions.may_view_complaint(by, locked)):
                raise PermissionDenied
            if not _may(by, lambda: permissions.may_run_complaint(locked, by) or action.owner_id == by.pk):
                raise PermissionDenied
            if not locked.is_open:
                raise ActionNotAvailable(f"{locked.reference} is {locked.get_status_display().lower()}: "
                                         "its next steps are final.")
            step = ComplaintAction.objects.select_for_update().get(pk=action.pk, complaint=locked)
            if step.is_done == done:
                return step  # already so: pressing the button twice changes nothing
            now = timezone.now()
            step.done_at, step.done_by = (now, actor) if done else (None, None)
            step.save(update_fields=["done_at", "done_by"])
            ComplaintEvent.objects.create(
                complaint=locked, kind=ComplaintEventKind.ACTION_DONE if done else ComplaintEventKind.ACTION_NOT_DONE,
                at=now, by=actor, text=step.text,
            )
            _save(locked, by)
            return step
    except ConcurrentTransition as exc:
        raise ComplaintChanged(_fresh(action.complaint)) from exc


def complaints_send_overdue_reminders(*, now: datetime | None = None) -> int:
    """Each owner gets one e-mail a day listing their overdue complaints and next steps."""
    now = now or timezone.now()
    return notifications.overdue_digest(today=timezone.localdate(now), now=now)
