"""Customer updates (stage 2, and again after every variation).

One ``CustomerUpdate`` is what staff told the customers; it has one ``UpdateRecipient`` per
customer, each by that customer's channel. E-mail and SMS go through the side-effect outbox
(``common.outbox``) with the recipient row as what they are ``about``; letters are rendered
into one PDF per update (a page per customer) by a task, the ``Letter`` row being written in
the same transaction as the update (so a broker outage delays it, never loses it).
``UpdateOwed``: after an assessment and after each variation every customer on the job is
owed an update by a due time; logging an update to them clears it.

What was sent (``CustomerUpdate`` and its ``UpdateRecipient`` rows) is append-only: a customer
was told it, so it is never rewritten (on PostgreSQL a trigger refuses UPDATE and DELETE).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from common.history import append_only_triggers
from enquiries.enums import ContactChannel

from ..enums import Complexity, LetterStatus, UpdateReason
from .facts import _AppendOnly
from .fieldwork import _private_storage


class CustomerUpdate(_AppendOnly):
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="customer_updates")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")
    reason = models.CharField(max_length=20, choices=UpdateReason.choices)
    issue = models.TextField("the issue")
    complexity = models.CharField(max_length=10, choices=Complexity.choices, blank=True)
    expected_completion_at = models.DateTimeField("expected timeframe", null=True, blank=True)
    questions_answered = models.TextField(blank=True)
    message = models.TextField(help_text="The text sent or said to the customers.")
    to_everyone = models.BooleanField(default=False)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "at"], name="customer_update_job_at")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.job_id} update {self.pk}"


class UpdateRecipient(_AppendOnly):
    update = models.ForeignKey(CustomerUpdate, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("enquiries.Customer", on_delete=models.PROTECT, related_name="updates_received")
    channel = models.CharField(max_length=20, choices=ContactChannel.choices)
    address = models.CharField(max_length=300, blank=True,
                               help_text="The e-mail address, phone number or postal address used.")

    class Meta:
        ordering = ["update", "id"]
        indexes = [models.Index(fields=["customer", "update"], name="update_recipient_customer")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.customer} by {self.get_channel_display()}"


class UpdateOwed(models.Model):
    job = models.ForeignKey("jobs.Job", on_delete=models.CASCADE, related_name="updates_owed")
    customer = models.ForeignKey("enquiries.Customer", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=UpdateReason.choices)
    variation = models.ForeignKey("jobs.Variation", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    owed_from = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(CustomerUpdate, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="cleared")

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name_plural = "updates owed"
        indexes = [
            models.Index(fields=["job", "due_at"], condition=Q(cleared_at__isnull=True), name="update_owed_open"),
            models.Index(fields=["due_at"], condition=Q(cleared_at__isnull=True), name="update_owed_due"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} owes {self.customer_id} ({self.get_reason_display()})"

    @property
    def is_overdue(self) -> bool:
        return self.cleared_at is None and self.due_at < timezone.now()


def _letter_path(letter, filename: str) -> str:
    return f"jobs/{letter.job_id}/letters/{filename}"


class Letter(models.Model):
    """One PDF per update sent by letter: a page per customer, to print in one go."""

    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="letters")
    update = models.OneToOneField(CustomerUpdate, on_delete=models.PROTECT, related_name="letter")
    status = models.CharField(max_length=10, choices=LetterStatus.choices, default=LetterStatus.PENDING)
    file = models.FileField(storage=_private_storage, upload_to=_letter_path, max_length=300, blank=True)
    pages = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="letter_status")]

    def __str__(self) -> str:
        return f"{self.job_id} letter {self.pk}"
