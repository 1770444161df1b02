"""Customers on the job timeline, named only for the viewers who may see them (Privacy Act 2020).

A timeline entry about a customer stores no name: its text says "the customer" and the event
keeps the enquiry it is about. When the page is drawn, ``event_text_for`` puts the customer's
name in for a user who may see it (``enquiries.privacy.customer_contact``), so a name never
outlives the permission to see it, and a job page read by an analyst or by a crew after the
work is done says "the customer".
"""

from __future__ import annotations

from accounts import permissions
from enquiries.privacy import NOT_SHOWN, customer_name

from .enums import JobEventKind

LINKED_BY = f" reported by {NOT_SHOWN}"
SITE_CONTACT_SET = f"Site contact: {NOT_SHOWN}"
ACCESS_NOTES = "Access notes:"


def event_text_for(event, *, user, job) -> str:
    """The event's text as this user may read it. ``event.enquiry.customer`` must be selected."""
    text = event.text
    if event.kind == JobEventKind.ENQUIRY_LINKED and event.enquiry_id and text.endswith(LINKED_BY):
        name = customer_name(user=user, record=job, customer=event.enquiry.customer)
        return text[: -len(NOT_SHOWN)] + name
    if event.kind == JobEventKind.SITE_CONTACT:
        if ACCESS_NOTES in text and not permissions.may_view_access_notes(user, job):
            # Access notes (gate codes, who is home) go with the contact details they are given with.
            head = text.split(ACCESS_NOTES, 1)[0].rstrip("; ")
            text = f"{head}; access notes changed" if head else "Access notes changed"
        if event.enquiry_id and text.startswith(SITE_CONTACT_SET):
            name = customer_name(user=user, record=job, customer=event.enquiry.customer)
            text = f"Site contact: {name}" + text[len(SITE_CONTACT_SET):]
    return text
