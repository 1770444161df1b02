"""Customers' personal data as a user may see it: whole, or masked.

Whether a user sees it whole is decided by one predicate,
``accounts.permissions.may_view_customer_contact``; this module only masks and records.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts import permissions

from .models import Customer

HIDDEN = "•••"


def mask_name(name: str) -> str:
    """'Jane Smith' -> 'J. S***'; one word -> 'J***'."""
    words = (name or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return f"{words[0][0]}***"
    return f"{words[0][0]}. {words[-1][0]}***"


def mask_phone(phone: str) -> str:
    """'021 555 4567' -> '•••• 4567'."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if not digits:
        return ""
    return f"•••• {digits[-4:]}" if len(digits) > 4 else "••••"


def mask_email(email: str) -> str:
    """'jane@example.org' -> 'j•••@•••.org'."""
    if not email or "@" not in email:
        return HIDDEN if email else ""
    local, _, domain = email.rpartition("@")
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}{HIDDEN}@{HIDDEN}" + (f".{tld}" if tld else "")


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
    if permissions.may_view_customer_contact(user, record):
        return CustomerContact(
            name=customer.name, phone=customer.phone, phone_digits=customer.phone_digits, email=customer.email,
            postal_address=customer.postal_address, preferred_channel=channel, masked=False,
        )
    return CustomerContact(
        name=mask_name(customer.name), phone=mask_phone(customer.phone), phone_digits="",
        email=mask_email(customer.email), postal_address=HIDDEN if customer.postal_address else "",
        preferred_channel=channel, masked=True,
    )

