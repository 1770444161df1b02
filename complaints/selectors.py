"""Reads for complaints, always through the user's scope; query counts do not grow with rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import permissions
from accounts.models import User
from accounts.selectors import user_names
from common.columns import reference_column
from common.pagination import bounded_counts
from jobs.selectors import JOB_LIST_FACTS, TimelineEntry, user_name_column

from .enums import OPEN_STATUSES, STATE_LINE, ComplaintStatus
from .models import Complaint, ComplaintAction, ComplaintCategory, ComplaintContact, ComplaintEvent


def complaints_visible_to(*, user) -> QuerySet[Complaint]:
    complaints = Complaint.objects.all()
    if not permissions.may_view_complaints(user):
        return complaints.none()
    if permissions.sees_all_councils(user):
        return complaints
    return complaints.filter(council_id=user.organisation_id)


def complaint_for_page(*, user, reference: str) -> Complaint:
    """The complaint, or Complaint.DoesNotExist when it is missing or out of scope."""
    # PostgreSQL took 20 ms to plan the ten-table join (and 1 ms to run it), and planning halved
    # again without the two user joins. The relations that may be empty stay joined
    # (jobs.selectors.job_for_page says why); those always there by primary key; the people by name
    # (``complaint_record``; a step's page reads its owner when it shows it).
    return complaints_visible_to(user=user).select_related("job", "enquiry", "cause") \
        .prefetch_related("council", "customer", "category").get(reference=reference)


# The queue ------------------------------------------------------------------------------

QUEUE_TABS = (
    ("new", "New"),
    ("mine", "Mine"),
    ("escalated", "Escalated"),
    ("due_soon", "Due soon"),
    ("overdue", "Overdue"),
    ("all", "All"),
)
# Tabs ordered by the target that applies now, soonest first; the others newest first.
DUE_ORDERED_TABS = {"due_soon", "overdue"}

LIST_COLUMNS = (
    "reference", "received_at", "status", "service", "level", "next_due_at", "acknowledged_at", "council_id",
    "customer_id", "category_id", "owner_id", "job_id",
)
# The related names a row shows, as columns of the complaint (jobs.selectors.JOB_LIST_FACTS explains why).
LIST_FACTS = {
    "council_label": JOB_LIST_FACTS["council_label"],
    "customer_name": F("customer__name"),
    "category_name": reference_column(ComplaintCategory, "name", key="category_id"),
    "owner_name": user_name_column(key="owner_id"),
    "job_reference": F("job__reference"),
}


def complaint_queue(*, user, tab: str, now: datetime | None = None) -> QuerySet[Complaint]:
    now = now or timezone.now()
    complaints = complaints_visible_to(user=user)
    if tab == "new":
        complaints = complaints.filter(status=ComplaintStatus.RECEIVED)
    elif tab == "mine":
        complaints = complaints.filter(owner=user, status__in=OPEN_STATUSES)
    elif tab == "escalated":
        complaints = complaints.exclude(level="").filter(status__in=OPEN_STATUSES)
    elif tab == "due_soon":
        soon = now + timedelta(hours=settings.COMPLAINT_DUE_SOON_HOURS)
        complaints = complaints.filter(next_due_at__gte=now, next_due_at__lt=soon)
    elif tab == "overdue":
        complaints = complaints.filter(next_due_at__lt=now)
    elif tab != "all":
        raise ValueError(f"Unknown tab {tab!r}")
    return complaints


def complaint_rows(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """A queue's rows with everything a row shows, in one query (rows/complaints/complaint_rows.html)."""
    return queryset.only(*LIST_COLUMNS).annotate(**LIST_FACTS)


def complaint_counts(*, user, now: datetime | None = None) -> dict[str, tuple[int, bool]]:
    """One bounded count per tab: (count, more than the bound)."""
    now = now or timezone.now()
    return bounded_counts({tab: complaint_queue(user=user, tab=tab, now=now) for tab, _label in QUEUE_TABS})


# The complaint page ----------------------------------------------------------------------

def complaint_state_line(*, complaint: Complaint) -> list[dict]:
    position = STATE_LINE.index(complaint.status) if complaint.status in STATE_LINE else -1
    steps = []
    for index, status in enumerate(STATE_LINE):
        if complaint.status == ComplaintStatus.WITHDRAWN:
            state = "cancelled"
        elif index < position or (complaint.status == ComplaintStatus.CLOSED and index == position):
            state = "done"
        elif index == position:
            state = "current"
        else:
            state = "todo"
        steps.append({"value": status.value, "label": status.label, "state": state})
    return steps


# Who did what is shown by name only: the names are read in one query (accounts.selectors.
# user_names), not as a joined user row of twenty columns on every line.

@dataclass
class ComplaintRecord:
    """What the complaint page lists: next steps (by due date, each with ``owner_name`` and
    ``done_by_name``), contacts (oldest first, with ``by_name``) and the timeline. The complaint
    itself gets ``owner_name`` and ``logged_by_name``."""
    next_steps: list[ComplaintAction]
    contacts: list[ComplaintContact]
    timeline: list[TimelineEntry]


