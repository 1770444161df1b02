"""Customers' personal data as a user may see it: whole, or not at all.

Whether a user sees it whole is decided by one predicate,
``accounts.permissions.may_view_customer_contact``; this module only
withholds it ("the customer" in place of the name) for the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts import permissions

from .models import Customer

# What a page says in place of a customer the user may not see: not even a masked name or the
# last digits of a phone (Privacy Act 2020, principle 11: no disclosure beyond the purpose).
NOT_SHOWN = "the customer"


@dataclass(frozen=True)
class CustomerContact:
    """What a page may show of one customer."""

    name: str
    phone: str
    phone_digits: str
    email: str
    postal_address: str
    preferred_channel: str
    masked: bool


def customer_contact(*, user, record, customer: Customer | None) -> CustomerContact | None:
    """The customer's details for this user on this record (an Enquiry, or the Job they are shown on)."""
    if customer is None:
        return None
    channel = customer.get_preferred_channel_display() if customer.preferred_channel else ""
    if permissions.may_view_customer_contact(user, record, customer.pk):
        return CustomerContact(
            name=customer.name, phone=customer.phone, phone_digits=customer.phone_digits, email=customer.email,
            postal_address=customer.postal_address, preferred_channel=channel, masked=False,
        )
    return CustomerContact(
        name=NOT_SHOWN, phone="", phone_digits="", email="", postal_address="",
        preferred_channel=channel, masked=True,
    )


def customer_name(*, user, record, customer: Customer | None) -> str:
    """The name to print for this user: the customer's, or "the customer"."""
    contact = customer_contact(user=user, record=record, customer=customer)
    return contact.name if contact is not None else NOT_SHOWN
