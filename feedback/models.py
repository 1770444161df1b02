"""Stage 4: call-backs after the work is done, feedback requests and the feedback given.

- ``CallBack``: one per enquiry whose customer asked for a call-back, per completion of its
  job (the ``Resolution`` row): unique on the pair, so a repeated hook, a retried request or
  two workers can never double it, and a reopened job that completes again gets fresh ones.
  Its ``due_at`` lives in the database; the queue reads due rows directly.
- ``CallBackAttempt``: each ring, append-only; it appears on the job's timeline.
- ``FeedbackRequest``: one per customer per closing of the job, with a random code (the
  letter's short URL) that the e-mailed and texted links carry signed and dated.
- ``Feedback``: the answers, once per request (unique), or recorded by staff from a call.

``CallBackAttempt`` and ``Feedback`` are append-only facts: on PostgreSQL a trigger refuses any
UPDATE or DELETE of them (``jobs.models.facts.append_only_triggers``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from accounts import permissions
from common.history import append_only_triggers
from common.models import ChoiceLabelsMixin
from jobs.models.facts import _AppendOnly

from .enums import CallBackOutcome, CallBackStatus, FeedbackChannel, FeedbackSource, FixedAnswer


def _after_no_answer(callback, **kwargs):
    return CallBackStatus.EXHAUSTED if callback.attempts >= settings.CALLBACK_MAX_ATTEMPTS \
        else CallBackStatus.SCHEDULED


class CallBack(ChoiceLabelsMixin, ConcurrentTransitionMixin, models.Model):
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="callbacks")
    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.PROTECT, related_name="callbacks")
    resolution = models.ForeignKey("jobs.Resolution", on_delete=models.PROTECT, related_name="callbacks",
                                   help_text="The completion this call-back follows.")
    council = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="callbacks")
    status = FSMField(max_length=20, choices=CallBackStatus.choices, default=CallBackStatus.SCHEDULED,
                      protected=True)
    due_at = models.DateTimeField(help_text="When the next attempt is due.")
    attempts = models.PositiveSmallIntegerField(default=0)
    notified_attempt = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="The attempt the call-centre has been told is due (by the sweep).")
    outcome = models.CharField(max_length=20, choices=CallBackOutcome.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enquiry", "resolution"], name="callback_once_per_completion"),
        ]
        indexes = [
            models.Index(fields=["council", "due_at", "id"], condition=Q(status="scheduled"),
                         name="callback_queue_council"),
            models.Index(fields=["due_at", "id"], condition=Q(status="scheduled"), name="callback_queue"),
            models.Index(fields=["job", "status"], name="callback_job_status"),
        ]

    def __str__(self) -> str:
        return f"Call-back {self.enquiry_id} ({self.get_status_display()})"

    @property
    def is_overdue(self) -> bool:
        return self.status == CallBackStatus.SCHEDULED and \
            self.due_at < timezone.now() - timezone.timedelta(minutes=settings.CALLBACK_OVERDUE_MINUTES)

    # Transitions: each stamps; the services lock, save, log and write the attempt row.

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=CallBackStatus.SCHEDULED, target=CallBackStatus.DONE,
                permission=permissions.may_record_callback, custom={"label": "Reached"})
    def reached(self, *, outcome: str, at, by=None, description=None):
        self.attempts += 1
        self.outcome = outcome
        self.finished_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=CallBackStatus.SCHEDULED,
                target=GET_STATE(_after_no_answer, states=[CallBackStatus.SCHEDULED, CallBackStatus.EXHAUSTED]),
                permission=permissions.may_record_callback, custom={"label": "No answer"})
    def no_answer(self, *, at, retry_at, by=None, description=None):
        self.attempts += 1
        self.outcome = CallBackOutcome.NO_ANSWER
        if self.attempts >= settings.CALLBACK_MAX_ATTEMPTS:
            self.finished_at = at
        else:
            self.due_at = retry_at

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=CallBackStatus.SCHEDULED, target=CallBackStatus.WRONG_NUMBER,
                permission=permissions.may_record_callback, custom={"label": "Wrong number"})
    def wrong_number(self, *, at, by=None, description=None):
        self.attempts += 1
        self.outcome = CallBackOutcome.WRONG_NUMBER
        self.finished_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=CallBackStatus.SCHEDULED, target=CallBackStatus.SUPERSEDED,
                permission=permissions.may_triage_job)
    def supersede(self, *, at, by=None, description=None):
        self.finished_at = at


class CallBackAttempt(_AppendOnly):
    callback = models.ForeignKey(CallBack, on_delete=models.PROTECT, related_name="attempt_rows")
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=20, choices=CallBackOutcome.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["callback", "number"], name="callback_attempt_once")]
        indexes = [models.Index(fields=["job", "at"], name="callback_attempt_job")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"Attempt {self.number}: {self.get_outcome_display()}"


class FeedbackRequest(models.Model):
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="feedback_requests")
    customer = models.ForeignKey("enquiries.Customer", on_delete=models.PROTECT, related_name="feedback_requests")
    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.PROTECT, related_name="feedback_requests",
                                help_text="The customer's enquiry on the job (the status page's reference).")
    job_closed_at = models.DateTimeField(help_text="The closing of the job this request follows.")
    channel = models.CharField(max_length=10, choices=FeedbackChannel.choices)
    code = models.CharField(max_length=12, unique=True, editable=False,
                            help_text="Random; the letter's short URL, and signed inside the e-mailed link.")
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "customer", "job_closed_at"], name="feedback_request_once"),
        ]
        indexes = [
            models.Index(fields=["sent_at", "id"], condition=Q(answered_at__isnull=True, reminder_sent_at__isnull=True),
                         name="feedback_request_to_remind"),
        ]

    def __str__(self) -> str:
        return f"Feedback request {self.code}"


class Feedback(_AppendOnly):
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="feedback")
    request = models.OneToOneField(FeedbackRequest, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="feedback")
    customer = models.ForeignKey("enquiries.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    source = models.CharField(max_length=10, choices=FeedbackSource.choices)
    overall = models.PositiveSmallIntegerField("overall satisfaction",
                                               validators=[MinValueValidator(1), MaxValueValidator(5)])
    timeliness = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    communication = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    fixed = models.CharField("was it fixed?", max_length=3, choices=FixedAnswer.choices)
    comment = models.TextField(blank=True)
    given_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", help_text="Staff who took it by phone; empty for the link.")

    class Meta:
        ordering = ["given_at", "id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(condition=Q(overall__gte=1, overall__lte=5, timeliness__gte=1, timeliness__lte=5,
                                               communication__gte=1, communication__lte=5),
                                   name="feedback_scores_1_to_5"),
        ]
        indexes = [models.Index(fields=["job", "given_at"], name="feedback_job_given"),
                   models.Index(fields=["given_at", "id"], name="feedback_given")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"Feedback on {self.job_id}: {self.overall}/5"
