"""Analyst dashboard figures, aggregated in SQL: one query per panel whatever the volume."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from enquiries.enums import Service
from enquiries.selectors import enquiries_visible_to
from jobs.enums import AWAITING_ATTENDANCE, OPEN_STATUSES, STAGE_OF_STATUS, JobStatus, Stage
from jobs.selectors import jobs_visible_to


def dashboard_figures(*, user, days: int = 30) -> dict:
    now = timezone.now()
    since = now - timedelta(days=days)
    enquiries = enquiries_visible_to(user=user).filter(received_at__gte=since)
    by_service = dict(enquiries.order_by().values_list("service").annotate(n=Count("id")))
    jobs = jobs_visible_to(user=user)
    status_counts = dict(jobs.filter(status__in=OPEN_STATUSES).order_by().values_list("status").annotate(n=Count("id")))
    stages = {stage: 0 for stage in Stage}
    for status, count in status_counts.items():
        stages[STAGE_OF_STATUS[JobStatus(status)]] += count
    overdue = jobs.filter(next_due_at__lt=now).aggregate(
        attendance=Count("id", filter=Q(status__in=AWAITING_ATTENDANCE, attended_at__isnull=True)),
        total=Count("id"),
    )
    return {
        "days": days,
        "enquiries_by_service": [(label, by_service.get(value, 0)) for value, label in Service.choices],
        "enquiries_total": sum(by_service.values()),
        "open_by_stage": [(stage.label, stages[stage]) for stage in Stage if stage in (
            Stage.ENQUIRY, Stage.UPDATES, Stage.MANAGE)],
        "open_total": sum(status_counts.values()),
        "overdue_attendance": overdue["attendance"],
        "overdue_total": overdue["total"],
    }
