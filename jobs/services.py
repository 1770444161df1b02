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
from common.backdating import check_past_time, is_backdated
from common.references import reference_next
from enquiries.enums import EnquiryStatus, Service
from enquiries.models import Enquiry
from enquiries.services import enquiry_close, enquiry_reopen
from enquiries.text import street_key

from . import states
from .enums import CancelReason, Complexity, JobEventKind, JobSource, JobStatus, UpdateReason, VariationKind, Weather
from .links import completed_hooks_again, link_refusal
from .models import (
    Assessment,
    Classification,
    Contract,
    FaultType,
    FloodedProperty,
    FloodingEvent,
    Job,
    JobEvent,
    Resolution,
    ResolutionCode,
    Targets,
    Variation,
    Visit,
    targets_for,
)
from .models.job import JobMerge
from .states import BEFORE_DISPATCH, run_hooks
from .timeline_names import NOT_SHOWN, SITE_CONTACT_SET


class JobChanged(Exception):
    """Someone else changed the job after this user loaded it."""

    def __init__(self, job: Job):
        super().__init__(f"{job.reference} was changed by someone else.")
        self.job = job


class ActionNotAvailable(Exception):
    """The action cannot be taken in the job's current state or conditions."""


def _permitted(method, job: Job, by) -> bool:
    """May ``by`` take this action at all, whatever the job's state? (Scope and role.)"""
    if permissions.is_system(by):
        return True
    return any(t.has_perm(job, by) for t in method._django_fsm.transitions.values())


def _unmet(method, job: Job) -> str:
    """Why the action is not available now: the unmet conditions, or the state."""
    reasons = []
    for t in method._django_fsm.transitions.values():
        if t.source not in (job.status, "*"):
            continue
        for condition in t.conditions:
            if not condition(job):
                # A condition with many possible reasons (the close blockers) lists them itself.
                found = getattr(condition, "reasons", None)
                reasons.extend(found(job) if found else [getattr(condition, "message", "")])
    reasons = [r for r in reasons if r]
    if reasons:
        return " ".join(reasons)
    return f"{job.reference} is {job.get_status_display().lower()}: that action is not available now."


def _lock(job: Job, *, by, expected_version: int | None, allowed=None, frozen_check: bool = True) -> Job:
    """Lock the row, then check in this order: scope, permission, version.

    A user who lost access is refused before anything about the job's new state is shown;
    only a user who may act is told that someone else changed it.
    """
    permissions.actor_user(by)
    locked = Job.objects.select_for_update(of=("self",)).select_related("priority").get(pk=job.pk)
    if not permissions.is_system(by):
        if not permissions.may_view_job(by, locked):
            raise PermissionDenied
        if allowed is not None and not allowed(locked, by):
            raise PermissionDenied
    if expected_version is not None and locked.version != expected_version:
        raise JobChanged(locked)
    if frozen_check and locked.status == JobStatus.REPORTED:
        raise ActionNotAvailable(f"{locked.reference} is reported: its figures are published. Reopen it to change it.")
    return locked


def _save(job: Job, by) -> None:
    job.version += 1
    job.updated_by = permissions.actor_user(by)
    try:
        job.save()
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


def _lock_for(job: Job, name: str, *, by, expected_version: int | None) -> Job:
    """Lock for one transition: scope, permission, version, then the state and its conditions."""
    method = getattr(Job, name)
    # The state machine decides for transitions: from 'reported' only 'Reopen' is open.
    locked = _lock(job, by=by, expected_version=expected_version,
                   allowed=lambda j, user: _permitted(method, j, user), frozen_check=False)
    if not can_proceed(getattr(locked, name)):
        raise ActionNotAvailable(_unmet(method, locked))
    return locked


def _apply(locked: Job, name: str, *, by, description: str = "", **kwargs) -> Job:
    try:
        getattr(locked, name)(by=permissions.actor_user(by), description=description or None, **kwargs)
    except TransitionNotAllowed as exc:
        raise ActionNotAvailable(str(exc)) from exc
    _save(locked, by)
    return locked


def _job_transition(*, job: Job, name: str, by, expected_version: int | None, description: str = "", **kwargs) -> Job:
    """Run one transition under the row lock; raise PermissionDenied, JobChanged or ActionNotAvailable."""
    try:
        with transaction.atomic():
            locked = _lock_for(job, name, by=by, expected_version=expected_version)
            return _apply(locked, name, by=by, description=description, **kwargs)
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


