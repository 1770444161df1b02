"""Bad input gets a clear message or a 4xx, never a 500."""

import pytest

from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

GARBAGE = ["", "x", "-1", "999999999999999999999", "1e999", "1e400", "NaN", "<script>", "' OR 1=1 --", "\x00",
           "ab\x00cd", "²", "é" * 300]


@pytest.fixture
def job(council, suburb, casemanager_user, p2, main_leak):
    return JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                      case_manager=casemanager_user)


@pytest.mark.parametrize("value", GARBAGE)
def test_job_forms_answer_garbage_with_a_message_not_a_500(client_for, casemanager_user, job, value):
    client = client_for(casemanager_user)
    for action in ("categorise", "allocate", "dispatch", "cancel", "reopen", "location", "notes"):
        response = client.post(f"/jobs/{job.reference}/{action}/", {
            "version": value, "category": value, "priority": value, "case_manager": value, "contractor": value,
            "reason": value, "note": value, "text": value, "street_address": value, "suburb": value,
            "latitude": value, "longitude": value,
        })
        assert response.status_code < 500, (action, value)


@pytest.mark.parametrize("value", GARBAGE)
def test_enquiry_forms_answer_garbage_with_a_message_not_a_500(client_for, callcentre_user, casemanager_user, council,
                                                              suburb, leak, value):
    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    fields = ["customer", "customer_name", "customer_phone", "customer_email", "preferred_channel", "council",
              "street_address", "suburb", "latitude", "longitude", "service", "issue_type", "description",
              "callback_requested", "channel", "received_at", "backdate_reason", "link_job"]
    response = client_for(callcentre_user).post("/enquiries/new/", {name: value for name in fields})
    assert response.status_code == 400
    if "\x00" in value:  # refused before the form, by the one cleaning step for all input
        assert b"contains a NUL character" in response.content
    else:
        assert b"Please check the highlighted fields" in response.content
    for path, params in [("/enquiries/", {"q": value, "after": value, "council": value, "issue_type": value}),
                         ("/enquiries/customers/search/", {"customer_query": value, "council": value}),
                         ("/enquiries/duplicates/", {"council": value, "service": value, "issue_type": value,
                                                     "latitude": value}),
                         ("/enquiries/suburbs/", {"council": value})]:
        assert client_for(callcentre_user).get(path, params).status_code < 500, path
    refused = "\x00" in value  # a NUL is refused centrally with a 400 before any view runs
    assert client_for(callcentre_user).get("/enquiries/", {"selected": value}).status_code == (400 if refused else 200)
    cm = client_for(casemanager_user)
    assert cm.post(f"/enquiries/{enquiry.reference}/link/", {"job_reference": value}).status_code == 400
    resolved = cm.post(f"/enquiries/{enquiry.reference}/resolve/", {"outcome": value})
    assert resolved.status_code in ((400,) if refused else (302, 400))
    assert cm.post("/jobs/create/", {"enquiries": [value], "next": value}).status_code == (400 if refused else 302)
    assert cm.get("/jobs/triage/", {"tab": value, "sort": value, "page": value, "after": value,
                                    "selected": value}).status_code == (400 if refused else 200)


def test_picking_another_councils_customer_is_refused_clearly(client_for, callcentre_user, other_council, council,
                                                              suburb, leak):
    foreign = CustomerFactory(council=other_council)
    response = client_for(callcentre_user).post("/enquiries/new/", {
        "customer": foreign.pk, "customer_name": "Someone", "customer_phone": "021 000 1111",
        "preferred_channel": "phone", "council": council.pk, "street_address": "1 Cuba Street", "suburb": suburb.pk,
        "service": "water_supply", "issue_type": leak.pk, "description": "Leak", "channel": "phone"})
    assert response.status_code == 400
    assert b"The customer you picked" in response.content


def test_create_job_with_a_foreign_redirect_target_stays_on_this_site(client_for, casemanager_user):
    response = client_for(casemanager_user).post("/jobs/create/", {"next": "https://evil.example.org/"})
    assert response.status_code == 302 and response["Location"].startswith("/")


def test_a_cursor_at_the_end_of_time_is_ignored_not_a_500(client_for, casemanager_user):
    import base64

    cursor = base64.urlsafe_b64encode(b"9999-12-31T23:59:59-12:00|5").decode().rstrip("=")
    for key in ("before", "after"):
        assert client_for(casemanager_user).get("/enquiries/", {key: cursor}).status_code == 200


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00", "1900-01-01T00:00", "2020-06-01T09:00"])
def test_a_received_time_from_long_ago_is_refused_with_a_message(client_for, callcentre_user, council, suburb, leak,
                                                                 received_at):
    from enquiries.models import Enquiry

    response = client_for(callcentre_user).post("/enquiries/new/", {
        "customer_name": "Someone", "customer_phone": "021 000 1111", "preferred_channel": "phone",
        "council": council.pk, "street_address": "1 Cuba Street", "suburb": suburb.pk, "service": "water_supply",
        "issue_type": leak.pk, "description": "Leak", "channel": "phone", "received_at": received_at,
        "backdate_reason": "typed in wrong"})
    assert response.status_code == 400
    assert b"check the date" in response.content or b"Enter a valid date" in response.content
    assert not Enquiry.objects.exists()
