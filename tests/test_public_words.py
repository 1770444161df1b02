"""Words for staff never reach a customer.

A job's words are of two kinds, kept apart in the model: internal notes (staff only) and public
text (what a customer may read). This test plants a marker in every internal field a crew or a
case manager can write, walks the whole journey through the services and the forms staff use
(the customer update is sent as its form prefills it), and scans every message to a customer,
every letter and every public page for the marker.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.models import OutboxMessage
from enquiries.enums import ContactChannel
from feedback import services as feedback_services
from feedback.models import CallBack, FeedbackRequest
from jobs import customer_updates, services
from jobs.crew_forms import CustomerUpdateForm
from jobs.enums import VariationKind
from jobs.models import Job, Letter
from tests.factories import CustomerFactory, EnquiryFactory, assessment_kwargs

SECRET = "ZZ-INTERNAL-7731"


def _internal(label: str) -> str:
    return f"{SECRET} {label}: dog aggressive, key under the mat, neighbour Mrs Hohaia"


def _prefilled_update(job: Job, by) -> None:
    """'Log customer update' as a case manager sends it: the form's prefilled words, unchanged."""
    form = CustomerUpdateForm(job=job, user=by)
    initial = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    customer_updates.customer_update_log(
        job=Job.objects.get(pk=job.pk), by=by, issue=initial["issue"], message=initial["message"],
        complexity=initial["complexity"] or "", expected_completion_at=initial["expected_completion_at"])


@pytest.fixture
def walked(council, suburb, leak, contractor, casemanager_user, crew_user, callcentre_user, p2, main_leak,
           django_capture_on_commit_callbacks):
    """One job walked from the first call to the closed ticket, with internal words at every step."""
    customers = [
        CustomerFactory(council=council, email="aroha@example.org", preferred_channel=ContactChannel.EMAIL),
        CustomerFactory(council=council, phone="021 555 0142", preferred_channel=ContactChannel.SMS),
        CustomerFactory(council=council, postal_address="PO Box 7, Wellington 6140",
                        preferred_channel=ContactChannel.LETTER),
    ]
    enquiries = [EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=c, callback_requested=True,
                                received_at=timezone.now() - timedelta(hours=6)) for c in customers]
    manager, crew = casemanager_user, crew_user
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create_from_enquiries(enquiries=enquiries, by=manager)
        job = services.job_categorise(job=job, category=main_leak, priority=p2, by=manager, note=_internal("triage"))
        job = services.job_allocate(job=job, case_manager=manager, by=manager, note=_internal("allocation"))
        job = services.job_set_site_contact(job=job, by=manager, customer=customers[0],
                                            access_notes=_internal("access"))
        job = services.job_dispatch(job=job, contractor=contractor, by=manager, note=_internal("dispatch"))
        services.job_add_note(job=job, text=_internal("timeline note"), by=crew)
        job = services.job_record_arrival(job=Job.objects.get(pk=job.pk), by=crew, note=_internal("arrival"))
        job = services.job_record_assessment(job=job, by=crew, notes=_internal("assessment"),
                                             public_summary="A split in the water main outside number 14.",
                                             **assessment_kwargs())
        _prefilled_update(job, manager)
        services.job_record_variation(job=Job.objects.get(pk=job.pk), by=crew, kind=VariationKind.BOTH,
                                      reason=_internal("variation"),
                                      expected_completion_at=timezone.now() + timedelta(hours=9))
        _prefilled_update(Job.objects.get(pk=job.pk), manager)
        job = services.job_start_repair(job=Job.objects.get(pk=job.pk), by=crew, note=_internal("repair"))
        job = services.job_complete(job=job, by=crew, note=_internal("completion"))
        for callback in CallBack.objects.filter(job=job):
            feedback_services.callback_record(callback=callback, outcome="satisfied", by=callcentre_user,
                                              note=_internal("call-back"))
        job = services.job_close(job=Job.objects.get(pk=job.pk), by=manager, note=_internal("close"))
    return job, enquiries, customers


def test_no_internal_words_reach_a_customer_anywhere(walked, client):
    job, enquiries, customers = walked
    seen = []
    messages = OutboxMessage.objects.exclude(recipient__endswith="@waterjourney.local")
    assert messages.filter(channel="sms").exists() and messages.filter(channel="email").exists()
    for message in messages:
        seen.append((f"{message.channel} to {message.recipient}: {message.subject}",
                     f"{message.subject}\n{message.body}\n{message.html_body or ''}"))
    for sent in mail.outbox:
        seen.append((f"mail {sent.subject}", f"{sent.subject}\n{sent.body}"))
    letters = list(Letter.objects.filter(job=job).select_related("update"))
    assert letters, "the letter customer was sent a letter"
    for letter in letters:
        html = render_to_string("jobs/letter.html", {
            "letter": letter, "job": job, "update": letter.update,
            "recipients": list(letter.update.recipients.select_related("customer")),
            "sender": "Wellington Water", "contact": "0800"})
        seen.append((f"letter {letter.pk}", html))
    for enquiry, customer in zip(enquiries, customers, strict=True):
        contact = customer.email or customer.phone_digits[-4:]
        page = client.post(reverse("feedback:status"), {"reference": enquiry.reference, "contact": contact})
        assert page.status_code == 200
        seen.append((f"status page for {enquiry.reference}", page.content.decode()))
    for request in FeedbackRequest.objects.filter(job=job):
        link = feedback_services.feedback_link(request).split("://", 1)[1].split("/", 1)[1].join(["/", ""])
        seen.append((f"feedback page {link}", client.get(link).content.decode()))
    assert len(seen) >= 8
    leaked = [where for where, text in seen if SECRET in text]
    assert not leaked, f"internal words reached customers in: {leaked}"


def test_the_update_prefill_uses_the_crews_words_for_customers_not_their_notes(
        council, suburb, leak, contractor, casemanager_user, crew_user, p2, main_leak):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                             received_at=timezone.now() - timedelta(hours=3))
    job = services.job_create_from_enquiries(enquiries=[enquiry], by=casemanager_user)
    job = services.job_categorise(job=job, category=main_leak, priority=p2, by=casemanager_user)
    job = services.job_allocate(job=job, case_manager=casemanager_user, by=casemanager_user)
    job = services.job_dispatch(job=job, contractor=contractor, by=casemanager_user)
    job = services.job_record_arrival(job=job, by=crew_user)
    job = services.job_record_assessment(job=job, by=crew_user, notes=_internal("assessment"),
                                         public_summary="A split in the main outside number 14.",
                                         **assessment_kwargs())
    prefill = customer_updates.update_prefill(job=job)
    assert "A split in the main outside number 14." in prefill.message and SECRET not in prefill.message
    services.job_record_variation(job=Job.objects.get(pk=job.pk), by=crew_user, kind=VariationKind.TIMEFRAME,
                                  reason=_internal("variation"), public_reason="A second valve needs replacing.",
                                  expected_completion_at=timezone.now() + timedelta(hours=9))
    prefill = customer_updates.update_prefill(job=Job.objects.get(pk=job.pk))
    assert "The work has changed: A second valve needs replacing." in prefill.message
    assert SECRET not in prefill.message + prefill.issue
