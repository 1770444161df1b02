from django import template

from accounts import permissions
from enquiries.privacy import NOT_SHOWN, customer_contact

register = template.Library()


@register.filter
def contact_for(record, user):
    """{% with c=enquiry|contact_for:user %}: the enquiry's customer, whole or masked for this user."""
    return customer_contact(user=user, record=record, customer=record.customer)


@register.filter
def customer_name_for(enquiry, user) -> str:
    """For list rows: the enquiry's customer's name, or "the customer", for this user."""
    # List rows carry the name as a column (enquiries.selectors.enquiry_rows); touch nothing else.
    name = enquiry.customer_name if "customer_name" in enquiry.__dict__ else (
        enquiry.customer.name if enquiry.customer_id else "")
    return name if permissions.may_view_customer_contact(user, enquiry) else NOT_SHOWN
