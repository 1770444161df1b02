"""The job state table's data rules: conditions and computed targets of the transitions."""

from .enums import JobStatus

BEFORE_DISPATCH = [JobStatus.LOGGED, JobStatus.TRIAGED, JobStatus.ALLOCATED]
WORKING = [JobStatus.DISPATCHED, JobStatus.ATTENDED, JobStatus.ASSESSED, JobStatus.IN_REPAIR]


def is_categorised(job) -> bool:
    return job.category_id is not None and job.priority_id is not None


def has_case_manager(job) -> bool:
    return job.case_manager_id is not None


def has_contractor(job) -> bool:
    return job.contractor_id is not None


def has_arrival(job) -> bool:
    return job.attended_at is not None


def never_attended(job) -> bool:
    return job.attended_at is None


def no_callback_outstanding(job) -> bool:
    """Until call-backs are recorded (stage 4), a requested call-back holds the ticket open."""
    return not job.enquiries.filter(callback_requested=True).exists()


def status_after_categorise(job, **kwargs):
    return JobStatus.TRIAGED if job.status == JobStatus.LOGGED else job.status


def status_after_allocate(job, **kwargs):
    return JobStatus.ALLOCATED if job.status in (JobStatus.LOGGED, JobStatus.TRIAGED) else job.status


def status_after_reopen(job, **kwargs):
    if job.case_manager_id:
        return JobStatus.ALLOCATED
    if job.category_id and job.priority_id:
        return JobStatus.TRIAGED
    return JobStatus.LOGGED


is_categorised.message = "Categorise the job first (category and priority)."
has_case_manager.message = "Allocate a case manager first."
has_contractor.message = "The job has no contractor."
has_arrival.message = "Record the crew's arrival first."
never_attended.message = (
    "The crew has been on site: an attended job is never cancelled out of the measures. "
    "Exclude it from the measures instead, with a reason."
)
no_callback_outstanding.message = "A customer asked for a call-back: ring them before closing the call ticket."
