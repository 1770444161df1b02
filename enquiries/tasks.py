from celery import shared_task

from . import services


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def enquiry_send_acknowledgement(self, enquiry_id: int) -> bool:
    """Send the customer their reference by e-mail; a repeat delivery sends nothing."""
    return services.enquiry_send_acknowledgement(enquiry_id=enquiry_id)
