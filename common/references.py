"""References such as ENQ-2026-000123: unique, sequential per year, never reused."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import ReferenceCounter


def reference_next(*, prefix: str, at: datetime | None = None) -> str:
    """Hand out the next reference. Call inside the transaction that stores it.

    The counter row is locked by the UPDATE until that transaction ends, so two
    concurrent callers get different numbers; a number handed out and then rolled
    back was never seen by anyone, and a stored one is never handed out again.
    """
    year = timezone.localtime(at or timezone.now()).year
    for _attempt in range(3):
        updated = ReferenceCounter.objects.filter(prefix=prefix, year=year).update(last_value=F("last_value") + 1)
        if updated:
            value = ReferenceCounter.objects.values_list("last_value", flat=True).get(prefix=prefix, year=year)
            return f"{prefix}-{year}-{value:06d}"
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(prefix=prefix, year=year, last_value=1)
            return f"{prefix}-{year}-{1:06d}"
        except IntegrityError:
            continue  # another transaction created this year's counter first
    raise RuntimeError(f"Could not allocate a {prefix} reference")
