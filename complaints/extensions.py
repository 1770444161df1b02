"""What complaints add to the job and enquiry pages (registered in ComplaintsConfig.ready)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from accounts import permissions
from common.extensions import Badge, Link, PageExtension, Section

from . import selectors


def _badge(complaint) -> Badge:
    label = f"Complaint {complaint.reference}: {complaint.get_status_display()}"
    if complaint.level:
        label += f" · escalated to {complaint.get_level_display().lower()}"
    if complaint.is_overdue:
        label += " · overdue"
    css = ("badge-overdue" if complaint.is_overdue else "text-bg-warning") if complaint.is_open \
        else "text-bg-secondary"
    return Badge(label=label, css=css, url=reverse("complaints:complaint-detail", args=[complaint.reference]))


def _log_link(**params) -> Link:
    return Link(label="Log complaint", url=f"{reverse('complaints:complaint-create')}?{urlencode(params)}",
                style="outline-danger")


def job_page(*, job, user) -> PageExtension:
    """A badge per complaint about the job, its steps on the job's timeline, and "Log complaint"."""
    if not permissions.may_view_complaints(user):
        return PageExtension()
    complaints = selectors.complaints_for_job(job=job, user=user)
    links = [_log_link(job=job.reference)] if permissions.may_log_complaint(user) and \
        permissions.council_in_scope(user, job.council_id) else []
    return PageExtension(
        badges=[_badge(complaint) for complaint in complaints],
        links=links,
        timeline=selectors.complaint_timeline(complaints=complaints, prefix_reference=True),
    )


def enquiry_page(*, enquiry, user) -> PageExtension:
    """"Log complaint" about the enquiry, and the customer's complaints (their complaint history)."""
    if not permissions.may_view_complaints(user):
        return PageExtension()
    complaints = selectors.complaints_for_customer(customer_id=enquiry.customer_id, user=user)
    return PageExtension(
        badges=[_badge(complaint) for complaint in complaints if complaint.enquiry_id == enquiry.pk],
        links=[_log_link(enquiry=enquiry.reference)] if permissions.may_log_complaint(user) else [],
        sections=[Section(template="complaints/_customer_complaints.html", data=complaints)],
    )
