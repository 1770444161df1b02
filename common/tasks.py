from celery import shared_task

from . import outbox


@shared_task(bind=True, ignore_result=True)
def outbox_deliver(self, message_id: int) -> str:
    """Deliver one outbox message; a repeat delivery sends nothing (see outbox.outbox_deliver)."""
    return outbox.outbox_deliver(message_id=message_id, claim=self.request.id or "")


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Every minute (django-celery-beat): publish what is due and not delivered."""
    return outbox.outbox_sweep()


@shared_task(ignore_result=True)
def submissions_prune() -> int:
    """Daily (django-celery-beat): forget one-time form tokens old enough to be refused anyway."""
    from .submissions import submission_prune

    return submission_prune()
