"""Writes for enquiries and customers. Views and tasks call these, nothing else writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from accounts import permissions
from accounts.models import Organisation, Suburb
from common.backdating import check_past_time
from common.enums import OutboxChannel
from common.outbox import outbox_add
from common.references import reference_next

from .enums import ContactChannel, EnquiryStatus, Service
from .models import Customer, Enquiry, IssueType, PersonalDataAccess
from .text import phone_digits, phone_normalise


def customer_save(
    *,
    council: Organisation,
    customer: Customer | None = None,
    name: str,
    phone: str = "",
    email: str = "",
    postal_address: str = "",
    preferred_channel: str = ContactChannel.PHONE,
) -> Customer:
    """Create a customer, or bring an existing one's contact details up to date."""
    if customer is not None and customer.council_id != council.pk:
        raise ValidationError("That customer belongs to another council.")
    if not (phone.strip() or email.strip() or postal_address.strip()):
        raise ValidationError("Give at least one way to reach the customer: phone, email or postal address.")
    if preferred_channel in (ContactChannel.PHONE, ContactChannel.SMS) and not phone.strip():
        raise ValidationError({"customer_phone": "A phone number is needed for the preferred channel."})
    if preferred_channel == ContactChannel.EMAIL and not email.strip():
        raise ValidationError({"customer_email": "An email address is needed for the preferred channel."})
    if preferred_channel == ContactChannel.LETTER and not postal_address.strip():
        raise ValidationError({"customer_postal_address": "A postal address is needed for letters."})
    try:
        phone = phone_normalise(phone)
    except ValueError as exc:
        raise ValidationError({"customer_phone": str(exc)}) from exc
    customer = customer or Customer(council=council)
    customer.name = name.strip()
    customer.phone = phone
    customer.phone_digits = phone_digits(phone)
    customer.email = email.strip()
    customer.postal_address = postal_address.strip()
    customer.preferred_channel = preferred_channel
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def enquiry_log(
    *,
    by,
    council: Organisation,
    customer_details: dict,
    existing_customer: Customer | None = None,
    street_address: str,
    suburb: Suburb,
    service: str,
    issue_type: IssueType,
    description: str,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    asset_id: str = "",
    callback_requested: bool = False,
    callback_best_time: str = "",
    channel: str,
    received_at: datetime | None = None,
    backdate_reason: str = "",
    link_job=None,
) -> Enquiry:
    """Log a customer's enquiry and, when the caller chose one, link it to an open job.

    The customer is found again (``existing_customer``) or created, and their contact
    details brought up to date from ``customer_details`` (name, phone, email,
    postal_address, preferred_channel), in the same transaction.
    """
    if not permissions.may_log_enquiry(by) or not permissions.council_in_scope(by, council.pk):
        raise PermissionDenied
    now = timezone.now()
    received_at = received_at or now
    errors = {}
    if suburb.council_id != council.pk:
        errors["suburb"] = f"{suburb.name} is not in {council.name}."
    if issue_type.service != service:
        errors["issue_type"] = f"{issue_type.name} is not a {Service(service).label.lower()} issue."
    if existing_customer is not None and existing_customer.council_id != council.pk:
        errors["customer"] = "That customer belongs to another council."
    if (latitude is None) != (longitude is None):
        errors["latitude"] = "Give both latitude and longitude, or neither."
    if errors:
        raise ValidationError(errors)
    check_past_time(moment=received_at, reason=backdate_reason, field="received_at", what="received time", now=now)
    customer = customer_save(council=council, customer=existing_customer, **customer_details)

    enquiry = Enquiry(
        reference=reference_next(prefix="ENQ", at=now),
        council=council,
        customer=customer,
        street_address=street_address.strip(),
        suburb=suburb,
        latitude=latitude,
        longitude=longitude,
        asset_id=asset_id.strip(),
        service=service,
        issue_type=issue_type,
        description=description.strip(),
        callback_requested=callback_requested,
        callback_best_time=callback_best_time.strip() if callback_requested else "",
        channel=channel,
        received_at=received_at,
        backdate_reason=backdate_reason.strip() if now - received_at > timedelta(
            minutes=settings.BACKDATE_TOLERANCE_MINUTES) else "",
        logged_at=now,
        logged_by=by,
    )
    enquiry.save()
    if link_job is not None:
        from jobs.services import enquiry_link_to_job

        enquiry_link_to_job(enquiry=enquiry, job=link_job, by=by)
        enquiry.refresh_from_db()  # the link was made on a locked copy

    if customer.email:
        enquiry_queue_acknowledgement(enquiry=enquiry)
    return enquiry


