"""Personal data (Privacy Act 2020): shown whole only to the roles that act on it, masked for
everyone else, and every page that shows it whole leaves a row in the access log."""

import pytest
from django.contrib import admin

from accounts import permissions
from enquiries.enums import EnquiryStatus, PersonalDataPage
from enquiries.models import PersonalDataAccess
from enquiries.privacy import NOT_SHOWN, customer_contact
from jobs.enums import JobEventKind, JobStatus
from jobs.models import Job, JobEvent
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

NAME, PHONE, EMAIL, POSTAL = "Aroha Ngata", "021 555 4567", "aroha@example.org", "PO Box 11, Wellington 6140"
WHOLE = [NAME, PHONE, EMAIL, POSTAL]


@pytest.fixture
def customer(council):
    return CustomerFactory(council=council, name=NAME, phone=PHONE, email=EMAIL, postal_address=POSTAL)


@pytest.fixture
def enquiry(council, suburb, leak, customer):
    return EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=customer)


def _job(status, *, council, suburb, contractor, p2, main_leak, customer, leak):
    job = JobFactory(council=council, suburb=suburb, status=status, priority=p2, category=main_leak,
                     contractor=contractor)
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=customer, job=job,
                   status=EnquiryStatus.LINKED)
    return job


@pytest.fixture
def job_in(council, suburb, contractor, p2, main_leak, customer, leak):
    return lambda status: _job(status, council=council, suburb=suburb, contractor=contractor, p2=p2,
                               main_leak=main_leak, customer=customer, leak=leak)


def _shows_whole(body: str) -> bool:
    return all(value in body for value in WHOLE)


def _shows_none(body: str) -> bool:
    return not any(value in body for value in WHOLE) and "Ngata" not in body


def test_a_role_that_may_not_see_the_customer_gets_not_even_a_masked_name(analyst_user, enquiry):
    contact = customer_contact(user=analyst_user, record=enquiry, customer=enquiry.customer)
    assert (contact.name, contact.phone, contact.phone_digits, contact.email, contact.postal_address) == (
        NOT_SHOWN, "", "", "", "")
    assert contact.masked


@pytest.mark.parametrize(("role", "whole"), [("callcentre", True), ("casemanager", True), ("analyst", False)])
def test_enquiry_page_shows_the_customer_only_to_the_roles_that_contact_them(client_for, user_for_role, enquiry,
                                                                              role, whole):
    user = user_for_role(role)
    body = client_for(user).get(f"/enquiries/{enquiry.reference}/").content.decode()
    if whole:
        assert _shows_whole(body)
        log = PersonalDataAccess.objects.get()
        assert (log.user, log.customer, log.page, log.reference) == (
            user, enquiry.customer, PersonalDataPage.ENQUIRY_DETAIL, enquiry.reference)
    else:
        assert _shows_none(body)
        assert "A. N***" not in body and "4567" not in body and "a•••@•••.org" not in body
        assert "the customer" in body
        assert not PersonalDataAccess.objects.exists()


def test_another_councils_utility_call_centre_sees_it_but_a_council_sees_only_its_own(
        callcentre_user, other_callcentre_user, enquiry):
    assert permissions.may_view_customer_contact(callcentre_user, enquiry)
    assert not permissions.may_view_customer_contact(other_callcentre_user, enquiry)


def test_enquiry_queue_does_not_name_customers_to_analysts(client_for, analyst_user, callcentre_user, enquiry):
    assert "A. N***" not in client_for(analyst_user).get("/enquiries/").content.decode()
    assert "the customer" in client_for(analyst_user).get("/enquiries/").content.decode()
    assert NAME not in client_for(analyst_user).get("/enquiries/").content.decode()
    assert NAME in client_for(callcentre_user).get("/enquiries/").content.decode()


