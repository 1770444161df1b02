"""The case manager's corrections that undo another: unmerge a merged duplicate, include an excluded
job in the measures again. Same rules as ``services``: lock, check scope, permission and version,
change, save, log with who and why."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from accounts import permissions
from enquiries.models import Enquiry

from .enums import JobEventKind, JobStatus
from .models import Job, JobEvent
from .models.job import JobMerge
from .services import (
    ActionNotAvailable,
    JobChanged,
    _apply,
    _lock,
    _notification_time,
    _permitted,
    _save,
    _targets,
)
from .states import BEFORE_DISPATCH, WORKING


def job_unmerge(*, job: Job, by, reason: str, expected_version: int | None = None) -> Job:
    """'Unmerge': a job merged by mistake comes back as it was before the merge, with the
    enquiries that came from it; the job it was merged into has its notification recomputed.

    Only while that job is still being worked (not completed): its customers would otherwise
    have had call-backs and feedback about work that was not theirs. Reopen it first.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the two jobs are not the same fault after all."})
    actor = permissions.actor_user(by)
    try:
        with transaction.atomic():
            duplicate, survivor = _lock_pair(job, by=by, expected_version=expected_version)
            if survivor.status not in BEFORE_DISPATCH + WORKING:
                raise ActionNotAvailable(
                    f"{survivor.reference} is {survivor.get_status_display().lower()}: reopen it first, then "
                    f"unmerge {duplicate.reference}.")
            record = JobMerge.objects.filter(duplicate=duplicate, survivor=survivor).order_by("-at", "-id").first()
            if record is None:
                raise ActionNotAvailable(f"No record of what moved when {duplicate.reference} was merged: "
                                         "link its enquiries back by hand.")
            now = timezone.now()
            back = list(Enquiry.objects.select_for_update(of=("self",))
                        .filter(pk__in=record.enquiries.values("pk"), job=survivor).order_by("received_at", "id"))
            for enquiry in back:
                enquiry.job = duplicate
                enquiry.save(update_fields=["job"])
                JobEvent.objects.create(job=duplicate, kind=JobEventKind.ENQUIRY_LINKED, at=now, by=actor,
                                        enquiry=enquiry,
                                        text=f"{enquiry.reference} moved back from {survivor.reference} (unmerged)")
            _survivor_after_unmerge(survivor, duplicate=duplicate, record=record)
            if not Enquiry.objects.filter(job=survivor).exists() and survivor.found_at is None:
                raise ActionNotAvailable(f"{survivor.reference} would have no enquiry left: cancel it instead.")
            moved = ", ".join(e.reference for e in back) or "no enquiry"
            if survivor.site_contact_id and not Enquiry.objects.filter(
                    job=survivor, customer_id=survivor.site_contact_id).exists():
                survivor.site_contact = None  # that customer's enquiry went back: the crew no longer rings them
            _save(survivor, by)
            JobEvent.objects.create(job=survivor, kind=JobEventKind.UNMERGED, at=now, by=actor,
                                    text=f"{duplicate.reference} unmerged ({moved} moved back to it): {reason}")
            notified_at = _notification_time(duplicate)
            if notified_at is not None and notified_at != duplicate.notified_at:
                duplicate.move_notification(notified_at, None)
            _apply(duplicate, "unmerge", by=by, description=f"Unmerged from {survivor.reference} ({moved}): {reason}",
                   restore_to=record.status_before, targets=_targets(duplicate))
            return duplicate
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


def _lock_pair(job: Job, *, by, expected_version: int | None) -> tuple[Job, Job]:
    """The duplicate and the job it was merged into, locked in id order as a merge locks them."""
    survivor_id = Job.objects.filter(pk=job.pk).values_list("merged_into_id", flat=True).first()
    locked = {}
    for pk in sorted({job.pk, survivor_id} - {None}):
        if pk == job.pk:
            locked[pk] = _lock(job, by=by, expected_version=expected_version, frozen_check=False,
                               allowed=lambda j, user: _permitted(Job.unmerge, j, user))
        else:
            locked[pk] = _lock(Job(pk=pk), by=by, expected_version=None, frozen_check=False,
                               allowed=lambda j, user: permissions.may_triage(user))
    duplicate = locked[job.pk]
    if not can_proceed(duplicate.unmerge):
        raise ActionNotAvailable(_unmet_unmerge(duplicate))
    if duplicate.merged_into_id != survivor_id:  # merged again elsewhere between the read and the lock
        raise JobChanged(duplicate)
    return duplicate, locked[survivor_id]


def _unmet_unmerge(job: Job) -> str:
    if job.status == JobStatus.CANCELLED:
        return f"{job.reference} was cancelled, not merged: reopen it instead."
    return f"{job.reference} is {job.get_status_display().lower()}: it is not merged into another job."


def _survivor_after_unmerge(survivor: Job, *, duplicate: Job, record: JobMerge) -> None:
    """The survivor's found time and notification without the duplicate's."""
    found = [record.survivor_found_at_before] + list(
        Job.objects.filter(merged_into=survivor).exclude(pk=duplicate.pk).values_list("found_at", flat=True))
    found = [moment for moment in found if moment is not None]
    survivor.found_at = min(found) if found else None
    notified_at = _notification_time(survivor)
    if notified_at is not None and notified_at != survivor.notified_at:
        survivor.move_notification(notified_at, _targets(survivor))


def job_include_in_measures(*, job: Job, reason: str, by, expected_version: int | None = None) -> Job:
    """Undo 'Exclude from measures': the job counts again. The earlier exclusion and its reason
    stay on the timeline, beside this one."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the job counts in the measures again."})
    with transaction.atomic():
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_triage(user))
        if not locked.excluded_from_measures:
            raise ActionNotAvailable(f"{locked.reference} is not excluded from the measures.")
        previous = locked.excluded_reason
        locked.excluded_from_measures = False
        locked.excluded_reason = ""
        _save(locked, by)
        JobEvent.objects.create(job=locked, kind=JobEventKind.INCLUDED, by=permissions.actor_user(by),
                                text=f"Included in the measures again: {reason} (it was excluded: {previous})")
    return locked
