"""Complaint rules: service levels in business days, who may own the work, bad input."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints import services
from complaints.due_dates import complaint_due_dates
from complaints.enums import ComplaintStatus
from complaints.models import Complaint, ComplaintServiceLevel
from tests.factories import (
    ComplaintCategoryFactory,
    ComplaintCauseFactory,
    ComplaintFactory,
    ComplaintServiceLevelFactory,
    CustomerFactory,
    UserFactory,
)

NZ = ZoneInfo("Pacific/Auckland")
STANDARD = ComplaintServiceLevel(name="Standard", acknowledge_business_days=2, resolve_business_days=20)


def test_due_dates_skip_a_weekend():
    friday = dt.datetime(2026, 3, 6, 10, 0, tzinfo=NZ)
    acknowledge, _resolve = complaint_due_dates(received_at=friday, service_level=STANDARD)
    assert acknowledge == dt.datetime(2026, 3, 10, 10, 0, tzinfo=NZ)  # Tuesday


def test_due_dates_skip_wellington_anniversary_day():
    friday = dt.datetime(2026, 1, 16, 10, 0, tzinfo=NZ)  # Monday 19 January 2026 is Wellington Anniversary Day
    acknowledge, _resolve = complaint_due_dates(received_at=friday, service_level=STANDARD)
    assert acknowledge == dt.datetime(2026, 1, 21, 10, 0, tzinfo=NZ)  # Wednesday


def test_resolution_due_skips_weekends_and_easter():
    friday = dt.datetime(2026, 3, 6, 10, 0, tzinfo=NZ)
    _acknowledge, resolve = complaint_due_dates(received_at=friday, service_level=STANDARD)
    # 20 business days is Friday 3 April, but that is Good Friday and Monday is Easter Monday.
    assert resolve == dt.datetime(2026, 4, 7, 10, 0, tzinfo=NZ)


def test_a_complaint_after_hours_counts_from_the_next_working_morning():
    saturday_night = dt.datetime(2026, 3, 7, 21, 0, tzinfo=NZ)
    acknowledge, _ = complaint_due_dates(received_at=saturday_night, service_level=STANDARD)
    assert acknowledge == dt.datetime(2026, 3, 10, 17, 0, tzinfo=NZ)  # end of Tuesday: Monday and Tuesday in full


def test_logging_takes_the_categorys_service_level_or_the_default(callcentre_user, council):
    ComplaintServiceLevelFactory()
    quick = ComplaintServiceLevel.objects.create(name="Quick", acknowledge_business_days=1, resolve_business_days=5)
    customer = CustomerFactory(council=council)
    plain = ComplaintCategoryFactory(name="Drinking water taste")
    fast = ComplaintCategoryFactory(name="Outage (fast track)", dia_measure="water_continuity", service_level=quick)
    received = timezone.now()
    a = services.complaint_log(by=callcentre_user, customer=customer, category=plain, description="x",
                               channel="phone", received_at=received)
    b = services.complaint_log(by=callcentre_user, customer=customer, category=fast, description="x",
                               channel="phone", received_at=received)
    assert (a.acknowledge_due_at, a.resolve_due_at) == complaint_due_dates(
        received_at=received, service_level=ComplaintServiceLevel.objects.get(is_default=True))
    assert (b.acknowledge_due_at, b.resolve_due_at) == complaint_due_dates(received_at=received, service_level=quick)
    assert a.next_due_at == a.acknowledge_due_at  # acknowledgement first


def test_a_backdated_complaint_needs_a_reason(callcentre_user, council):
    customer = CustomerFactory(council=council)
    category = ComplaintCategoryFactory()
    with pytest.raises(ValidationError, match="Say why"):
        services.complaint_log(by=callcentre_user, customer=customer, category=category, description="x",
                               channel="phone", received_at=timezone.now() - dt.timedelta(hours=3))
    complaint = services.complaint_log(by=callcentre_user, customer=customer, category=category, description="x",
                                       channel="phone", received_at=timezone.now() - dt.timedelta(hours=3),
                                       backdate_reason="Voicemail overnight")
    assert complaint.backdate_reason == "Voicemail overnight"


# Who may own an escalation or a next step --------------------------------------------------

@pytest.fixture
def discussed(council):
    return ComplaintFactory(council=council, status=ComplaintStatus.DISCUSSED, cause=ComplaintCauseFactory(),
                            acknowledged_at=timezone.now())


def _agree(complaint, owner, by):
    return services.complaint_agree_next_step(complaint=complaint, text="Call back", owner=owner,
                                              due_on=timezone.localdate() + dt.timedelta(days=2), by=by)


@pytest.mark.parametrize("owner_fixture", ["casemanager_user", "analyst_user", "callcentre_user"])
def test_a_next_step_owner_may_be_utility_staff_or_the_complaints_own_council(request, discussed, casemanager_user,
                                                                              owner_fixture):
    owner = request.getfixturevalue(owner_fixture)
    complaint = _agree(discussed, owner, casemanager_user)
    assert complaint.actions.get().owner == owner


@pytest.mark.parametrize("owner_fixture", ["other_callcentre_user", "crew_user", "inactive_utility_user"])
def test_a_next_step_owner_from_the_wrong_organisation_is_refused(request, discussed, casemanager_user,
                                                                  owner_fixture):
    owner = request.getfixturevalue(owner_fixture)
    with pytest.raises(ValidationError, match="cannot own this"):
        _agree(discussed, owner, casemanager_user)
    discussed.refresh_from_db()
    assert discussed.status == ComplaintStatus.DISCUSSED
    assert not discussed.actions.exists()


@pytest.fixture
def inactive_utility_user(utility):
    return UserFactory(username="left-last-year", organisation=utility, role_case_manager=True, is_active=False)


def test_an_escalation_owner_from_another_council_is_refused(discussed, casemanager_user, other_callcentre_user,
                                                             outbox_calls):
    with pytest.raises(ValidationError, match="cannot own this"):
        services.complaint_escalate(complaint=discussed, level="manager", owner=other_callcentre_user,
                                    reason="x", by=casemanager_user)
    discussed.refresh_from_db()
    assert discussed.level == "" and outbox_calls == []


def test_a_next_step_due_in_the_past_is_refused(discussed, casemanager_user):
    with pytest.raises(ValidationError, match="past"):
        services.complaint_agree_next_step(complaint=discussed, text="x", owner=casemanager_user,
                                           due_on=timezone.localdate() - dt.timedelta(days=1), by=casemanager_user)


def test_the_agree_form_offers_only_owners_of_the_right_organisations(client_for, discussed, casemanager_user,
                                                                      callcentre_user, other_callcentre_user,
                                                                      crew_user):
    body = client_for(casemanager_user).get(f"/complaints/{discussed.reference}/agree/").content.decode()
    assert f'value="{callcentre_user.pk}"' in body and f'value="{casemanager_user.pk}"' in body
    assert f'value="{other_callcentre_user.pk}"' not in body and f'value="{crew_user.pk}"' not in body


# Garbage in every form ------------------------------------------------------------------------

GARBAGE = ["", "x", "-1", "999999999999999999999", "1e999", "NaN", "<script>", "' OR 1=1 --", "\x00", "ab\x00cd",
           "²", "é" * 400, "9999-99-99T99:99", "0001-01-01T00:00"]
STEPS = ["understand", "contact", "agree", "escalate", "resolve", "close", "withdraw", "reopen"]
FIELDS = ["version", "cause", "notes", "channel", "contacted_at", "summary", "text", "owner", "due_on", "level",
          "reason", "outcome", "customer_accepts", "note"]


@pytest.mark.parametrize("value", GARBAGE)
def test_complaint_forms_answer_garbage_with_a_message_not_a_500(client_for, casemanager_user, callcentre_user,
                                                                 discussed, value, outbox_calls):
    client = client_for(casemanager_user)
    for step in STEPS:
        response = client.post(f"/complaints/{discussed.reference}/{step}/", {name: value for name in FIELDS})
        assert response.status_code in (302, 400), (step, value, response.status_code)
    discussed.refresh_from_db()
    assert discussed.status == ComplaintStatus.DISCUSSED
    customer = discussed.customer
    for query in ({"customer": value}, {"job": value}, {"enquiry": value}, {"q": value}):
        response = client_for(callcentre_user).get("/complaints/new/", query)
        assert response.status_code in (200, 400, 404), (query, response.status_code)
    response = client_for(callcentre_user).post(f"/complaints/new/?customer={customer.pk}", {
        name: value for name in ("customer", "category", "channel", "received_at", "backdate_reason", "description")})
    assert response.status_code == 400
    # NUL bytes are refused by the middleware before any form sees them; anything else gets the form's message.
    assert b"Please check the highlighted fields" in response.content or "\x00" in value
    response = client.get("/complaints/", {"tab": value, "after": value, "before": value, "council": value,
                                           "service": value, "category": value, "level": value, "status": value})
    assert response.status_code == (400 if "\x00" in value else 200)
    response = client.post(f"/complaints/{discussed.reference}/steps/1/done/", {"version": value, "done": value})
    assert response.status_code in (302, 400, 404)
    assert not Complaint.objects.exclude(pk=discussed.pk).exists()


def test_odd_references_in_urls_and_query_strings_are_404s_not_500s(client_for, casemanager_user):
    client = client_for(casemanager_user)
    for reference in ("CMP-2026-00\x001", "%00", "x" * 300, "cmp-2026-999999"):
        assert client.get(f"/complaints/{reference}/").status_code in (400, 404)
    for key in ("job", "enquiry"):
        assert client.get("/complaints/new/", {key: "JOB-2026-\x00"}).status_code in (400, 404)
        assert client.get("/complaints/new/", {key: "JOB-2026-99999999"}).status_code == 404


def test_a_huge_step_number_is_a_404_not_a_500(client_for, casemanager_user, discussed):
    response = client_for(casemanager_user).post(
        f"/complaints/{discussed.reference}/steps/99999999999999999999999/done/", {"version": 1, "done": "1"})
    assert response.status_code == 404
