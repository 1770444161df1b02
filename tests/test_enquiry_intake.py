"""Stage 1 intake: logging an enquiry on a live call, finding the caller again, the queue."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_fsm_log.models import StateLog

from common.enums import OutboxStatus
from common.models import OutboxMessage
from common.outbox import outbox_deliver, outbox_for
from common.submissions import submission_token_new
from enquiries import services
from enquiries.enums import EnquiryStatus
from enquiries.models import Customer, Enquiry
from enquiries.selectors import customer_search
from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

CUSTOMER = {"name": "Aroha Ngata", "phone": "+64 21 555 0101", "email": "", "postal_address": "",
            "preferred_channel": "phone"}


def _log(user, council, suburb, leak, **overrides):
    fields = {
        "by": user, "council": council, "customer_details": dict(CUSTOMER), "street_address": "12 Cuba Street",
        "suburb": suburb, "service": "water_supply", "issue_type": leak, "description": "Water in the footpath",
        "channel": "phone",
    }
    fields.update(overrides)
    return services.enquiry_log(**fields)


def _form(user, council, suburb, leak, **overrides):
    """The Log enquiry form as the page sends it, with the one-time token the page issued to ``user``."""
    data = {
        "submission_token": submission_token_new(user=user),
        "customer_name": "Aroha Ngata", "customer_phone": "021 555 0101", "customer_email": "",
        "customer_postal_address": "", "preferred_channel": "phone", "council": council.pk,
        "street_address": "12 Cuba Street", "suburb": suburb.pk, "service": "water_supply", "issue_type": leak.pk,
        "description": "Water bubbling up through the footpath", "channel": "phone",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def test_logging_an_enquiry_gives_the_next_reference_and_a_new_customer(callcentre_user, council, suburb, leak):
    first = _log(callcentre_user, council, suburb, leak)
    second = _log(callcentre_user, council, suburb, leak)
    year = timezone.localtime().year
    assert (first.reference, second.reference) == (f"ENQ-{year}-000001", f"ENQ-{year}-000002")
    assert first.customer.phone_digits == "0215550101"
    assert first.status == EnquiryStatus.NEW and first.logged_by == callcentre_user


def test_references_are_never_reused_after_a_delete(callcentre_user, council, suburb, leak):
    first = _log(callcentre_user, council, suburb, leak)
    Enquiry.objects.filter(pk=first.pk).delete()
    assert _log(callcentre_user, council, suburb, leak).reference.endswith("000002")


def test_an_existing_customer_is_reused_and_their_details_updated(callcentre_user, council, suburb, leak):
    customer = CustomerFactory(council=council, name="Aroha Ngata", phone="021 000 0000")
    enquiry = _log(callcentre_user, council, suburb, leak, existing_customer=customer)
    customer.refresh_from_db()
    assert enquiry.customer == customer and customer.phone == "021 555 0101"  # stored normalised
    assert Customer.objects.count() == 1


def test_a_backdated_enquiry_needs_a_reason_and_records_it(callcentre_user, council, suburb, leak):
    earlier = timezone.now() - timedelta(hours=9)
    with pytest.raises(ValidationError) as error:
        _log(callcentre_user, council, suburb, leak, received_at=earlier)
    assert "backdate_reason" in error.value.error_dict
    enquiry = _log(callcentre_user, council, suburb, leak, received_at=earlier,
                   backdate_reason="After-hours voicemail at 11pm")
    assert enquiry.is_backdated and enquiry.backdate_reason == "After-hours voicemail at 11pm"
    assert enquiry.received_at == earlier


def test_a_received_time_in_the_future_is_refused(callcentre_user, council, suburb, leak):
    with pytest.raises(ValidationError):
        _log(callcentre_user, council, suburb, leak, received_at=timezone.now() + timedelta(hours=2))


def test_another_councils_call_centre_cannot_log_for_this_council(other_callcentre_user, council, suburb, leak):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _log(other_callcentre_user, council, suburb, leak)


def test_the_customer_is_sent_their_reference_once(callcentre_user, council, suburb, leak,
                                                   django_capture_on_commit_callbacks):
    details = dict(CUSTOMER, email="aroha@example.co.nz")
    with django_capture_on_commit_callbacks(execute=True):
        enquiry = _log(callcentre_user, council, suburb, leak, customer_details=details)
    assert len(mail.outbox) == 1
    assert enquiry.reference in mail.outbox[0].body and mail.outbox[0].to == ["aroha@example.co.nz"]
    [message] = outbox_for(enquiry)
    assert message.status == OutboxStatus.SENT and message.attempts == 1
    assert outbox_deliver(message_id=message.pk, claim="a-second-delivery") == "skipped"  # a repeat sends nothing
    assert len(mail.outbox) == 1


def test_the_acknowledgement_is_an_outbox_row_written_with_the_enquiry(callcentre_user, council, suburb, leak,
                                                                      django_capture_on_commit_callbacks):
    details = dict(CUSTOMER, email="aroha@example.co.nz")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enquiry = _log(callcentre_user, council, suburb, leak, customer_details=details)
    # Nothing is sent inside the transaction: one row, and one publish queued for the commit.
    assert mail.outbox == [] and len(callbacks) == 1
    [message] = outbox_for(enquiry)
    assert message.status == OutboxStatus.PENDING and message.key == f"enquiry-acknowledgement-{enquiry.pk}"


def test_an_enquiry_rolled_back_leaves_no_acknowledgement(callcentre_user, council, suburb, leak,
                                                          django_capture_on_commit_callbacks):
    from django.db import transaction

    details = dict(CUSTOMER, email="aroha@example.co.nz")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            _log(callcentre_user, council, suburb, leak, customer_details=details)
            raise RuntimeError("the caller's transaction fails after logging")
    assert OutboxMessage.objects.count() == 0 and mail.outbox == []


def test_log_enquiry_page_saves_and_shows_the_reference_to_read_back(client_for, callcentre_user, council, suburb,
                                                                     leak):
    data = _form(callcentre_user, council, suburb, leak)
    response = client_for(callcentre_user).post("/enquiries/new/", data, follow=True)
    enquiry = Enquiry.objects.get()
    assert response.redirect_chain[-1][0] == f"/enquiries/{enquiry.reference}/"
    assert f"Enquiry {enquiry.reference} logged".encode() in response.content
    assert b"Read the reference back to the caller" in response.content


def test_log_enquiry_page_keeps_everything_typed_when_something_is_wrong(client_for, callcentre_user, council,
                                                                         suburb, leak, overflow):
    data = _form(callcentre_user, council, suburb, leak, issue_type=overflow.pk,
                 description="Gushing near the bus stop", customer_email="not-an-email",
                 customer_phone="call me maybe")
    response = client_for(callcentre_user).post("/enquiries/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not a phone number" in body
    assert "Enter a valid email address" in body
    for typed in ("Aroha Ngata", "call me maybe", "12 Cuba Street", "Gushing near the bus stop", "not-an-email"):
        assert typed in body
    assert not Enquiry.objects.exists()


def test_log_enquiry_page_asks_why_a_call_is_backdated_and_keeps_the_input(client_for, callcentre_user, council,
                                                                           suburb, leak):
    earlier = (timezone.localtime() - timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M")
    data = _form(callcentre_user, council, suburb, leak, received_at=earlier)
    response = client_for(callcentre_user).post("/enquiries/new/", data)
    assert response.status_code == 400
    assert b"Say why the received time is earlier than now" in response.content
    assert earlier.encode() in response.content


def test_log_enquiry_with_link_to_job_links_at_intake(client_for, callcentre_user, council, suburb, leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.DISPATCHED)
    response = client_for(callcentre_user).post("/enquiries/new/", _form(
        callcentre_user, council, suburb, leak, link_job=job.reference))
    enquiry = Enquiry.objects.get()
    assert response.status_code == 302
    assert enquiry.job == job and enquiry.status == EnquiryStatus.LINKED
    assert StateLog.objects.for_(enquiry).get().by == callcentre_user
    assert job.events.get().enquiry == enquiry


def test_log_enquiry_refuses_to_link_to_a_closed_job_and_keeps_the_input(client_for, callcentre_user, council,
                                                                         suburb, leak):
    job = JobFactory(council=council, suburb=suburb, status=JobStatus.CLOSED)
    response = client_for(callcentre_user).post("/enquiries/new/", _form(
        callcentre_user, council, suburb, leak, link_job=job.reference))
    assert response.status_code == 400
    assert b"is no longer open" in response.content and b"12 Cuba Street" in response.content


def test_customers_are_found_by_phone_or_name_within_the_council(callcentre_user, council, other_council):
    mine = CustomerFactory(council=council, name="Wiremu Parata", phone="04 499 1234", phone_digits="044991234")
    CustomerFactory(council=other_council, name="Wiremu Parata", phone="04 499 1234", phone_digits="044991234")
    assert customer_search(user=callcentre_user, council_id=None, query="+64 4 499") == [mine]
    assert customer_search(user=callcentre_user, council_id=None, query="wiremu") == [mine]
    assert customer_search(user=callcentre_user, council_id=None, query="parata") == [mine]
    assert customer_search(user=callcentre_user, council_id=None, query="w") == []


def test_customer_lookup_partial_lists_matches_to_pick(client_for, callcentre_user, council):
    CustomerFactory(council=council, name="Wiremu Parata", phone="04 499 1234", phone_digits="044991234")
    response = client_for(callcentre_user).get("/enquiries/customers/search/", {"customer_query": "0449"},
                                               HTTP_HX_REQUEST="true")
    assert b"Wiremu Parata" in response.content and b"pick/" in response.content


def test_picking_a_customer_fills_in_their_details(client_for, callcentre_user, council):
    customer = CustomerFactory(council=council, name="Wiremu Parata", email="w@example.org")
    response = client_for(callcentre_user).get(f"/enquiries/customers/{customer.pk}/pick/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'value="Wiremu Parata"' in body and 'value="w@example.org"' in body
    assert f'name="customer" value="{customer.pk}"' in body


def test_call_centre_queue_shows_only_their_council(client_for, callcentre_user, council, suburb, other_council,
                                                    other_suburb, leak):
    mine = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    theirs = EnquiryFactory(council=other_council, suburb=other_suburb, issue_type=leak)
    body = client_for(callcentre_user).get("/enquiries/").content.decode()
    assert mine.reference in body and theirs.reference not in body


def test_queue_filters_and_search_find_the_right_enquiries(client_for, casemanager_user, council, suburb, leak):
    wanted = EnquiryFactory(council=council, suburb=suburb, issue_type=leak, callback_requested=True,
                            street_address="77 Willis Street")
    other = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    client = client_for(casemanager_user)
    body = client.get("/enquiries/", {"callback_requested": "true"}).content.decode()
    assert wanted.reference in body and other.reference not in body
    body = client.get("/enquiries/", {"q": "willis"}).content.decode()
    assert wanted.reference in body and other.reference not in body
    body = client.get("/enquiries/", {"q": wanted.customer.phone}).content.decode()
    assert wanted.reference in body and other.reference not in body
    body = client.get("/enquiries/", {"q": wanted.reference.lower()}).content.decode()
    assert wanted.reference in body and other.reference not in body


def test_queue_survives_nonsense_filters(client_for, casemanager_user, council, suburb, leak):
    EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    response = client_for(casemanager_user).get("/enquiries/", {"received_from": "yesterday", "status": "banana",
                                                                "after": "%%%", "council": "x"})
    assert response.status_code == 200
    assert b"some filters were not understood" in response.content


def test_queue_pages_newest_first_with_no_row_twice(client_for, casemanager_user, council, suburb, leak):
    now = timezone.now()
    enquiries = [EnquiryFactory(council=council, suburb=suburb, issue_type=leak,
                                received_at=now - timedelta(minutes=n)) for n in range(120)]
    client = client_for(casemanager_user)
    from common.pagination import keyset_page
    from enquiries.selectors import enquiry_list

    pages, params = [], {}
    while True:
        page = keyset_page(enquiry_list(user=casemanager_user), time_field="received_at", **params)
        pages.append(page)
        if not page.next_cursor:
            break
        params = {"after": page.next_cursor}
    seen = [e.reference for page in pages for e in page.rows]
    assert seen == [e.reference for e in enquiries] and len(pages) == 3
    back = keyset_page(enquiry_list(user=casemanager_user), time_field="received_at", before=pages[2].previous_cursor)
    assert [e.reference for e in back.rows] == seen[50:100]
    assert back.previous_cursor and back.next_cursor
    response = client.get("/enquiries/", {"after": pages[1].next_cursor})
    assert enquiries[100].reference.encode() in response.content


class FailingMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("mail server refused the connection")


def test_a_mail_failure_after_saving_does_not_fail_the_call_or_lose_the_enquiry(
    callcentre_user, council, suburb, leak, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_enquiry_intake.FailingMailBackend"
    details = dict(CUSTOMER, email="aroha@example.co.nz")
    with django_capture_on_commit_callbacks(execute=True):
        enquiry = _log(callcentre_user, council, suburb, leak, customer_details=details)
    assert Enquiry.objects.filter(pk=enquiry.pk).exists()
    [message] = outbox_for(enquiry)  # saved; the e-mail waits for its retry
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert "refused" in message.last_error and message.next_attempt_at > timezone.now()


def test_the_acknowledgement_is_plain_text_not_html_escaped(callcentre_user, council, suburb, leak,
                                                          django_capture_on_commit_callbacks):
    details = dict(CUSTOMER, name="O'Brien & Co", email="obrien@example.co.nz")
    with django_capture_on_commit_callbacks(execute=True):
        _log(callcentre_user, council, suburb, leak, customer_details=details, street_address="1 O'Neill Road")
    body = mail.outbox[0].body
    assert "Kia ora O'Brien & Co," in body and "1 O'Neill Road" in body and "&amp;" not in body