def complaint_record(*, complaint: Complaint) -> ComplaintRecord:
    """The complaint page's lists in five queries, whatever their length: one each, and the
    names of everyone in them in one more."""
    steps = list(complaint.actions.order_by("due_on", "id"))
    contacts = list(complaint.contacts.order_by("at", "id"))
    logs, events = _timeline_rows([complaint])
    names = user_names([complaint.owner_id, complaint.logged_by_id] + [s.owner_id for s in steps]
                       + [s.done_by_id for s in steps] + [c.by_id for c in contacts]
                       + [log.by_id for log in logs] + [event.by_id for event in events])
    complaint.owner_name, complaint.logged_by_name = names.get(complaint.owner_id), names.get(complaint.logged_by_id)
    for step in steps:
        step.owner_name, step.done_by_name = names.get(step.owner_id, ""), names.get(step.done_by_id, "")
    for contact in contacts:
        contact.by_name = names.get(contact.by_id, "")
    return ComplaintRecord(next_steps=steps, contacts=contacts,
                           timeline=_timeline_entries({complaint.pk: complaint}, logs, events, names, prefix=False))


def _titles() -> dict[str, str]:
    titles = {"create": "Complaint logged"}
    for transition in Complaint._meta.get_field("status").get_all_transitions(Complaint):
        titles.setdefault(transition.name, transition.custom.get("label", transition.name))
    return titles


def complaint_timeline(*, complaints: list[Complaint], prefix_reference: bool = False) -> list[TimelineEntry]:
    """Every step of these complaints, oldest first: three queries whatever their number or length."""
    if not complaints:
        return []
    logs, events = _timeline_rows(complaints)
    names = user_names([log.by_id for log in logs] + [event.by_id for event in events])
    return _timeline_entries({c.pk: c for c in complaints}, logs, events, names, prefix=prefix_reference)


def _timeline_rows(complaints: list[Complaint]) -> tuple[list[StateLog], list[ComplaintEvent]]:
    pks = [complaint.pk for complaint in complaints]
    logs = StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Complaint), object_id__in=pks).only(
        "timestamp", "transition", "object_id", "description", "source_state", "state", "by_id")
    return list(logs), list(ComplaintEvent.objects.filter(complaint_id__in=pks))


def _timeline_entries(by_pk: dict[int, Complaint], logs, events, names: dict[int, str], *,
                      prefix: bool) -> list[TimelineEntry]:
    labels = dict(ComplaintStatus.choices)
    titles = _titles()
    entries = []
    for log in logs:
        title = titles.get(log.transition, log.transition.replace("_", " ").capitalize())
        entries.append(TimelineEntry(
            at=log.timestamp, by=names.get(log.by_id), kind="complaint",
            title=_prefixed(by_pk[log.object_id], title, prefix),
            text=log.description or "",
            source_state=labels.get(log.source_state) if log.source_state else None,
            state=labels.get(log.state, log.state),
        ))
    for event in events:
        entries.append(TimelineEntry(
            at=event.at, by=names.get(event.by_id), kind="complaint",
            title=_prefixed(by_pk[event.complaint_id], event.get_kind_display(), prefix), text=event.text,
        ))
    entries.sort(key=lambda entry: entry.at)
    return entries


def _prefixed(complaint: Complaint, title: str, prefix: bool) -> str:
    return f"Complaint {complaint.reference}: {title}" if prefix else title


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    url: str
    style: str


def complaint_actions(*, complaint: Complaint, user, open_action_count: int) -> list[Action]:
    """The buttons this user may press now, straight from the state machine."""
    complaint._open_action_count = open_action_count
    transitions = sorted(complaint.get_available_user_status_transitions(user),
                         key=lambda t: t.custom.get("order", 99))
    return [
        Action(name=t.name, label=t.custom.get("label", t.name), url=reverse(t.custom["url_name"],
                                                                              args=[complaint.reference]),
               style=t.custom.get("style", "primary"))
        for t in transitions if t.custom.get("url_name")
    ]


# On other pages -----------------------------------------------------------------------------

def complaints_for_job(*, job, user) -> list[Complaint]:
    """The complaints about a job this user may see (none for crews and analysts)."""
    return list(
        complaints_visible_to(user=user).filter(job=job)
        .select_related("category", "owner").order_by("received_at", "id")
    )


def complaints_for_customer(*, customer_id: int, user, limit: int = 10) -> list[Complaint]:
    return list(
        complaints_visible_to(user=user).filter(customer_id=customer_id)
        .select_related("category").order_by("-received_at", "-id")[:limit]
    )


def open_action_count(*, complaint: Complaint) -> int:
    return complaint.actions.filter(done_at__isnull=True).count()



def owner_candidates(*, council_id: int | None):
    """Who may own an escalation or a next step: active utility staff, or staff of the complaint's council."""
    from accounts.enums import OrganisationKind

    return (
        User.objects.filter(is_active=True)
        .filter(Q(organisation__kind=OrganisationKind.UTILITY) | Q(organisation_id=council_id,
                                                                   organisation__kind=OrganisationKind.COUNCIL))
        .select_related("organisation")
        .order_by("first_name", "last_name", "username")
    )


def complaint_failed_messages(*, complaint) -> list:
    """E-mails about this complaint (escalations) that failed for good: shown with "Retry"."""
    from common.enums import OutboxStatus
    from common.outbox import outbox_for

    return list(outbox_for(complaint).filter(status=OutboxStatus.FAILED)[:50])