@pytest.mark.parametrize(("status", "site_contact", "whole"), [
    (JobStatus.DISPATCHED, True, True), (JobStatus.IN_REPAIR, True, True), (JobStatus.COMPLETED, True, False),
    (JobStatus.DISPATCHED, False, False), (JobStatus.IN_REPAIR, False, False),
    (JobStatus.CLOSED, True, False), (JobStatus.REPORTED, True, False), (JobStatus.CANCELLED, True, False),
])
def test_crew_sees_contact_details_only_for_the_site_contact_while_the_work_is_under_way(
        client_for, crew_user, job_in, customer, status, site_contact, whole):
    job = job_in(status)
    if site_contact:
        Job.objects.filter(pk=job.pk).update(site_contact=customer)
    response = client_for(crew_user).get(f"/jobs/{job.reference}/")
    assert response.status_code == 200
    body = response.content.decode()
    if whole:
        assert NAME in body and PHONE in body and EMAIL in body
        assert PersonalDataAccess.objects.filter(user=crew_user, page=PersonalDataPage.JOB_DETAIL,
                                                 reference=job.reference).count() == 1
    else:
        assert NAME not in body and PHONE not in body and EMAIL not in body
        assert not PersonalDataAccess.objects.exists()


def test_another_contractors_crew_never_qualifies(other_crew_user, job_in):
    job = job_in(JobStatus.DISPATCHED)
    Job.objects.filter(pk=job.pk).update(site_contact=job.enquiries.get().customer)
    job.refresh_from_db()
    assert not permissions.may_view_customer_contact(other_crew_user, job, job.site_contact_id)


@pytest.mark.parametrize(("role", "whole"), [("casemanager", True), ("callcentre", True), ("analyst", False)])
def test_job_page_masks_customers_for_analysts(client_for, user_for_role, job_in, role, whole):
    body = client_for(user_for_role(role)).get(f"/jobs/{job_in(JobStatus.ALLOCATED).reference}/").content.decode()
    assert (NAME in body and PHONE in body) if whole else (NAME not in body and PHONE not in body)
    assert PersonalDataAccess.objects.exists() == whole


def test_customer_lookup_and_pick_are_logged(client_for, callcentre_user, customer, council):
    client = client_for(callcentre_user)
    results = client.get("/enquiries/customers/search/", {"customer_query": "Aroha", "council": council.pk})
    assert NAME in results.content.decode()
    client.get(f"/enquiries/customers/{customer.pk}/pick/")
    pages = list(PersonalDataAccess.objects.filter(customer=customer).values_list("page", flat=True))
    assert sorted(pages) == [PersonalDataPage.CUSTOMER_LOOKUP, PersonalDataPage.CUSTOMER_PICK]


def test_access_log_is_append_only_and_read_only_in_the_admin(client_for, callcentre_user, admin_user, enquiry, rf):
    client_for(callcentre_user).get(f"/enquiries/{enquiry.reference}/")
    row = PersonalDataAccess.objects.get()
    row.page = PersonalDataPage.JOB_DETAIL
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()
    model_admin = admin.site._registry[PersonalDataAccess]
    request = rf.get("/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    listing = client_for(admin_user).get("/admin/enquiries/personaldataaccess/")
    assert listing.status_code == 200 and enquiry.reference in listing.content.decode()


# Internal notes --------------------------------------------------------------------------

@pytest.fixture
def noted_job(job_in, casemanager_user, crew_user, other_crew_user):
    job = job_in(JobStatus.DISPATCHED)
    JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=casemanager_user, text="Utility: customer is upset.")
    JobEvent.objects.create(job=job, kind=JobEventKind.NOTE, by=crew_user, text="Crew: valve seized, back at 2.")
    return job


@pytest.mark.parametrize(("role", "sees_utility_note", "sees_crew_note"), [
    ("casemanager", True, True), ("analyst", True, True), ("crew", False, True), ("callcentre", False, False),
])
def test_internal_notes_are_for_the_utility_and_the_writing_contractor(client_for, user_for_role, noted_job, role,
                                                                        sees_utility_note, sees_crew_note):
    body = client_for(user_for_role(role)).get(f"/jobs/{noted_job.reference}/").content.decode()
    assert ("Utility: customer is upset." in body) == sees_utility_note
    assert ("Crew: valve seized, back at 2." in body) == sees_crew_note


def test_a_crew_does_not_read_another_contractors_notes(other_crew_user, crew_user, noted_job):
    from jobs.selectors import job_timeline

    assert not permissions.may_read_internal_note(other_crew_user, author_organisation_id=crew_user.organisation_id)
    texts = [entry.text for entry in job_timeline(job=noted_job, user=crew_user)]
    assert "Crew: valve seized, back at 2." in texts and "Utility: customer is upset." not in texts


