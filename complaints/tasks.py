from celery import shared_task

from . import services


@shared_task
def complaints_send_overdue_reminders() -> int:
    """Daily (django-celery-beat): queue each owner's overdue digest; a second run the same day queues nothing."""
    return services.complaints_send_overdue_reminders()
