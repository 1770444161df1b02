from functools import wraps

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description
from django_fsm_log.helpers import FSMLogDescriptor
from django_fsm_log.models import StateLog

from accounts import permissions
from accounts.enums import OrganisationKind
from common.models import ChoiceLabelsMixin, VersionLockMixin
from enquiries.enums import Service

from .. import states
from ..due_dates import add_target
from ..enums import (
    AWAITING_ATTENDANCE,
    AWAITING_RESOLUTION,
    CREW_ACTIVE_STATUSES,
    OPEN_STATUSES,
    STAGE_OF_STATUS,
    CancelReason,
    JobEventKind,
    JobSource,
    JobStatus,
    KpiClass,
)
from .reference import Category, Priority, Targets


def fsm_log_at(kwarg: str):
    """The transition's log row carries when the step happened (a backdated arrival or completion),
    not when it was typed in. The time is set on the row as django-fsm-log inserts it
    (``_log_row_at``): the state log is append-only, so it is never written afterwards."""
    def decorate(method):
        @wraps(method)
        def wrapped(instance, *args, **kwargs):
            with FSMLogDescriptor(instance, "timestamp", kwargs.get(kwarg)):
                return method(instance, *args, **kwargs)
        return wrapped
    return decorate


@receiver(pre_save, sender=StateLog, dispatch_uid="jobs_log_row_at")
def _log_row_at(sender, instance, raw=False, **kwargs):
    # Only a row the backend is inserting for an object it holds: a row made from ids (no cached
    # object) is left alone, and reading the cache costs no query.
    field = StateLog._meta.get_field("content_object")
    if raw or instance.pk is not None or not field.is_cached(instance):
        return
    moment = getattr(field.get_cached_value(instance), FSMLogDescriptor.ATTR_PREFIX + "timestamp", None)
    if moment is not None:
        instance.timestamp = moment