@pytest.mark.parametrize(("role", "finds"), [("callcentre", True), ("casemanager", True), ("analyst", False)])
def test_only_roles_that_see_customers_may_find_enquiries_by_them(client_for, user_for_role, enquiry, role, finds):
    client = client_for(user_for_role(role))
    for query in ("Ngata", "021 555 45"):
        body = client.get("/enquiries/", {"q": query}).content.decode()
        assert (enquiry.reference in body) == finds, query
    # Everyone may still find it by its address or reference.
    assert enquiry.reference in client.get("/enquiries/", {"q": enquiry.street_address}).content.decode()


def test_the_search_box_says_what_it_searches_for_each_role(client_for, analyst_user, callcentre_user):
    assert "Reference or address" in client_for(analyst_user).get("/enquiries/").content.decode()
    assert "Reference, name, phone or address" in client_for(callcentre_user).get("/enquiries/").content.decode()


# Names on the job timeline and job page ---------------------------------------------------------

@pytest.fixture
def linked_job(council, suburb, contractor, p2, main_leak, leak, customer, casemanager_user):
    """A dispatched job whose customer's enquiry was linked through the service."""
    from jobs import services

    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED, priority=p2, category=main_leak,
                     contractor=contractor, case_manager=casemanager_user)
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=customer)
    services.enquiry_link_to_job(enquiry=enquiry, job=job, by=casemanager_user)
    return job


def test_linked_enquiry_timeline_entry_stores_no_name(linked_job):
    event = JobEvent.objects.get(job=linked_job, kind=JobEventKind.ENQUIRY_LINKED)
    assert NAME not in event.text and event.text.endswith("reported by the customer")
    assert event.enquiry.customer.name == NAME


@pytest.mark.parametrize(("role", "named"), [("casemanager", True), ("callcentre", True), ("analyst", False),
                                             ("crew", False)])
def test_job_timeline_names_the_reporting_customer_only_to_roles_that_may_see_them(user_for_role, linked_job,
                                                                                     role, named):
    from jobs.selectors import job_timeline

    texts = [e.text for e in job_timeline(job=linked_job, user=user_for_role(role))
             if e.kind == JobEventKind.ENQUIRY_LINKED]
    assert texts and all(text.endswith(f"reported by {NAME}" if named else "reported by the customer")
                         for text in texts)


def test_site_contact_and_access_notes_are_named_to_the_active_crew_not_to_analysts(
        client_for, linked_job, customer, casemanager_user, crew_user, analyst_user):
    from jobs import services

    services.job_set_site_contact(job=linked_job, by=casemanager_user, customer=customer,
                                  access_notes="Gate code 4321")
    event = JobEvent.objects.get(job=linked_job, kind=JobEventKind.SITE_CONTACT)
    assert NAME not in event.text
    analyst_page = client_for(analyst_user).get(f"/jobs/{linked_job.reference}/").content.decode()
    assert NAME not in analyst_page and "Gate code 4321" not in analyst_page
    assert "Site contact: the customer on" in analyst_page
    crew_page = client_for(crew_user).get(f"/jobs/{linked_job.reference}/").content.decode()
    assert f"Site contact: {NAME} on" in crew_page and "Gate code 4321" in crew_page
    # Once the work is done, the crew keeps the job card but not the customer's details.
    Job.objects.filter(pk=linked_job.pk).update(status=JobStatus.COMPLETED)
    crew_page = client_for(crew_user).get(f"/jobs/{linked_job.reference}/").content.decode()
    assert NAME not in crew_page and PHONE not in crew_page and "Gate code 4321" not in crew_page


def test_customer_update_timeline_entry_counts_customers_and_names_none(linked_job, casemanager_user, council,
                                                                        suburb, leak):
    from enquiries.enums import ContactChannel
    from jobs import customer_updates

    other = CustomerFactory(council=council, name="Tama Rewi", preferred_channel=ContactChannel.PHONE)
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=other, job=linked_job,
                   status=EnquiryStatus.LINKED)
    customer_updates.customer_update_log(job=linked_job, by=casemanager_user, issue="Burst main",
                                         message="Back at 7.", customers=[other], channel=ContactChannel.PHONE)
    customer_updates.customer_update_log(job=linked_job, by=casemanager_user, issue="Burst main",
                                         message="Done soon.", channel=ContactChannel.PHONE)
    texts = list(JobEvent.objects.filter(job=linked_job, kind=JobEventKind.CUSTOMER_UPDATE)
                 .order_by("id").values_list("text", flat=True))
    assert texts[0].startswith("Update to the customer (1:") and texts[1].startswith("Update to every customer (2:")
    assert not any("Rewi" in text or "Ngata" in text for text in texts)


