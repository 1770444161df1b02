"""One rule for every time a user types for something that already happened (a call received,
a crew's arrival, a resolution): never in the future, at most BACKDATE_MAX_DAYS back, and a
reason when it is more than BACKDATE_TOLERANCE_MINUTES before now."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


def is_backdated(moment: datetime, *, recorded_at: datetime) -> bool:
    return recorded_at - moment > timedelta(minutes=settings.BACKDATE_TOLERANCE_MINUTES)


def check_past_time(
    *,
    moment: datetime,
    reason: str,
    field: str,
    what: str = "time",
    reason_field: str = "backdate_reason",
    now: datetime | None = None,
    not_before: datetime | None = None,
    not_before_message: str = "",
) -> None:
    now = now or timezone.now()
    if moment > now + timedelta(minutes=2):
        raise ValidationError({field: f"The {what} cannot be in the future."})
    if now - moment > timedelta(days=settings.BACKDATE_MAX_DAYS):
        raise ValidationError({field: f"The {what} can be at most {settings.BACKDATE_MAX_DAYS} days ago; "
                                       "check the date."})
    if not_before is not None and moment < not_before:
        raise ValidationError({field: not_before_message or "The time is too early."})
    if is_backdated(moment, recorded_at=now) and not reason.strip():
        raise ValidationError(
            {reason_field: f"Say why the {what} is earlier than now (for example an after-hours call)."}
        )
