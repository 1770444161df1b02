from django import template

from accounts import permissions
from enquiries.privacy import customer_contact, mask_name

register = template.Library()


@register.filter
def contact_for(record, user):
    """{% with c=enquiry|contact_for:user %}: the enquiry's customer, whole or masked for this user."""
    return customer_contact(user=user, record=record, customer=record.customer)


@register.filter
def customer_name_for(enquiry, user) -> str:
    """For list rows: the enquiry's customer's name, or its masked form, for this user."""
    # Lists load only the customer's name (and phone): touch nothing else.
    name = enquiry.customer.name if enquiry.customer_id else ""
    return name if permissions.may_view_customer_contact(user, enquiry) else mask_name(name)
