from dataclasses import asdict

from celery import shared_task

from . import letters


@shared_task(bind=True, max_retries=3, default_retry_delay=60, acks_late=True)
def letter_render(self, letter_id: int) -> str:
    """Render one letter PDF; running twice stores it once."""
    return letters.letter_render(letter_id=letter_id)


@shared_task
def letters_sweep() -> dict:
    """Periodic: letters the broker never delivered a task for, a batch that fits the time limit a run."""
    return asdict(letters.letters_sweep())
