from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def callbacks_notify_due() -> int:
    """Every few minutes (django-celery-beat): tell the call-centres about call-backs come due.
    Safe to run twice: a call-back is announced once per attempt."""
    return services.callbacks_notify_due()


@shared_task(ignore_result=True)
def feedback_send_reminders() -> int:
    """Every hour (django-celery-beat): the one reminder to customers who have not answered."""
    return services.feedback_send_reminders()
