"""Reads for stage 4, always through the user's scope; list queries do not grow with rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Left
from django.utils import timezone

from accounts import permissions
from accounts.models import Suburb
from common.columns import reference_column
from enquiries.models import Enquiry, IssueType
from jobs.models import Job, Resolution

from .enums import CallBackStatus
from .models import CallBack, CallBackAttempt, Feedback, FeedbackRequest


def callbacks_visible_to(*, user) -> QuerySet[CallBack]:
    if not permissions.may_view_callbacks(user):
        return CallBack.objects.none()
    if permissions.sees_all_councils(user):
        return CallBack.objects.all()
    return CallBack.objects.filter(council_id=user.organisation_id)


def callback_queue(*, user, now: datetime | None = None) -> QuerySet[CallBack]:
    """Call-backs whose time has come, straight from the database (no worker or beat needed),
    longest waiting first, with what the caller needs on one screen."""
    now = now or timezone.now()
    latest_resolution_note = Resolution.objects.filter(job=OuterRef("job")).order_by("-recorded_at", "-id")
    # A row's facts as columns of one call-back, not six related instances (a third of the page's time).
    return (
        callbacks_visible_to(user=user)
        .filter(status=CallBackStatus.SCHEDULED, due_at__lte=now)
        .only("status", "due_at", "attempts", "job_id", "enquiry_id")
        .annotate(
            customer_name=F("enquiry__customer__name"), customer_phone=F("enquiry__customer__phone"),
            customer_phone_digits=F("enquiry__customer__phone_digits"),
            best_time=F("enquiry__callback_best_time"), enquiry_reference=F("enquiry__reference"),
            issue_type_name=reference_column(IssueType, "name", key="enquiry__issue_type_id"),
            description_start=Left("enquiry__description", QUEUE_TEXT_LENGTH + 1),
            job_reference=F("job__reference"), suburb_name=reference_column(Suburb, "name", key="job__suburb_id"),
            resolution_note=Subquery(latest_resolution_note.values("note")[:1]),
        )
        .order_by("due_at", "id")
    )


# The queue shows the start of what the customer said and of the resolution note.
QUEUE_TEXT_LENGTH = 100


def callback_upcoming_count(*, user, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return callbacks_visible_to(user=user).filter(status=CallBackStatus.SCHEDULED, due_at__gt=now)[:1000].count()


def callback_for_page(*, user, pk: int) -> CallBack:
    return (
        callbacks_visible_to(user=user)
        .select_related("job", "job__suburb", "job__council", "enquiry", "enquiry__customer", "enquiry__issue_type",
                        "resolution")
        .prefetch_related(Prefetch("attempt_rows", queryset=CallBackAttempt.objects.select_related("by")))
        .get(pk=pk)
    )


@dataclass(frozen=True)
class JobFeedbackSummary:
    callbacks: list
    requests: list
    feedback: list


def job_feedback_summary(*, job: Job) -> JobFeedbackSummary:
    return JobFeedbackSummary(
        callbacks=list(CallBack.objects.filter(job=job).select_related("enquiry__customer")
                       .order_by("created_at", "id")),
        requests=list(FeedbackRequest.objects.filter(job=job).select_related("customer").order_by("sent_at", "id")),
        feedback=list(Feedback.objects.filter(job=job).select_related("customer", "recorded_by")),
    )


def job_enquiries_for_feedback(*, job: Job) -> QuerySet[Enquiry]:
    return Enquiry.objects.filter(job=job).select_related("customer").order_by("received_at", "id")


# The public status page -----------------------------------------------------------------------

@dataclass(frozen=True)
class PublicStatus:
    """All the status page shows: no names, no addresses, no other callers, no staff."""

    reference: str
    progress: list
    stage_label: str
    latest_update: str
    latest_update_at: datetime | None
    timeframe: str


def _contact_matches(customer, contact: str) -> bool:
    from django.utils.crypto import constant_time_compare

    contact = contact.strip()
    if "@" in contact:
        return bool(customer.email) and constant_time_compare(customer.email.strip().lower(), contact.lower())
    digits = "".join(ch for ch in contact if ch.isdigit())
    return len(digits) == 4 and len(customer.phone_digits) >= 4 and \
        constant_time_compare(customer.phone_digits[-4:], digits)


def _timeframe(job: Job | None, enquiry: Enquiry) -> str:
    from jobs.enums import JobStatus

    if job is None:
        if enquiry.status == "resolved":
            return "Your enquiry was resolved when you called."
        return "We have your enquiry and will assess it shortly."
    local = timezone.localtime
    if job.status in (JobStatus.CLOSED, JobStatus.REPORTED):
        return f"The work is finished and your enquiry was closed on {local(job.closed_at):%-d %B %Y}." \
            if job.closed_at else "The work is finished and your enquiry is closed."
    if job.status == JobStatus.COMPLETED:
        return f"The work was completed on {local(job.completed_at):%-d %B %Y}." if job.completed_at \
            else "The work is complete."
    if job.status == JobStatus.CANCELLED:
        return "No work is planned on this enquiry. Please call us if the problem continues."
    if job.resolution_due_at:
        return f"We expect to have it fixed by {local(job.resolution_due_at):%-d %B %Y, %-I:%M %p}."
    return "We are working out how long it will take."


def public_status(*, reference: str, contact: str) -> PublicStatus | None:
    """The status for a reference and the matching contact detail; None for any mismatch, so a
    wrong pair cannot be told apart from an unknown reference."""
    from jobs.selectors import job_progress

    enquiry = (
        Enquiry.objects.select_related("customer", "job")
        .filter(reference=reference.strip().upper()).first()
    )
    if enquiry is None or not _contact_matches(enquiry.customer, contact):
        return None
    job = enquiry.job
    if job is not None:
        progress = job_progress(job=job)
    else:
        current = "close" if enquiry.status in ("resolved", "closed") else "enquiry"
        from jobs.selectors import STAGES

        order = [value for value, _ in STAGES]
        progress = [{"value": v, "label": label,
                     "state": "done" if order.index(v) < order.index(current) else
                     "current" if v == current else "todo"} for v, label in STAGES]
    current = next((step["label"] for step in progress if step["state"] == "current"), "")
    update_text, update_at = latest_customer_update(job=job) if job is not None else ("", None)
    return PublicStatus(reference=enquiry.reference, progress=progress, stage_label=current,
                        latest_update=update_text, latest_update_at=update_at, timeframe=_timeframe(job, enquiry))


def latest_customer_update(*, job: Job) -> tuple[str, datetime | None]:
    """The text of the latest customer update on the job (stage 2's "Log customer update", the
    field-work issue's ``jobs.CustomerUpdate``: what was sent or said to the customers)."""
    from django.apps import apps

    try:
        model = apps.get_model("jobs", "CustomerUpdate")
    except LookupError:  # until the field-work issue's customer updates are installed
        return "", None
    update = model.objects.filter(job=job).order_by("-at", "-id").values_list("message", "at").first()
    return update if update else ("", None)
