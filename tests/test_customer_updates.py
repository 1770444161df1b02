"""Customer updates: owed after an assessment and after each variation, logged for one customer
or for all of them by their channels, e-mail and SMS through the outbox, letters as one PDF."""

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enquiries.enums import ContactChannel
from jobs import customer_updates, services
from jobs.enums import JobEventKind, JobStatus, LetterStatus, UpdateReason
from jobs.models import CustomerUpdate, JobEvent, Letter, UpdateOwed, UpdateRecipient
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory, assessment_kwargs, photo_for


@pytest.fixture
def job_with(council, suburb, contractor, casemanager_user, p2, main_leak, leak):
    def make(status=JobStatus.ATTENDED, customers=(), **extra):
        job = JobFactory(council=council, suburb=suburb, status=status, priority=p2, category=main_leak,
                         case_manager=casemanager_user, contractor=contractor,
                         attended_at=timezone.now() - timedelta(minutes=20), **extra)
        for customer in customers:
            EnquiryFactory(council=council, suburb=suburb, issue_type=leak, job=job, status="linked",
                           customer=customer, received_at=job.notified_at)
        return job

    return make


def _customers(council, n, channel=ContactChannel.PHONE, **fields):
    return [CustomerFactory(council=council, preferred_channel=channel, **fields) for _ in range(n)]


# Updates owed -----------------------------------------------------------------------------------

def test_an_assessment_makes_every_customer_owed_an_update_due_in_business_hours(job_with, council, crew_user,
                                                                                settings):
    settings.CUSTOMER_UPDATE_DUE_HOURS = 4
    people = _customers(council, 3)
    job = job_with(customers=people + [people[0]])  # one customer rang twice: owed once
    services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())
    owed = list(UpdateOwed.objects.filter(job=job))
    assert sorted(o.customer_id for o in owed) == sorted(c.pk for c in people)
    assert {o.reason for o in owed} == {UpdateReason.ASSESSMENT}
    from jobs.due_dates import add_target

    assert owed[0].due_at == add_target(owed[0].owed_from, 4, business_hours=True)


def test_the_priority_sets_its_own_update_time(job_with, council, crew_user, p2):
    p2.customer_update_hours = 1
    p2.save()
    job = job_with(customers=_customers(council, 1))
    services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())
    owed = UpdateOwed.objects.get(job=job)
    from jobs.due_dates import add_target

    assert owed.due_at == add_target(owed.owed_from, 1, business_hours=True)


def test_each_variation_makes_another_update_owed_and_logging_one_clears_them(job_with, council, crew_user,
                                                                             casemanager_user):
    people = _customers(council, 2)
    job = job_with(JobStatus.IN_REPAIR, customers=people)
    services.job_record_variation(job=job, by=crew_user, kind="timeframe", reason="Parts delayed",
                                  expected_completion_at=timezone.now() + timedelta(days=2))
    assert UpdateOwed.objects.filter(job=job, cleared_at__isnull=True, reason=UpdateReason.VARIATION).count() == 2
    update = customer_updates.customer_update_log(job=job, by=casemanager_user, customers=[people[0]],
                                                  issue="Burst main", message="Parts are delayed.",
                                                  channel=ContactChannel.PHONE)
    assert UpdateOwed.objects.filter(job=job, cleared_at__isnull=True).get().customer == people[1]
    assert UpdateOwed.objects.get(customer=people[0]).cleared_by == update
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main", message="Still delayed.")
    assert not UpdateOwed.objects.filter(job=job, cleared_at__isnull=True).exists()


def test_updates_owed_show_on_the_job_page_and_in_a_triage_tab_with_a_count(job_with, council, crew_user,
                                                                           casemanager_user, client_for):
    job = job_with(customers=_customers(council, 2))
    other = job_with(customers=_customers(council, 1))
    services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())
    client = client_for(casemanager_user)
    page = client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "Customer updates owed: 2" in page
    triage = client.get(reverse("jobs:triage"), {"tab": "updates"}).content.decode()
    assert "Updates owed" in triage, triage
    assert job.reference in triage, triage
    assert other.reference not in triage
    assert re.search(r"Updates owed\s*<span class=\"badge[^\"]*\">1</span>", triage)
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message="Done soon.",
                                         channel=ContactChannel.PHONE)
    triage = client.get(reverse("jobs:triage"), {"tab": "updates"}).content.decode()
    assert job.reference not in triage and "No customer is owed an update" in triage
    assert "Customer updates owed" not in client.get(reverse("jobs:job-detail", args=[job.reference])).content.decode()


def test_an_overdue_update_is_flagged(job_with, council, crew_user, casemanager_user, client_for):
    job = job_with(customers=_customers(council, 1))
    services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())
    UpdateOwed.objects.filter(job=job).update(due_at=timezone.now() - timedelta(hours=1))
    page = client_for(casemanager_user).get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "(1 overdue)" in page


# Logging an update -----------------------------------------------------------------------------------