def _log_creation(job: Job, by, description: str) -> None:
    StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(Job),
        object_id=job.pk,
        source_state=None,
        state=job.status,
        transition="create",
        by=permissions.actor_user(by),
        description=description,
        timestamp=job.created_at,
    )


def _targets(job: Job) -> Targets | None:
    if job.priority is None:
        return None
    return targets_for(priority=job.priority, council_id=job.council_id, service=job.service)


def _may(predicate, by) -> bool:
    return permissions.is_system(by) or predicate(by)


@transaction.atomic
def job_create_from_enquiries(*, enquiries: Iterable[Enquiry], by) -> Job:
    """'Create job' from one enquiry or several that describe the same fault."""
    permissions.actor_user(by)
    if not _may(permissions.may_triage, by):
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
        created_by=permissions.actor_user(by),
    )
    job.save()
    references = ", ".join(e.reference for e in locked)
    _log_creation(job, by, f"Created from {references}")
    for enquiry in locked:
        _link(enquiry=enquiry, job=job, by=by, at=now)
    return job


@transaction.atomic
def job_create_found(
    *, by, council, service: str, source: str, street_address: str, suburb, description: str,
    found_at=None, backdate_reason: str = "", latitude=None, longitude=None,
) -> Job:
    """A job with no customer enquiry: a fault found by staff or by network telemetry.

    Its notification time is when the fault was found, under the same backdating rules as
    an enquiry's received time; it feeds the measures like any other job.
    """
    permissions.actor_user(by)
    if not _may(permissions.may_triage, by):
        raise PermissionDenied
    now = timezone.now()
    found_at = found_at or now
    errors = {}
    if service not in Service.values:
        errors["service"] = "Choose a service."
    if not street_address.strip():
        errors["street_address"] = "Give the address where the fault is."
    if source not in (JobSource.STAFF, JobSource.TELEMETRY):
        errors["source"] = "Choose who found the fault: staff or telemetry."
    if suburb.council_id != council.pk:
        errors["suburb"] = f"{suburb.name} is not in {council.name}."
    if not description.strip():
        errors["description"] = "Say what was found."
    if (latitude is None) != (longitude is None):
        errors["latitude"] = "Give both latitude and longitude, or neither."
    if errors:
        raise ValidationError(errors)
    check_past_time(moment=found_at, reason=backdate_reason, field="found_at", what="time found", now=now)
    job = Job(
        reference=reference_next(prefix="JOB", at=now), council=council, service=service, source=source,
        description=description.strip(), street_address=street_address.strip(), suburb=suburb,
        street_key=street_key(street_address), latitude=latitude, longitude=longitude,
        notified_at=found_at, found_at=found_at, created_at=now, created_by=permissions.actor_user(by),
    )
    job.save()
    reason = f"; found {timezone.localtime(found_at):%d/%m/%Y %H:%M} ({backdate_reason.strip()})" \
        if backdate_reason.strip() else ""
    _log_creation(job, by, f"Created: {JobSource(source).label.lower()}{reason}")
    return job


def _link(*, enquiry: Enquiry, job: Job, by, at) -> None:
    if not permissions.is_system(by) and not has_transition_perm(enquiry.link_to_job, by):
        if enquiry.status != EnquiryStatus.NEW:
            raise ValidationError(f"{enquiry.reference} is already {enquiry.get_status_display().lower()}.")
        raise PermissionDenied
    if enquiry.status != EnquiryStatus.NEW:
        raise ValidationError(f"{enquiry.reference} is already {enquiry.get_status_display().lower()}.")
    enquiry.link_to_job(job=job, by=permissions.actor_user(by), description=f"Linked to {job.reference}")
    enquiry.save()
    JobEvent.objects.create(
        job=job, kind=JobEventKind.ENQUIRY_LINKED, at=at, by=permissions.actor_user(by), enquiry=enquiry,
        # No name in the stored text: the timeline puts it in for the viewers who may see it.
        text=f"{enquiry.reference} linked: {enquiry.issue_type.name} reported by {NOT_SHOWN}",
    )


def _notification_time(job: Job, *, without: Enquiry | None = None):
    """The earliest of the job's enquiries' received times (and when staff found it)."""
    times = list(
        Enquiry.objects.filter(job=job).exclude(pk=without.pk if without else None)
        .values_list("received_at", flat=True)
    )
    if job.found_at is not None:
        times.append(job.found_at)
    return min(times) if times else None


