from celery import shared_task

from . import customer_updates


@shared_task(bind=True, max_retries=3, default_retry_delay=60, acks_late=True)
def letter_render(self, letter_id: int) -> str:
    """Render one letter PDF; running twice renders once."""
    return customer_updates.letter_render(letter_id=letter_id)


@shared_task
def letters_sweep() -> int:
    """Periodic: letters the broker never delivered a task for."""
    return customer_updates.letters_sweep()