class Job(ChoiceLabelsMixin, ConcurrentTransitionMixin, VersionLockMixin, models.Model):
    """A call ticket: the work that one or several customer enquiries describe."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    council = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="jobs",
        limit_choices_to={"kind": OrganisationKind.COUNCIL},
    )
    service = models.CharField(max_length=20, choices=Service.choices)
    source = models.CharField(max_length=20, choices=JobSource.choices, default=JobSource.CUSTOMER)
    description = models.TextField(blank=True, help_text="What staff or telemetry found (jobs with no enquiry).")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs")
    status = FSMField(max_length=20, choices=JobStatus.choices, default=JobStatus.LOGGED, protected=True)
    # Stamped from the priority and category when categorised (see facts.Classification):
    # editing the reference data later never reclassifies a job.
    is_urgent = models.BooleanField("urgent", null=True, blank=True, editable=False)
    kpi_class = models.CharField("DIA measure", max_length=30, choices=KpiClass.choices, blank=True, editable=False)
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="managed_jobs"
    )
    contractor = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="contracted_jobs",
        limit_choices_to={"kind": OrganisationKind.CONTRACTOR},
    )

    street_address = models.CharField(max_length=200)
    suburb = models.ForeignKey("accounts.Suburb", on_delete=models.PROTECT, related_name="jobs")
    street_key = models.CharField(max_length=120, blank=True, editable=False,
                                  help_text="The street name, normalised, for same-street duplicate search.")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    notified_at = models.DateTimeField(help_text="The earliest linked enquiry's received time.")
    targets_from = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the current targets run from: the notification, or the last reopen.")
    reopened_at = models.DateTimeField(null=True, blank=True, editable=False)
    found_at = models.DateTimeField(null=True, blank=True,
                                    help_text="When staff or telemetry found the fault (jobs with no enquiry).")
    attendance_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False,
                                       help_text="The target that applies now: attendance, then resolution.")

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    categorised_at = models.DateTimeField(null=True, blank=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField("arrived on site", null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    repair_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField("resolution confirmed", null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=30, choices=CancelReason.choices, blank=True)
    assessment = models.TextField(blank=True)
    expected_completion_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="The crew's latest expectation: from the assessment, then each variation.")
    access_notes = models.TextField(
        blank=True, editable=False,
        help_text="For the crew: gate codes, dogs, where to park, which door.")
    site_contact = models.ForeignKey(
        "enquiries.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        help_text="The customer the crew may ring: their phone and e-mail are shown to the crew.")
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, editable=False,
                                    related_name="merged_jobs")
    excluded_from_measures = models.BooleanField(default=False, editable=False)
    excluded_reason = models.CharField(max_length=300, blank=True, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False,
                                          help_text="Raised by every change; stale edits are refused.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)

    class Meta:
        ordering = ["-notified_at", "-id"]
        indexes = [
            models.Index(fields=["status", "notified_at"], name="job_status_notified"),
            models.Index(fields=["case_manager", "status"], name="job_case_manager_status"),
            models.Index(fields=["contractor", "status", "next_due_at"], name="job_contractor_status"),
            # The crew's "To do" list: the contractor's open jobs most urgent first, read in index order
            # (sorting a contractor's thousands of open jobs took 30 ms at 1M).
            models.Index(fields=["contractor", "next_due_at", "-id"], condition=Q(status__in=CREW_ACTIVE_STATUSES),
                         name="job_crew_to_do"),
            # The crew's "All our jobs" list: the contractor's jobs newest first, keyset paged.
            models.Index(fields=["contractor", "notified_at", "id"], name="job_contractor_notified"),
            # "Recently fixed nearby" in the duplicates panel: a council's jobs completed in the last days.
            models.Index(fields=["council", "status", "notified_at"], name="job_council_status_notified"),
            models.Index(fields=["next_due_at", "id"], condition=Q(next_due_at__isnull=False), name="job_next_due"),
            models.Index(
                fields=["council", "service", "notified_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="job_open_for_duplicates",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    # Derived --------------------------------------------------------------------------

    @property
    def stage(self):
        return STAGE_OF_STATUS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.next_due_at is not None and self.next_due_at < timezone.now()

    @property
    def attendance_overdue(self) -> bool:
        due = self.attendance_due_at
        if due is None:
            return False
        return (self.attended_at or timezone.now()) > due and (
            self.attended_at is not None or self.status in AWAITING_ATTENDANCE
        )

    @property
    def resolution_overdue(self) -> bool:
        due = self.resolution_due_at
        if due is None:
            return False
        return (self.completed_at or timezone.now()) > due and (
            self.completed_at is not None or self.status in AWAITING_RESOLUTION
        )

    def _refresh_next_due(self, status) -> None:
        if status in AWAITING_ATTENDANCE and self.attended_at is None:
            self.next_due_at = self.attendance_due_at
        elif status in AWAITING_RESOLUTION:
            self.next_due_at = self.resolution_due_at
        else:
            self.next_due_at = None

    def apply_due_dates(self, targets: Targets | None, status=None) -> None:
        """Recompute due dates from the notification (or the last reopen) and the targets (no I/O)."""
        if targets is None:
            return
        start = self.targets_from or self.notified_at
        self.attendance_due_at = add_target(start, targets.attendance_hours, business_hours=targets.business_hours)
        self.resolution_due_at = add_target(start, targets.resolution_hours, business_hours=targets.business_hours)
        self._refresh_next_due(status or self.status)

    def move_notification(self, notified_at, targets: Targets | None) -> None:
        """The earliest enquiry changed: the KPI clock moves; reopened targets stay as they were."""
        self.notified_at = notified_at
        if self.reopened_at is None:
            self.targets_from = notified_at
            self.apply_due_dates(targets)

    # Transitions: each changes state and stamps times; services lock, save and log. ------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=states.BEFORE_DISPATCH + states.WORKING,
        target=GET_STATE(states.status_after_categorise, states=states.BEFORE_DISPATCH + states.WORKING),
        permission=permissions.may_triage_job,
        custom={"order": 1, "label": "Categorise", "url_name": "jobs:job-categorise"},
    )
    def categorise(self, *, category: Category, priority: Priority, targets: Targets, by=None, description=None):
        self.category = category
        self.priority = priority
        self.is_urgent = priority.is_urgent
        self.kpi_class = category.kpi_class
        if self.categorised_at is None:
            self.categorised_at = timezone.now()
        if self.targets_from is None:
            self.targets_from = self.notified_at
        self.apply_due_dates(targets, states.status_after_categorise(self))

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[JobStatus.TRIAGED, JobStatus.ALLOCATED] + states.WORKING + [JobStatus.COMPLETED],
        target=GET_STATE(states.status_after_allocate,
                         states=states.BEFORE_DISPATCH + states.WORKING + [JobStatus.COMPLETED]),
        conditions=[states.is_categorised],
        permission=permissions.may_triage_job,
        custom={"order": 2, "label": "Allocate case manager", "url_name": "jobs:job-allocate"},
    )
    def allocate(self, *, case_manager, by=None, description=None):
        self.case_manager = case_manager
        if self.allocated_at is None:
            self.allocated_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[JobStatus.ALLOCATED, JobStatus.DISPATCHED],
        target=JobStatus.DISPATCHED,
        conditions=[states.is_categorised, states.has_case_manager],
        permission=permissions.may_triage_job,
        custom={"order": 3, "label": "Dispatch to contractor", "url_name": "jobs:job-dispatch"},
    )
    def dispatch(self, *, contractor, by=None, description=None):
        # The contractor comes with the action; a job is never dispatched to no one.
        if contractor is None:
            raise ValueError("A job cannot be dispatched without a contractor.")
        self.contractor = contractor
        if self.dispatched_at is None:
            self.dispatched_at = timezone.now()
        self._refresh_next_due(JobStatus.DISPATCHED)

    @fsm_log_by
    @fsm_log_description
    @fsm_log_at("arrived_at")
    @transition(
        field=status,
        source=JobStatus.DISPATCHED,
        target=JobStatus.ATTENDED,
        conditions=[states.has_contractor],
        permission=permissions.may_work_job_on_site,
        custom={"order": 4, "label": "Record arrival", "url_name": "jobs:job-arrive"},
    )
    def record_arrival(self, *, arrived_at, by=None, description=None):
        # Every arrival is a Visit row; the first is the one the attendance measure counts.
        if self.attended_at is None:
            self.attended_at = arrived_at
        self._refresh_next_due(JobStatus.ATTENDED)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=JobStatus.ATTENDED,
        target=JobStatus.ASSESSED,
        conditions=[states.has_arrival],
        permission=permissions.may_work_job_on_site,
        custom={"order": 5, "label": "Record assessment", "url_name": "jobs:job-assess"},
    )
    def record_assessment(self, *, assessment: str, expected_completion_at=None, by=None, description=None):
        # The facts (fault type, weather, floors) are an Assessment row; the job keeps the summary.
        self.assessment = assessment
        self.assessed_at = timezone.now()
        if expected_completion_at is not None:
            self.expected_completion_at = expected_completion_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=JobStatus.ASSESSED,
        target=JobStatus.IN_REPAIR,
        permission=permissions.may_work_job_on_site,
        custom={"order": 6, "label": "Start repair", "url_name": "jobs:job-start-repair"},
    )
    def start_repair(self, *, by=None, description=None):
        self.repair_started_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @fsm_log_at("completed_at")
    @transition(
        field=status,
        source=[JobStatus.ASSESSED, JobStatus.IN_REPAIR],
        target=JobStatus.COMPLETED,
        conditions=[states.has_arrival],
        permission=permissions.may_work_job_on_site,
        custom={"order": 7, "label": "Complete job", "url_name": "jobs:job-complete"},
    )
    def complete(self, *, completed_at, by=None, description=None):
        # Every confirmed resolution is a Resolution row; the job holds the one in force.
        self.completed_at = completed_at
        self._refresh_next_due(JobStatus.COMPLETED)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=JobStatus.COMPLETED,
        target=JobStatus.CLOSED,
        conditions=[states.nothing_blocks_close],
        permission=permissions.may_close_job,
        custom={"order": 8, "label": "Close call ticket", "url_name": "jobs:job-close"},
    )
    def close(self, *, by=None, description=None):
        self.closed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=JobStatus.CLOSED,
        target=JobStatus.REPORTED,
        permission=permissions.may_report_job,
        custom={"order": 9, "label": "Mark reported"},
    )
    def mark_reported(self, *, by=None, description=None):
        self.reported_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=list(OPEN_STATUSES),
        target=JobStatus.CANCELLED,
        conditions=[states.never_attended],
        permission=permissions.may_triage_job,
        custom={"order": 20, "label": "Cancel job", "url_name": "jobs:job-cancel", "style": "outline-danger"},
    )
    def cancel(self, *, reason: str, by=None, description=None):
        if reason not in CancelReason.values:
            raise ValueError(f"Unknown cancel reason {reason!r}.")
        self.cancel_reason = reason
        self.cancelled_at = timezone.now()
        self.next_due_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        # A completed job reopens too: the customer said on the call-back that it is not fixed.
        source=[JobStatus.COMPLETED, JobStatus.CLOSED, JobStatus.REPORTED, JobStatus.CANCELLED],
        target=GET_STATE(states.status_after_reopen, states=[JobStatus.LOGGED, JobStatus.TRIAGED, JobStatus.ALLOCATED]),
        conditions=[states.not_merged],
        permission=permissions.may_reopen_job,
        custom={"order": 21, "label": "Reopen", "url_name": "jobs:job-reopen", "style": "outline-secondary"},
    )
    def reopen(self, *, targets: Targets | None, by=None, description=None):
        # The visits and resolutions stay (append-only facts); the job is unresolved again.
        # Fresh targets run from now: the measures still count from the customer's
        # notification, but the crew needs a due time that has not already passed.
        now = timezone.now()
        self.closed_at = None
        self.reported_at = None
        self.cancelled_at = None
        self.cancel_reason = ""
        self.completed_at = None
        self.reopened_at = now
        self.targets_from = now
        self.apply_due_dates(targets, states.status_after_reopen(self))
        if targets is None:
            self._refresh_next_due(states.status_after_reopen(self))

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=JobStatus.CANCELLED,
        # Merged only before the crew arrived: back to where it was (the merge record says which).
        target=GET_STATE(states.status_before_merge, states=states.BEFORE_DISPATCH + [JobStatus.DISPATCHED]),
        conditions=[states.is_merged],
        permission=permissions.may_triage_job,
        custom={"order": 22, "label": "Unmerge", "url_name": "jobs:job-unmerge", "style": "outline-secondary"},
    )
    def unmerge(self, *, restore_to: str, targets: Targets | None, by=None, description=None):
        self.merged_into = None
        self.cancel_reason = ""
        self.cancelled_at = None
        self.apply_due_dates(targets, restore_to)
        self._refresh_next_due(restore_to)


class JobMerge(models.Model):
    """What a merge moved, so that an unmerge can put it back: the duplicate's state, the enquiries
    that came from it, and the survivor's found time before the duplicate's was taken over."""

    duplicate = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="merges_out")
    survivor = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="merges_in")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status_before = models.CharField(max_length=20, choices=JobStatus.choices)
    survivor_found_at_before = models.DateTimeField(null=True, blank=True)
    enquiries = models.ManyToManyField("enquiries.Enquiry", related_name="+", blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["duplicate", "-at"], name="job_merge_duplicate")]

    def __str__(self) -> str:
        return f"{self.duplicate} into {self.survivor}"


class JobEvent(models.Model):
    """Timeline entries that are not status changes: notes, linked enquiries, edits."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=JobEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    text = models.TextField()
    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "at"], name="job_event_timeline")]

    def __str__(self) -> str:
        return f"{self.job} {self.get_kind_display()}"