def test_update_form_is_prefilled_from_the_assessment(job_with, council, crew_user, casemanager_user, client_for):
    job = job_with(customers=_customers(council, 1))
    services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs(
        complexity="high", public_summary="Main split", notes="Gate code 4411"))
    page = client_for(casemanager_user).get(reverse("jobs:job-update", args=[job.reference])).content.decode()
    assert "What our crew found: Burst main: Main split." in page
    assert "4411" not in page  # the crew's internal notes are not words for customers
    assert "high-complexity job" in page and job.reference in page


def test_update_is_on_the_timeline_and_on_the_customers_history(job_with, council, casemanager_user, client_for):
    person = _customers(council, 1)[0]
    job = job_with(customers=[person])
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main",
                                         message="The crew will be back at 7 am.", channel=ContactChannel.PHONE)
    event = JobEvent.objects.get(job=job, kind=JobEventKind.CUSTOMER_UPDATE)
    assert "1 by phone" in event.text and "back at 7 am" in event.text
    page = client_for(casemanager_user).get(reverse("jobs:customer-history", args=[person.pk])).content.decode()
    assert job.reference in page and "back at 7 am" in page


def test_update_is_denied_to_roles_that_do_not_contact_customers(job_with, council, analyst_user, other_crew_user,
                                                                callcentre_user):
    job = job_with(customers=_customers(council, 1))
    for user in (analyst_user, other_crew_user, callcentre_user):
        with pytest.raises(PermissionDenied):
            customer_updates.customer_update_log(job=job, by=user, issue="x", message="y")
    assert not CustomerUpdate.objects.exists()


def test_update_to_a_customer_not_on_the_job_is_refused(job_with, council, casemanager_user):
    job = job_with(customers=_customers(council, 1))
    with pytest.raises(ValidationError):
        customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message="y",
                                             customers=[CustomerFactory(council=council)])


def test_a_preferred_channel_that_cannot_be_used_falls_back(council):
    no_email = CustomerFactory(council=council, preferred_channel=ContactChannel.EMAIL, email="")
    assert customer_updates.channel_for(no_email, ContactChannel.EMAIL) == ContactChannel.SMS
    letter_no_address = CustomerFactory(council=council, preferred_channel=ContactChannel.LETTER, postal_address="",
                                        email="a@example.org")
    assert customer_updates.channel_for(letter_no_address, ContactChannel.LETTER) == ContactChannel.EMAIL


def test_bulk_update_to_300_customers_is_one_update_sent_to_each_by_their_channel(
        job_with, council, casemanager_user, django_capture_on_commit_callbacks):
    from common.models import OutboxMessage

    emails = _customers(council, 120, ContactChannel.EMAIL, email="resident@example.org")
    texts = _customers(council, 100, ContactChannel.SMS)
    letters = _customers(council, 50, ContactChannel.LETTER, postal_address="PO Box 1\nWellington 6011")
    phones = _customers(council, 30, ContactChannel.PHONE)
    job = job_with(customers=emails + texts + letters + phones)
    with django_capture_on_commit_callbacks(execute=True):
        update = customer_updates.customer_update_log(job=job, by=casemanager_user, issue="Burst main",
                                                      message="Water is off on Cuba Street until 4 pm.")
    assert CustomerUpdate.objects.count() == 1 and update.to_everyone and update.recipient_count == 300
    counts = dict((c, UpdateRecipient.objects.filter(update=update, channel=c).count()) for c in ContactChannel)
    assert (counts["email"], counts["sms"], counts["letter"], counts["phone"]) == (120, 100, 50, 30)
    assert OutboxMessage.objects.filter(channel="email").count() == 120
    assert OutboxMessage.objects.filter(channel="sms").count() == 100
    letter = Letter.objects.get(update=update)
    assert letter.status == LetterStatus.READY and letter.pages == 50  # rendered in-process here


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_letter_pdf_has_a_page_per_customer_with_their_name_address_and_the_reference(
        job_with, council, casemanager_user, client_for, tmp_path, django_capture_on_commit_callbacks):
    anna = CustomerFactory(council=council, name="Anna Tāmati", preferred_channel=ContactChannel.LETTER,
                           postal_address="12 Tory Street\nTe Aro\nWellington 6011")
    bill = CustomerFactory(council=council, name="Bill Ngata", preferred_channel=ContactChannel.LETTER,
                           postal_address="PO Box 99\nWellington 6140")
    phone_only = CustomerFactory(council=council, name="Carla Phone", preferred_channel=ContactChannel.PHONE)
    job = job_with(customers=[anna, bill, phone_only])
    with django_capture_on_commit_callbacks(execute=True):
        customer_updates.customer_update_log(
            job=job, by=casemanager_user, issue="Burst main on Tory Street", complexity="high",
            expected_completion_at=timezone.now() + timedelta(days=1), message="Our crew is repairing the main.")
    letter = Letter.objects.get(job=job)
    response = client_for(casemanager_user).get(reverse("jobs:job-letter", args=[job.reference, letter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"".join(response.streaming_content))
    pages = []
    for page in (1, 2):
        out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                             capture_output=True, text=True, check=True).stdout
        pages.append(out)
    assert letter.pages == 2
    assert "Anna Tāmati" in pages[0] and "12 Tory Street" in pages[0] and job.reference in pages[0]
    assert "Bill Ngata" in pages[1] and "PO Box 99" in pages[1] and job.reference in pages[1]
    assert "Wellington City Council" in pages[0] and "Burst main on Tory Street" in pages[0]
    assert "High" in pages[0] and "Who to contact" in pages[0]
    assert "Carla Phone" not in pages[0] + pages[1]


def test_a_letter_that_fails_to_render_is_recorded_and_shown(job_with, council, casemanager_user, client_for,
                                                            monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("font cache unwritable")

    monkeypatch.setattr("weasyprint.HTML.render", broken)
    person = CustomerFactory(council=council, preferred_channel=ContactChannel.LETTER, postal_address="1 A St")
    job = job_with(customers=[person])
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message="y")
    letter = Letter.objects.get(job=job)
    for _ in range(customer_updates.LETTER_MAX_ATTEMPTS):
        customer_updates.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.FAILED and "font cache unwritable" in letter.last_error
    page = client_for(casemanager_user).get(reverse("jobs:job-detail", args=[job.reference])).content.decode()
    assert "could not be made" in page


def test_letter_rendering_twice_renders_once(job_with, council, casemanager_user):
    person = CustomerFactory(council=council, preferred_channel=ContactChannel.LETTER, postal_address="1 A St")
    job = job_with(customers=[person])
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message="y")
    letter = Letter.objects.get(job=job)
    assert letter.status == LetterStatus.PENDING and not letter.file  # the task runs after the commit
    assert customer_updates.letter_render(letter_id=letter.pk) == LetterStatus.READY
    letter.refresh_from_db()
    name = letter.file.name
    assert customer_updates.letter_render(letter_id=letter.pk) == LetterStatus.READY
    letter.refresh_from_db()
    assert letter.file.name == name and letter.attempts == 1