def enquiry_link_to_job(*, enquiry: Enquiry, job: Job, by, expected_version: int | None = None) -> Job:
    """'Link to job': the enquiry describes a fault an open job already covers.

    Linked to a completed job, the enquiry gets the call-back its customer asked for, as the
    job's own enquiries got theirs on completion; a finished job refuses it and says what to do.
    """
    try:
        with transaction.atomic():
            # A reported job is refused below with what to do, not as a bare "frozen".
            locked_job = _lock(job, by=by, expected_version=expected_version, frozen_check=False)
            locked_enquiry = (
                Enquiry.objects.select_for_update(of=("self",))
                .select_related("issue_type", "customer")
                .get(pk=enquiry.pk)
            )
            refusal = link_refusal(locked_job)
            if refusal:
                raise ValidationError(refusal)
            if locked_job.council_id != locked_enquiry.council_id:
                raise ValidationError(f"{locked_job.reference} belongs to another council.")
            if locked_job.service != locked_enquiry.service:
                raise ValidationError(f"{locked_job.reference} is a {locked_job.get_service_display().lower()} job.")
            _link(enquiry=locked_enquiry, job=locked_job, by=by, at=timezone.now())
            if locked_enquiry.received_at < locked_job.notified_at:
                # An earlier notification moves the KPI clock (and, unless reopened, the due dates).
                locked_job.move_notification(locked_enquiry.received_at, _targets(locked_job))
            _save(locked_job, by)
            completed_hooks_again(locked_job, by=by)
            return locked_job
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


