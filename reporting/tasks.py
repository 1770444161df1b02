"""Report tasks: routed to the ``reports`` queue (settings.CELERY_TASK_ROUTES), so a slow
PDF never delays an acknowledgement or a call-back. Each takes keys, calls one service and
is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def report_build(report_id: int) -> None:
    services.report_build(report_id=report_id)


@shared_task(acks_late=True)
def reports_schedule_periodic(kind: str) -> int:
    """Run by Celery beat (django-celery-beat, editable in the admin): monthly and yearly reports."""
    return len(services.reports_schedule(kind=kind))


@shared_task(acks_late=True)
def dashboard_snapshots_refresh() -> int:
    """Run by Celery beat every 10 minutes (editable in the admin): the common scopes' dashboard
    figures computed again; a second run straight after the first computes nothing."""
    from . import snapshots

    return snapshots.snapshots_refresh_common()
