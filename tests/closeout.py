"""A job taken through the real services to completion, for the stage 4 tests."""

from datetime import timedelta

from django.utils import timezone

from enquiries.enums import ContactChannel
from jobs import services
from jobs.customer_updates import customer_update_log
from jobs.models import Job
from tests.factories import CustomerFactory, EnquiryFactory, assessment_kwargs


def make_completed_job(*, council, suburb, leak, casemanager, crew, contractor, priority, category,
                       customers=None, callback=True, best_time="", completed_at=None):
    """One enquiry per customer (a call-back requested on each when ``callback``), made into a job,
    categorised, allocated, dispatched, attended, assessed, updated and completed through the services."""
    customers = customers or [CustomerFactory(council=council, email="aroha@example.co.nz",
                                              preferred_channel="email")]
    enquiries = [
        EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=customer,
                       callback_requested=callback, callback_best_time=best_time,
                       received_at=timezone.now() - timedelta(hours=5))
        for customer in customers
    ]
    job = services.job_create_from_enquiries(enquiries=enquiries, by=casemanager)
    job = services.job_categorise(job=job, category=category, priority=priority, by=casemanager)
    job = services.job_allocate(job=job, case_manager=casemanager, by=casemanager)
    job = services.job_dispatch(job=job, contractor=contractor, by=casemanager)
    job = services.job_record_arrival(job=job, by=crew, arrived_at=timezone.now() - timedelta(hours=3),
                                      backdate_reason="Radio was down")
    job = services.job_record_assessment(job=job, by=crew, **assessment_kwargs(notes="Cracked service pipe"))
    # The assessment makes every customer owed an update (stage 2): give it, so only stage 4 holds the ticket.
    # Told face to face by the crew, so the only messages these tests see are stage 4's own.
    customer_update_log(job=job, by=casemanager, issue="Cracked service pipe", message="A crew is repairing it now.",
                        channel=ContactChannel.FACE_TO_FACE)
    job.refresh_from_db()
    job = services.job_complete(job=job, by=crew, completed_at=completed_at, note="Pipe replaced, water back on",
                                backdate_reason="Typed in later" if completed_at else "")
    return Job.objects.get(pk=job.pk), enquiries
