from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from accounts import permissions
from accounts.enums import OrganisationKind
from common.history import append_only_triggers
from common.models import ChoiceLabelsMixin

from .enums import (
    DIA_CATEGORY_SERVICE,
    ContactChannel,
    DiaComplaintCategory,
    EnquiryStatus,
    PersonalDataPage,
    ReceivedChannel,
    Service,
)


class IssueType(models.Model):
    """What the customer says is wrong, per service (reference data)."""

    service = models.CharField(max_length=20, choices=Service.choices)
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    duplicate_radius_m = models.PositiveIntegerField(
        "duplicate radius (m)", default=200,
        help_text="Open jobs this close to a new enquiry are offered as possible duplicates.",
    )
    dia_category = models.CharField(
        "DIA complaint category", max_length=30, choices=DiaComplaintCategory.choices, blank=True,
        help_text="An enquiry of this type counts as a complaint in this DIA category; blank for none.",
    )
    is_urgent = models.BooleanField(
        "usually urgent", default=False,
        help_text="Flagged in the triage queue, which can list these first (no water, overflows, flooding).",
    )
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="issue_type_unique_per_service")]

    def __str__(self) -> str:
        return f"{self.get_service_display()}: {self.name}"

    def clean(self):
        if self.dia_category and DIA_CATEGORY_SERVICE[self.dia_category] != self.service:
            raise ValidationError({"dia_category": "That DIA category belongs to another service."})


class Customer(models.Model):
    council = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="customers",
        limit_choices_to={"kind": OrganisationKind.COUNCIL},
    )
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=40, blank=True)
    phone_digits = models.CharField(max_length=20, blank=True, editable=False,
                                    help_text="The phone number in national form, digits only, for lookup.")
    email = models.EmailField(blank=True)
    postal_address = models.TextField(blank=True)
    preferred_channel = models.CharField(
        "preferred contact channel", max_length=20, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["council", "phone_digits"], name="customer_council_phone"),
            models.Index(fields=["council", "name"], name="customer_council_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Enquiry(ChoiceLabelsMixin, ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    council = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="enquiries",
        limit_choices_to={"kind": OrganisationKind.COUNCIL},
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="enquiries")
    street_address = models.CharField(max_length=200)
    suburb = models.ForeignKey("accounts.Suburb", on_delete=models.PROTECT, related_name="enquiries")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    asset_id = models.CharField("property or asset id", max_length=60, blank=True)
    service = models.CharField(max_length=20, choices=Service.choices)
    issue_type = models.ForeignKey(IssueType, on_delete=models.PROTECT, related_name="enquiries")
    description = models.TextField()
    callback_requested = models.BooleanField("call-back requested", default=False)
    callback_best_time = models.CharField("best time to call", max_length=120, blank=True)
    channel = models.CharField("received by", max_length=20, choices=ReceivedChannel.choices,
                               default=ReceivedChannel.PHONE)
    received_at = models.DateTimeField(
        default=timezone.now, help_text="When the customer told us: the time KPIs count from."
    )
    backdate_reason = models.CharField(max_length=200, blank=True)
    logged_at = models.DateTimeField(default=timezone.now, editable=False)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = FSMField(max_length=20, choices=EnquiryStatus.choices, default=EnquiryStatus.NEW, protected=True)
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, null=True, blank=True, related_name="enquiries")
    outcome = models.TextField("outcome at first contact", blank=True)

    class Meta:
        verbose_name_plural = "enquiries"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="enquiry_newest"),
            models.Index(fields=["council", "-received_at", "-id"], name="enquiry_council_newest"),
            models.Index(fields=["status", "-received_at", "-id"], name="enquiry_status_newest"),
            # The queue filtered by status and service (its most used filter): rows and the bounded count
            # straight from the index (the count read 1,400 table pages for 1,001 rows at 1M).
            models.Index(fields=["status", "service", "-received_at", "-id"], name="enquiry_status_service_newest"),
            models.Index(fields=["council", "status", "-received_at", "-id"], name="enquiry_council_status_new"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_backdated(self) -> bool:
        tolerance = timezone.timedelta(minutes=settings.BACKDATE_TOLERANCE_MINUTES)
        return self.logged_at - self.received_at > tolerance

    # Transitions: each changes state and stamps; services lock, save and queue side effects.

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EnquiryStatus.NEW, target=EnquiryStatus.LINKED,
                permission=permissions.may_link_enquiry, custom={"label": "Link to job"})
    def link_to_job(self, *, job, by=None, description=None):
        self.job = job

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EnquiryStatus.LINKED, target=EnquiryStatus.NEW,
                permission=permissions.may_unlink_enquiry, custom={"label": "Unlink from job"})
    def unlink_from_job(self, *, by=None, description=None):
        self.job = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EnquiryStatus.NEW, target=EnquiryStatus.RESOLVED,
                permission=permissions.may_resolve_enquiry,
                custom={"label": "Resolve at first contact", "url_name": "enquiries:enquiry-resolve"})
    def resolve_at_first_contact(self, *, outcome: str, by=None, description=None):
        if not outcome.strip():
            raise ValueError("An outcome is required to resolve an enquiry at first contact.")
        self.outcome = outcome.strip()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EnquiryStatus.LINKED, target=EnquiryStatus.CLOSED,
                permission=permissions.may_close_enquiry)
    def close(self, *, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EnquiryStatus.CLOSED, target=EnquiryStatus.LINKED,
                permission=permissions.may_close_enquiry)
    def reopen(self, *, by=None, description=None):
        pass


class PersonalDataAccess(models.Model):
    """Append-only: who was shown a customer's unmasked personal data, where and when.

    The Privacy Act 2020 expects an agency to be able to say who accessed a person's
    information. Rows are written by ``personal_data_access_record`` and never changed (on
    PostgreSQL a trigger refuses UPDATE and DELETE: ``common.history``).
    """

    at = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    page = models.CharField(max_length=30, choices=PersonalDataPage.choices)
    reference = models.CharField(max_length=32, blank=True, help_text="The enquiry or job the page showed.")
    client_ip = models.GenericIPAddressField("client address", null=True, blank=True)

    class Meta:
        verbose_name = "personal data access"
        verbose_name_plural = "personal data access log"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "at"], name="personal_access_customer"),
            models.Index(fields=["user", "at"], name="personal_access_user"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.user} saw {self.customer} ({self.get_page_display()})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("The personal data access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The personal data access log is append-only.")
