"""Reads for stage 4, always through the user's scope; list queries do not grow with rows."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connections
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import permissions
from accounts.models import Suburb
from common.columns import reference_column
from enquiries.models import Enquiry, IssueType
from jobs.models import CustomerUpdate, Job, Resolution

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
            customer_id=F("enquiry__customer_id"),  # for the access log (Privacy Act 2020)
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


def _contact_matches(*, email: str, phone_digits: str, contact: str) -> bool:
    from django.utils.crypto import constant_time_compare

    contact = contact.strip()
    if "@" in contact:
        return bool(email) and constant_time_compare(email.strip().lower(), contact.lower())
    digits = "".join(ch for ch in contact if ch.isdigit())
    return len(digits) == 4 and len(phone_digits) >= 4 and constant_time_compare(phone_digits[-4:], digits)


def _timeframe(job: Job | None, enquiry_status: str) -> str:
    from jobs.enums import JobStatus

    if job is None:
        if enquiry_status == "resolved":
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


# What the look-up reads, in this order: only the columns the contact check, the stages and the
# timeframe need, and the latest customer update (index customer_update_job_at).
_LOOKUP_COLUMNS = ("reference", "status", "customer__phone_digits", "customer__email", "job_id", "job__status",
                   "job__closed_at", "job__completed_at", "job__resolution_due_at", "latest_update",
                   "latest_update_at")
_LOOKUP_DATETIMES = frozenset({"job__closed_at", "job__completed_at", "job__resolution_due_at", "latest_update_at"})
_REFERENCE_PLACEHOLDER = "ENQ-0000-000000"


@functools.cache
def _lookup_sql(vendor: str) -> str:
    """The look-up's one query, written by the ORM once a process. Compiling it (three tables and
    two subqueries) cost more than the rest of the page; its only parameter is the reference.
    No ordering: references are unique."""
    latest = CustomerUpdate.objects.filter(job=OuterRef("job_id")).order_by("-at", "-id")
    query = (
        Enquiry.objects.filter(reference=_REFERENCE_PLACEHOLDER)
        .annotate(latest_update=Subquery(latest.values("message")[:1]),
                  latest_update_at=Subquery(latest.values("at")[:1]))
        .order_by().values_list(*_LOOKUP_COLUMNS)[:1]
    ).query
    sql, params = query.get_compiler(connection=connections[Enquiry.objects.db]).as_sql()
    if tuple(params) != (_REFERENCE_PLACEHOLDER,):
        raise AssertionError(f"the status look-up's query takes the reference alone, not {params!r}")
    return sql


def _db_datetime(value) -> datetime | None:
    """A datetime as a cursor returns it: aware from PostgreSQL; text or naive, in UTC, from SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _lookup_row(reference: str) -> dict | None:
    connection = connections[Enquiry.objects.db]
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(connection.vendor), [reference])
        row = cursor.fetchone()
    if row is None:
        return None
    return {name: _db_datetime(value) if name in _LOOKUP_DATETIMES else value
            for name, value in zip(_LOOKUP_COLUMNS, row, strict=True)}


def public_status(*, reference: str, contact: str) -> PublicStatus | None:
    """The status for a reference and the matching contact detail; None for any mismatch, so a
    wrong pair cannot be told apart from an unknown reference."""
    from jobs.selectors import job_progress

    row = _lookup_row(reference.strip().upper())
    if row is None or not _contact_matches(email=row["customer__email"], phone_digits=row["customer__phone_digits"],
                                           contact=contact):
        return None
    job = None
    if row["job_id"] is not None:
        job = Job(pk=row["job_id"], status=row["job__status"], closed_at=row["job__closed_at"],
                  completed_at=row["job__completed_at"], resolution_due_at=row["job__resolution_due_at"])
        progress = job_progress(job=job)
    else:
        current = "close" if row["status"] in ("resolved", "closed") else "enquiry"
        from jobs.selectors import STAGES

        order = [value for value, _ in STAGES]
        progress = [{"value": v, "label": label,
                     "state": "done" if order.index(v) < order.index(current) else
                     "current" if v == current else "todo"} for v, label in STAGES]
    current = next((step["label"] for step in progress if step["state"] == "current"), "")
    return PublicStatus(reference=row["reference"], progress=progress, stage_label=current,
                        latest_update=row["latest_update"] or "", latest_update_at=row["latest_update_at"],
                        timeframe=_timeframe(job, row["status"]))


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
