"""The job state table's data rules: conditions and computed targets of the transitions.

Close blockers and lifecycle hooks: the dependency inversion for the higher apps
---------------------------------------------------------------------------------
"Close call ticket" waits for things that live above ``jobs`` in the layering (call-backs
in ``feedback``, complaints in ``complaints``), and completing or closing a job starts work
there (call-backs, feedback requests). ``jobs`` may not import those apps, so it publishes
two small registries and the higher apps fill them from their ``AppConfig.ready()``:

- ``register_close_blocker(check)``: ``check(job)`` returns a list of ``CloseBlocker``
  (empty when nothing holds the ticket open). ``Job.close`` has one condition,
  ``nothing_blocks_close``, that asks every registered check; the reasons are what the
  disabled "Close call ticket" button and the refused service show. A blocker marked
  ``overridable`` (an open complaint) may be closed over by a case manager who gives a
  reason: the service sets ``job.close_override`` on the locked row before checking.
- ``register_hook(event, hook)``: ``hook(job=..., by=...)`` runs inside the service's
  transaction, after the change is saved ("completed", "closed", "reopened"). A hook that
  raises rolls the whole change back, so a completed job never lacks its call-backs.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .enums import CancelReason, JobStatus

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


def is_merged(job) -> bool:
    """Cancelled as a duplicate of another job: only an unmerge brings it back."""
    return job.status == JobStatus.CANCELLED and job.cancel_reason == CancelReason.MERGED and (
        job.merged_into_id is not None)


def not_merged(job) -> bool:
    return not is_merged(job)


@dataclass(frozen=True)
class CloseBlocker:
    reason: str
    overridable: bool = False  # a case manager may close over it, giving a reason


_close_checks: list[Callable] = []
HOOK_EVENTS = ("completed", "closed", "reopened")
_hooks: dict[str, list[Callable]] = {event: [] for event in HOOK_EVENTS}


def register_close_blocker(check: Callable) -> None:
    """``check(job) -> list[CloseBlocker]``; registered once from a higher app's ready()."""
    if check not in _close_checks:
        _close_checks.append(check)


def close_blockers(job) -> list[CloseBlocker]:
    """Everything that holds this job's call ticket open, from every registered app."""
    if job.status != JobStatus.COMPLETED:
        return [CloseBlocker("The job is not completed yet.")]
    found = []
    for check in _close_checks:
        found.extend(check(job))
    return found


def nothing_blocks_close(job) -> bool:
    override = bool(getattr(job, "close_override", ""))
    return not [b for b in close_blockers(job) if not (override and b.overridable)]


def close_reasons(job) -> list[str]:
    override = bool(getattr(job, "close_override", ""))
    return [b.reason for b in close_blockers(job) if not (override and b.overridable)]


def no_update_owed(job) -> list[CloseBlocker]:
    """Stage 2's rule, held here beside the others: every customer update owed (after an assessment
    or a variation; the field-work issue's ``UpdateOwed`` rows, ``job.updates_owed``) is given first."""
    owed = getattr(job, "updates_owed", None)
    if owed is None:  # until the field-work issue's customer updates are installed
        return []
    customers = owed.filter(cleared_at__isnull=True).values("customer_id").distinct().count()
    if not customers:
        return []
    return [CloseBlocker(f"A customer update is owed to {customers} customer{'s' if customers != 1 else ''}: "
                         "log it before closing the call ticket.")]


register_close_blocker(no_update_owed)


def register_hook(event: str, hook: Callable) -> None:
    if event not in _hooks:
        raise ValueError(f"Unknown job event {event!r}: one of {HOOK_EVENTS}.")
    if hook not in _hooks[event]:
        _hooks[event].append(hook)


def run_hooks(event: str, *, job, by) -> None:
    for hook in _hooks[event]:
        hook(job=job, by=by)


def may_vary(job) -> bool:
    """A variation changes work under way: after the assessment, until the job is complete."""
    return job.status in (JobStatus.ASSESSED, JobStatus.IN_REPAIR)


def status_after_categorise(job, **kwargs):
    return JobStatus.TRIAGED if job.status == JobStatus.LOGGED else job.status


def status_after_allocate(job, **kwargs):
    return JobStatus.ALLOCATED if job.status in (JobStatus.LOGGED, JobStatus.TRIAGED) else job.status


def status_before_merge(job, *, restore_to, **kwargs):
    """Unmerge: the state the duplicate had when it was merged (the service reads it from the merge record)."""
    return restore_to


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
is_merged.message = "Only a job merged into another can be unmerged."
not_merged.message = "This job was merged into another: unmerge it to bring it back, rather than reopening it."
may_vary.message = "A variation is recorded after the assessment and before the job is complete."
nothing_blocks_close.message = ""  # the reasons come from close_reasons(job)
nothing_blocks_close.reasons = close_reasons
