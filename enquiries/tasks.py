from celery import shared_task

from .access_log import access_log_purge


@shared_task(ignore_result=True)
def access_log_purge_expired() -> int:
    """Every day (django-celery-beat): delete access-log rows past ACCESS_LOG_RETENTION_DAYS.
    Safe to run twice: what is already deleted is not found again."""
    return access_log_purge()
