"""Writes for jobs. Every change: lock, check version and permission, change, save, log.

A stale form (the job moved on since the user loaded it) raises ``JobChanged`` with the
fresh job, so the view can say who won and show the user's own input back to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm
from django_fsm_log.models import StateLog

from accounts import permissions
from common.references import reference_next
from enquiries.enums import EnquiryStatus
from enquiries.models import Enquiry
from enquiries.text import street_key

from .enums import CancelReason, JobEventKind
from .models import Job, JobEvent


class JobChanged(Exception):
    """Someone else changed the job after this user loaded it."""

    def __init__(self, job: Job):
        super().__init__(f"{job.reference} was changed by someone else.")
        self.job = job


class ActionNotAvailable(Exception):
    """The action cannot be taken in the job's current state or conditions."""


def _lock(job: Job, expected_version: int | None) -> Job:
    locked = Job.objects.select_for_update(of=("self",)).select_related("priority").get(pk=job.pk)
    if expected_version is not None and locked.version != expected_version:
        raise JobChanged(locked)
    return locked


def _save(job: Job, by) -> None:
    job.version += 1
    job.updated_by = by
    try:
        job.save()
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


def _job_transition(*, job: Job, name: str, by, expected_version: int | None, description: str = "", **kwargs) -> Job:
    """Run one transition under the row lock; raise PermissionDenied or ActionNotAvailable."""
    try:
        with transaction.atomic():
            locked = _lock(job, expected_version)
            method = getattr(locked, name)
            if by is not None and not has_transition_perm(method, by):
                if can_proceed(method):
                    raise PermissionDenied
                raise ActionNotAvailable(
                    f"{locked.reference} is {locked.get_status_display().lower()}: that action is not available now."
                )
            try:
                method(by=by, description=description or None, **kwargs)
            except TransitionNotAllowed as exc:
                raise ActionNotAvailable(str(exc)) from exc
            _save(locked, by)
            return locked
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


def _log_creation(job: Job, by, description: str) -> None:
    StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Job),
        object_id=job.pk,
        source_state=None,
        state=job.status,
        transition="create",
        by=by,
        description=description,
        timestamp=job.created_at,
    )


@transaction.atomic
def job_create_from_enquiries(*, enquiries: Iterable[Enquiry], by) -> Job:
    """'Create job' from one enquiry or several that describe the same fault."""
    if not permissions.may_triage(by):
        raise PermissionDenied
    ids = sorted({enquiry.pk for enquiry in enquiries})
    if not ids:
        raise ValidationError("Choose at least one enquiry.")
    locked = list(
        Enquiry.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("suburb", "issue_type", "customer")
        .order_by("received_at", "id")
    )
    if len(locked) != len(ids):
        raise ValidationError("One of the chosen enquiries no longer exists.")
    not_new = [e.reference for e in locked if e.status != EnquiryStatus.NEW]
    if not_new:
        raise ValidationError(f"Already dealt with: {', '.join(not_new)}. Refresh the list and choose again.")
    if len({e.service for e in locked}) > 1:
        raise ValidationError("A job covers one service: the chosen enquiries are for different services.")
    if len({e.council_id for e in locked}) > 1:
        raise ValidationError("A job belongs to one council: the chosen enquiries are from different councils.")

    first = locked[0]
    now = timezone.now()
    job = Job(
        reference=reference_next(prefix="JOB", at=now),
        council_id=first.council_id,
        service=first.service,
        street_address=first.street_address,
        suburb=first.suburb,
        street_key=street_key(first.street_address),
        latitude=first.latitude,
        longitude=first.longitude,
        notified_at=first.received_at,
        created_at=now,
        created_by=by,
    )
    job.save()
    references = ", ".join(e.reference for e in locked)
    _log_creation(job, by, f"Created from {references}")
    for enquiry in locked:
        _link(enquiry=enquiry, job=job, by=by, at=now)
    return job


def _link(*, enquiry: Enquiry, job: Job, by, at) -> None:
    if not has_transition_perm(enquiry.link_to_job, by):
        if enquiry.status != EnquiryStatus.NEW:
            raise ValidationError(f"{enquiry.reference} is already {enquiry.get_status_display().lower()}.")
        raise PermissionDenied
    enquiry.link_to_job(job=job, by=by, description=f"Linked to {job.reference}")
    enquiry.save()
    JobEvent.objects.create(
        job=job, kind=JobEventKind.ENQUIRY_LINKED, at=at, by=by, enquiry=enquiry,
        text=f"{enquiry.reference} linked: {enquiry.issue_type.name} reported by {enquiry.customer.name}",
    )


