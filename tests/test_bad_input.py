"""Bad input gets a clear message or a 4xx, never a 500, and never a refusal without a message."""

import re

import pytest

from enquiries.enums import EnquiryStatus
from jobs.enums import JobStatus
from tests.factories import CustomerFactory, EnquiryFactory, JobFactory

GARBAGE = ["", "x", "-1", "999999999999999999999", "1e999", "1e400", "NaN", "<script>", "' OR 1=1 --", "\x00",
           "ab\x00cd", "²", "é" * 300]
BLANK_OR_NUL = {"", "\x00", "ab\x00cd"}
ERROR_PATTERNS = (
    re.compile(r'<(?:span|p) id="error_\d+_[^"]+">\s*<strong>([^<]+)</strong>'),
    re.compile(r'role="alert"[^>]*>([^<]+)<'),
    re.compile(r'class="alert alert-(?:danger|warning)[^"]*"[^>]*>\s*(?:<p[^>]*>)?([^<]+)<'),
)


def _messages_shown(response) -> list[str]:
    """The error and warning texts a user sees on the page (field errors and alerts)."""
    body = response.content.decode()
    return [text.strip() for pattern in ERROR_PATTERNS for text in pattern.findall(body) if text.strip()]


def _flashed(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def job(council, suburb, casemanager_user, p2, main_leak):
    return JobFactory(council=council, suburb=suburb, status=JobStatus.ALLOCATED, priority=p2, category=main_leak,
                      case_manager=casemanager_user)


# What the user is told for a value in every field of each job form ("x", say).
FIELD_MESSAGES = {
    "categorise": "Select a valid choice. That choice is not one of the available choices.",
    "allocate": "Select a valid choice. That choice is not one of the available choices.",
    "dispatch": "That contractor has no contract for this council and service.",
    "cancel": "is not one of the available choices.",
    "reopen": "This form was damaged in transit: open the job again and redo the change.",
    "location": "Select a valid choice. That choice is not one of the available choices.",
}


@pytest.mark.parametrize("value", GARBAGE)
def test_job_forms_answer_garbage_with_a_message_not_a_500(client_for, casemanager_user, job, value,
                                                          submission_token):
    client = client_for(casemanager_user)
    for action in ("categorise", "allocate", "dispatch", "cancel", "reopen", "location", "notes"):
        response = client.post(f"/jobs/{job.reference}/{action}/", {
            "version": value, "category": value, "priority": value, "case_manager": value, "contractor": value,
            "reason": value, "note": value, "text": value, "street_address": value, "suburb": value,
            "latitude": value, "longitude": value, "submission_token": submission_token(casemanager_user),
        })
        shown = _messages_shown(response)
        if "\x00" in value:  # refused centrally, before any form, with a page that says why
            assert response.status_code == 400 and b"contains a NUL character" in response.content, action
            continue
        if action == "notes" and value not in BLANK_OR_NUL:
            assert response.status_code == 302  # any other text is a fine note
            continue
        assert response.status_code in (200, 400), (action, value, response.status_code)
        assert shown, f"{action} answered {value!r} with {response.status_code} and no message"
        if response.status_code == 200:
            # A version that parses but is not the job's: the "changed meanwhile" story, nothing saved.
            assert action == "reopen" and value in ("-1", "999999999999999999999")
            assert any("Nothing of yours was saved" in text for text in shown)
        elif action == "notes":
            assert shown == ["This field is required."]
        elif value == "":
            assert "This field is required." in shown
        else:
            assert any(FIELD_MESSAGES[action] in text for text in shown), (action, value, shown)
    job.refresh_from_db()
    assert job.status == JobStatus.ALLOCATED


@pytest.mark.parametrize("value", GARBAGE)
def test_enquiry_forms_answer_garbage_with_a_message_not_a_500(client_for, callcentre_user, casemanager_user, council,
                                                              suburb, leak, value, submission_token):
    from enquiries.models import Enquiry

    enquiry = EnquiryFactory(council=council, suburb=suburb, issue_type=leak)
    fields = ["customer", "customer_name", "customer_phone", "customer_email", "preferred_channel", "council",
              "street_address", "suburb", "latitude", "longitude", "service", "issue_type", "description",
              "callback_requested", "channel", "received_at", "backdate_reason", "link_job"]
    data = {name: value for name in fields} | {"submission_token": submission_token(callcentre_user)}
    response = client_for(callcentre_user).post("/enquiries/new/", data)
    assert response.status_code == 400
    if "\x00" in value:  # refused before the form, by the one cleaning step for all input
        assert b"contains a NUL character" in response.content
    else:
        assert b"Please check the highlighted fields" in response.content
        shown = _messages_shown(response)
        assert ("This field is required." if value == "" else
                "Select a valid choice. That choice is not one of the available choices.") in shown, shown
    assert Enquiry.objects.count() == 1
    for path, params in [("/enquiries/", {"q": value, "after": value, "council": value, "issue_type": value}),
                         ("/enquiries/customers/search/", {"customer_query": value, "council": value}),
                         ("/enquiries/duplicates/", {"council": value, "service": value, "issue_type": value,
                                                     "latitude": value}),
                         ("/enquiries/suburbs/", {"council": value})]:
        assert client_for(callcentre_user).get(path, params).status_code < 500, path
    refused = "\x00" in value  # a NUL is refused centrally with a 400 before any view runs
    assert client_for(callcentre_user).get("/enquiries/", {"selected": value}).status_code == (400 if refused else 200)

    cm = client_for(casemanager_user)
    response = cm.post(f"/enquiries/{enquiry.reference}/link/", {
        "job_reference": value, "submission_token": submission_token(casemanager_user)})
    assert response.status_code == 400
    if refused:
        assert b"contains a NUL character" in response.content
    else:
        expected = ("This field is required." if value == "" else "Ensure this value has at most 20 characters"
                    if len(value) > 20 else "No job with that reference.")
        assert any(text.startswith(expected) for text in _messages_shown(response)), _messages_shown(response)

    response = cm.post(f"/enquiries/{enquiry.reference}/resolve/", {"outcome": value}, follow=True)
    enquiry.refresh_from_db()
    if refused:
        assert response.status_code == 400 and b"contains a NUL character" in response.content
        assert enquiry.status == EnquiryStatus.NEW
    elif value == "":
        assert response.status_code == 400 and enquiry.status == EnquiryStatus.NEW
        assert "This field is required." in _messages_shown(response)
    else:  # any other text is a fine outcome to record
        assert enquiry.status == EnquiryStatus.RESOLVED and enquiry.outcome == value.strip()
        assert f"{enquiry.reference} resolved at first contact." in _flashed(response)

    response = cm.post("/jobs/create/", {"enquiries": [value], "next": value,
                                         "submission_token": submission_token(casemanager_user)}, follow=True)
    if refused:
        assert response.status_code == 400 and b"contains a NUL character" in response.content
    else:
        assert response.redirect_chain[0][0].startswith("/jobs/triage/?tab=new")  # not to the garbage "next"
        assert _flashed(response) == ["One of the chosen enquiries is no longer available."]
    assert cm.get("/jobs/triage/", {"tab": value, "sort": value, "page": value, "after": value,
                                    "selected": value}).status_code == (400 if refused else 200)


def test_picking_another_councils_customer_is_refused_clearly(client_for, callcentre_user, other_council, council,
                                                              suburb, leak, submission_token):
    foreign = CustomerFactory(council=other_council)
    response = client_for(callcentre_user).post("/enquiries/new/", {
        "customer": foreign.pk, "customer_name": "Someone", "customer_phone": "021 000 1111",
        "preferred_channel": "phone", "council": council.pk, "street_address": "1 Cuba Street", "suburb": suburb.pk,
        "service": "water_supply", "issue_type": leak.pk, "description": "Leak", "channel": "phone",
        "submission_token": submission_token(callcentre_user)})
    assert response.status_code == 400
    assert b"The customer you picked" in response.content


def test_create_job_with_a_foreign_redirect_target_stays_on_this_site(client_for, casemanager_user, submission_token):
    response = client_for(casemanager_user).post("/jobs/create/", {
        "next": "https://evil.example.org/", "submission_token": submission_token(casemanager_user)}, follow=True)
    assert response.redirect_chain[0] == ("/jobs/triage/?tab=new", 302)
    assert _flashed(response) == ["Tick the enquiries the job is for."]


def test_a_cursor_at_the_end_of_time_is_ignored_not_a_500(client_for, casemanager_user):
    import base64

    cursor = base64.urlsafe_b64encode(b"9999-12-31T23:59:59-12:00|5").decode().rstrip("=")
    for key in ("before", "after"):
        assert client_for(casemanager_user).get("/enquiries/", {key: cursor}).status_code == 200


@pytest.mark.parametrize(("received_at", "message"), [
    ("0001-01-01T00:00", "Enter a valid date/time."),
    ("1900-01-01T00:00", "The received time can be at most 30 days ago; check the date."),
    ("2020-06-01T09:00", "The received time can be at most 30 days ago; check the date."),
])
def test_a_received_time_from_long_ago_is_refused_with_a_message(client_for, callcentre_user, council, suburb, leak,
                                                                 received_at, message, submission_token):
    from enquiries.models import Enquiry

    response = client_for(callcentre_user).post("/enquiries/new/", {
        "customer_name": "Someone", "customer_phone": "021 000 1111", "preferred_channel": "phone",
        "council": council.pk, "street_address": "1 Cuba Street", "suburb": suburb.pk, "service": "water_supply",
        "issue_type": leak.pk, "description": "Leak", "channel": "phone", "received_at": received_at,
        "backdate_reason": "typed in wrong", "submission_token": submission_token(callcentre_user)})
    assert response.status_code == 400
    assert message in _messages_shown(response)
    assert not Enquiry.objects.exists()