def enquiry_queue_acknowledgement(*, enquiry: Enquiry) -> None:
    """Queue the e-mail that gives the customer their reference: an outbox row in the
    caller's transaction, sent once after the commit, retried if the mail server is down."""
    context = {"enquiry": enquiry}
    outbox_add(
        channel=OutboxChannel.EMAIL,
        recipient=enquiry.customer.email,
        subject=f"Your enquiry {enquiry.reference} to {enquiry.council.name}",
        body=render_to_string("enquiries/email/acknowledgement.txt", context),
        key=f"enquiry-acknowledgement-{enquiry.pk}",
        about=enquiry,
    )


@transaction.atomic
def enquiry_resolve_at_first_contact(*, enquiry: Enquiry, outcome: str, by) -> Enquiry:
    """An information-only enquiry answered on the call: no job needed."""
    enquiry = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
    if not outcome.strip():
        raise ValidationError({"outcome": "Say what the customer was told."})
    if not has_transition_perm(enquiry.resolve_at_first_contact, by):
        if enquiry.status != EnquiryStatus.NEW:
            raise ValidationError(f"{enquiry.reference} is already {enquiry.get_status_display().lower()}.")
        raise PermissionDenied
    enquiry.resolve_at_first_contact(outcome=outcome, by=by, description=outcome.strip())
    enquiry.save()
    return enquiry


def enquiry_close(*, enquiry: Enquiry, by, description: str = "") -> Enquiry:
    """Close an enquiry with its job (the call ticket closed, or the job cancelled)."""
    return _enquiry_transition(enquiry=enquiry, name="close", by=by, description=description)


def enquiry_reopen(*, enquiry: Enquiry, by, description: str = "") -> Enquiry:
    """Bring a closed enquiry back with its reopened job."""
    return _enquiry_transition(enquiry=enquiry, name="reopen", by=by, description=description)


@transaction.atomic
def _enquiry_transition(*, enquiry: Enquiry, name: str, by, description: str) -> Enquiry:
    locked = Enquiry.objects.select_for_update(of=("self",)).get(pk=enquiry.pk)
    method = getattr(locked, name)
    if not permissions.is_system(by) and not has_transition_perm(method, by):
        if can_proceed(method):
            raise PermissionDenied
        raise ValidationError(f"{locked.reference} is {locked.get_status_display().lower()}.")
    if not can_proceed(method):
        raise ValidationError(f"{locked.reference} is {locked.get_status_display().lower()}.")
    method(by=permissions.actor_user(by), description=description or None)
    locked.save()
    return locked
def personal_data_access_record(
    *, user, page: str, reference: str = "", client_ip: str | None = None,
    customers: Iterable[Customer | None] = (), customer_ids: Iterable[int | None] = (),
) -> list[PersonalDataAccess]:
    """Append one access-log row per customer shown unmasked on one record (one INSERT for them all).

    ``customers`` or, when the page has only their keys, ``customer_ids``.
    """
    ids = [customer.pk for customer in customers if customer is not None] + [pk for pk in customer_ids if pk]
    return personal_data_access_record_rows(user=user, page=page, client_ip=client_ip,
                                            shown=[(pk, reference) for pk in ids])


def personal_data_access_record_rows(
    *, user, page: str, shown: Iterable[tuple[int, str]], client_ip: str | None = None,
) -> list[PersonalDataAccess]:
    """A list page (the call-back queue): one row per (customer, reference) shown, one INSERT."""
    rows = [
        PersonalDataAccess(user=user, customer_id=customer_id, page=page, reference=(reference or "")[:32],
                           client_ip=client_ip)
        for customer_id, reference in dict.fromkeys((pk, ref) for pk, ref in shown if pk)
    ]
    return PersonalDataAccess.objects.bulk_create(rows) if rows else []
