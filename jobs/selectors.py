"""Reads for jobs, always through the user's scope; query counts do not grow with rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import permissions
from accounts.models import Organisation, Suburb, User
from common.columns import reference_column
from common.pagination import counts_at_once
from enquiries.privacy import NOT_SHOWN, customer_contact

from . import states
from .enums import (
    CREW_ACTIVE_STATUSES,
    CREW_VISIBLE_STATUSES,
    OPEN_STATUSES,
    TO_TRIAGE,
    JobEventKind,
    JobStatus,
    Stage,
)
from .models import Category, Contract, Job, JobEvent, Priority, UpdateOwed
from .states import BEFORE_DISPATCH, close_blockers
from .timeline_names import event_text_for


def jobs_visible_to(*, user) -> QuerySet[Job]:
    jobs = Job.objects.all()
    if permissions.is_crew(user):
        crew_jobs = Q(contractor_id=user.organisation_id, status__in=CREW_VISIBLE_STATUSES)
        return jobs.filter(crew_jobs)
    if not permissions.may_view_enquiries(user):
        return jobs.none()
    if permissions.sees_all_councils(user):
        return jobs
    return jobs.filter(council_id=user.organisation_id)


def job_for_page(*, user, reference: str) -> Job:
    """The job, or Job.DoesNotExist when it is missing or out of scope."""
    # PostgreSQL took 8 ms to plan the eight-table join (and 0.3 ms to run it); without the creator's
    # user row (its name is a column, common/columns.py) the seven-table join plans in a third of that.
    return jobs_visible_to(user=user).select_related(
        "council", "suburb", "category", "priority", "case_manager", "contractor"
    ).annotate(created_by_name=user_name_column(key="created_by_id")).get(reference=reference)


def job_enquiries(*, job: Job):
    return job.enquiries.select_related("customer", "issue_type", "suburb").order_by("received_at", "id")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    by: object
    title: str
    text: str
    kind: str
    source_state: str | None = None
    state: str | None = None


def job_timeline(*, job: Job, user) -> list[TimelineEntry]:
    """Everything this user may read of the job's history, oldest first: two queries whatever its length.

    Internal notes are left out for whoever may not read them (council staff; a crew reads
    only its own contractor's notes).
    """
    labels = dict(JobStatus.choices)
    entries = []
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Job), object_id=job.pk
    ).select_related("by")
    for log in logs:
        title = _transition_title(log.transition)
        entries.append(
            TimelineEntry(
                at=log.timestamp, by=log.by, title=title, text=log.description or "", kind="transition",
                source_state=labels.get(log.source_state) if log.source_state else None,
                state=labels.get(log.state, log.state),
            )
        )
    for event in JobEvent.objects.filter(job=job).select_related("by", "enquiry__customer"):
        if event.kind == JobEventKind.NOTE and not permissions.may_read_internal_note(
            user, author_organisation_id=event.by.organisation_id if event.by else None
        ):
            continue
        entries.append(
            TimelineEntry(at=event.at, by=event.by, title=event.get_kind_display(),
                          text=event_text_for(event, user=user, job=job), kind=event.kind)
        )
    entries.sort(key=lambda entry: entry.at)
    return entries


def _transition_title(name: str) -> str:
    if name == "create":
        return "Job created"
    method = getattr(Job, name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is not None:
        for transition in meta.transitions.values():
            label = transition.custom.get("label")
            if label:
                return label
    return name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    url: str
    style: str


# A step taken again says so: (the field that shows it was done, the label for doing it again).
REDO_LABELS = {
    "categorise": ("category_id", "Change category or priority"),
    "allocate": ("case_manager_id", "Change case manager"),
    "dispatch": ("contractor_id", "Change contractor"),
}


def job_action_label(*, job: Job, name: str, label: str) -> str:
    """'Dispatch to contractor' the first time, 'Change contractor' after."""
    field, redo = REDO_LABELS.get(name, (None, None))
    return redo if field and getattr(job, field) is not None else label


def job_actions(*, job: Job, user) -> list[Action]:
    """The buttons this user may press now, straight from the state machine.

    One primary button per status: the next step forward. Steps taken again ("Change
    contractor") and the rest are secondary.
    """
    actions = []
    transitions = sorted(job.get_available_user_status_transitions(user), key=lambda t: t.custom.get("order", 99))
    primary_given = False
    for transition in transitions:
        url_name = transition.custom.get("url_name")
        if not url_name or transition.name == "close":  # the close button comes with its reasons: job_close_check
            continue  # the screen for this step arrives with its own issue
        default_label = transition.custom.get("label", transition.name)
        label = job_action_label(job=job, name=transition.name, label=default_label)
        style = transition.custom.get("style", "primary")
        if style == "primary":
            if primary_given or label != default_label:
                style = "outline-primary"
            else:
                primary_given = True
        actions.append(Action(name=transition.name, label=label, url=reverse(url_name, args=[job.reference]),
                              style=style))
    return actions + _work_actions(job=job, user=user)


def _work_actions(*, job: Job, user) -> list[Action]:
    """Steps that are logged events rather than status changes, under their own predicates."""
    actions = []
    if states.may_vary(job) and permissions.may_work_job_on_site(job, user):
        actions.append(Action("record_variation", "Record variation",
                              reverse("jobs:job-variation", args=[job.reference]), "outline-primary"))
    if job.status in WORKING_OR_COMPLETED and permissions.may_update_customers(job, user):
        actions.append(Action("log_update", "Log customer update",
                              reverse("jobs:job-update", args=[job.reference]), "outline-primary"))
    if job.status in WORKING_OR_COMPLETED and permissions.may_work_job_on_site(job, user):
        actions.append(Action("add_photos", "Add photos",
                              reverse("jobs:job-photos-add", args=[job.reference]), "outline-secondary"))
    return actions


WORKING_OR_COMPLETED = tuple(states.WORKING) + (JobStatus.COMPLETED,)
@dataclass(frozen=True)
class CloseCheck:
    """'Close call ticket' for this user now: available, or the reasons it is not."""

    available: bool
    reasons: list
    overridable_only: bool
    may_override: bool
    url: str


def job_close_check(*, job: Job, user) -> CloseCheck | None:
    """None when the button does not belong on the page (closed job, or a user who may never close)."""
    if not job.is_open or not permissions.may_close_job(job, user):
        return None
    blockers = close_blockers(job)
    overridable_only = bool(blockers) and all(b.overridable for b in blockers)
    return CloseCheck(
        available=not blockers,
        reasons=[b.reason for b in blockers],
        overridable_only=overridable_only,
        may_override=permissions.is_case_manager(user),
        url=reverse("jobs:job-close", args=[job.reference]),
    )


STAGES = [(stage.value, stage.label) for stage in Stage]


def job_progress(*, job: Job) -> list[dict]:
    """The five stages with done / current / to-come, for the progress line."""
    current = job.stage
    order = [value for value, _label in STAGES]
    position = order.index(current) if current else -1
    steps = []
    for index, (value, label) in enumerate(STAGES):
        if job.status == JobStatus.CANCELLED:
            state = "cancelled"
        elif index < position or (job.status == JobStatus.REPORTED and index == position):
            state = "done"
        elif index == position:
            state = "current"
        else:
            state = "todo"
        steps.append({"value": value, "label": label, "state": state})
    return steps


# Queues ------------------------------------------------------------------------------

TRIAGE_TABS = (
    ("new", "New enquiries"),
    ("triage", "Jobs to triage"),
    ("mine", "My jobs"),
    ("at_risk", "At risk"),
    ("updates", "Updates owed"),
)


def _at_risk_before(now: datetime) -> datetime:
    return now + timedelta(hours=settings.JOB_AT_RISK_HOURS)


def user_name_column(*, key: str):
    """A user's name as ``str(user)`` gives it (the full name, else the username), by the id in ``key``."""
    return reference_column(
        User, Coalesce(NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")), "username"), key=key)


# What a job list row shows (rows/jobs/job_rows.html): the job's own columns, and the names of its
# council, suburb, priority, category and case manager as columns of it (not five model instances
# a row, nor joins that take PostgreSQL longer to plan than to run: common/columns.py).
JOB_LIST_COLUMNS = (
    "reference", "status", "service", "street_address", "notified_at", "next_due_at", "council_id", "suburb_id",
    "priority_id", "category_id", "case_manager_id", "contractor_id",
)
JOB_LIST_FACTS = {
    "council_label": reference_column(Organisation, Coalesce(NullIf("short_code", Value("")), "name"),
                                      key="council_id"),
    "suburb_name": reference_column(Suburb, "name", key="suburb_id"),
    "priority_name": reference_column(Priority, "name", key="priority_id"),
    "priority_is_urgent": reference_column(Priority, "is_urgent", key="priority_id"),
    "category_name": reference_column(Category, "name", key="category_id"),
    "case_manager_name": user_name_column(key="case_manager_id"),
}


def job_rows(queryset: QuerySet[Job]) -> QuerySet[Job]:
    return queryset.only(*JOB_LIST_COLUMNS).annotate(**JOB_LIST_FACTS)


def triage_jobs(*, user, tab: str, now: datetime | None = None) -> QuerySet[Job]:
    """A triage tab's jobs; ``job_rows`` shapes them for the list (the Updates owed tab's own
    table reads its related rows through ``select_related``)."""
    now = now or timezone.now()
    jobs = jobs_visible_to(user=user)
    if tab == "triage":
        return jobs.filter(status__in=TO_TRIAGE)
    if tab == "mine":
        return jobs.filter(case_manager=user, status__in=OPEN_STATUSES)
    if tab == "at_risk":
        # "<" already leaves out the NULLs; saying so again makes PostgreSQL misjudge the rows.
        return jobs.filter(next_due_at__lt=_at_risk_before(now))
    if tab == "updates":
        # Jobs owing a customer an update (after an assessment or a variation), annotated with how
        # many and the earliest due time; the partial index on open rows answers it.
        from .customer_updates import jobs_owing_updates

        return jobs_owing_updates(jobs=jobs.select_related("suburb", "case_manager"))
    raise ValueError(f"Unknown tab {tab!r}")


def triage_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    """One count per tab, each answered from its own index."""
    from enquiries.selectors import enquiries_new_count

    now = now or timezone.now()
    counts = {"new": enquiries_new_count(user=user)}
    tabs = {tab: triage_jobs(user=user, tab=tab, now=now) for tab in ("triage", "mine", "at_risk")}
    tabs["updates"] = jobs_visible_to(user=user).filter(
        pk__in=UpdateOwed.objects.filter(cleared_at__isnull=True).values("job_id"))
    counts.update(counts_at_once(tabs))  # one round trip for the four
    return counts


def crew_jobs(*, user, active_only: bool = True, search: str = "") -> QuerySet[Job]:
    """The jobs dispatched to the crew's contractor, optionally found by reference or street."""
    statuses = CREW_ACTIVE_STATUSES if active_only else CREW_VISIBLE_STATUSES
    jobs = jobs_visible_to(user=user).filter(status__in=statuses)
    search = " ".join(search.split())[:100]
    if search:
        if search.upper().startswith("JOB-"):
            jobs = jobs.filter(reference__istartswith=search)
        else:
            jobs = jobs.filter(Q(street_address__icontains=search) | Q(reference__iendswith=search))
    return jobs.only(*CREW_LIST_COLUMNS).annotate(
        **{name: JOB_LIST_FACTS[name] for name in ("suburb_name", "priority_name", "priority_is_urgent",
                                                   "category_name")})


# What a crew's list row shows (rows/jobs/crew_rows.html), and nothing more: a job row is wide.
CREW_LIST_COLUMNS = (
    "reference", "status", "service", "street_address", "latitude", "longitude", "notified_at", "next_due_at",
    "contractor_id", "suburb_id", "priority_id", "category_id",
)


# Contracts and corrections ---------------------------------------------------------------

def contractors_for(*, council_id: int, service: str) -> QuerySet[Organisation]:
    """The contractors under contract for this council and service, the usual one first."""
    return (
        Organisation.objects.filter(contracts_held__council_id=council_id, contracts_held__service=service,
                                    is_active=True)
        .order_by("-contracts_held__is_usual", "name")
    )


def usual_contractor_id(*, council_id: int, service: str) -> int | None:
    return (
        Contract.objects.filter(council_id=council_id, service=service, is_usual=True)
        .values_list("contractor_id", flat=True).first()
    )


def merge_candidates(*, job: Job) -> QuerySet[Job]:
    """Open jobs of the same council and service that this one may duplicate, newest first."""
    return (
        Job.objects.filter(council_id=job.council_id, service=job.service, status__in=OPEN_STATUSES)
        .exclude(pk=job.pk).select_related("suburb").order_by("-notified_at", "-id")[:200]
    )


CORRECTIONS = {
    "location": "Edit location",
    "service": "Change service",
    "merge": "Merge into job",
    "unlink": "Unlink enquiry",
    "exclude": "Exclude from measures",
    "include": "Include in measures",
}


def correction_available(*, job: Job, name: str, enquiry_count: int | None = None) -> bool:
    """Whether a correction applies to the job as it is (the services check again under the lock)."""
    if name == "location":
        return job.is_open
    if name == "service":
        return job.status in BEFORE_DISPATCH
    if name == "merge":
        return job.status in BEFORE_DISPATCH + [JobStatus.DISPATCHED] and job.attended_at is None
    if name == "unlink":
        if enquiry_count is None:
            enquiry_count = job.enquiries.count()
        return job.is_open and (enquiry_count > 1 or (enquiry_count == 1 and job.found_at is not None))
    if name == "exclude":
        return job.attended_at is not None and not job.excluded_from_measures and job.status != JobStatus.CANCELLED
    if name == "include":
        return job.excluded_from_measures and job.status != JobStatus.REPORTED
    raise ValueError(name)


def job_corrections(*, job: Job, user, enquiry_count: int) -> list[Action]:
    """The case manager's corrections that are not steps of the journey (no status change)."""
    if not permissions.may_triage(user):
        return []
    return [
        Action(name=name, label=label, url=reverse(f"jobs:job-{name}", args=[job.reference]),
               style="outline-secondary")
        for name, label in CORRECTIONS.items()
        if correction_available(job=job, name=name, enquiry_count=enquiry_count)
    ]


def job_facts(*, job: Job) -> dict:
    """The append-only facts the measures read: two queries whatever their number."""
    return {
        "visits": list(job.visits.select_related("by")),
        "resolutions": list(job.resolutions.select_related("by")),
    }


def dispatch_instructions(*, job: Job) -> str:
    """The case manager's instructions for the crew: the note of the latest dispatch."""
    log = (StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Job), object_id=job.pk,
                                   transition="dispatch").order_by("-id").only("description").first())
    if log is None or not log.description:
        return ""
    head, _sep, note = log.description.partition(". ")
    return note if head.startswith("Dispatched to") else ""


def job_fieldwork(*, job: Job, user) -> dict:
    """The field work and customer updates on the job page: a fixed number of queries however many."""
    from .customer_updates import job_letters, job_updates, updates_owed_open

    can_set_site_contact = permissions.may_triage(user) and job.is_open
    if job.dispatched_at is None and job.status in BEFORE_DISPATCH:
        # Never sent to a crew: no field work or update can exist yet, and the page needs no query for it.
        return {"assessments": [], "variations": [], "photos": [], "owed": [], "owed_customers": 0,
                "owed_list": [], "owed_overdue": 0, "updates": [], "letters": [],
                "can_set_site_contact": can_set_site_contact, "can_update": False}
    owed = updates_owed_open(job=job)
    now = timezone.now()
    owed_list = list({o.customer_id: o for o in reversed(owed)}.values())[::-1][:20]
    for o in owed_list:
        contact = customer_contact(user=user, record=job, customer=o.customer)
        o.shown_name, o.name_shown = contact.name, not contact.masked
    updates = job_updates(job=job)
    if not permissions.may_view_customer_contact(user, job):
        # Who a failed e-mail or text was for, and its address, are contact details too.
        for update in updates:
            for message in update.failed:
                message.customer_name, message.recipient = NOT_SHOWN, ""
    return {
        "assessments": list(job.assessments.select_related("fault_type", "flooding_event", "by")),
        "variations": list(job.variations.select_related("by")),
        "photos": list(job.photos.order_by("uploaded_at", "id")),
        "owed": owed,
        "owed_customers": len({o.customer_id for o in owed}),
        "owed_list": owed_list,
        "owed_overdue": sum(1 for o in owed if o.due_at < now),
        "updates": updates,
        "letters": job_letters(job=job),
        "can_set_site_contact": can_set_site_contact,
        "can_download_letters": permissions.may_download_letters(user, job),
        "can_update": job.status in WORKING_OR_COMPLETED and permissions.may_update_customers(job, user),
    }


def job_messages(*, job: Job):
    """Every e-mail and text about this job, newest first: the job's own (feedback requests),
    its enquiries' (acknowledgements) and its customer updates' (one query)."""
    from common.models import OutboxMessage
    from enquiries.models import Enquiry

    from .models import UpdateRecipient

    types = ContentType.objects.get_for_models(Job, Enquiry, UpdateRecipient)
    about = (
        Q(about_type=types[Job], about_id=job.pk)
        | Q(about_type=types[Enquiry], about_id__in=Enquiry.objects.filter(job=job).values("pk"))
        | Q(about_type=types[UpdateRecipient],
            about_id__in=UpdateRecipient.objects.filter(update__job=job).values("pk"))
    )
    return OutboxMessage.objects.filter(about).order_by("-created_at", "-id")


def job_failed_messages(*, job: Job) -> list:
    """The messages about this job that failed for good (shown with "Retry")."""
    from common.enums import OutboxStatus

    return list(job_messages(job=job).filter(status=OutboxStatus.FAILED)[:50])


# Before linking ------------------------------------------------------------------------

def link_overdue_warning(*, job: Job, received_at: datetime, now: datetime | None = None) -> str:
    """Said before an earlier enquiry is linked, when moving the job's notification back makes it overdue.

    Linking an enquiry received before the job's notification moves the KPI clock back and,
    unless the job was reopened, the due dates with it (``enquiry_link_to_job``); this works
    the result out first on a copy, the same way, and saves nothing.
    """
    import copy

    from .models import targets_for

    if received_at is None or job.priority is None or received_at >= job.notified_at or not job.is_open:
        return ""
    now = now or timezone.now()
    if job.is_overdue:
        return ""  # overdue already: linking changes nothing the user has not seen
    preview = copy.copy(job)
    preview.move_notification(received_at, targets_for(priority=job.priority, council_id=job.council_id,
                                                       service=job.service))
    if preview.next_due_at is None or preview.next_due_at >= now:
        return ""
    target = "attendance" if preview.next_due_at == preview.attendance_due_at else "resolution"
    received = timezone.localtime(received_at).strftime("%d/%m %H:%M")
    return (f"Linking makes {job.reference} overdue: its notification moves back to {received}, so its "
            f"{target} target becomes {timezone.localtime(preview.next_due_at):%d/%m %H:%M}, already past.")


def duplicates_for_enquiries(*, user, enquiries) -> list:
    """Open jobs nearby that ticked enquiries may already be about, best match first, each once,
    with what linking would do to the job's due dates ("Create job" asks before making another)."""
    from enquiries.selectors import duplicate_candidates

    enquiries = list(enquiries)
    earliest = min((e.received_at for e in enquiries), default=None)
    found = {}
    for enquiry in enquiries[:10]:
        for candidate in duplicate_candidates(
            user=user, council_id=enquiry.council_id, service=enquiry.service,
            street_address=enquiry.street_address, latitude=enquiry.latitude, longitude=enquiry.longitude,
            radius_m=enquiry.issue_type.duplicate_radius_m,
        ):
            found.setdefault(candidate.job.pk, candidate)
    for candidate in found.values():
        candidate.overdue_warning = link_overdue_warning(job=candidate.job, received_at=earliest)
    return list(found.values())