def enquiry_link_to_job(*, enquiry: Enquiry, job: Job, by, expected_version: int | None = None) -> Job:
    """'Link to job': the enquiry describes a fault an open job already covers."""
    try:
        with transaction.atomic():
            locked_job = _lock(job, expected_version)
            locked_enquiry = (
                Enquiry.objects.select_for_update(of=("self",))
                .select_related("issue_type", "customer")
                .get(pk=enquiry.pk)
            )
            if not permissions.may_view_job(by, locked_job):
                raise PermissionDenied
            if not locked_job.is_open:
                raise ValidationError(f"{locked_job.reference} is {locked_job.get_status_display().lower()}.")
            if locked_job.council_id != locked_enquiry.council_id:
                raise ValidationError(f"{locked_job.reference} belongs to another council.")
            if locked_job.service != locked_enquiry.service:
                raise ValidationError(f"{locked_job.reference} is a {locked_job.get_service_display().lower()} job.")
            _link(enquiry=locked_enquiry, job=locked_job, by=by, at=timezone.now())
            if locked_enquiry.received_at < locked_job.notified_at:
                # An earlier notification moves the KPI clock, and the due dates with it.
                locked_job.notified_at = locked_enquiry.received_at
                locked_job.apply_due_dates()
            _save(locked_job, by)
            return locked_job
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


def job_categorise(*, job: Job, category, priority, by, expected_version: int | None = None, note: str = "") -> Job:
    if category.service != job.service:
        raise ValidationError({"category": f"{category.name} is not a {job.get_service_display().lower()} category."})
    description = f"Category {category.name}; priority {priority.name} ({priority.label})"
    return _job_transition(
        job=job, name="categorise", by=by, expected_version=expected_version,
        description=_with_note(description, note), category=category, priority=priority,
    )


def job_allocate(*, job: Job, case_manager, by, expected_version: int | None = None, note: str = "") -> Job:
    if not permissions.is_case_manager(case_manager):
        raise ValidationError({"case_manager": f"{case_manager} is not a case manager."})
    return _job_transition(
        job=job, name="allocate", by=by, expected_version=expected_version,
        description=_with_note(f"Case manager {case_manager}", note), case_manager=case_manager,
    )


def job_dispatch(*, job: Job, contractor, by, expected_version: int | None = None, note: str = "") -> Job:
    if contractor is None:
        raise ValidationError({"contractor": "Choose the contractor to dispatch to."})
    return _job_transition(
        job=job, name="dispatch", by=by, expected_version=expected_version,
        description=_with_note(f"Dispatched to {contractor}", note), contractor=contractor,
    )


def _check_site_time(job: Job, moment, field: str) -> None:
    """Arrival and completion feed the KPIs: between the notification and now, or refused."""
    if moment is None:
        return
    if moment < job.notified_at or moment > timezone.now() + timedelta(minutes=5):
        raise ValidationError({field: "The time must be after the customer's notification and not in the future."})


def job_record_arrival(*, job: Job, by, arrived_at=None, expected_version: int | None = None, note: str = "") -> Job:
    _check_site_time(job, arrived_at, "arrived_at")
    return _job_transition(job=job, name="record_arrival", by=by, expected_version=expected_version,
                           description=note, arrived_at=arrived_at)


def job_record_assessment(*, job: Job, assessment: str, by, expected_version: int | None = None) -> Job:
    if not assessment.strip():
        raise ValidationError({"assessment": "Describe what the crew found."})
    return _job_transition(job=job, name="record_assessment", by=by, expected_version=expected_version,
                           description=assessment.strip(), assessment=assessment.strip())


def job_start_repair(*, job: Job, by, expected_version: int | None = None, note: str = "") -> Job:
    return _job_transition(job=job, name="start_repair", by=by, expected_version=expected_version, description=note)


