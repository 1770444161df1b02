from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from accounts import permissions
from accounts.enums import OrganisationKind
from common.models import ChoiceLabelsMixin, VersionLockMixin
from enquiries.enums import ContactChannel, DiaComplaintCategory, ReceivedChannel, Service

from .enums import (
    LEVEL_ORDER,
    OPEN_STATUSES,
    ComplaintEventKind,
    ComplaintStatus,
    EscalationLevel,
)


class ComplaintServiceLevel(models.Model):
    """How soon a complaint must be acknowledged and resolved, in business days (reference data)."""

    name = models.CharField(max_length=60, unique=True)
    acknowledge_business_days = models.PositiveSmallIntegerField(default=2)
    resolve_business_days = models.PositiveSmallIntegerField(default=20)
    is_default = models.BooleanField(
        default=False, help_text="Used for every category that does not name its own service level."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="complaint_service_level_one_default"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        return (f"acknowledge within {self.acknowledge_business_days} business days, "
                f"resolve within {self.resolve_business_days}")


class ComplaintCategory(models.Model):
    """What the complaint is about, per service; says which DIA measure it feeds, if any (reference data)."""

    service = models.CharField(max_length=20, choices=Service.choices)
    name = models.CharField(max_length=80)
    dia_measure = models.CharField(
        "DIA measure", max_length=30, choices=DiaComplaintCategory.choices, blank=True,
        help_text="The DIA complaint measure this category is counted in; blank for none.",
    )
    service_level = models.ForeignKey(
        ComplaintServiceLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="categories",
        help_text="Blank: the default service level.",
    )
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service", "sort_order", "name"]
        verbose_name_plural = "complaint categories"
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="complaint_category_unique_per_service"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from enquiries.enums import DIA_CATEGORY_SERVICE

        if self.dia_measure and DIA_CATEGORY_SERVICE.get(self.dia_measure) != self.service:
            raise ValidationError({"dia_measure": "That measure belongs to another service."})


class ComplaintCause(models.Model):
    """Why the complaint arose, as the case manager understands it (reference data)."""

    name = models.CharField(max_length=80, unique=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


def _has_cause(complaint) -> bool:
    return complaint.cause_id is not None


def _not_at_top_level(complaint) -> bool:
    return LEVEL_ORDER.get(complaint.level, 0) < LEVEL_ORDER[EscalationLevel.EXECUTIVE]


def _no_open_actions(complaint) -> bool:
    # Set by the service from the locked rows before the transition runs (no query here).
    return not getattr(complaint, "_open_action_count", 0)


def _status_after_contact(complaint, **kwargs):
    return ComplaintStatus.DISCUSSED if complaint.status == ComplaintStatus.UNDERSTOOD else complaint.status


def _status_after_reopen(complaint, **kwargs):
    return ComplaintStatus.UNDERSTOOD if complaint.cause_id else ComplaintStatus.RECEIVED


class Complaint(ChoiceLabelsMixin, ConcurrentTransitionMixin, VersionLockMixin, models.Model):
    """A customer's complaint, run beside the job it concerns (or on its own)."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    council = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="complaints",
        limit_choices_to={"kind": OrganisationKind.COUNCIL},
    )
    customer = models.ForeignKey("enquiries.Customer", on_delete=models.PROTECT, related_name="complaints")
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, null=True, blank=True, related_name="complaints")
    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="complaints")
    service = models.CharField(max_length=20, choices=Service.choices)
    category = models.ForeignKey(ComplaintCategory, on_delete=models.PROTECT, related_name="complaints")
    channel = models.CharField("received by", max_length=20, choices=ReceivedChannel.choices,
                               default=ReceivedChannel.PHONE)
    received_at = models.DateTimeField(default=timezone.now,
                                       help_text="When the customer complained: the service levels count from it.")
    backdate_reason = models.CharField(max_length=200, blank=True)
    description = models.TextField("what the customer says")
    logged_at = models.DateTimeField(default=timezone.now, editable=False)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    status = FSMField(max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED,
                      protected=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="owned_complaints")
    level = models.CharField("escalation level", max_length=20, choices=EscalationLevel.choices, blank=True)
    cause = models.ForeignKey(ComplaintCause, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="complaints")
    cause_notes = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    customer_accepts = models.BooleanField("customer accepts the outcome", null=True, blank=True)

    acknowledge_due_at = models.DateTimeField()
    resolve_due_at = models.DateTimeField()
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False,
                                       help_text="The target that applies now: acknowledgement, then resolution.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    understood_at = models.DateTimeField(null=True, blank=True)
    discussed_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    version = models.PositiveIntegerField(default=1, editable=False,
                                          help_text="Raised by every change; stale edits are refused.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="complaint_newest"),
            models.Index(fields=["council", "-received_at", "-id"], name="complaint_council_newest"),
            models.Index(fields=["status", "-received_at", "-id"], name="complaint_status_newest"),
            models.Index(fields=["owner", "status"], name="complaint_owner_status"),
            models.Index(fields=["level", "-received_at", "-id"], condition=~Q(level=""),
                         name="complaint_escalated"),
            models.Index(fields=["next_due_at", "id"], condition=Q(next_due_at__isnull=False),
                         name="complaint_next_due"),
            # A council's call-centre sees its own council's queue: its tabs' counts read these
            # (at 1M enquiries the global ones cost 3-6 ms a tab filtering a council's rows).
            models.Index(fields=["council", "status", "-received_at", "-id"], name="complaint_council_status"),
            models.Index(fields=["council", "next_due_at"], condition=Q(next_due_at__isnull=False),
                         name="complaint_council_next_due"),
            models.Index(fields=["council", "status"], condition=~Q(level=""), name="complaint_council_escalated"),
        ]

    def __str__(self) -> str:
        return self.reference

    # Derived ----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_escalated(self) -> bool:
        return bool(self.level)

    @property
    def is_overdue(self) -> bool:
        return self.next_due_at is not None and self.next_due_at < timezone.now()

    @property
    def acknowledge_overdue(self) -> bool:
        return (self.acknowledged_at or timezone.now()) > self.acknowledge_due_at and (
            self.acknowledged_at is not None or self.is_open
        )

    @property
    def resolve_overdue(self) -> bool:
        return (self.resolved_at or timezone.now()) > self.resolve_due_at and (
            self.resolved_at is not None or self.is_open
        )

    def refresh_next_due(self, status=None) -> None:
        status = status or self.status
        if status not in OPEN_STATUSES:
            self.next_due_at = None
        elif self.acknowledged_at is None:
            self.next_due_at = self.acknowledge_due_at
        else:
            self.next_due_at = self.resolve_due_at

    # Transitions: each changes state and stamps times; services lock, save and log. ----------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=ComplaintStatus.RECEIVED,
        target=ComplaintStatus.UNDERSTOOD,
        permission=permissions.may_run_complaint,
        custom={"order": 1, "label": "Record cause", "url_name": "complaints:complaint-understand"},
    )
    def understand(self, *, cause, notes: str, by=None, description=None):
        now = timezone.now()
        self.cause = cause
        self.cause_notes = notes
        self.understood_at = now
        self.acknowledged_at = self.acknowledged_at or now
        if self.owner_id is None and by is not None:
            self.owner = by
        self.refresh_next_due(ComplaintStatus.UNDERSTOOD)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[ComplaintStatus.UNDERSTOOD, ComplaintStatus.DISCUSSED, ComplaintStatus.AGREED],
        target=GET_STATE(_status_after_contact, states=[ComplaintStatus.DISCUSSED, ComplaintStatus.AGREED]),
        conditions=[_has_cause],
        permission=permissions.may_run_complaint,
        custom={"order": 2, "label": "Log discussion", "url_name": "complaints:complaint-contact"},
    )
    def record_contact(self, *, contacted_at, by=None, description=None):
        self.discussed_at = self.discussed_at or contacted_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[ComplaintStatus.DISCUSSED, ComplaintStatus.AGREED],
        target=ComplaintStatus.AGREED,
        conditions=[_has_cause],
        permission=permissions.may_run_complaint,
        custom={"order": 3, "label": "Agree next step", "url_name": "complaints:complaint-agree"},
    )
    def agree_next_step(self, *, by=None, description=None):
        self.agreed_at = self.agreed_at or timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[ComplaintStatus.DISCUSSED, ComplaintStatus.AGREED],
        target=ComplaintStatus.RESOLVED,
        conditions=[_has_cause, _no_open_actions],
        permission=permissions.may_run_complaint,
        custom={"order": 4, "label": "Resolve", "url_name": "complaints:complaint-resolve", "style": "success"},
    )
    def resolve(self, *, outcome: str, customer_accepts: bool, by=None, description=None):
        self.outcome = outcome
        self.customer_accepts = customer_accepts
        self.resolved_at = timezone.now()
        self.refresh_next_due(ComplaintStatus.RESOLVED)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=list(OPEN_STATUSES),
        target=GET_STATE(lambda complaint, **kwargs: complaint.status, states=list(OPEN_STATUSES)),
        conditions=[_not_at_top_level],
        permission=permissions.may_run_complaint,
        custom={"order": 5, "label": "Escalate", "url_name": "complaints:complaint-escalate", "style": "warning"},
    )
    def escalate(self, *, level: str, owner, by=None, description=None):
        if LEVEL_ORDER.get(level, 0) <= LEVEL_ORDER.get(self.level, 0):
            raise ValueError("A complaint is escalated to a higher level than it is at.")
        self.level = level
        self.owner = owner
        self.escalated_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=ComplaintStatus.RESOLVED,
        target=ComplaintStatus.CLOSED,
        permission=permissions.may_run_complaint,
        custom={"order": 6, "label": "Close complaint", "url_name": "complaints:complaint-close"},
    )
    def close(self, *, by=None, description=None):
        self.closed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=list(OPEN_STATUSES),
        target=ComplaintStatus.WITHDRAWN,
        permission=permissions.may_withdraw_complaint,
        custom={"order": 20, "label": "Withdrawn by the customer", "url_name": "complaints:complaint-withdraw",
                "style": "outline-secondary"},
    )
    def withdraw(self, *, by=None, description=None):
        self.withdrawn_at = timezone.now()
        self.refresh_next_due(ComplaintStatus.WITHDRAWN)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN],
        target=GET_STATE(_status_after_reopen, states=[ComplaintStatus.RECEIVED, ComplaintStatus.UNDERSTOOD]),
        permission=permissions.may_run_complaint,
        custom={"order": 21, "label": "Reopen", "url_name": "complaints:complaint-reopen",
                "style": "outline-secondary"},
    )
    def reopen(self, *, resolve_due_at, by=None, description=None):
        # The first resolution was not final: a fresh resolution target (the service works
        # it out from now); the received time, which the measures count from, stays.
        self.resolved_at = None
        self.closed_at = None
        self.withdrawn_at = None
        self.outcome = ""
        self.customer_accepts = None
        self.resolve_due_at = resolve_due_at
        self.refresh_next_due(_status_after_reopen(self))


class ComplaintContact(models.Model):
    """A contact with the customer about the complaint: how, when, what was said."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField(max_length=20, choices=ContactChannel.choices)
    at = models.DateTimeField("when")
    summary = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint} {self.get_channel_display()} {self.at:%Y-%m-%d}"


class ComplaintAction(models.Model):
    """An agreed next step: what, who owns it, by when, done or not."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField("next step", max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaint_actions")
    due_on = models.DateField("due")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "due_on"], condition=Q(done_at__isnull=True), name="complaint_action_open"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_on < timezone.localdate()


class ComplaintEvent(models.Model):
    """Timeline entries that are not status changes: a next step marked done or not done."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=ComplaintEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_event_timeline")]

    def __str__(self) -> str:
        return f"{self.complaint} {self.get_kind_display()}"