def enquiry_unlink_from_job(
    *, enquiry: Enquiry, job: Job, by, reason: str, expected_version: int | None = None,
) -> Job:
    """An enquiry linked by mistake goes back to the new enquiries; the job's clock is recomputed."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the enquiry does not belong to this job."})
    with transaction.atomic():
        locked_job = _lock(job, by=by, expected_version=expected_version,
                           allowed=lambda j, user: permissions.may_triage(user))
        locked_enquiry = Enquiry.objects.select_for_update(of=("self",)).get(pk=enquiry.pk)
        if locked_enquiry.job_id != locked_job.pk:
            raise ValidationError(f"{locked_enquiry.reference} is not on {locked_job.reference}.")
        if not locked_job.is_open:
            raise ActionNotAvailable(f"{locked_job.reference} is {locked_job.get_status_display().lower()}.")
        notified_at = _notification_time(locked_job, without=locked_enquiry)
        if notified_at is None:
            raise ValidationError(
                {"reason": f"{locked_enquiry.reference} is the job's only enquiry: cancel the job instead."})
        locked_enquiry.unlink_from_job(by=permissions.actor_user(by),
                                       description=f"Unlinked from {locked_job.reference}: {reason.strip()}")
        locked_enquiry.save()
        JobEvent.objects.create(
            job=locked_job, kind=JobEventKind.ENQUIRY_UNLINKED, by=permissions.actor_user(by), enquiry=locked_enquiry,
            text=f"{locked_enquiry.reference} unlinked: {reason.strip()}",
        )
        if notified_at != locked_job.notified_at:
            locked_job.move_notification(notified_at, _targets(locked_job))
        _save(locked_job, by)
        return locked_job


def job_categorise(*, job: Job, category, priority, by, expected_version: int | None = None, note: str = "") -> Job:
    """Set the category and priority; stamp the urgency and the DIA measure they carry.

    After the crew has arrived, a change needs a reason and is its own timeline event; the
    attendance already measured keeps the classification it had (see facts.Classification).
    """
    if category.service != job.service:
        raise ValidationError({"category": f"{category.name} is not a {job.get_service_display().lower()} category."})
    description = _with_note(f"Category {category.name}; priority {priority.name} ({priority.label})", note)
    try:
        with transaction.atomic():
            locked = _lock_for(job, "categorise", by=by, expected_version=expected_version)
            changed = (locked.category_id, locked.priority_id) != (category.pk, priority.pk)
            after_arrival = locked.attended_at is not None and locked.category_id is not None
            if after_arrival and changed and not note.strip():
                raise ValidationError({"note": "The crew has arrived: say why the category or priority changes."})
            targets = targets_for(priority=priority, council_id=locked.council_id, service=locked.service)
            _apply(locked, "categorise", by=by, description=description, category=category, priority=priority,
                   targets=targets)
            Classification.objects.create(
                job=locked, at=timezone.now(), category=category, priority=priority, is_urgent=priority.is_urgent,
                kpi_class=category.kpi_class, by=permissions.actor_user(by), reason=note.strip(),
            )
            if after_arrival and changed:
                JobEvent.objects.create(
                    job=locked, kind=JobEventKind.RECLASSIFIED, by=permissions.actor_user(by),
                    text=f"Reclassified after arrival to {category.name}, {priority.name} "
                         f"({'urgent' if priority.is_urgent else 'non-urgent'}): {note.strip()}",
                )
            return locked
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc


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
    if not Contract.objects.filter(council_id=job.council_id, service=job.service, contractor=contractor).exists():
        raise ValidationError(
            {"contractor": f"{contractor} has no contract for {job.council} {job.get_service_display().lower()}."})
    return _job_transition(
        job=job, name="dispatch", by=by, expected_version=expected_version,
        description=_with_note(f"Dispatched to {contractor}", note), contractor=contractor,
    )


def _site_time(job: Job, moment, *, field: str, reason: str, what: str, not_before=None, not_before_message=""):
    """Arrival and completion feed the KPIs: after the notification, not in the future, a
    reason when typed in later than it happened."""
    now = timezone.now()
    moment = moment or now
    check_past_time(
        moment=moment, reason=reason, field=field, what=what, now=now,
        not_before=max(filter(None, [job.notified_at, not_before])),
        not_before_message=not_before_message or "The time must be after the customer's notification.",
    )
    return moment, now


def _recorded_text(moment, now, reason: str) -> str:
    if not is_backdated(moment, recorded_at=now):
        return ""
    return f" (recorded {timezone.localtime(now):%d/%m/%Y %H:%M}: {reason.strip()})"


def job_record_arrival(
    *, job: Job, by, arrived_at=None, backdate_reason: str = "", left_at=None,
    expected_version: int | None = None, note: str = "",
) -> Job:
    """'Record arrival': a Visit row; the first visit is the DIA attendance time.

    The time is checked against the job as locked (its notification may have moved since the
    form was loaded). The log row carries the arrival time; its description, when it was recorded.
    """
    with transaction.atomic():
        locked = _lock_for(job, "record_arrival", by=by, expected_version=expected_version)
        arrived_at, now = _site_time(locked, arrived_at, field="arrived_at", reason=backdate_reason,
                                     what="arrival time")
        if left_at is not None and not (arrived_at <= left_at <= now + timedelta(minutes=2)):
            raise ValidationError({"left_at": "The crew cannot leave before it arrived, or in the future."})
        description = _with_note(
            f"Arrived {timezone.localtime(arrived_at):%d/%m/%Y %H:%M}"
            f"{_recorded_text(arrived_at, now, backdate_reason)}", note)
        _apply(locked, "record_arrival", by=by, description=description, arrived_at=arrived_at)
        Visit.objects.create(job=locked, arrived_at=arrived_at, left_at=left_at, by=permissions.actor_user(by),
                             recorded_at=now, backdate_reason=backdate_reason.strip())
    return locked


def _check_expected_completion(moment, *, field: str = "expected_completion_at") -> None:
    if moment is None:
        raise ValidationError({field: "Say when the work is expected to be finished."})
    if moment < timezone.now() - timedelta(minutes=5):
        raise ValidationError({field: "The expected completion cannot be in the past."})


def _flooding_property(*, job: Job, event: FloodingEvent, floors: int, by, now) -> tuple[FloodedProperty, bool]:
    """The property counted once per event: a second job at the same address keeps the first count."""
    key = street_key(job.street_address) + "|" + " ".join(job.street_address.lower().split())
    existing = FloodedProperty.objects.filter(event=event, property_key=key).select_related("job").first()
    if existing is not None:
        return existing, False
    return FloodedProperty.objects.create(
        event=event, property_key=key, street_address=f"{job.street_address}, {job.suburb.name}",
        habitable_floors=floors, job=job, recorded_at=now, by=permissions.actor_user(by)), True


def job_record_assessment(
    *, job: Job, by, fault_type: FaultType, complexity: str, expected_completion_at, notes: str = "",
    public_summary: str = "", weather: str = "", habitable_floors: int | None = None,
    flooding_event: FloodingEvent | None = None, new_flooding_event: dict | None = None,
    photos: list | None = None, expected_version: int | None = None,
) -> Job:
    """'Record assessment': what the crew found (an Assessment fact), with photos; every customer on
    the job is then owed an update. A flooding event is recorded once and its properties counted once."""
    from .customer_updates import updates_owed_add
    from .photos import photos_save

    errors = {}
    if fault_type.service != job.service:
        errors["fault_type"] = f"{fault_type.name} is not a {job.get_service_display().lower()} fault."
    if complexity not in Complexity.values:
        errors["complexity"] = "Choose low, medium or high."
    if fault_type.asks_weather and weather not in Weather.values:
        errors["weather"] = "Say whether it was wet or dry weather (the dry-weather overflow measure)."
    if not fault_type.asks_weather:
        weather = ""
    if fault_type.is_flooding:
        if habitable_floors is None:
            errors["habitable_floors"] = "Give the habitable floors affected at this property (0 if none)."
        if flooding_event is None and not new_flooding_event:
            errors["flooding_event"] = "Choose the flooding event, or record a new one."
        if flooding_event is not None and flooding_event.council_id != job.council_id:
            errors["flooding_event"] = "That flooding event is in another council."
    else:
        habitable_floors, flooding_event, new_flooding_event = None, None, None
    if errors:
        raise ValidationError(errors)
    _check_expected_completion(expected_completion_at)
    summary = f"{fault_type.name}; {Complexity(complexity).label.lower()} complexity"
    if weather:
        summary += f"; {Weather(weather).label.lower()}"
    if notes.strip():
        summary += f". {notes.strip()}"
    with transaction.atomic():
        now = timezone.now()
        locked = _lock_for(job, "record_assessment", by=by, expected_version=expected_version)
        event_text = ""
        if fault_type.is_flooding:
            if flooding_event is None:
                flooding_event = FloodingEvent.objects.create(
                    council_id=locked.council_id, created_by=permissions.actor_user(by), created_at=now,
                    **new_flooding_event)
            counted, created = _flooding_property(job=locked, event=flooding_event, floors=habitable_floors,
                                                  by=by, now=now)
            event_text = (f"; flooding event “{flooding_event.name}”: {habitable_floors} habitable floor(s) here"
                          if created else
                          f"; flooding event “{flooding_event.name}”: this property is already counted "
                          f"({counted.habitable_floors} floor(s), from {counted.job.reference})")
        locked = _apply(locked, "record_assessment", by=by, description=summary + event_text,
                        assessment=summary, expected_completion_at=expected_completion_at)
        Assessment.objects.create(
            job=locked, fault_type=fault_type, weather=weather, complexity=complexity,
            expected_completion_at=expected_completion_at, notes=notes.strip(),
            public_summary=public_summary.strip(), flooding_event=flooding_event,
            habitable_floors=habitable_floors, at=now, by=permissions.actor_user(by))
        if photos:
            photos_save(job=locked, photos=photos, stage="assessment", by=by)
        updates_owed_add(job=locked, reason=UpdateReason.ASSESSMENT, now=now)
    return locked


def job_start_repair(*, job: Job, by, expected_version: int | None = None, note: str = "") -> Job:
    return _job_transition(job=job, name="start_repair", by=by, expected_version=expected_version, description=note)


def job_record_variation(
    *, job: Job, by, kind: str, reason: str, expected_completion_at, expected_version: int | None = None,
    photos: list | None = None, public_reason: str = "",
) -> Variation:
    """'Record variation': the scope or timeframe changed. A logged event on the job (not a status
    change), allowed to whoever may work the job on site while it is assessed or in repair; every
    customer on the job is owed another update."""
    from .customer_updates import updates_owed_add
    from .photos import photos_save

    errors = {}
    if kind not in VariationKind.values:
        errors["kind"] = "Choose what changed: scope, timeframe or both."
    if not reason.strip():
        errors["reason"] = "Say why the work changed."
    if errors:
        raise ValidationError(errors)
    _check_expected_completion(expected_completion_at)
    with transaction.atomic():
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_work_job_on_site(j, user))
        if not states.may_vary(locked):
            raise ActionNotAvailable(states.may_vary.message)
        now = timezone.now()
        previous = locked.expected_completion_at
        locked.expected_completion_at = expected_completion_at
        _save(locked, by)
        variation = Variation.objects.create(job=locked, kind=kind, reason=reason.strip(),
                                             public_reason=public_reason.strip(),
                                             expected_completion_at=expected_completion_at, at=now,
                                             by=permissions.actor_user(by))
        was = f" (was {timezone.localtime(previous):%d/%m/%Y %H:%M})" if previous else ""
        JobEvent.objects.create(
            job=locked, kind=JobEventKind.VARIATION, at=now, by=permissions.actor_user(by),
            text=f"{VariationKind(kind).label}: {reason.strip()}. Expected completion "
                 f"{timezone.localtime(expected_completion_at):%d/%m/%Y %H:%M}{was}.")
        if photos:
            photos_save(job=locked, photos=photos, stage="variation", by=by)
        updates_owed_add(job=locked, reason=UpdateReason.VARIATION, variation=variation, now=now)
    return variation


def job_add_photos(*, job: Job, by, photos: list, expected_version: int | None = None) -> list:
    """Photos on their own (during the repair, say): whoever may work the job on site, while it is open."""
    from .photos import photos_save

    if not photos:
        raise ValidationError({"photos": "Choose at least one photo."})
    with transaction.atomic():
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_work_job_on_site(j, user))
        if locked.status not in states.WORKING + [JobStatus.COMPLETED]:
            raise ActionNotAvailable(f"{locked.reference} is {locked.get_status_display().lower()}.")
        _save(locked, by)  # a resent form (same version) adds nothing twice
        saved = photos_save(job=locked, photos=photos, stage=locked.status, by=by)
        JobEvent.objects.create(job=locked, kind=JobEventKind.PHOTOS, by=permissions.actor_user(by),
                                text=f"{len(saved)} photo(s) added")
    return saved


def job_complete(
    *, job: Job, by, completed_at=None, backdate_reason: str = "", expected_version: int | None = None, note: str = "",
    code: ResolutionCode | None = None, photos: list | None = None,
) -> Job:
    """'Complete job': a Resolution row; the confirmed resolution time the measures use."""
    from .photos import photos_save

    if code is not None and code.service and code.service != job.service:
        raise ValidationError({"code": f"{code.name} is not a {job.get_service_display().lower()} resolution."})
    label = f" ({code.name})" if code is not None else ""
    with transaction.atomic():
        # Checked against the job as locked: its notification or arrival may have moved since the form loaded.
        locked = _lock_for(job, "complete", by=by, expected_version=expected_version)
        completed_at, now = _site_time(
            locked, completed_at, field="completed_at", reason=backdate_reason, what="completion time",
            not_before=locked.attended_at,
            not_before_message="The job cannot be completed before the crew arrived.",
        )
        description = _with_note(
            f"Resolved{label} {timezone.localtime(completed_at):%d/%m/%Y %H:%M}"
            f"{_recorded_text(completed_at, now, backdate_reason)}", note)
        _apply(locked, "complete", by=by, description=description, completed_at=completed_at)
        Resolution.objects.create(job=locked, resolved_at=completed_at, by=permissions.actor_user(by),
                                  recorded_at=now, backdate_reason=backdate_reason.strip(), note=note.strip(),
                                  code=code)
        if photos:
            photos_save(job=locked, photos=photos, stage="completion", by=by)
        # Call-backs (feedback) are scheduled in this transaction: never a completed job without them.
        run_hooks("completed", job=locked, by=by)
    return locked


def job_set_site_contact(*, job: Job, by, customer, access_notes: str = "", expected_version: int | None = None) -> Job:
    """The case manager marks the customer the crew may ring (need to know; None for nobody) and
    writes the access notes the crew reads on the job card."""
    with transaction.atomic():
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_triage(user))
        contact_enquiry = None
        if customer is not None:
            contact_enquiry = (Enquiry.objects.filter(job=locked, customer=customer)
                               .order_by("received_at", "id").first())
            if contact_enquiry is None:
                raise ValidationError({"customer": "That customer is not on this job."})
        changes = []
        contact_changed = customer != locked.site_contact
        if contact_changed:
            # The enquiry, not the name, is stored: the timeline names the customer to those who may see it.
            changes.append(f"{SITE_CONTACT_SET} on {contact_enquiry.reference} (the crew sees their phone and e-mail)"
                           if customer else "Site contact removed: the crew sees no customer's contact details")
        if access_notes.strip() != locked.access_notes:
            changes.append(f"Access notes: {access_notes.strip() or 'removed'}")
        locked.site_contact = customer
        locked.access_notes = access_notes.strip()
        _save(locked, by)
        if changes:
            JobEvent.objects.create(job=locked, kind=JobEventKind.SITE_CONTACT, by=permissions.actor_user(by),
                                    enquiry=contact_enquiry if contact_changed else None,
                                    text="; ".join(changes))
    return locked


def job_close(
    *, job: Job, by, expected_version: int | None = None, note: str = "", override_reason: str = "",
) -> Job:
    """'Close call ticket': the job and every enquiry on it are closed together.

    Whatever a higher app registered as a close blocker holds the ticket open (see
    ``states``); a case manager may close over an overridable one (an open complaint) by
    giving ``override_reason``, which goes into the log.
    """
    override_reason = override_reason.strip()
    if override_reason and not _may(permissions.is_case_manager, by):
        raise PermissionDenied
    description = _with_note(f"Closed over: {override_reason}", note) if override_reason else note
    try:
        with transaction.atomic():
            method = Job.close
            locked = _lock(job, by=by, expected_version=expected_version,
                           allowed=lambda j, user: _permitted(method, j, user), frozen_check=False)
            locked.close_override = override_reason
            if not can_proceed(locked.close):
                raise ActionNotAvailable(_unmet(method, locked))
            job = _apply(locked, "close", by=by, description=description)
            _enquiries_follow(job=job, name="close", by=by, description=f"{job.reference} closed")
            run_hooks("closed", job=job, by=by)
    except ConcurrentTransition as exc:
        raise JobChanged(Job.objects.get(pk=job.pk)) from exc
    return job


def job_mark_reported(*, job: Job, by, expected_version: int | None = None) -> Job:
    return _job_transition(job=job, name="mark_reported", by=by, expected_version=expected_version)


def job_cancel(*, job: Job, reason: str, by, expected_version: int | None = None, note: str = "") -> Job:
    if reason not in CancelReason.values or reason == CancelReason.MERGED:
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
        locked = _lock_for(job, "reopen", by=by, expected_version=expected_version)
        job = _apply(locked, "reopen", by=by, description=f"Reopened: {reason.strip()}", targets=_targets(locked))
        _enquiries_follow(job=job, name="reopen", by=by, description=f"{job.reference} reopened")
        run_hooks("reopened", job=job, by=by)
    return job


def job_exclude_from_measures(
    *, job: Job, reason: str, by, not_our_asset: bool = False, expected_version: int | None = None,
) -> Job:
    """An attended job is never cancelled out of the measures; it can be excluded, with a reason
    that is audited and counted in the reports. An exclusion leaves the median times only; one
    marked ``not_our_asset`` (a private or third-party pipe) leaves the event counts too, and its
    reason says so in words the reports read (``reporting.inputs.not_our_asset``)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the job is excluded from the measures."})
    if not_our_asset:
        reason = f"{CancelReason.NOT_OUR_ASSET.label}: {reason.strip()}"
    with transaction.atomic():
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_triage(user))
        if locked.excluded_from_measures:
            raise ActionNotAvailable(f"{locked.reference} is already excluded from the measures.")
        if locked.attended_at is None or locked.status == JobStatus.CANCELLED:
            raise ActionNotAvailable(
                f"{locked.reference} has not been attended: cancel it instead if it is not a real job.")
        locked.excluded_from_measures = True
        locked.excluded_reason = reason.strip()
        _save(locked, by)
        JobEvent.objects.create(job=locked, kind=JobEventKind.EXCLUDED, by=permissions.actor_user(by),
                                text=f"Excluded from measures: {reason.strip()}")
    return locked


