"""Whether an enquiry may join a job, and what joining a completed one owes its customer.

Every way an enquiry reaches a job goes through these: "Link to job" for one enquiry or
several ticked ones, a new enquiry linked at intake, and a merge moving a duplicate's enquiries.
"""

from __future__ import annotations

from .enums import JobStatus
from .models import Job
from .states import is_merged, run_hooks


def link_refusal(job: Job, *, what: str = "this enquiry") -> str:
    """Why an enquiry cannot join this job, and what to do instead; empty when it can."""
    if job.is_open:
        return ""
    if is_merged(job):
        survivor = Job.objects.only("reference").get(pk=job.merged_into_id).reference
        return f"{job.reference} was merged into {survivor}: link {what} to {survivor} instead."
    done = {JobStatus.CLOSED: "is closed: its call ticket is finished",
            JobStatus.REPORTED: "is reported: its figures are published",
            JobStatus.CANCELLED: "is cancelled"}.get(job.status, f"is {job.get_status_display().lower()}")
    return f"{job.reference} {done}. Reopen it, or create a new job for {what}."


def completed_hooks_again(job: Job, *, by) -> None:
    """Enquiries that joined a completed job get what completion gave the others (their call-backs):
    the hooks are safe to run again (one call-back per enquiry and completion)."""
    if job.status == JobStatus.COMPLETED:
        run_hooks("completed", job=job, by=by)
