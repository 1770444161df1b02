"""What stage 4 adds to the job page: call-backs and feedback, their timeline entries, and
"Record feedback" (registered from FeedbackConfig.ready through common.extensions)."""

from __future__ import annotations

from django.urls import reverse

from accounts import permissions
from common import extensions
from jobs.enums import JobStatus
from jobs.selectors import TimelineEntry

from . import selectors
from .models import CallBackAttempt

# Call-backs exist from completion on; a reopened job keeps its earlier ones.
DONE_STATUSES = (JobStatus.COMPLETED, JobStatus.CLOSED, JobStatus.REPORTED)


def job_page(*, job, user) -> extensions.PageExtension:
    if job.status not in DONE_STATUSES and job.reopened_at is None:
        return extensions.PageExtension()  # nothing of stage 4 exists before the work is done: no queries
    summary = selectors.job_feedback_summary(job=job)
    attempts = CallBackAttempt.objects.filter(job=job).select_related("by", "callback__enquiry")
    timeline = [
        TimelineEntry(at=a.at, by=a.by, kind="callback",
                      title=f"Call-back attempt {a.number} ({a.callback.enquiry.reference})",
                      text=a.get_outcome_display() + (f": {a.note}" if a.note else ""))
        for a in attempts
    ]
    timeline += [
        TimelineEntry(at=f.given_at, by=f.recorded_by, kind="feedback", title=f"Feedback ({f.get_source_display()})",
                      text=f"Overall {f.overall}/5, timeliness {f.timeliness}/5, communication {f.communication}/5, "
                           f"fixed: {f.get_fixed_display().lower()}" + (f". “{f.comment}”" if f.comment else ""))
        for f in summary.feedback
    ]
    links = []
    if permissions.may_record_feedback(user) and job.status in DONE_STATUSES:
        links.append(extensions.Link(label="Record feedback", url=reverse("feedback:feedback-record",
                                                                          args=[job.reference])))
    sections = []
    if summary.callbacks or summary.requests or summary.feedback:
        sections.append(extensions.Section(template="feedback/_job_section.html",
                                           data={"summary": summary, "job": job,
                                                 "may_record": permissions.may_view_callbacks(user),
                                                 # Analysts read the job page too: no customer's name for them.
                                                 "names": permissions.may_view_customer_contact(user, job)}))
    return extensions.PageExtension(links=links, timeline=timeline, sections=sections)


def register() -> None:
    extensions.register("job_page", job_page)
