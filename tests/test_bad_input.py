"""Bad input gets a clear message or a 4xx, never a 500."""

import pytest

from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

GARBAGE = ["", "x", "-1", "999999999999999999999", "1e999", "NaN", "<script>", "' OR 1=1 --", "\x00", "é" * 300]


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
    assert b"Please check the highlighted fields" in response.content
    for path, params in [("/enquiries/", {"q": value, "after": value, "council": value, "issue_type": value}),
                         ("/enquiries/customers/search/", {"customer_query": value, "council": value}),
                         ("/enquiries/duplicates/", {"council": value, "service": value, "issue_type": value,
                                                     "latitude": value}),
                         ("/enquiries/suburbs/", {"council": value})]:
        assert client_for(callcentre_user).get(path, params).status_code < 500, path
    cm = client_for(casemanager_user)
    assert cm.post(f"/enquiries/{enquiry.reference}/link/", {"job_reference": value}).status_code == 400
    assert cm.post(f"/enquiries/{enquiry.reference}/resolve/", {"outcome": value}).status_code in (302, 400)
    assert cm.post("/jobs/create/", {"enquiries": [value], "next": value}).status_code == 302
    assert cm.get("/jobs/triage/", {"tab": value, "sort": value, "page": value, "after": value}).status_code == 200


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
