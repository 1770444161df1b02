"""The personal-data access log read by the privacy officer, and its retention.

Privacy Act 2020: principle 5 (personal information kept secure, with a record of who used
it) and principle 6 (a customer may ask what is held about them and who has seen it). Rows
are written by ``services.personal_data_access_record`` on every page that shows a
customer's details unmasked.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import permissions

from .models import PersonalDataAccess
from .text import phone_digits


def access_log_visible_to(*, user) -> QuerySet[PersonalDataAccess]:
    """The utility's privacy officer reads every council's customers; a council's, its own."""
    if not permissions.may_view_access_log(user):
        return PersonalDataAccess.objects.none()
    rows = PersonalDataAccess.objects.all()
    if permissions.sees_all_councils(user):
        return rows
    return rows.filter(customer__council_id=user.organisation_id)


def access_log_search(*, user, customer: str = "", viewer: str = "") -> QuerySet[PersonalDataAccess]:
    """Filtered by customer (their id, or a name or phone as typed) and by the staff member who
    looked (a username or name)."""
    rows = access_log_visible_to(user=user)
    customer, viewer = (customer or "").strip(), (viewer or "").strip()
    if customer.isdigit() and len(customer) <= 9:
        # A customer id, as the customer's record and the admin show it; a longer number is a phone.
        rows = rows.filter(customer_id=int(customer))
    elif customer:
        digits = phone_digits(customer)
        condition = Q(customer__name__icontains=customer)
        if len(digits) >= 3 and not any(ch.isalpha() for ch in customer):
            condition = Q(customer__phone_digits__contains=digits)
        rows = rows.filter(condition)
    if viewer:
        rows = rows.filter(Q(user__username__iexact=viewer) | Q(user__first_name__icontains=viewer)
                           | Q(user__last_name__icontains=viewer))
    return rows


def access_log_rows(queryset: QuerySet[PersonalDataAccess]) -> QuerySet[PersonalDataAccess]:
    """What a row of the page shows: who, which customer, where, when (one query for the page)."""
    return queryset.select_related("user", "customer", "customer__council")


def access_log_purge(*, now: datetime | None = None, retention_days: int | None = None) -> int:
    """Delete the rows older than ``ACCESS_LOG_RETENTION_DAYS``: the one deliberate exception to
    the log being append-only. Safe to run twice (the second run finds nothing to delete)."""
    days = settings.ACCESS_LOG_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = PersonalDataAccess.objects.filter(at__lt=cutoff)
    with transaction.atomic(), _append_only_lifted():
        deleted, _by_model = expired.delete()
    return deleted


def _append_only_lifted():
    """Lift the database's append-only guard on this table, if it has one, for this purge only."""
    triggers = [trigger.name for trigger in getattr(PersonalDataAccess._meta, "triggers", [])]
    if not triggers or connection.vendor != "postgresql":
        return contextlib.nullcontext()
    import pgtrigger

    return pgtrigger.ignore(*(f"enquiries.PersonalDataAccess:{name}" for name in triggers))