def job_complete(*, job: Job, by, completed_at=None, expected_version: int | None = None, note: str = "") -> Job:
    _check_site_time(job, completed_at, "completed_at")
    if completed_at is not None and job.attended_at and completed_at < job.attended_at:
        raise ValidationError({"completed_at": "The job cannot be completed before the crew arrived."})
    return _job_transition(job=job, name="complete", by=by, expected_version=expected_version,
                           description=note, completed_at=completed_at)


def job_close(*, job: Job, by, expected_version: int | None = None, note: str = "") -> Job:
    """'Close call ticket': the job and every enquiry on it are closed together."""
    with transaction.atomic():
        job = _job_transition(job=job, name="close", by=by, expected_version=expected_version, description=note)
        _enquiries_follow(job=job, name="close", by=by, description=f"{job.reference} closed")
    return job


def job_mark_reported(*, job: Job, by, expected_version: int | None = None) -> Job:
    return _job_transition(job=job, name="mark_reported", by=by, expected_version=expected_version)


def job_cancel(*, job: Job, reason: str, by, expected_version: int | None = None, note: str = "") -> Job:
    if reason not in CancelReason.values:
        raise ValidationError({"reason": "Choose why the job is cancelled."})
    if reason == CancelReason.OTHER and not note.strip():
        raise ValidationError({"note": "Say why the job is cancelled."})
    description = _with_note(f"Cancelled: {CancelReason(reason).label}", note)
    with transaction.atomic():
        job = _job_transition(job=job, name="cancel", by=by, expected_version=expected_version,
                              description=description, reason=reason)
        _enquiries_follow(job=job, name="close", by=by, description=f"{job.reference} cancelled")
    return job


def job_reopen(*, job: Job, reason: str, by, expected_version: int | None = None) -> Job:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the job is reopened."})
    with transaction.atomic():
        job = _job_transition(job=job, name="reopen", by=by, expected_version=expected_version,
                              description=f"Reopened: {reason.strip()}")
        _enquiries_follow(job=job, name="reopen", by=by, description=f"{job.reference} reopened")
    return job


def _enquiries_follow(*, job: Job, name: str, by, description: str) -> None:
    """Closing or reopening a job carries its enquiries with it."""
    source = EnquiryStatus.LINKED if name == "close" else EnquiryStatus.CLOSED
    for enquiry in Enquiry.objects.select_for_update().filter(job=job, status=source):
        getattr(enquiry, name)(by=by, description=description)
        enquiry.save()


def job_add_note(*, job: Job, text: str, by) -> JobEvent:
    if not permissions.may_view_job(by, job) or not (permissions.is_case_manager(by) or permissions.is_crew(by)):
        raise PermissionDenied
    if not text.strip():
        raise ValidationError({"text": "Write the note first."})
    return JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=by, text=text.strip())


def job_update_location(
    *, job: Job, by, street_address: str, suburb, latitude=None, longitude=None, expected_version: int | None = None
) -> Job:
    """Move the job's location (the first enquiry's address is only a starting point)."""
    if not permissions.may_triage(by):
        raise PermissionDenied
    if suburb.council_id != job.council_id:
        raise ValidationError({"suburb": f"{suburb.name} is not in this job's council."})
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": "Give both latitude and longitude, or neither."})
    with transaction.atomic():
        locked = _lock(job, expected_version)
        if not locked.is_open:
            raise ActionNotAvailable(f"{locked.reference} is {locked.get_status_display().lower()}.")
        before = f"{locked.street_address}, {locked.suburb}"
        locked.street_address = street_address.strip()
        locked.street_key = street_key(street_address)
        locked.suburb = suburb
        locked.latitude = latitude
        locked.longitude = longitude
        _save(locked, by)
        JobEvent.objects.create(
            job=locked, kind=JobEventKind.LOCATION_CHANGED, by=by,
            text=f"Location changed from {before} to {locked.street_address}, {suburb}",
        )
    return locked


def _with_note(description: str, note: str) -> str:
    note = (note or "").strip()
    return f"{description}. {note}" if note else description



def enquiries_link_to_job(*, enquiries: Iterable[Enquiry], job: Job, by) -> Job:
    """'Link to job' for several ticked enquiries at once: all of them, or none."""
    with transaction.atomic():
        for enquiry in sorted(enquiries, key=lambda e: e.pk):
            job = enquiry_link_to_job(enquiry=enquiry, job=job, by=by)
    return job
