"""E-mails about complaints, written to the side-effect outbox inside the change's transaction.

Nothing is sent from here: an outbox row is written with an idempotency key, so a retried
request, a task run twice or a beat tick repeated never sends the same message twice, and a
rolled-back change sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from .enums import OPEN_STATUSES


def _link(complaint) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("complaints:complaint-detail", args=[complaint.reference])


def escalated(*, complaint, reason: str, by) -> None:
    """The new owner hears that the complaint is now theirs."""
    from common.outbox import outbox_add

    owner = complaint.owner
    if owner is None or not owner.email:
        return
    body = render_to_string("complaints/email/escalated.txt", {
        "complaint": complaint, "owner": owner, "reason": reason, "by": by, "link": _link(complaint),
    })
    outbox_add(
        channel="email", recipient=owner.email,
        subject=f"Complaint {complaint.reference} escalated to you ({complaint.get_level_display().lower()})",
        body=body,
        # One e-mail per escalation: the version identifies this change of the complaint.
        key=f"complaint-escalated:{complaint.pk}:{complaint.version}",
        about=complaint,
    )


@transaction.atomic
def overdue_digest(*, today: date, now: datetime) -> int:
    """One e-mail per owner with their overdue complaints and next steps; returns how many were queued."""
    from accounts.models import User
    from common.outbox import outbox_add

    from .models import Complaint, ComplaintAction

    complaints = (
        Complaint.objects.filter(status__in=OPEN_STATUSES, next_due_at__lt=now, owner__isnull=False)
        .select_related("category", "council")
        .order_by("next_due_at", "id")
    )
    actions = (
        ComplaintAction.objects.filter(done_at__isnull=True, due_on__lt=today, complaint__status__in=OPEN_STATUSES)
        .select_related("complaint")
        .order_by("due_on", "id")
    )
    per_owner: dict[int, dict[str, list]] = defaultdict(lambda: {"complaints": [], "actions": []})
    for complaint in complaints:
        per_owner[complaint.owner_id]["complaints"].append(complaint)
    for action in actions:
        per_owner[action.owner_id]["actions"].append(action)
    owners = User.objects.in_bulk(list(per_owner))
    queued = 0
    for owner_id, overdue in sorted(per_owner.items()):
        owner = owners.get(owner_id)
        if owner is None or not owner.is_active or not owner.email:
            continue
        body = render_to_string("complaints/email/overdue.txt", {
            "owner": owner, "today": today, "complaints": overdue["complaints"], "actions": overdue["actions"],
            "site_url": settings.SITE_URL.rstrip("/"),
        })
        count = len(overdue["complaints"]) + len(overdue["actions"])
        outbox_add(
            channel="email", recipient=owner.email,
            subject=f"{count} overdue complaint item{'s' if count != 1 else ''} for {today:%d/%m/%Y}",
            body=body,
            key=f"complaints-overdue:{owner.pk}:{today.isoformat()}",  # one digest per owner per day
            about=owner,
        )
        queued += 1
    return queued

