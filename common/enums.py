from django.db import models


class OutboxChannel(models.TextChoices):
    """How an outbox message reaches its recipient."""

    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


# Rows the sweep still has to look at.
UNDELIVERED_STATUSES = [OutboxStatus.PENDING, OutboxStatus.SENDING]