def job_change_service(
    *, job: Job, service: str, by, reason: str, category=None, expected_version: int | None = None,
) -> Job:
    """Logged as the wrong service (water supply, really wastewater): allowed before dispatch."""
    if service not in Service.values:
        raise ValidationError({"service": "Choose a service."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the service changes."})
    if category is not None and category.service != service:
        raise ValidationError({"category": f"{category.name} is not a {Service(service).label.lower()} category."})
    with transaction.atomic():
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_triage(user))
        if locked.status not in BEFORE_DISPATCH:
            raise ActionNotAvailable(
                f"{locked.reference} is {locked.get_status_display().lower()}: the service can only change "
                "before dispatch.")
        if service == locked.service:
            raise ValidationError({"service": f"{locked.reference} is already a {Service(service).label.lower()} job."})
        if locked.category_id is not None and category is None:
            raise ValidationError({"category": "Choose the category in the new service."})
        if category is not None and locked.priority is None:
            raise ValidationError({"category": f"{locked.reference} has not been categorised yet: leave the category "
                                               "empty, change the service, then categorise the job."})
        before = locked.get_service_display()
        locked.service = service
        if category is not None:
            locked.category = category
            locked.kpi_class = category.kpi_class
            Classification.objects.create(
                job=locked, category=category, priority=locked.priority, is_urgent=locked.is_urgent,
                kpi_class=category.kpi_class, by=permissions.actor_user(by),
                reason=f"Service changed: {reason.strip()}",
            )
        locked.apply_due_dates(_targets(locked))
        _save(locked, by)
        JobEvent.objects.create(
            job=locked, kind=JobEventKind.SERVICE_CHANGED, by=permissions.actor_user(by),
            text=f"Service changed from {before} to {locked.get_service_display()}: {reason.strip()}",
        )
    return locked


def job_merge(*, job: Job, into: Job, by, reason: str = "", expected_version: int | None = None) -> Job:
    """'Merge into job': a duplicate job's enquiries move to the surviving job, the survivor's
    notification becomes the earliest, and the duplicate is cancelled as merged, linked both ways.

    A ``JobMerge`` row keeps what moved, for an unmerge. Moved into a completed job, the enquiries
    get their call-backs as the survivor's own did."""
    if job.pk == into.pk:
        raise ValidationError({"into": "Choose another job to merge into."})
    with transaction.atomic():
        # Lock both rows in id order so two merges cannot deadlock.
        first, second = sorted([job, into], key=lambda j: j.pk)
        locked = {}
        for each in (first, second):
            version = expected_version if each.pk == job.pk else None
            locked[each.pk] = _lock(each, by=by, expected_version=version,
                                    allowed=lambda j, user: permissions.may_triage(user))
        duplicate, survivor = locked[job.pk], locked[into.pk]
        if duplicate.council_id != survivor.council_id or duplicate.service != survivor.service:
            raise ValidationError({"into": f"{survivor.reference} is another council's or another service's job."})
        if not survivor.is_open:
            raise ValidationError({"into": link_refusal(survivor, what="these enquiries")})
        if duplicate.attended_at is not None:
            raise ActionNotAvailable(
                f"{duplicate.reference} was attended: its visit counts in the measures, so it cannot be merged away.")
        if not can_proceed(duplicate.cancel):
            raise ActionNotAvailable(_unmet(Job.cancel, duplicate))
        now = timezone.now()
        actor = permissions.actor_user(by)
        moved = list(Enquiry.objects.select_for_update(of=("self",)).filter(job=duplicate).order_by("received_at"))
        record = JobMerge.objects.create(duplicate=duplicate, survivor=survivor, at=now, by=actor,
                                         status_before=duplicate.status,
                                         survivor_found_at_before=survivor.found_at)
        record.enquiries.set(moved)
        for enquiry in moved:
            enquiry.job = survivor
            enquiry.save(update_fields=["job"])
            JobEvent.objects.create(job=survivor, kind=JobEventKind.ENQUIRY_LINKED, at=now, by=actor, enquiry=enquiry,
                                    text=f"{enquiry.reference} moved here from {duplicate.reference} (merged)")
        note = f": {reason.strip()}" if reason.strip() else ""
        JobEvent.objects.create(job=survivor, kind=JobEventKind.MERGED_IN, at=now, by=actor,
                                text=f"{duplicate.reference} merged into this job{note}")
        candidates = [t for t in [survivor.notified_at, duplicate.notified_at] if t is not None]
        if min(candidates) < survivor.notified_at:
            survivor.move_notification(min(candidates), _targets(survivor))
        if duplicate.found_at and (survivor.found_at is None or duplicate.found_at < survivor.found_at):
            survivor.found_at = duplicate.found_at
        _save(survivor, by)
        duplicate.merged_into = survivor
        _apply(duplicate, "cancel", by=by, description=f"Merged into {survivor.reference}{note}",
               reason=CancelReason.MERGED)
        completed_hooks_again(survivor, by=by)
    return survivor


def _enquiries_follow(*, job: Job, name: str, by, description: str) -> None:
    """Closing or reopening a job carries its enquiries with it."""
    source = EnquiryStatus.LINKED if name == "close" else EnquiryStatus.CLOSED
    follow = enquiry_close if name == "close" else enquiry_reopen
    for enquiry in Enquiry.objects.select_for_update().filter(job=job, status=source):
        follow(enquiry=enquiry, by=by, description=description)


def job_add_note(*, job: Job, text: str, by) -> JobEvent:
    if not permissions.is_system(by) and (
        not permissions.may_view_job(by, job) or not (permissions.is_case_manager(by) or permissions.is_crew(by))
    ):
        raise PermissionDenied
    if not text.strip():
        raise ValidationError({"text": "Write the note first."})
    return JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=permissions.actor_user(by), text=text.strip())


def job_update_location(
    *, job: Job, by, street_address: str, suburb, latitude=None, longitude=None, expected_version: int | None = None
) -> Job:
    """Move the job's location (the first enquiry's address is only a starting point)."""
    if suburb.council_id != job.council_id:
        raise ValidationError({"suburb": f"{suburb.name} is not in this job's council."})
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": "Give both latitude and longitude, or neither."})
    with transaction.atomic():
        locked = _lock(job, by=by, expected_version=expected_version,
                       allowed=lambda j, user: permissions.may_triage(user))
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
            job=locked, kind=JobEventKind.LOCATION_CHANGED, by=permissions.actor_user(by),
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
