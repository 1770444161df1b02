"""Reference counters, one-time form submissions (see ``common/submissions.py``), and the
side-effect outbox: every e-mail or SMS is first a row, written in the transaction of the
change that causes it, then delivered by a task (see ``common/outbox.py``)."""

from functools import cache

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from .enums import UNDELIVERED_STATUSES, OutboxChannel, OutboxStatus
from .history import StateLogHistory  # noqa: F401  (the state log's triggers are this app's models)


class ReferenceCounter(models.Model):
    """The last number handed out per prefix and year: references are never reused."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="common_reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


# A Django permission, not a predicate from accounts.permissions: common is the lowest
# layer and imports nothing above it. The admin role holds it (superusers hold all).
RETRY_PERMISSION = "common.change_outboxmessage"


class OutboxMessage(models.Model):
    """One message to one recipient, and where its delivery stands."""

    key = models.CharField(max_length=200, unique=True,
                           help_text="Idempotency key: the same side effect is never queued twice.")
    channel = models.CharField(max_length=10, choices=OutboxChannel.choices)
    recipient = models.CharField(max_length=254, help_text="An e-mail address or a phone number.")
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True,
                                   help_text="[file name, base64 content, MIME type] for each attachment.")
    about_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")

    status = FSMField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING, protected=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(default=timezone.now,
                                           help_text="Not delivered before this time (the next retry).")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=64, blank=True,
                             help_text="The task delivery that marked the row sending.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["about_type", "about_id", "-created_at"], name="outbox_about"),
            # The sweep reads only undelivered rows: a small partial index however many were sent.
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=UNDELIVERED_STATUSES),
                         name="outbox_undelivered_due"),
            models.Index(fields=["status", "-created_at"], name="outbox_status_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient}: {self.subject}"

    # Transitions: state and stamps only; common/outbox.py locks, saves and sends. -------

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[OutboxStatus.PENDING, OutboxStatus.SENDING], target=OutboxStatus.SENDING)
    def start_sending(self, *, claim: str, by=None, description=None):
        self.attempts += 1
        self.last_attempt_at = timezone.now()
        self.claim = claim[:64]

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=OutboxStatus.SENDING, target=OutboxStatus.SENT)
    def mark_sent(self, *, by=None, description=None):
        self.sent_at = timezone.now()
        self.last_error = ""

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=OutboxStatus.SENDING, target=OutboxStatus.PENDING)
    def defer(self, *, error: str, until, by=None, description=None):
        self.last_error = error
        self.next_attempt_at = until

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=OutboxStatus.SENDING, target=OutboxStatus.FAILED)
    def give_up(self, *, error: str, by=None, description=None):
        self.last_error = error

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=OutboxStatus.FAILED, target=OutboxStatus.PENDING,
                permission=RETRY_PERMISSION, custom={"label": "Retry"})
    def retry(self, *, by=None, description=None):
        # A fresh schedule of attempts; the state log keeps the earlier ones.
        self.attempts = 0
        self.next_attempt_at = timezone.now()
        self.claim = ""


class FormSubmission(models.Model):
    """A create form's one-time token, claimed in the transaction that acts on it.

    The unique token makes a second POST of the same form (a double click, a browser
    retry) find the first one's row instead of creating again; ``result_url`` and
    ``result_label`` say where the first one's result is. See ``common.submissions``.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    result_url = models.CharField(max_length=300)
    result_label = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"{self.result_label} ({self.user}, {self.submitted_at:%Y-%m-%d %H:%M})"


@cache
def _choice_labels(field) -> dict:
    return dict(make_hashable(field.flatchoices))


class ChoiceLabelsMixin:
    """``get_<field>_display()`` from a dict built once per field.

    Django builds the whole choices dict again on every call; list rows call it two or three
    times each (status, service), which cost about 3 ms on a page of 50. Same result: the
    label, or the value itself when it is not among the choices. Mix in before ``models.Model``.
    """

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(make_hashable(value), value), strings_only=True)


class VersionLockMixin:
    """Optimistic locking for a model with a ``version`` field: a save only lands on the version
    the row was loaded at, so an edit that keeps the status (which django-fsm's state check
    misses) is caught too. Mix in before ``models.Model``; the service raises the version."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read without triggering a load when a list query deferred the column.
        self._loaded_version = self.__dict__.get("version")

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._loaded_version = self.version

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs):
        if self._loaded_version is not None:
            base_qs = base_qs.filter(version=self._loaded_version)
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs)

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._loaded_version = self.version