def test_the_sweep_renders_letters_the_broker_missed(job_with, council, casemanager_user):
    person = CustomerFactory(council=council, preferred_channel=ContactChannel.LETTER, postal_address="1 A St")
    job = job_with(customers=[person])
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message="y")
    letter = Letter.objects.get(job=job)
    assert customer_updates.letters_sweep().rendered == 0  # not yet a minute old: its own task has it
    Letter.objects.filter(pk=letter.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    progress = customer_updates.letters_sweep()
    assert (progress.rendered, progress.remaining) == (1, 0)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.READY


def test_another_contractors_crew_gets_404_on_the_letters(job_with, council, casemanager_user, other_crew_user,
                                                         crew_user, client_for, django_capture_on_commit_callbacks):
    person = CustomerFactory(council=council, preferred_channel=ContactChannel.LETTER, postal_address="1 A St")
    job = job_with(customers=[person])
    with django_capture_on_commit_callbacks(execute=True):
        customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message="y")
    url = reverse("jobs:job-letter", args=[job.reference, Letter.objects.get(job=job).pk])
    assert client_for(other_crew_user).get(url).status_code == 404
    # Its own crew sees the job but not the letters: names and postal addresses are for the senders.
    assert client_for(crew_user).get(url).status_code == 403
    assert client_for(casemanager_user).get(url).status_code == 200


# Query counts -----------------------------------------------------------------------------------------

def test_job_page_with_50_updates_and_20_photos_costs_the_same_queries_as_with_none(job_with, council,
                                                                                   casemanager_user, client_for):
    people = _customers(council, 3)
    job = job_with(JobStatus.IN_REPAIR, customers=people)
    client = client_for(casemanager_user)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("jobs:job-detail", args=[job.reference])).status_code == 200
        return len(captured.captured_queries)

    # One of each first, so the page's sections are all shown in both counts.
    customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message="first",
                                         channel=ContactChannel.PHONE)
    photo_for(job)
    one = count()
    for i in range(49):
        customer_updates.customer_update_log(job=job, by=casemanager_user, issue="x", message=f"update {i}",
                                             channel=ContactChannel.PHONE)
    for _ in range(19):
        photo_for(job)
    assert count() == one


def test_updates_tab_costs_the_same_queries_for_one_job_as_for_twenty(job_with, council, crew_user,
                                                                     casemanager_user, client_for):
    client = client_for(casemanager_user)

    def owe():
        job = job_with(customers=_customers(council, 1))
        services.job_record_assessment(job=job, by=crew_user, **assessment_kwargs())

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("jobs:triage"), {"tab": "updates"}).status_code == 200
        return len(captured.captured_queries)

    owe()
    one = count()
    for _ in range(19):
        owe()
    assert count() == one


def test_a_retried_update_post_logs_one_update(job_with, council, casemanager_user, client_for):
    job = job_with(customers=_customers(council, 2))
    client = client_for(casemanager_user)
    data = {"version": job.version, "recipients": "all", "channel": "phone", "issue": "Burst main",
            "message": "Crew on site until 5 pm."}
    url = reverse("jobs:job-update", args=[job.reference])
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 200 and "Nothing of yours was saved" in again.content.decode()
    assert CustomerUpdate.objects.filter(job=job).count() == 1