@pytest.mark.parametrize(("role", "named"), [("casemanager", True), ("analyst", False)])
def test_customer_updates_owed_name_customers_only_to_roles_that_may_see_them(client_for, user_for_role,
                                                                              linked_job, crew_user, role, named):
    from django.utils import timezone

    from jobs import services
    from tests.factories import assessment_kwargs

    Job.objects.filter(pk=linked_job.pk).update(status=JobStatus.ATTENDED, attended_at=timezone.now())
    linked_job.refresh_from_db()
    services.job_record_assessment(job=linked_job, by=crew_user, **assessment_kwargs())
    body = client_for(user_for_role(role)).get(f"/jobs/{linked_job.reference}/").content.decode()
    assert "Customer updates owed: 1" in body
    assert (NAME in body) == named


def test_old_timeline_texts_are_rewritten_without_names(linked_job, customer):
    """Rows written before names left the stored text (jobs migration 0015)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("jobs.migrations.0017_job_event_texts_without_names")
    enquiry = linked_job.enquiries.get()
    JobEvent.objects.filter(job=linked_job).delete()
    linked = JobEvent.objects.create(job=linked_job, kind=JobEventKind.ENQUIRY_LINKED, enquiry=enquiry,
                                     text=f"{enquiry.reference} linked: Leak reported by {NAME}")
    contact = JobEvent.objects.create(job=linked_job, kind=JobEventKind.SITE_CONTACT,
                                      text=f"Site contact: {NAME} (the crew sees their phone and e-mail); "
                                           "Access notes: dog")
    update = JobEvent.objects.create(job=linked_job, kind=JobEventKind.CUSTOMER_UPDATE,
                                     text=f"Update to {NAME}, Tama Rewi (2: 2 by phone). Back at 7.")
    everyone = JobEvent.objects.create(job=linked_job, kind=JobEventKind.CUSTOMER_UPDATE,
                                       text="Update to every customer (3: 3 by e-mail). Done.")
    migration.rewrite(apps, None)
    migration.rewrite(apps, None)  # twice: nothing changes the second time
    for event in (linked, contact, update, everyone):
        event.refresh_from_db()
    assert linked.text == f"{enquiry.reference} linked: Leak reported by the customer"
    assert contact.text == (f"Site contact: the customer on {enquiry.reference} (the crew sees their phone and "
                            "e-mail); Access notes: dog")
    assert contact.enquiry == enquiry
    assert update.text == "Update to 2 customers (2: 2 by phone). Back at 7."
    assert everyone.text == "Update to every customer (3: 3 by e-mail). Done."


@pytest.mark.parametrize(("role", "named"), [("casemanager", True), ("analyst", False)])
def test_call_backs_on_the_job_page_name_the_customer_only_to_roles_that_may_see_them(
        client_for, user_for_role, council, suburb, leak, customer, role, named):
    from tests.factories import CallBackFactory

    callback = CallBackFactory(job__council=council, job__suburb=suburb, enquiry__issue_type=leak,
                               enquiry__customer=customer)
    body = client_for(user_for_role(role)).get(f"/jobs/{callback.job.reference}/").content.decode()
    assert "Call-backs and feedback" in body
    assert (NAME in body) == named


def test_crew_update_form_names_only_the_site_contact_and_numbers_the_other_callers(
        client_for, linked_job, customer, casemanager_user, crew_user, council, suburb, leak):
    from jobs import services

    other = CustomerFactory(council=council, name="Tama Rewi")
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak, customer=other, job=linked_job,
                   status=EnquiryStatus.LINKED)
    services.job_set_site_contact(job=linked_job, by=casemanager_user, customer=customer)
    Job.objects.filter(pk=linked_job.pk).update(status=JobStatus.ATTENDED)
    body = client_for(crew_user).get(f"/jobs/{linked_job.reference}/update/").content.decode()
    assert NAME in body and "Tama Rewi" not in body and "Caller 2" in body
